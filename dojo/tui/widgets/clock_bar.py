"""ClockBar: one line of where the replay stands: scenario time, speed, wall time, penalties.

Attributes (down): every field is a reactive the screen sets from its clock and score.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from dojo.scenario.model import DEFAULT_START

from ..data import units


class ClockBar(Widget):
    now: reactive[float] = reactive(0.0)
    duration: reactive[float] = reactive(0.0)
    speed: reactive[float] = reactive(1.0)
    paused: reactive[bool] = reactive(False)
    wall_elapsed: reactive[float] = reactive(0.0)
    penalties: reactive[float] = reactive(0.0)
    """Seconds added to the learner's time by wrong diagnoses and hints so far."""
    title: reactive[str] = reactive("")
    start: reactive[datetime] = reactive(DEFAULT_START)

    def render(self) -> Content:
        state = "⏸ paused" if self.paused else f"▶ ×{self.speed:g}"
        parts = [
            ("bold $text-accent", f" {units.offset(self.now)}"),
            ("$text-muted", f" / {units.offset(self.duration)}  "),
            ("", f"{units.clock(self.start, self.now)} UTC  "),
            ("$text-warning" if self.paused else "$text-success", f"{state}  "),
            ("$text-muted", f"wall {units.span(self.wall_elapsed)}  "),
            ("$text-error" if self.penalties else "$text-muted", f"penalties +{units.span(self.penalties)}"),
        ]
        content = Content.assemble(*[(text, style) if style else text for style, text in parts])
        if self.title:
            content = Content.assemble(content, ("  ·  ", "$text-muted"), (self.title, "italic"))
        return content
