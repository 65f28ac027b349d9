"""The facilitator's console: every team live on one screen, one clock, and the controls.

All the game logic is in dojo.gameday.game.Facilitator; this screen only shows its status and
sends its commands. Store calls run on one worker thread (the app's EngineThread), never on the
UI thread; the view refreshes every second (a poll of new events since the last one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from .. import WIDGETS_CSS
from ..engine_thread import EngineThread
from ..plain import cell, plain_block, safe, visible
from .base import app_of

if TYPE_CHECKING:
    from dojo.gameday.game import Facilitator

REFRESH_S = 1.0
EXTEND_S = 300.0


def clock(seconds: float | None) -> str:
    from dojo.gameday.text import clock as fmt

    return fmt(seconds)


def header_text(st: dict) -> str:
    """The game's line: its state as the store has it, the clock, and (while the database is out
    of reach) that the clock is carried on from the last server time until it reconnects."""
    left = "" if st.get("left_s") is None else f"   left {clock(st['left_s'])}"
    rank = "on" if st.get("ranking") else "off"
    line = (
        f"[b]{safe(st['game'])}[/b]  {safe(st['title'])}   [b]{safe(st['phase'].upper())}[/b]   "
        f"game time {clock(st['running_s'])}"
        f"{left}   speed {st['speed']:g}x   ranking {rank}"
    )
    if st.get("connection") == "reconnecting":
        line += "\n[b $error]database unreachable: reconnecting...[/] clock carried on from the last server time"
    return line


def team_rows(st: dict) -> list[tuple]:
    """One row per team: what the facilitator watches."""
    rows = []
    for t in st["teams"]:
        outcome = f"solved {clock(t['ttcd_s'])}" if t["solved"] else t["progress"]
        away = set(t.get("away", []))
        online = f"{len(t['online'])}/{len(t['members'])}" + (f" ({len(away)} away)" if away else "")
        members = ", ".join(m + (" (away)" if m in away else "") for m in t["members"])
        rows.append(
            (t["team"], online, members[:30], t["queries"],
             t["hypotheses"], t["pins"], t["hints"], t["wrong_diagnoses"], outcome, t["points"])
        )  # fmt: skip
    return rows


COLUMNS = ("Team", "Online", "Members", "Queries", "Hyp", "Pins", "Hints", "Wrong", "Status", "Points")


class TextPrompt(ModalScreen[str | None]):
    """One line of text (an inject), or None on Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str):
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.title_text, id="prompt-title")
            yield Input(id="prompt-input", max_length=1000)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConsoleScreen(Screen):
    @property
    def console(self) -> ConsoleApp:
        """The app, typed: what this screen asks of it is checked."""
        return app_of(self, ConsoleApp)

    BINDINGS = [
        Binding("s", "start", "Start", id="game.start"),
        Binding("space", "pause", "Pause/resume", id="game.pause"),
        Binding("E", "end", "End game", id="game.end"),
        Binding("i", "inject(False)", "Inject to all", id="inject.all"),
        Binding("I", "inject(True)", "Inject to team", id="inject.team"),
        Binding("h", "hint(True)", "Hint to team", id="hint.team"),
        Binding("H", "hint(False)", "Hint to all", id="hint.all"),
        Binding("x", "extend", "+5 min", id="game.extend"),
        Binding("r", "ranking", "Ranking", id="view.ranking"),
        Binding("v", "projector", "Projector", id="view.projector"),
    ]

    def __init__(self):
        super().__init__()
        self.status: dict | None = None

    def compose(self) -> ComposeResult:
        yield Static("connecting...", id="console-header")
        yield DataTable(id="console-teams", cursor_type="row", zebra_stripes=True)
        yield Static("", id="console-injects")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        self.set_interval(REFRESH_S, self.refresh_status)
        self.call_after_refresh(self.refresh_status)

    async def refresh_status(self) -> None:
        st = await self.console.live_status()
        if st is not None:
            self.show(st)
        elif self.console.facilitator is None:
            self.query_one("#console-header", Static).update(plain_block(self.console.sub_title or "connecting..."))

    def show(self, st: dict) -> None:
        self.status = st
        self.query_one("#console-header", Static).update(header_text(st))
        table = self.query_one(DataTable)
        rows = team_rows(st)
        if table.row_count != len(rows):
            table.clear()
            for row in rows:
                table.add_row(*(cell(v) for v in row), key=row[0])  # a DataTable reads markup from str
        else:
            for row in rows:
                for col, value in zip(COLUMNS, row, strict=True):
                    table.update_cell(row[0], col, cell(value), update_width=True)
        injects = st.get("injects", [])[-3:]
        self.query_one("#console-injects", Static).update(
            plain_block(
                "\n".join(f"inject at {clock(i['at_s'])} to {i['team'] or 'all'}: {i['text']}" for i in injects)
            )
        )

    def selected_team(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.get_row_at(table.cursor_row)[0])

    async def _do(self, fn: Callable) -> None:
        st = await self.console.run_game(fn)
        if st is not None:
            self.show(st)
            if st.get("released") is not None:
                got = ", ".join(f"{r['team']} hint {r['hint']}" for r in st["released"]) or "nobody"
                self.notify(visible(f"hint released to {got}"), markup=False)

    async def action_start(self) -> None:
        await self._do(lambda f: f.start())

    async def action_pause(self) -> None:
        paused = self.status is not None and self.status["phase"] == "paused"
        await self._do(lambda f: f.resume() if paused else f.pause())

    async def action_end(self) -> None:
        await self._do(lambda f: f.end())

    async def action_extend(self) -> None:
        await self._do(lambda f: f.extend(EXTEND_S))

    async def action_ranking(self) -> None:
        on = not (self.status or {}).get("ranking", False)
        await self._do(lambda f: f.ranking(on))

    async def action_hint(self, one: bool) -> None:
        team = self.selected_team() if one else None
        await self._do(lambda f: f.hint(team))

    def action_inject(self, one: bool) -> None:
        team = self.selected_team() if one else None
        title = f"Inject to {team}" if team else "Inject to every team"

        async def send(text: str | None) -> None:
            if text:
                await self._do(lambda f: f.inject(text, team))

        self.app.push_screen(TextPrompt(title + " (Enter sends, Esc cancels)"), send)

    def action_projector(self) -> None:
        from .gameday_projector import ProjectorScreen

        self.app.push_screen(ProjectorScreen())


class ConsoleApp(App[None]):
    CSS_PATH = [WIDGETS_CSS, "gameday.tcss"]
    TITLE = "debugging dojo: game day console"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, open_store: Callable, game_id: str, key: str):
        super().__init__()
        self.open_store, self.game_id, self.key = open_store, game_id, key
        self.engine = EngineThread()
        self.facilitator: Facilitator | None = None
        self.connection = "connecting"  # live | reconnecting, as the last status said

    async def on_mount(self) -> None:
        self.push_screen(ConsoleScreen())

    async def _connect(self) -> bool:
        """Open the store and read the game (the key was checked on the command line, but the
        database may be down by now: then the screens keep saying so and try again)."""
        from dojo.gameday.game import Facilitator
        from dojo.store import StoreError
        from dojo.store.games import Unavailable

        def connect():
            store = self.open_store()
            try:
                return Facilitator(store, self.game_id, self.key)
            except BaseException:
                store.close()
                raise

        try:
            self.facilitator = await self.engine.call(connect)
        except Unavailable:
            self.sub_title = "database unreachable: connecting..."
            return False
        except StoreError as exc:
            self.exit(return_code=1, message=visible(str(exc)))
            return False
        self.sub_title = ""
        return True

    async def live_status(self) -> dict | None:
        """The game as the store has it, or, while the database is out of reach, the last state
        read with the clock carried on (Facilitator.live_status); tells the facilitator when the
        connection is lost and when it is back."""
        if self.facilitator is None and not await self._connect():
            return None
        st = await self.run_game(lambda f: f.live_status(), quiet=True)
        if st is None:
            return None
        was, self.connection = self.connection, st.get("connection", "live")
        if was != self.connection and self.connection == "reconnecting":
            self.notify(
                "database unreachable: reconnecting; commands are refused until it is back", severity="error", timeout=6
            )
        elif was == "reconnecting" and self.connection == "live":
            self.notify("reconnected: the clock is the server's again", timeout=4)
        return st

    async def run_game(self, fn: Callable, quiet: bool = False):
        """fn(facilitator) on the worker thread; a refusal is a notification, not a crash."""
        from dojo.engine.errors import EngineError
        from dojo.store import StoreError

        if self.facilitator is None:
            if not quiet:
                self.notify("not connected to the database yet; try again", severity="error", timeout=6)
            return None
        try:
            return await self.engine.call(fn, self.facilitator)
        except (EngineError, StoreError) as exc:
            if not quiet:
                self.notify(visible(str(exc)), severity="error", timeout=6, markup=False)
        return None

    def action_help(self) -> None:
        from .help import HelpScreen, binding_rows

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(binding_rows(self.screen), title="Game day console keys"))

    async def on_unmount(self) -> None:
        if self.facilitator is not None:
            await self.engine.call(self.facilitator.store.close)
        self.engine.shutdown()


def run_console(open_store: Callable, game_id: str, key: str) -> None:
    app = ConsoleApp(open_store, game_id, key)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)
