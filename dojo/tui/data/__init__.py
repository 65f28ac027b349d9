"""What the panes ask of the telemetry: filters, series, health, trace trees.

Pure functions over pyarrow and pandas, no textual, so the engine can adopt them as its
investigation queries and tests run without a screen."""
