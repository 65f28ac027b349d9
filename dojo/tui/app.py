"""DojoApp: the screens and the one Session they share.

    library ──Enter──▶ briefing ──Enter──▶ workspace ──correct diagnosis / give up──▶ debrief
       ▲  └──P──▶ progress                  (diagnosis, hypothesis, confirm, help: modals)     │
       └──────────────────────────────────────Esc──────────────────────────────────────────────┘

The app owns the store and the Session and runs every call on them on the engine thread
(`engine_thread.py`); screens hold the Session as an attribute, read the attempt only from what
those calls return, reach the app through their typed `dojo` property (screens/base.py) and
change its state only through its methods. Only this package imports textual, and only the library's modules are
imported at start-up. Every other screen is imported on the engine thread, never the UI's:
the briefing's service map pulls in numpy and pandas, half a second the UI must not stall for;
once the library is on screen, the engine thread imports them ahead of need (`warm_up`).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual.app import App
from textual.binding import Binding

from . import WIDGETS_CSS
from .commands import BindingCommands
from .engine_thread import EngineThread
from .heap import end_hold, hold_during_load
from .play_app import PlayApp
from .prepare import PlaySettings

if TYPE_CHECKING:  # pragma: no cover - imported on the engine thread when needed
    from dojo.engine.session import Session
    from dojo.store import Store

    from .prepare import EarlyLogs, Feeds
    from .screens.library import LibraryScreen
    from .screens.workspace import WorkspaceScreen

DARK, LIGHT = "textual-dark", "textual-light"
# The garbage collector is held while an attempt opens (heap.py); whatever screen the learner ends
# up on, it is back on this long after the app has mounted.
HOLD_GC_S = 3.0
# What opening a scenario will need, in the order it needs it. Not the synthesizer (faker, the
# voices, the fault physics): an incident opened before comes from the cache, and the engine
# thread runs this warm-up before the briefing's open, so it would only delay that open.
WARM = (
    "dojo.scenario",
    "dojo.engine.session",
    "dojo.telemetry.cache",
    "dojo.tui.screens.briefing",
    "dojo.tui.screens.workspace",
)


def _library() -> type[LibraryScreen]:
    """The library screen's class: imported when first shown, so `dojo play` does without it."""
    from .screens.library import LibraryScreen

    return LibraryScreen


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


class DojoApp(PlayApp):
    CSS_PATH = [WIDGETS_CSS, "app.tcss"]
    TITLE = "debugging dojo"
    # Screens reflow by the terminal's size: an 80x24 laptop terminal to a 200x60 monitor.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    COMMANDS = App.COMMANDS | {BindingCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        # T first: a browser keeps ctrl+t for itself (dojo serve); terminals may use either.
        Binding("T,ctrl+t", "toggle_theme", "Light/dark", key_display="T", id="app.theme"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        *,
        play: Any = None,
        settings: PlaySettings = PlaySettings(),
        synthesize: Callable | None = None,
        store_path: Path | None = None,
        scenarios: Path | None = None,
    ):
        """`play`: a scenario (model, path or built-in id) to open at once, as `dojo play` does;
        `settings`: how attempts are played; `synthesize`: the telemetry's maker (tests pass a
        cached one); `store_path`: the store (default $DOJO_HOME); `scenarios`: the library's folder."""
        super().__init__()
        self.play_ref = play
        self.settings = settings
        self.synthesize = synthesize
        self.store_path = store_path
        self.scenarios = scenarios
        self.engine = EngineThread()
        self._store: Store | None = None
        self.session: Session | None = None  # the attempt being played, once the briefing has opened it
        self.left_open: tuple[str, int] | None = None  # an attempt quit unfinished: (scenario id, attempt)

    async def on_mount(self) -> None:
        hold_during_load()  # until the workspace has painted, or HOLD_GC_S (heap.py)
        self.set_timer(HOLD_GC_S, end_hold)
        if self.play_ref is None:
            self.push_screen(_library()(self.scenarios))
            return
        # `dojo play`: straight to the briefing, its module imported here (it imports nothing
        # heavy) rather than queued on the engine thread; the library is made when asked for.
        from .screens.briefing import BriefingScreen

        await self.push_screen(BriefingScreen(self.play_ref, self.settings))

    async def screen_class(self, module: str, name: str) -> type:
        """A screen class, its module imported on the engine thread."""
        return getattr(await self.engine.call(importlib.import_module, f"dojo.tui.screens.{module}"), name)

    def warm_up(self) -> None:
        """Import what opening a scenario needs, on the engine thread, while the learner looks
        at the library (the import lock makes an early Enter wait for it, not fail)."""
        self.run_worker(self.engine.call(_import_all, WARM), group="warm-up", exclusive=True)

    # -- the store and the session (engine thread only) -----------------------------------------

    def store(self) -> Store:
        """The store, opened on first use. Call it on the engine thread, like every store call:
        SQLite's own check refuses a connection used from another thread."""
        if self._store is None:
            from dojo.store import Store

            self._store = Store.open(self.store_path)
        return self._store

    def attempt_opened(self, session: Session) -> None:
        """The briefing has opened (or resumed) an attempt: it is the one played, and closed on quit."""
        self.session = session

    def attempt_abandoned(self, session: Session) -> None:
        """An attempt opened for a briefing the learner left: closed, and no longer the one played."""
        if self.session is session:
            self.session = None
        session.close("quit")

    async def close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:

            def close() -> bool:
                session.close("quit")
                return session.attempt.over

            over = await self.engine.call(close)
            self.left_open = None if over else (session.scenario.id, session.attempt_id)

    async def on_unmount(self) -> None:
        end_hold(settle=False)
        await self.close_session()
        if self._store is not None:
            await self.engine.call(self._store.close)
        self.engine.shutdown()

    # -- moving between screens ----------------------------------------------------------------

    async def open_briefing(self, ref: Any, settings: PlaySettings) -> None:
        briefing = await self.screen_class("briefing", "BriefingScreen")
        await self.push_screen(briefing(ref, settings))

    async def on_library_screen_chosen(self, message: LibraryScreen.Chosen) -> None:
        resume = message.resume
        settings = self.settings if resume is None else PlaySettings(resume=resume)
        await self.open_briefing(message.path, settings)

    async def begin(self, session: Session, feeds: Feeds, replace: bool = True) -> None:
        """The learner starts investigating: the workspace takes the briefing's place
        (`replace`), or goes on top of the current screen, and starts the clocks once it is up."""
        workspace = await self.screen_class("workspace", "WorkspaceScreen")
        self.session = session
        await (self.switch_screen if replace else self.push_screen)(workspace(session, feeds))

    def early_workspace(self, early: EarlyLogs) -> WorkspaceScreen:
        """The workspace for a learner who starts investigating before the attempt is open, with
        the logs it can show (prepare.early_logs); the briefing switches to it and its worker
        hands it the attempt (`WorkspaceScreen.attach`). Its module is imported here, on the UI
        thread: it needs only textual, numpy and pyarrow, and the engine thread is busy opening."""
        from .screens.workspace import WorkspaceScreen

        return WorkspaceScreen(None, None, early)

    async def debrief(self, session: Session) -> None:
        """The attempt is over: the session ends and the debrief takes the workspace's place."""
        debrief = await self.screen_class("debrief", "DebriefScreen")
        card, events = await self.engine.call(lambda: (session.score(), session.events))
        await self.close_session()
        self.clear_notifications()  # the workspace's toasts are about a game that is over
        await self.switch_screen(debrief(session.scenario, session.signals.events, events, card.to_dict()))

    def show_debrief(self, session: Session) -> None:
        """Called from the screen the debrief replaces: the work runs on the app, since a
        screen's own workers end with it."""
        self.run_worker(self.debrief(session), group="navigation", exclusive=True)

    def show_library(self) -> None:
        """Back to the library from any screen (see show_debrief)."""
        self.run_worker(self.back_to_library(), group="navigation", exclusive=True)

    async def back_to_library(self) -> None:
        await self.close_session()
        library = _library()
        while not isinstance(self.screen, library) and len(self.screen_stack) > 1:
            await self.pop_screen()
        if isinstance(self.screen, library):
            self.screen.reload_records()
        else:  # opened by `dojo play`: the library was never made
            await self.push_screen(library(self.scenarios))

    # -- actions -------------------------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen, binding_rows

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(binding_rows(self.screen), title="Keys · ctrl+p finds any of them by name"))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    async def action_progress(self) -> None:
        progress = await self.screen_class("progress", "ProgressScreen")
        if not isinstance(self.screen, progress):
            await self.push_screen(progress())
