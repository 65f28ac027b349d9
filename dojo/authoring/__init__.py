"""Instructor tools: lint (is a scenario fair?), scaffolding and preview."""
