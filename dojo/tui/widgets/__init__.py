"""Reusable panes of the investigation workspace. Apps load dojo/tui/widgets.tcss for their looks."""
