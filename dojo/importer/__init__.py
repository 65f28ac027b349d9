"""Real incident material -> scenario signals: logs, metrics and traces in their common formats,
normalized to the files `dojo generate` writes and referenced from a scenario's `imports:`."""
