"""ClockBar: one line of where the replay stands: scenario time, speed, wall time, penalties.

Attributes (down): every field is a reactive the screen sets from its clock and score.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from dojo.scenario.vocabulary import DEFAULT_START

from ..data import units

# A game's phases where its clock stands still; running shows the speed, as alone.
GAME_STATES = {"waiting": "◌ waiting", "paused": "⏸ paused", "over": "■ over"}


class ClockBar(Widget):
    now: reactive[float] = reactive(0.0)
    duration: reactive[float] = reactive(0.0)
    speed: reactive[float] = reactive(1.0)
    paused: reactive[bool] = reactive(False)
    phase: reactive[str] = reactive("")
    """A game day's state as the game's events say (waiting, running, paused, over); "" alone."""
    reconnecting: reactive[bool] = reactive(False)
    """The database is out of reach: the clock runs on from the last server time meanwhile."""
    applying: reactive[str] = reactive("")
    """A learner's action being played into the incident ("restart checkout"); "" when none."""
    wall_elapsed: reactive[float] = reactive(0.0)
    penalties: reactive[float] = reactive(0.0)
    """Seconds added to the learner's time by wrong diagnoses and hints so far."""
    title: reactive[str] = reactive("")
    opening: reactive[bool] = reactive(False)
    """The attempt is still opening: the logs are up, the clock and the rest are not yet."""
    start: reactive[datetime] = reactive(DEFAULT_START)

    def state(self) -> str:
        if self.phase:
            return GAME_STATES.get(self.phase, f"▶ ×{self.speed:g}")
        return "⏸ paused" if self.paused else f"▶ ×{self.speed:g}"

    def render(self) -> Content:
        state = self.state()
        stopped = self.paused or self.phase in GAME_STATES
        parts = [
            ("bold $text-accent", f" {units.offset(self.now)}"),
            ("$text-muted", f" / {units.offset(self.duration)}  "),
            ("", f"{units.clock(self.start, self.now)} UTC  "),
            ("$text-warning" if stopped else "$text-success", f"{state}  "),
            ("$text-muted", f"wall {units.span(self.wall_elapsed)}  "),
            ("$text-error" if self.penalties else "$text-muted", f"penalties +{units.span(self.penalties)}"),
        ]
        if self.reconnecting:
            parts.insert(4, ("bold $text-error", "reconnecting…  "))
        if self.applying:
            parts.insert(4, ("bold $text-warning", f"applying {self.applying}…  "))
        if self.opening:
            parts[3:5] = [("bold $text-warning", "opening the incident…  ")]
        content = Content.assemble(*[(text, style) if style else text for style, text in parts])
        if self.title:
            content = Content.assemble(content, ("  ·  ", "$text-muted"), (self.title, "italic"))
        return content
