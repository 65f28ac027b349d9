"""BriefingScreen: what the pager says, what "done" means and the rules, while the incident is
synthesized and the attempt opened on the engine thread. Enter starts the clocks.

It shows what a pager shows and no more: the alert that paged, its graph up to the page and the
runbook link if the scenario has one. Never the system's live state (a service map with every
service's numbers would let the learner diagnose before the clock starts): the clock starts when
the learner first sees the system, in the workspace.

What it says comes from the engine: `Session.briefing()` and the scoring constants; the screen
only lays them out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Markdown, ProgressBar, Static

from dojo.engine.api import AttemptView, Briefing

from ..data.units import span
from ..plain import safe, visible
from ..prepare import Feeds, PlaySettings, load, open_attempt
from ..widgets.metric_chart import MetricChart
from .base import LearnerScreen

PHASES = {
    "physics": "simulating the system",
    "metrics": "metrics",
    "traces": "traces",
    "logs": "logs",
    "events": "alerts and changes",
    "done": "indexing",
}


def briefing_markdown(b: Any, scenario: Any, attempt: int, resumed: bool) -> str:
    """The briefing as one Markdown document, from `Session.briefing()`."""
    from dojo.engine.scoring import BASE_PER_DIFFICULTY, EVIDENCE_WEIGHT
    from dojo.engine.session import MAX_PINS

    base = BASE_PER_DIFFICULTY * b.difficulty
    hints = b.hints
    hint_line = (
        f"- **{len(hints)} hint{'s' * (len(hints) != 1)}**, taken in order, cost {', '.join(span(c) for c in hints)} "
        "of added time. "
        "You are told the cost before you take one."
        if hints
        else "- This scenario has no hints."
    )
    trigger = (
        " and **the change that set it off** (an event id like E3, from the timeline)" if b.require_trigger else ""
    )
    firing = ", ".join(f"**{a}**" for a in b.page) or "nothing yet"
    lines = [
        f"{'Resuming' if resumed else 'Attempt'} #{attempt} · paged by {firing}",
        "",
        b.briefing.strip(),
        "",
        "## What done means",
        "",
        f"Name **the service** at fault and **the kind of fault**{trigger}, with a sentence or two of why "
        "(kept for the debrief). A correct diagnosis ends the attempt. Your time to correct diagnosis (TTCD) "
        "is your own time from the moment you start investigating.",
        "",
        "## Rules",
        "",
        f"- **Par** is {span(b.par_s)}: diagnosing at par earns half of the {base} speed points, faster earns more.",
        f"- **A wrong diagnosis adds {span(b.wrong_penalty_s)}** to your time. A service or fault kind the "
        "scenario does not have is an error, not a guess: it costs nothing.",
        hint_line,
        f"- **Evidence** you pin that the answer key expects earns up to {round(base * EVIDENCE_WEIGHT)} points, as "
        f"much as being infinitely fast. At most {MAX_PINS} pins: choose.",
        "- Queries see only what has happened by now on the replay clock.",
        "",
        "## Fault kinds a diagnosis can name",
        "",
        *[f"- `{name}`: {desc}" for name, desc in b.faults.items()],
    ]
    if b.runbook:
        lines[2:2] = [f"Runbook: {b.runbook}", ""]
    if getattr(scenario, "objectives", None):
        lines[8:8] = ["## Objectives", "", *[f"- {o}" for o in scenario.objectives], ""]
    return "\n".join(lines)


class BriefingScreen(LearnerScreen[None]):
    CSS_PATH = "briefing.tcss"
    AUTO_FOCUS = "#briefing-doc"
    BINDINGS = [
        Binding("enter", "begin", "Start investigating", id="briefing.start"),
        Binding("escape", "back", "Library", id="briefing.back"),
    ]

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
        self.document = ""
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Static("Opening the scenario…", id="briefing-title")
        with Horizontal(id="briefing-body"):
            with VerticalScroll(id="briefing-doc", can_focus=True):
                yield Markdown("", id="briefing-text")
            with Vertical(id="briefing-side"):
                yield Static("", id="briefing-page")
                yield MetricChart(id="briefing-graph")
                yield Static("", id="briefing-settings")
        with Horizontal(id="briefing-status-bar"):
            yield Static("Preparing the incident…", id="briefing-status")
            yield ProgressBar(total=1.0, show_eta=False, id="briefing-progress")
        yield Footer()

    def on_mount(self) -> None:
        self.prepare()

    @property
    def ready(self) -> bool:
        return self.feeds is not None

    # -- the attempt, opened off the UI thread ---------------------------------------------------

    @work(exclusive=True, group="prepare")
    async def prepare(self) -> None:
        from dojo.engine.errors import EngineError
        from dojo.scenario import ScenarioErrors
        from dojo.store import StoreError

        app = self.dojo
        try:
            self.scenario = sc = await app.engine.call(load, self.ref)
        except ScenarioErrors as exc:
            self._fail("This scenario does not load:\n" + "\n".join(str(e) for e in exc.errors))
            return
        self._show_scenario(sc)

        def progress(phase: str, fraction: float) -> None:  # called on the engine thread: a message crosses over
            self.post_message(self.Synthesizing(phase, fraction))

        try:
            session, feeds = await app.engine.call_or_else(
                lambda: open_attempt(sc, app.store(), self.settings, app.synthesize, progress),
                lambda opened: opened[0].close("quit"),
            )
        except (EngineError, StoreError) as exc:
            self._fail(str(exc))
            return
        except ScenarioErrors as exc:  # over the size budget: refused before anything is drawn
            self._fail("This scenario is too big to play:\n" + "\n".join(str(e) for e in exc.errors))
            return
        self.session = session
        app.attempt_opened(session)
        briefing = await app.engine.call(session.briefing)
        view = await app.engine.call(session.view)
        self.feeds = feeds
        self._show_briefing(briefing, view)

    def on_briefing_screen_synthesizing(self, message: Synthesizing) -> None:
        self.query_one(ProgressBar).update(progress=message.fraction)
        self.query_one("#briefing-status", Static).update(
            f"Preparing the incident: {PHASES.get(message.phase, message.phase)}…"
        )

    def _fail(self, error: str) -> None:
        self.error = error
        self.query_one("#briefing-status", Static).update(
            f"[b red]{safe(error.splitlines()[0])}[/]  Esc: back to the library"
        )
        self.query_one(ProgressBar).display = False
        if "\n" in error:
            self.query_one("#briefing-text", Markdown).update("```\n" + visible(error) + "\n```")

    def _show_scenario(self, sc) -> None:
        self.query_one("#briefing-title", Static).update(
            f"[b]{safe(sc.title)}[/b]  ·  {safe(sc.id)}  ·  {'★' * sc.difficulty}{'☆' * (5 - sc.difficulty)}  ·  "
            f"{safe(', '.join(sc.tags))}"
        )
        self.document = sc.briefing
        self.query_one("#briefing-text", Markdown).update(visible(sc.briefing))  # the author's text

    def _show_briefing(self, briefing: Briefing, view: AttemptView) -> None:
        resumed = self.settings.resume is not None
        self.document = briefing_markdown(briefing, self.scenario, view.number, resumed)
        self.query_one("#briefing-text", Markdown).update(visible(self.document))  # holds the author's text
        self._show_page(briefing, view.clock.start)
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

    def _show_page(self, briefing: Briefing, page_t: float) -> None:
        """The pager's card: the alert, its graph up to the page, the runbook link."""
        g = briefing.graph
        page = self.query_one("#briefing-page", Static)
        chart = self.query_one(MetricChart)
        if g is None:
            page.update("[b]Paged by[/b] " + (safe(", ".join(briefing.page)) or "nothing yet"))
            chart.display = False
            return
        rule = f"{g.metric} {'>' if g.above else '<'} {g.threshold:g}"
        # The runbook link is the author's: one word, but escapes and brackets are not spaces.
        runbook = f"\n[b]Runbook[/b] {safe(briefing.runbook)}" if briefing.runbook else ""
        page.update(f"[b]▲ {safe(g.alert)}[/b]  {safe(g.service)}\n{safe(rule)}{runbook}")
        points = np.asarray(g.points, dtype=float).reshape(-1, 2)
        chart.set_series(
            points[:, 0], points[:, 1], metric=f"{g.service} {g.metric}", duration=page_t, threshold=g.threshold,
            above=g.above,
        )  # fmt: skip
        chart.now = page_t

    # -- actions -------------------------------------------------------------------------------

    async def action_begin(self) -> None:
        if not self.ready:
            self.notify("the incident is still being prepared", severity="warning")
            return
        assert self.session is not None and self.feeds is not None
        await self.dojo.begin(self.session, self.feeds)

    def action_back(self) -> None:
        self.workers.cancel_group(self, "prepare")
        self.dojo.show_library()
