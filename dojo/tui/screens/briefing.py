"""BriefingScreen: what the pager says, what "done" means and the rules, while the incident is
opened (from the cache, or synthesized) and the attempt started on the engine thread. Enter starts
the clocks.

It shows what a pager shows and no more: the alert that paged, its graph up to the page and the
runbook link if the scenario has one. Never the system's live state (a service map with every
service's numbers would let the learner diagnose before the clock starts): the clock starts when
the learner first sees the system, in the workspace.

What it says comes from the engine: `Session.briefing()` and the scoring constants, gathered in a
briefing card (`prepare.briefing_card`); the screen only lays them out. A scenario opened before
has its card kept beside its cached incident (dojo.telemetry.fastopen): the briefing is then on
screen before the model, numpy or pandas are imported, and the attempt opens while the learner
reads. Enter pressed before it is open shows the workspace at once, its log pane painted from
the cached lines (prepare.early_logs), and the attempt is handed to it when open; without a kept
card, Enter starts the clocks as soon as the attempt is open. The open runs on the app, not on
this screen, so it outlives the screen the workspace replaces. This module is imported on the UI
thread before that first paint, so it imports nothing heavy at its top.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, ProgressBar, Static

from ..data.units import span
from ..plain import safe, visible
from ..prepare import Feeds, PlaySettings
from .base import LearnerScreen

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from dojo.engine.api import AttemptView

    from .workspace import WorkspaceScreen

PREPARE = "briefing-prepare"  # the app's worker group that opens the attempt

PHASES = {
    "physics": "simulating the system",
    "metrics": "metrics",
    "traces": "traces",
    "logs": "logs",
    "events": "alerts and changes",
    "done": "indexing",
}


def briefing_markdown(card: dict, attempt: int | None, resumed: bool) -> str:
    """The briefing as one Markdown document, from a briefing card (`prepare.briefing_card`);
    `attempt` is None while the attempt is still being opened."""
    b = card["briefing"]
    base = card["base_per_difficulty"] * b["difficulty"]
    hints = b["hints"]
    hint_line = (
        f"- **{len(hints)} hint{'s' * (len(hints) != 1)}**, taken in order, cost {', '.join(span(c) for c in hints)} "
        "of added time. "
        "You are told the cost before you take one."
        if hints
        else "- This scenario has no hints."
    )
    trigger = (
        " and **the change that set it off** (an event id like E3, from the timeline)" if b["require_trigger"] else ""
    )
    firing = ", ".join(f"**{a}**" for a in b["page"]) or "nothing yet"
    number = "" if attempt is None else f" #{attempt}"
    lines = [
        f"{'Resuming' if resumed else 'Attempt'}{number} · paged by {firing}",
        "",
        b["briefing"].strip(),
        "",
        "## What done means",
        "",
        f"Name **the service** at fault and **the kind of fault**{trigger}, with a sentence or two of why "
        "(kept for the debrief). A correct diagnosis ends the attempt. Your time to correct diagnosis (TTCD) "
        "is your own time from the moment you start investigating.",
        "",
        "## Rules",
        "",
        f"- **Par** is {span(b['par_s'])}: diagnosing at par earns half of the {base} speed points, faster earns more.",
        f"- **A wrong diagnosis adds {span(b['wrong_penalty_s'])}** to your time. A service or fault kind the "
        "scenario does not have is an error, not a guess: it costs nothing.",
        hint_line,
        f"- **Evidence** you pin that the answer key expects earns up to {round(base * card['evidence_weight'])} "
        f"points, as much as being infinitely fast. At most {card['max_pins']} pins: choose.",
        "- Queries see only what has happened by now on the replay clock.",
        "",
        "## Fault kinds a diagnosis can name",
        "",
        *[f"- `{name}`: {desc}" for name, desc in b["faults"].items()],
    ]
    if b["runbook"]:
        lines[2:2] = [f"Runbook: {b['runbook']}", ""]
    if card.get("objectives"):
        lines[8:8] = ["## Objectives", "", *[f"- {o}" for o in card["objectives"]], ""]
    return "\n".join(lines)


class BriefingScreen(LearnerScreen[None]):
    CSS_PATH = "briefing.tcss"
    AUTO_FOCUS = "#briefing-doc"
    BINDINGS = [
        Binding("enter", "begin", "Start investigating", id="briefing.start"),
        Binding("escape", "back", "Library", id="briefing.back"),
    ]

    class Loaded(Message):
        def __init__(self, scenario: Any):
            super().__init__()
            self.scenario = scenario

    class Synthesizing(Message):
        def __init__(self, phase: str, fraction: float):
            super().__init__()
            self.phase, self.fraction = phase, fraction

    def __init__(self, ref: Any, settings: PlaySettings):
        super().__init__()
        self.ref = ref
        self.settings = settings
        self.scenario = None
        self.session = None
        self.feeds: Feeds | None = None
        self.card: dict | None = None
        self.document = ""
        self.shown = False  # the document is on screen
        self.error = ""
        self.start_when_open = False  # Enter pressed while the attempt was still opening
        self.entry: Path | None = None  # the kept card's cached incident
        self.workspace: WorkspaceScreen | None = None  # shown before the attempt was open: it gets it

    def compose(self) -> ComposeResult:
        yield Static("Opening the scenario…", id="briefing-title")
        with Horizontal(id="briefing-body"):
            with VerticalScroll(id="briefing-doc", can_focus=True):
                # One renderable, not textual's Markdown widget: that mounts a widget per block, and
                # styling and laying out forty of them took most of the time to the first paint.
                yield Static("", id="briefing-text")
            with Vertical(id="briefing-side"):
                yield Static("", id="briefing-page")
                # The pager's graph goes in between once numpy is loaded (_show_graph).
                yield Static("", id="briefing-settings")
        with Horizontal(id="briefing-status-bar"):
            yield Static("Preparing the incident…", id="briefing-status")
            yield ProgressBar(total=1.0, show_eta=False, id="briefing-progress")
        yield Footer()

    def on_mount(self) -> None:
        from ..prepare import kept_card

        # A card kept from an earlier open shows the briefing now; the attempt opens after the
        # first paint, so the engine thread's imports do not hold the interpreter's lock before it.
        kept = kept_card(self.ref, self.settings) if self.dojo.synthesize is None else None
        if kept is not None:
            card, self.entry = kept
            self.run_worker(self._show_kept(card), group="kept", exclusive=True)
        else:
            self.prepare()

    async def _show_kept(self, card: dict) -> None:
        await self._show_card(card, None)
        self.call_after_refresh(self.prepare)

    @property
    def ready(self) -> bool:
        """The attempt is open: Enter starts the clocks at once."""
        return self.feeds is not None

    @property
    def readable(self) -> bool:
        """The briefing is on screen (from a kept card, or from the opened attempt): Enter is
        taken, and starts the clocks as soon as the attempt is open."""
        return self.card is not None and self.shown

    # -- the attempt, opened off the UI thread ---------------------------------------------------

    def prepare(self) -> None:
        """Open the attempt, on the app (see the module's note)."""
        self.app.run_worker(self._prepare(), group=PREPARE, exclusive=True)

    async def _prepare(self) -> None:
        # Errors come back as text: importing their classes here would load pydantic on the UI thread.
        from .. import prepare as p

        app = self.dojo
        ref, settings = self.ref, self.settings

        def progress(phase: str, fraction: float) -> None:  # called on the engine thread: a message crosses over
            self.post_message(self.Synthesizing(phase, fraction))

        def open_all() -> tuple[Any, str | None, str | None, Any]:
            """The whole open as one call on the engine thread, so that a call queued behind it
            (a learner's key in an early workspace) finds the attempt open. Its steps end at
            checkpoints, where an early workspace's first paint goes first (EngineThread.hold)."""
            step = app.engine.checkpoint
            for module in p.OPEN_IMPORTS:
                step()
                importlib.import_module(module)
            step()
            source = p.card_source(ref, settings) if app.synthesize is None else None
            sc, problem = p.load_or_problem(ref)
            if problem is not None:
                return None, problem, source, None
            self.post_message(self.Loaded(sc))
            opened, problem = p.open_or_problem(sc, app.store(), settings, app.synthesize, progress, step)
            if opened is not None:
                app.attempt_opened(opened[0])
            return sc, problem, source, opened

        def abandoned(result: tuple[Any, str | None, str | None, Any]) -> None:
            opened = result[3]
            if opened is not None:  # the learner left the briefing meanwhile: nobody plays it
                app.attempt_abandoned(opened[0])

        sc, problem, source, opened = await app.engine.call_or_else(open_all, abandoned)
        if opened is None:
            self._fail(problem or "the attempt did not open")
            return
        self.scenario = sc
        session, feeds = opened
        self.session = session
        card = await app.engine.call(p.briefing_card, session)
        if source is not None and card != self.card:
            app.engine.submit(p.keep_card, source, self.settings, sc, card)
        if self.workspace is not None:  # the learner is in it already, looking at the logs
            self.feeds = feeds
            await self.workspace.attach(session, feeds)
            return
        view = await app.engine.call(session.view)
        chart = (await app.engine.call(importlib.import_module, "dojo.tui.widgets.metric_chart")).MetricChart
        await self._show_briefing(card, view, chart)
        self.feeds = feeds
        # What Enter will need, imported now on the engine thread while the learner reads (the
        # library does this for every scenario; `dojo play` comes straight here).
        app.engine.submit(importlib.import_module, "dojo.tui.screens.workspace")
        if self.start_when_open:  # on the app: this worker ends with the screen the workspace replaces
            self.app.run_worker(self.dojo.begin(session, feeds), group="navigation", exclusive=True)

    def on_briefing_screen_loaded(self, message: Loaded) -> None:
        """The scenario has loaded (the attempt opens next): without a card, its own briefing shows."""
        self.scenario = message.scenario
        if self.card is None:
            self._show_scenario(message.scenario)

    def on_briefing_screen_synthesizing(self, message: Synthesizing) -> None:
        self.query_one(ProgressBar).update(progress=message.fraction)
        if self.card is None:
            self.query_one("#briefing-status", Static).update(
                f"Preparing the incident: {PHASES.get(message.phase, message.phase)}…"
            )

    def _fail(self, error: str) -> None:
        self.error = error
        if self.workspace is not None:  # this screen is gone: the workspace that replaced it says so
            self.workspace.notify(visible(error.splitlines()[0]), severity="error", timeout=12, markup=False)
            self.dojo.show_library()
            return
        self.query_one("#briefing-status", Static).update(
            f"[b red]{safe(error.splitlines()[0])}[/]  Esc: back to the library"
        )
        self.query_one(ProgressBar).display = False
        if "\n" in error:
            self._document("```\n" + error + "\n```")

    def _document(self, text: str) -> None:
        """Markdown into the document pane; it holds the author's text, so control characters are
        spelled out first (plain.visible)."""
        self.query_one("#briefing-text", Static).update(Markdown(visible(text), hyperlinks=False))

    def _title(self, sc_id: str, title: str, difficulty: int, tags: list[str]) -> None:
        self.query_one("#briefing-title", Static).update(
            f"[b]{safe(title)}[/b]  ·  {safe(sc_id)}  ·  {'★' * difficulty}{'☆' * (5 - difficulty)}  ·  "
            f"{safe(', '.join(tags))}"
        )

    def _show_scenario(self, sc) -> None:
        self._title(sc.id, sc.title, sc.difficulty, list(sc.tags))
        self.document = sc.briefing
        self._document(sc.briefing)

    async def _show_card(self, card: dict, attempt: int | None) -> None:
        """The briefing document and the pager's alert; the attempt's number once it is open."""
        b = card["briefing"]
        self._title(b["scenario"], b["title"], b["difficulty"], card["tags"])
        self.card = card
        if not self.shown or attempt is not None:
            self.document = briefing_markdown(card, attempt, self.settings.resume is not None)
            self._document(self.document)
            self.shown = True
        g = b["graph"]
        page = self.query_one("#briefing-page", Static)
        if g is None:
            page.update("[b]Paged by[/b] " + (safe(", ".join(b["page"])) or "nothing yet"))
        else:
            rule = f"{g['metric']} {'>' if g['above'] else '<'} {g['threshold']:g}"
            # The runbook link is the author's: one word, but escapes and brackets are not spaces.
            runbook = f"\n[b]Runbook[/b] {safe(b['runbook'])}" if b["runbook"] else ""
            page.update(f"[b]▲ {safe(g['alert'])}[/b]  {safe(g['service'])}\n{safe(rule)}{runbook}")
        if attempt is None:
            self.query_one("#briefing-status", Static).update(
                "[b]Ready to read.[/b] Enter starts the clock once the incident is open (a moment)."
            )

    async def _show_briefing(self, card: dict, view: AttemptView, chart_class: type) -> None:
        resumed = self.settings.resume is not None
        await self._show_card(card, view.number)
        await self._show_graph(card, view.clock.start, chart_class)
        clock = view.clock
        kind = "manual clock (] moves it)" if view.clock_kind == "manual" else f"×{clock.speed:g}"
        spent = f"\nspent so far: {span(clock.wall_s)}" if resumed else ""
        where = "Resumes at" if resumed else "Paged at"
        self.query_one("#briefing-settings", Static).update(
            f"[b]Replay[/b]: {kind}, {view.mode}{spent}\n[b]{where}[/b] T+{span(clock.now)} of {span(clock.end)}"
        )
        self.query_one("#briefing-status", Static).update(
            "[b]Ready.[/b] Enter starts the clock and opens the workspace."
        )
        self.query_one(ProgressBar).display = False

    async def _show_graph(self, card: dict, page_t: float, chart_class: type) -> None:
        """The pager's graph: the alerting metric up to the page."""
        import numpy as np  # loaded by now: the engine thread opened the incident with it

        g = card["briefing"]["graph"]
        if g is None or self.query("#briefing-graph"):
            return
        chart = chart_class(id="briefing-graph")
        await self.query_one("#briefing-side", Vertical).mount(chart, before="#briefing-settings")
        points = np.asarray(g["points"], dtype=float).reshape(-1, 2)
        chart.set_series(
            points[:, 0], points[:, 1], metric=f"{g['service']} {g['metric']}", duration=page_t,
            threshold=g["threshold"], above=g["above"],
        )  # fmt: skip
        chart.now = page_t

    # -- actions -------------------------------------------------------------------------------

    async def action_begin(self) -> None:
        if not self.ready:
            if self.readable and not self.error and self.workspace is None:
                self.dojo.engine.hold()  # until the log pane has painted (WorkspaceScreen._show_early)
                early = self._early_logs()
                if early is None:
                    self.dojo.engine.go()
                else:  # the workspace now, the attempt handed to it when open
                    self.workspace = self.dojo.early_workspace(early)
                    await self.dojo.switch_screen(self.workspace)
                    return
                self.start_when_open = True
                self.query_one("#briefing-status", Static).update(
                    "Opening the incident… the clock starts when the workspace is up."
                )
                return
            self.notify("the incident is still being prepared", severity="warning")
            return
        assert self.session is not None and self.feeds is not None
        await self.dojo.begin(self.session, self.feeds)

    def _early_logs(self) -> Any:
        from ..prepare import early_logs

        if self.entry is None or self.card is None:
            return None
        return early_logs(self.card, self.entry)

    def action_back(self) -> None:
        self.app.workers.cancel_group(self.app, PREPARE)
        self.dojo.show_library()
