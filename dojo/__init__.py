"""Debugging dojo: an incident replay simulator for deliberate debugging practice."""

__version__ = "0.1.0"
