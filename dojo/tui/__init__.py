"""The terminal UI: the only package that imports textual.

`widgets/` holds the reusable panes, data-driven (attributes down, messages up);
`data/` holds the pure queries they run on the telemetry; styles live in *.tcss files."""

from pathlib import Path

WIDGETS_CSS = Path(__file__).with_name("widgets.tcss")
