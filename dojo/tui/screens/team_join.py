"""`dojo join CODE`: a team member's terminal UI. The lobby shows the briefing and who has joined
until the facilitator starts the game; then the ordinary investigation workspace opens on the
team's session (dojo.gameday.team.TeamSession, a Session), so everything a learner can do alone
works the same in a team. Every second the app folds in what the others wrote and refreshes the
shared journal; injects, hints and pauses from the facilitator arrive as notifications.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from .. import WIDGETS_CSS
from ..engine_thread import EngineThread
from ..plain import plain, safe, visible
from ..play_app import PlayApp
from .base import app_of

SYNC_S = 1.0


def lobby_text(game: dict, reconnecting: bool = False) -> str:
    online = ", ".join(game["online"]) or "nobody yet"
    away = ", ".join(game.get("away", []))
    phase = {"waiting": "waiting for the facilitator to start", "paused": "paused by the facilitator"}.get(
        game["phase"], game["phase"]
    )
    # Names come from the facilitator and the teams: escaped inside our own markup.
    team, member = safe(game["team"]), safe(game["member"])
    text = f"[b]Team {team}[/b]\n\nYou: {member}\nOnline: {safe(online)}"
    if away:
        text += f"\nAway: {safe(away)}"
    text += f"\n\nGame: {safe(phase)}"
    if reconnecting:
        text += "\n\n[b $error]database unreachable: reconnecting...[/]"
    return text


def subtitle(game: dict, reconnecting: bool = False) -> str:
    """The app's second line: the team, who is here and the game's state as its events say."""
    line = f"team {game['team']} · {len(game['online'])} online · {game['phase']}"
    return line + (" · reconnecting…" if reconnecting else "")


class LobbyScreen(Screen):
    @property
    def team_app(self) -> TeamApp:
        """The app, typed: what the lobby asks of it is checked."""
        return app_of(self, TeamApp)

    BINDINGS = [Binding("q", "app.quit", "Leave", id="lobby.leave")]

    def __init__(self, session, feeds):
        super().__init__()
        self.session, self.feeds = session, feeds

    def compose(self) -> ComposeResult:
        yield Static(plain(f"{self.session.scenario.title}: the page"), id="lobby-header")
        with Horizontal(id="lobby-body"):
            with VerticalScroll(id="lobby-doc"):
                yield Markdown(visible(self.session.scenario.briefing))  # the author's text
            yield Static("", id="lobby-side")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(SYNC_S, self.poll)
        self.call_after_refresh(self.poll)

    async def poll(self) -> None:
        app = self.team_app
        game = await app.call_quietly(self.session.game)
        if game is None:
            if app.reconnecting and app.last_game is not None:
                self.query_one("#lobby-side", Static).update(lobby_text(app.last_game, reconnecting=True))
            return
        self.query_one("#lobby-side", Static).update(lobby_text(game))
        if game["phase"] in ("running", "paused", "over"):
            app.begin()


class TeamApp(PlayApp):
    CSS_PATH = [WIDGETS_CSS, "gameday.tcss"]
    TITLE = "debugging dojo: game day"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(self, db: str | None, code: str, member: str):
        super().__init__()
        self.db, self.code, self.member = db, code, member
        self.engine = EngineThread()
        self.session = None
        self.feeds = None
        self.started = False
        self.debriefed = False
        self._seen = (0, 0, 0, "")  # cursor, injects, hints, phase
        self.reconnecting = False
        self.last_game: dict | None = None  # the game as last read, shown while reconnecting

    async def on_mount(self) -> None:
        from dojo.gameday.team import TeamSession
        from dojo.store.games import GameStore
        from dojo.tui.prepare import Feeds

        def join():
            session = TeamSession.join(GameStore(self.db), self.code, self.member)
            return session, Feeds.of(session)

        from dojo.engine.errors import EngineError
        from dojo.store import StoreError

        try:
            self.session, self.feeds = await self.engine.call(join)
        except (EngineError, StoreError) as exc:
            # The code was checked on the command line; the database may have gone since (or the
            # scenario no longer loads here): one line, as there, not a traceback.
            self.exit(return_code=1, message=visible(str(exc)))
            return
        self.push_screen(LobbyScreen(self.session, self.feeds))
        self.set_interval(SYNC_S, self.sync)

    async def call_quietly(self, fn, *args):
        """A poll on the engine thread. While the database is out of reach the member is told
        they are reconnecting (here and in the clock bar, whose clock runs on from the last server
        time); the first poll that gets through says they are back and resyncs the clock."""
        from dojo.engine.errors import EngineError
        from dojo.store import StoreError
        from dojo.store.games import Unavailable

        try:
            got = await self.engine.call(fn, *args)
        except Unavailable:
            if not self.reconnecting:
                self.reconnecting = True
                self.notify("database unreachable: reconnecting; actions are refused until it is back",
                            severity="error", timeout=6)  # fmt: skip
            if self.last_game is not None:
                self.sub_title = subtitle(self.last_game, reconnecting=True)
            return None
        except (EngineError, StoreError) as exc:
            self.sub_title = str(exc)[:80]
            return None
        if self.reconnecting:
            self.reconnecting = False
            self.notify("reconnected: the journal and clock are up to date", timeout=4)
        if isinstance(got, dict) and "phase" in got:
            self.last_game = got
        return got

    def begin(self) -> None:
        """The game has started: open the workspace, once."""
        if self.started:
            return
        self.started = True
        # On the app, not awaited by the lobby: that screen is the one the workspace replaces.
        self.run_worker(self.open_workspace(), group="navigation", exclusive=True)

    async def open_workspace(self) -> None:
        from .workspace import WorkspaceScreen

        assert self.session is not None and self.feeds is not None  # joined before the lobby showed
        await self.switch_screen(WorkspaceScreen(self.session, self.feeds))

    async def sync(self) -> None:
        """Fold in the others' work; refresh the journal and tell the member what changed."""
        if not self.started or self.session is None:
            return
        game = await self.call_quietly(self.session.game)
        if game is None:
            return
        self.sub_title = subtitle(game)
        cursor, injects, hints, phase = self._seen
        for i in game["injects"][injects:]:
            self.notify(visible(i["text"]), title="Inject", timeout=15, markup=False)
        for h in game["hints"][hints:]:
            self.notify(visible(h["text"]), title=f"Hint {h['index']} from the facilitator", timeout=15, markup=False)
        if phase and game["phase"] != phase:
            self.notify(f"the game is {game['phase']}", title="Facilitator")
        if self.session.cursor != cursor and hasattr(self.screen, "show_journal"):
            await self.screen.show_journal()
        if game["phase"] == "over" or self.session.attempt.over:  # ended, or a teammate solved it
            self.show_debrief(self.session)
        self._seen = (self.session.cursor, len(game["injects"]), len(game["hints"]), game["phase"])

    def show_debrief(self, session) -> None:
        """The team's attempt is over (solved, or the game ended): the card, then wait for the retro."""
        if self.debriefed:
            return  # the workspace (refused action) and the sync (game over) may both ask
        self.debriefed = True
        self.run_worker(self._debrief(session), group="navigation", exclusive=True)

    async def _debrief(self, session) -> None:
        from .debrief import DebriefScreen

        card = await self.engine.call(session.score)
        events = session.events
        await self.switch_screen(DebriefScreen(session.scenario, session.signals.events, events, card.to_dict()))

    def show_library(self) -> None:
        self.exit()

    def action_help(self) -> None:
        from .help import HelpScreen, binding_rows

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(binding_rows(self.screen), title="Keys"))

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.engine.call(self.session.close)
            await self.engine.call(self.session.gstore.close)
        self.engine.shutdown()


def run_team(db: str | None, code: str, member: str) -> None:
    app = TeamApp(db, code, member)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)
