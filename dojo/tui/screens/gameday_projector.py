"""The projector view: large, for the wall. The clock and each team's progress in neutral words
("forming hypotheses", "building the case", "solved"); a ranking by score only when the
facilitator has switched it on. It reads the console's status; it never shows wrong diagnoses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Digits, Footer, Static

from ..plain import plain_block, safe
from .base import app_of

if TYPE_CHECKING:  # the console app imports this screen
    from .gameday_console import ConsoleApp


def clock(seconds):
    from dojo.gameday.text import clock as fmt

    return fmt(seconds)


def projector_lines(st: dict) -> list[str]:
    """What the wall shows for each team, ranked only if ranking is on."""
    teams = st["teams"]
    if st.get("ranking"):
        order = {name: i for i, name in enumerate(st.get("rank", []))}
        teams = sorted(teams, key=lambda t: order.get(t["team"], len(order)))
        return [f"{i}. {t['team']}  ·  {t['progress']}  ·  {t['points']} points" for i, t in enumerate(teams, 1)]
    return [f"{t['team']}  ·  {t['progress']}" for t in teams]


class ProjectorScreen(Screen):
    BINDINGS = [Binding("escape,v", "app.pop_screen", "Back to console", id="view.console")]

    @property
    def console(self) -> ConsoleApp:
        """The app, typed: the projector is the console's second view."""
        from .gameday_console import ConsoleApp

        return app_of(self, ConsoleApp)

    def compose(self) -> ComposeResult:
        yield Static("", id="projector-title")
        yield Digits("00:00", id="projector-clock")
        with VerticalScroll(id="projector-teams"):
            yield Static("", id="projector-lines")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_view)
        self.call_after_refresh(self.refresh_view)

    async def refresh_view(self) -> None:
        st = await self.console.live_status()
        if st is None:
            return
        shown = st["left_s"] if st.get("left_s") is not None else st["running_s"]
        link = "   (reconnecting...)" if st.get("connection") == "reconnecting" else ""
        self.query_one("#projector-title", Static).update(f"[b]{safe(st['title'])}[/b]   {safe(st['phase'])}{link}")
        self.query_one(Digits).update(clock(shown))
        self.query_one("#projector-lines", Static).update(plain_block("\n\n".join(projector_lines(st))))
