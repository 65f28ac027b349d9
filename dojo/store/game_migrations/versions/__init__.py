"""Revisions, oldest first: g0001 tables, g0002 append-only triggers, g0003 the append function."""
