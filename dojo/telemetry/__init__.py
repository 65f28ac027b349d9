"""Incident physics and signal synthesis: faults, logs, metrics, traces, alerts, export."""
