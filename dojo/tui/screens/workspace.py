"""WorkspaceScreen: the investigation, on the replay clock.

The panes (dojo/tui/widgets) are fed once from the Session's indexed signals (`Feeds`) and then
only told the time: a timer reads the replay clock four times a second and `now` flows down to
every pane, each of which shows only what has happened by then and does work only for what has
newly come into view. Everything the learner *does* is a Session call on the engine thread:
pins, hypotheses, hints, diagnoses, the clock, and the queries they commit (a filter settled
with Enter or a picker, a trace opened), which are recorded; live filtering while typing is not.
What the screen knows of the attempt (journal, hints, penalties, clock settings) is the last
`Session.view()` the engine thread returned, refreshed after every action.

A scenario opened before can show this screen before its attempt is open (`dojo play` with a
kept briefing card, Enter pressed at once): the log pane paints the cached lines up to the clock's
first moment, mapped with pyarrow alone (prepare.early_logs), and `attach` fills in the rest
(service map, metrics, timeline, journal, the engine's filter, the clock) once the briefing's
worker has opened the attempt. Keys that need the engine meanwhile wait for it, in order, and the
clock bar says the incident is opening: none is refused or lost.

A learner's action on the system (`a`: Session.act) changes the incident from the next time
bucket on. While the engine plays it in, the panes stand still at the moment it was asked for
(the clock bar runs on and says it is applying), so nothing of the incident as it would have
been is shown past it; then every pane is given the new signals (`_refeed`), keeping the
learner's filters, pins, cursor and scroll, since everything up to that moment is unchanged.

Pin ids are the engine's: L<id> for a log line, S<trace>:<span> for a span, M:<service>:<metric>:
<t0>:<t1> for the metrics pane's pin window, E<n> for a timeline event.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import time
from typing import TYPE_CHECKING, Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import DescendantFocus
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Select, TabbedContent, TabPane

from ..data.log_rows import DeferredMatcher, LogColumns, engine_matcher
from ..data.pins import pin_summary
from ..data.units import offset, span
from ..heap import settle_after_load
from ..plain import plain, visible, visible_line
from ..prepare import EarlyLogs, Feeds, release
from ..widgets.clock_bar import ClockBar
from ..widgets.footer import Footer
from ..widgets.journal import JournalPanel
from ..widgets.log_view import LogView
from ..widgets.logs_pane import LogsPane
from ..widgets.metrics_pane import MetricsPane
from ..widgets.service_map import ServiceMap
from ..widgets.timeline import EMPTY as TIMELINE_EMPTY
from ..widgets.timeline import Timeline
from ..widgets.trace_list import EMPTY as TRACES_EMPTY
from ..widgets.trace_list import TraceList
from ..widgets.traces_pane import TracesPane
from ..widgets.waterfall import Waterfall
from .base import DojoScreen

if TYPE_CHECKING:  # pragma: no cover
    from dojo.engine.api import AttemptView, Briefing
    from dojo.engine.session import Session

SPEEDS = [1, 2, 5, 10, 20, 30, 60]
WINDOWS = [300.0, 600.0, 900.0, 1800.0, 3600.0, math.inf]  # the metrics pane's pin window
SKIP_S = 60.0
TICK = 0.25  # seconds between clock reads: smooth enough, and a tick is a few ms of work
SETTLE_AFTER_S = 1.0  # the heap is settled this long after the workspace is mounted (heap.py)
OPENING = "opening the incident…"
PAINT_SETTLE_S = 0.05  # after the early logs' first paint, before the engine thread goes on


def needs_engine(method: Callable) -> Callable:
    """An action or handler that needs the attempt: before it is open (an early workspace) it
    is queued, and runs when `attach` has filled the screen in."""

    @functools.wraps(method)
    async def run(self: WorkspaceScreen, *args: Any) -> None:
        if not self.attached:
            self._defer(method, args)
            return
        result = method(self, *args)
        if inspect.isawaitable(result):
            await result

    return run


class WorkspaceScreen(DojoScreen[None]):
    CSS_PATH = "workspace.tcss"
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause/resume", id="clock.pause"),
        Binding("minus", "speed(-1)", "Slower", key_display="-", show=False, id="clock.slower"),
        Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+", show=False, id="clock.faster"),
        Binding("right_square_bracket", "skip", "Skip 1 min (costs 1 min / speed)", key_display="]", id="clock.skip"),
        Binding("slash", "filter_logs", "Filter", key_display="/", id="logs.filter"),
        Binding("l", "show('logs')", "Logs", show=False, id="logs.show"),
        Binding("t", "show('traces')", "Traces", show=False, id="traces.show"),
        Binding("m", "pick('metric-name')", "Pick metric", show=False, id="metrics.pick-metric"),
        Binding("M", "pick('metric-service')", "Pick service", show=False, id="metrics.pick-service"),
        Binding(
            "less_than_sign", "window(-1)", "Narrower pin window", key_display="<", show=False, id="metrics.narrower"
        ),
        Binding("greater_than_sign", "window(1)", "Wider pin window", key_display=">", show=False, id="metrics.wider"),
        Binding("n", "add_hypothesis", "Hypothesis", id="hypothesis.add"),
        Binding("u", "update_hypothesis", "Update hypothesis", show=False, id="hypothesis.update"),
        Binding("p", "pin", "Pin", id="evidence.pin"),
        Binding("x", "unpin", "Unpin", show=False, id="evidence.unpin"),
        Binding("h", "hint", "Hint", id="hint.take"),
        Binding("d", "diagnose", "Diagnose", id="diagnosis.submit"),
        Binding("a", "act", "Act on the system", id="system.act"),
        Binding("ctrl+g", "give_up", "Give up", show=False, id="attempt.give-up"),
        Binding("q", "leave", "Leave", show=False, id="attempt.leave"),
    ]

    now: reactive[float] = reactive(0.0, init=False)
    session: Session  # set once the attempt is open (`attached`)
    feeds: Feeds

    def __init__(self, session: Session | None, feeds: Feeds | None, early: EarlyLogs | None = None):
        """The workspace of an open attempt (`session` and its `feeds`), or of one still opening:
        `early` logs now, `attach` the rest."""
        super().__init__()
        self.attached = session is not None and feeds is not None
        if session is not None and feeds is not None:
            self.session, self.feeds = session, feeds
        elif early is None:
            raise ValueError("a workspace needs an open attempt or its early logs")
        self.early = early
        self._waiting: list[tuple[Callable, tuple]] = []  # keys pressed before the attempt was open
        self._matcher = DeferredMatcher()
        self._looking_since = time.monotonic()
        self._shown = asyncio.Event()  # on_mount has run: attach may fill the panes in
        self.briefing: Briefing | None = None
        self.view: AttemptView | None = None  # the attempt as the engine thread last returned it
        self.last_pane: Widget | None = None  # where `p` pins from when the focus is elsewhere
        self.draft: dict | None = None  # the last diagnosis sent, to start the next one from
        self._over = False
        self._told_end = False
        self._hold: float | None = None  # the panes' time while an action is played in
        self._actions: list[dict] = []  # the learner's actions so far (their event data)

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        with Horizontal(id="workspace"):
            with Vertical(id="left"):
                yield ServiceMap(id="service-map").data_bind(WorkspaceScreen.now)
                yield Timeline(id="timeline").data_bind(WorkspaceScreen.now)
                yield JournalPanel(id="journal")
            with Vertical(id="right"):
                yield MetricsPane(id="metrics").data_bind(WorkspaceScreen.now)
                with TabbedContent(id="evidence"):
                    with TabPane("Logs", id="tab-logs"):
                        yield LogsPane(id="logs").data_bind(WorkspaceScreen.now)
                    with TabPane("Traces", id="tab-traces"):
                        yield TracesPane(id="traces").data_bind(WorkspaceScreen.now)
                        yield Waterfall(id="waterfall")
        yield Footer()

    def on_mount(self) -> None:
        self._looking_since = time.monotonic()
        self._shown.set()
        if not self.attached:
            self._show_early()
            return
        self._fill()
        self.query_one(LogView).focus()
        self.call_after_refresh(self._load_attempt)

    def _show_early(self) -> None:
        """The log pane at the clock's first moment, from the mapped lines; the rest waits."""
        e = self.early
        assert e is not None
        self.now = e.now
        self.query_one(LogsPane).set_logs(e.logs, e.start, self._matcher, sample=e.sample, widths=e.widths)
        bar = self.query_one(ClockBar)
        bar.duration, bar.start, bar.title, bar.now = e.end, e.start, visible_line(e.title), e.now
        bar.opening = True
        # The panes that wait for the attempt say so, rather than that nothing has happened.
        for pane in (self.query_one(ServiceMap), self.query_one(Timeline), self.query_one(TraceList)):
            pane.placeholder = OPENING
        self.query_one(LogView).focus()
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        """The early logs are on screen: the engine thread opens the attempt on, a moment later.
        The moment lets Textual's work after a first frame (the footer's keys, the focus) finish
        before the engine takes the interpreter's lock, and shows the app idle with the logs up
        to anything that waits for that (a Pilot's pause, in tests and benchmarks)."""
        self.set_timer(PAINT_SETTLE_S, self.dojo.engine.go)

    async def attach(self, session: Session, feeds: Feeds) -> None:
        """The attempt is open: fill in what waited for it, start the clocks (counted from when
        the learner first saw the logs), then run the keys pressed meanwhile, in order."""
        await self._shown.wait()
        self.session, self.feeds = session, feeds
        self.attached = True
        self._fill()
        self.query_one(ClockBar).opening = False
        for pane, said in ((self.query_one(Timeline), TIMELINE_EMPTY), (self.query_one(TraceList), TRACES_EMPTY)):
            pane.placeholder = said
        self.query_one(ServiceMap).placeholder = ""
        await self._load_attempt()
        waiting, self._waiting = self._waiting, []
        for method, args in waiting:
            result = method(self, *args)
            if inspect.isawaitable(result):
                await result

    def _defer(self, method: Callable, args: tuple) -> None:
        if not self._waiting:
            self.notify("The incident is still opening: that key acts as soon as it is open.", timeout=3)
        self._waiting.append((method, args))

    def on_unmount(self) -> None:
        self._matcher.close()  # a filter typed before the attempt opened stops waiting

    def _fill(self) -> None:
        """Feed the panes from the attempt's signals and start the clocks."""
        f, s = self.feeds, self.session
        service_map = self.query_one(ServiceMap)
        service_map.set_services(f.services)
        service_map.set_metrics(f.cube)
        self.query_one(Timeline).set_events(f.events, f.start)
        # Traces are listed and laid out from the engine's answers, on the engine thread.
        self.query_one(TracesPane).set_source(self._trace_source(f.signals), f.trace_services, f.start)
        metrics = self.query_one(MetricsPane)
        metrics.set_data(f.cube, f.alerts, f.duration, service=f.paged_service)
        metrics.window = WINDOWS[2]
        # The pane filters with the engine's log filter, on the engine thread.
        self._matcher.set(engine_matcher(self.dojo.engine.submit, f.signals))
        if self.early is None:  # an early workspace shows these lines already (the same table)
            self.query_one(LogsPane).set_logs(f.logs, f.start, self._matcher, sample=s.scenario.log_sample)
        bar = self.query_one(ClockBar)
        bar.duration, bar.start, bar.title = f.duration, f.start, visible_line(s.scenario.title)
        # The collection that settles the loaded incident walks every object alive (tens of ms on
        # a large one): after the first screen is painted, not before it.
        self.set_timer(SETTLE_AFTER_S, settle_after_load)
        # The learner's time starts now that there is something to look at: the logs, shown
        # before the attempt was open in an early workspace.
        release(s, since=self._looking_since if self.early is not None else None)
        self.tick()
        self.set_interval(TICK, self.tick)

    async def _load_attempt(self) -> None:
        """What the engine knows of this attempt: the briefing, and for a resumed one its
        journal, hints and penalties so far."""
        s = self.session
        self.briefing, events = await self.dojo.engine.call(lambda: (s.briefing(), s.events))
        hints = [h.text for h in s.scenario.hints]
        for e in events:
            if e.kind == "hint":
                self.query_one(Timeline).add_note(
                    e.scenario_t, hints[e.data["index"]], author=f"hint {e.data['index'] + 1}"
                )
            elif e.kind == "action":  # a resumed attempt's incident has them in already
                self._actions.append(dict(e.data))
        if self._actions:
            self.query_one(Timeline).set_events(self.feeds.events, self.feeds.start, self._mine())
        await self.refresh_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot act now stay listed, dimmed: a challenge's clock just runs, and
        hints run out."""
        if not self.attached:
            return True  # every key acts: those that need the attempt wait for it (needs_engine)
        view = self.view
        if action in ("toggle_pause", "speed", "skip") and (view is None or not view.practice):
            return None
        if action == "hint" and (view is None or view.hints_left <= 0):
            return None
        if action == "unpin" and not self.query_one(JournalPanel).selected_pin:
            return None
        return True

    # -- the clock -------------------------------------------------------------------------------

    def tick(self) -> None:
        if not self.attached:
            return  # the clocks start with the attempt
        clock = self.session.clock  # now() and wall() only: see engine_thread.py
        real = clock.now()
        self.now = real if self._hold is None else min(real, self._hold)
        bar = self.query_one(ClockBar)
        bar.now, bar.wall_elapsed = real, clock.wall()
        if self.view is None:
            return
        bar.speed, bar.paused = self.view.clock.speed, self.view.clock.paused
        # A game's clock is moved by the facilitator between views: its phase is read from the
        # clock itself (the game's events, folded on every sync), never from the last view.
        phase = getattr(clock, "phase", None)
        if callable(phase):
            bar.phase = phase()
            bar.paused = bar.phase != "running"
        bar.reconnecting = self.dojo.reconnecting
        if self.now >= self.view.clock.end and not self._told_end:
            self._told_end = True
            self.notify("The replay has reached its end: everything that happens has happened.", title="Clock")
        limit = self.view.time_limit_s
        if limit is not None and bar.wall_elapsed >= limit and not self._over:
            self._over = True
            self.dojo.show_debrief(self.session)

    # -- engine calls --------------------------------------------------------------------------

    async def _call(self, fn: Any, *args: Any, quiet: bool = False, **kwargs: Any) -> Any:
        """A Session call on the engine thread; a refusal is shown to the learner (or, `quiet`,
        dropped) and returns None."""
        from dojo.engine.errors import AttemptOver, EngineError
        from dojo.store import StoreError

        try:
            return await self.dojo.engine.call(fn, *args, **kwargs)
        except AttemptOver:
            if not self._over:
                self._over = True
                self.dojo.show_debrief(self.session)
        except (EngineError, StoreError) as exc:
            if not quiet:
                self.notify(visible(str(exc)), severity="error", timeout=8, markup=False)
        return None

    async def refresh_view(self) -> None:
        """Ask the engine thread for the attempt as it now is, and show it: the journal, the
        penalties, which keys can act."""
        view = await self._call(self.session.view, quiet=True)
        if view is None:
            return
        self.view = view
        self.query_one(JournalPanel).show(list(view.journal.hypotheses.values()), view.journal.pins)
        self.query_one(ClockBar).penalties = view.penalty_s
        self.refresh_bindings()
        self.tick()

    # -- pinning ---------------------------------------------------------------------------------

    def item_of(self, widget: Widget | None) -> str | None:
        """The pin id of what is selected in the pane `widget` belongs to."""
        if widget is None:
            return None
        if isinstance(widget, LogView):
            return widget.selected_id
        if isinstance(widget, Waterfall):
            return widget.pin_id(widget.cursor) if widget.cursor is not None else None
        if isinstance(widget, TraceList):
            return widget.selected_root
        if isinstance(widget, Timeline):
            entry = widget.selected
            return entry.ref or None if entry else None
        metrics = self.query_one(MetricsPane)
        if widget is metrics or metrics in widget.ancestors:
            return self._window_id()
        return None

    def _window_id(self) -> str | None:
        from dojo.engine.ids import window_id

        window = self.query_one(MetricsPane).pin_window()
        return None if window is None else window_id(*window)

    @on(DescendantFocus)
    def _focused(self, event: DescendantFocus) -> None:
        if self.item_of(event.widget) is not None or isinstance(
            event.widget, (LogView, Waterfall, TraceList, Timeline)
        ):
            self.last_pane = event.widget

    async def pin(self, item: str | None) -> None:
        if item is None:
            self.notify("select a log line, span, metric or event to pin first", severity="warning")
            return
        hypothesis = self.query_one(JournalPanel).current
        pinned = await self._call(self.session.pin, item, hypothesis)
        if pinned is not None:
            await self.refresh_view()
            label = pin_summary(pinned.kind, pinned.summary, pinned.snapshot)
            title = f"Pinned {item}" + (f" to {hypothesis}" if hypothesis else "")
            self.notify(visible(label), title=title, markup=False)

    @needs_engine
    async def action_unpin(self) -> None:
        """Take back the pin under the journal's cursor."""
        selected = self.query_one(JournalPanel).selected_pin
        if selected is None:
            self.notify("put the journal's cursor on a pin to take it back", severity="warning")
            return
        item, hypothesis = selected
        if await self._call(self.session.unpin, item, hypothesis) is not None:
            await self.refresh_view()
            self.notify(f"{item} no longer argues " + (hypothesis or "anything"), title="Unpinned")

    @needs_engine
    async def action_pin(self) -> None:
        item = self.item_of(self.focused) or self.item_of(self.last_pane)
        await self.pin(item)

    @on(LogView.PinRequested)
    @needs_engine
    async def _pin_line(self, message: LogView.PinRequested) -> None:
        await self.pin(message.line_id)

    @on(Waterfall.PinRequested)
    @needs_engine
    async def _pin_span(self, message: Waterfall.PinRequested) -> None:
        await self.pin(message.item)

    def action_window(self, step: int) -> None:
        metrics = self.query_one(MetricsPane)
        at = WINDOWS.index(metrics.window) if metrics.window in WINDOWS else 2
        metrics.window = WINDOWS[max(0, min(len(WINDOWS) - 1, at + step))]

    # -- the journal -----------------------------------------------------------------------------

    def _names(self) -> tuple[list[str], list[str]]:
        if self.briefing is None:
            return [], []
        return [x.name for x in self.briefing.services], list(self.briefing.faults)

    @needs_engine
    def action_add_hypothesis(self) -> None:
        from .hypothesis import HypothesisScreen

        self.dojo.push_screen(HypothesisScreen(*self._names()), self._hypothesis_written)

    async def _hypothesis_written(self, fields: dict | None) -> None:
        if not fields:
            return
        h = await self._call(self.session.add_hypothesis, fields["text"], fields.get("service"), fields.get("fault"))
        if h is not None:
            await self.refresh_view()
            self.query_one(JournalPanel).select(h.id)
            self.notify(visible(f"{h.id}: {h.text}"), title="Hypothesis added; pins go to it", markup=False)

    @needs_engine
    def action_update_hypothesis(self, hypothesis: str | None = None) -> None:
        from .hypothesis import HypothesisScreen

        hid = hypothesis or self.query_one(JournalPanel).current
        h = self.view.journal.hypotheses.get(hid) if hid and self.view else None
        if h is None:
            self.notify("no hypothesis yet: n writes one", severity="warning")
            return
        self.dojo.push_screen(
            HypothesisScreen(*self._names(), hypothesis=h), lambda fields: self._hypothesis_changed(h.id, fields)
        )

    async def _hypothesis_changed(self, hid: str, fields: dict | None) -> None:
        if not fields:
            return
        h = await self._call(self.session.update_hypothesis, hid, **fields)
        if h is not None:
            await self.refresh_view()

    @on(JournalPanel.HypothesisChosen)
    @needs_engine
    async def _hypothesis_chosen(self, message: JournalPanel.HypothesisChosen) -> None:
        await self.action_update_hypothesis(message.hypothesis)

    # -- hints, diagnosis, giving up -------------------------------------------------------------

    @needs_engine
    def action_hint(self) -> None:
        from .confirm import ConfirmScreen

        costs = self.view.hint_costs if self.view else []
        used = self.view.hints_used if self.view else 0
        if used >= len(costs):
            self.notify("no more hints" if costs else "this scenario has no hints", severity="warning")
            return
        body = f"Hint {used + 1} of {len(costs)} adds {span(costs[used])} to your time."
        self.dojo.push_screen(ConfirmScreen("Take a hint?", body, yes="Take it"), self._hint_confirmed)

    async def _hint_confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        hint = await self._call(self.session.hint)
        if hint is None:
            return
        self.query_one(Timeline).add_note(self.now, hint.text, author=f"hint {hint.index}")
        title = f"Hint {hint.index} of {hint.of} (+{span(hint.cost_s)})"
        self.notify(visible(hint.text), title=title, timeout=30, markup=False)  # the author's text, as written
        await self.refresh_view()

    @needs_engine
    async def action_diagnose(self) -> None:
        from .diagnosis import DiagnosisScreen

        if self.briefing is None or self.view is None:
            return
        changes: list[tuple[Content, str]] = []
        if self.briefing.require_trigger:
            found = await self._call(self.session.events_list, kind="changes", record=False)
            # Change names quote the scenario (a deploy's version): options read no markup.
            # The learner's own changes are not the incident's: not offered as what triggered it.
            mine = self._mine()
            changes = [
                (plain(change_label(e)), e.id)
                for e in (found.events if found else [])
                if (float(e.t), e.kind, e.service) not in mine
            ]
        modal = DiagnosisScreen(self.briefing, changes, self._draft(), self.view.wrong_diagnoses)
        self.dojo.push_screen(modal, self._diagnosed)

    def _draft(self) -> dict:
        """What the diagnosis form starts from: the guess of the hypothesis under the journal's
        cursor (its text as the first words of why), else the last diagnosis sent."""
        hid = self.query_one(JournalPanel).current
        h = self.view.journal.hypotheses.get(hid) if hid and self.view else None
        if h is not None and (h.service or h.fault):
            last = self.draft or {}
            return {"service": h.service, "fault": h.fault, "explanation": h.text, "trigger": last.get("trigger")}
        return dict(self.draft or {})

    async def _diagnosed(self, fields: dict | None) -> None:
        if not fields:
            return
        self.draft = fields
        verdict = await self._call(
            self.session.diagnose, fields["service"], fields["fault"], fields["explanation"], fields["trigger"]
        )
        if verdict is None:
            return
        if verdict.correct:
            self._over = True
            self.dojo.show_debrief(self.session)
            return
        self.notify(wrong_text(verdict), title="Not it", severity="warning", timeout=12)
        await self.refresh_view()

    @needs_engine
    def action_give_up(self) -> None:
        from .confirm import ConfirmScreen

        body = "The attempt ends unsolved (0 points) and the debrief shows what happened."
        self.dojo.push_screen(ConfirmScreen("Give up?", body, yes="Give up"), self._gave_up)

    async def _gave_up(self, yes: bool | None) -> None:
        if yes and await self._call(self.session.give_up) is not None:
            self._over = True
            self.dojo.show_debrief(self.session)

    @needs_engine
    def action_leave(self) -> None:
        from .confirm import ConfirmScreen

        s = self.session
        number = self.view.number if self.view else s.attempt_id
        body = (
            f"Attempt #{number} of this scenario stays unfinished, your time and the replay where they are: "
            f"r in the library (or dojo play {s.scenario.id} --resume) picks it up."
        )
        self.dojo.push_screen(ConfirmScreen("Leave this attempt?", body, yes="Leave"), self._left)

    def _left(self, yes: bool | None) -> None:
        if yes:
            self.dojo.show_library()

    # -- the clock -------------------------------------------------------------------------------

    @needs_engine
    async def action_toggle_pause(self) -> None:
        s = self.session
        if self.view is None:
            return
        await self._call(s.resume_clock if self.view.clock.paused else s.pause)
        await self.refresh_view()

    @needs_engine
    async def action_speed(self, step: int) -> None:
        if self.view is None:
            return
        speed = self.view.clock.speed
        at = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        await self._call(self.session.set_speed, SPEEDS[max(0, min(len(SPEEDS) - 1, at + step))])
        await self.refresh_view()

    @needs_engine
    async def action_skip(self) -> None:
        """A minute of replay ahead: in practice it costs what watching it would (a minute / the
        speed), shown with the penalties."""
        await self._call(self.session.advance, SKIP_S)
        await self.refresh_view()

    # -- changing the system ---------------------------------------------------------------------

    @needs_engine
    def action_act(self) -> None:
        """The action dialog; or, where actions are not taken (a game day) or one is still being
        played in, why not."""
        from dojo.engine.actions import ACTION_KINDS, action_services

        from .act import ActionScreen

        refused = self.session.action_refusal()  # a constant of the session's kind: no engine call
        if refused is not None:
            self.notify(refused, title="No actions here", severity="warning", timeout=8)
            return
        if self._hold is not None:
            self.notify("the last action is still being applied", severity="warning")
            return
        sc = self.session.scenario
        services = {kind: action_services(sc, kind) for kind in ACTION_KINDS}
        start = self.query_one(MetricsPane).service
        self.dojo.push_screen(ActionScreen(services, start, sc.grid), self._act_chosen)

    def _act_chosen(self, fields: dict | None) -> None:
        if not fields or self._hold is not None:
            return
        from dojo.engine.actions import describe_action

        self._hold = self.now  # the engine's `at` is at or after it: nothing shown changes
        self.query_one(ClockBar).applying = describe_action(fields["kind"], fields["service"], fields["params"])
        self._apply_action(fields["kind"], fields["service"], fields["params"])

    @work(thread=True, exclusive=True, group="act")
    def _apply_action(self, kind: str, service: str, params: dict) -> None:
        """Session.act on the engine thread (it is not thread-safe), and the panes' new feeds
        built there too; this worker only waits, so the UI never does."""
        from dojo.engine.errors import EngineError
        from dojo.store import StoreError

        s = self.session

        def run() -> tuple[Any, Feeds]:
            return s.act(kind, service, params), Feeds.of(s)

        try:
            result, feeds = self.dojo.engine.submit(run).result()
        except (EngineError, StoreError) as exc:
            self._on_ui(self._action_refused, exc)
            return
        columns = LogColumns(feeds.logs)  # here, not on the UI thread: its numpy views of every line
        self._on_ui(self._action_taken, result, feeds, params, columns)

    def _on_ui(self, fn: Any, *args: Any) -> None:
        try:
            self.app.call_from_thread(fn, *args)
        except RuntimeError:
            pass  # the app closed meanwhile: the attempt has the action (a resume takes it again)

    def _release_hold(self) -> None:
        self._hold = None
        self.query_one(ClockBar).applying = ""
        self.tick()

    def _action_refused(self, exc: Exception) -> None:
        from dojo.engine.errors import AttemptOver

        if not self.is_attached:
            return  # the learner left while it was played in: the attempt has it, no pane does
        self._release_hold()
        if isinstance(exc, AttemptOver):
            if not self._over:
                self._over = True
                self.dojo.show_debrief(self.session)
            return
        self.notify(visible(f"Not taken: {exc}"), title="Action refused", severity="error", timeout=10, markup=False)

    def _action_taken(self, result: Any, feeds: Feeds, params: dict, columns: LogColumns) -> None:
        from dojo.engine.actions import describe_action

        if not self.is_attached:
            return  # left meanwhile: the action is in the attempt, and a resume takes it again
        self._actions.append({"kind": result.kind, "service": result.service, "params": params, "at": result.at})
        self._refeed(feeds, columns)
        self._release_hold()
        what = describe_action(result.kind, result.service, params)
        self.notify(visible(f"You {what}; in effect from {offset(result.at)}."), title="Action taken", markup=False)
        self.call_later(self.refresh_view)

    def _trace_source(self, signals: Any) -> Any:
        return lambda q: self.dojo.engine.submit(signals.trace_matches, q).result()

    def _mine(self) -> frozenset[tuple[float, str, str]]:
        return frozenset((float(a["at"]), str(a["kind"]), str(a["service"])) for a in self._actions)

    def _refeed(self, f: Feeds, columns: LogColumns | None = None) -> None:
        """Every pane reads the incident as it now is. Up to the panes' `now` it is the same
        incident, so each keeps what the learner set up: the log filter, cursor and scroll, the
        metric and service shown, the trace filter and selection, the timeline's cursor."""
        self.feeds = f
        self.query_one(ServiceMap).set_metrics(f.cube)
        self.query_one(Timeline).set_events(f.events, f.start, self._mine())
        metrics = self.query_one(MetricsPane)
        metrics.set_data(f.cube, f.alerts, f.duration, service=metrics.service)
        self.query_one(LogsPane).replace_logs(f.logs, engine_matcher(self.dojo.engine.submit, f.signals), columns)
        # A new source: an answer the old one is still giving is told from its answers and dropped.
        self.query_one(TracesPane).trace_list.set_source(self._trace_source(f.signals), f.start)

    # -- moving around ---------------------------------------------------------------------------

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        (self.query_one(LogView) if tab == "logs" else self.query_one(TraceList)).focus()

    @needs_engine
    def action_pick(self, picker: str) -> None:
        """Open a metrics pane picker: type to jump, Enter to choose; then p pins the window."""
        select = self.query_one(f"#{picker}", Select)
        select.focus()
        select.action_show_overlay()

    def action_filter_logs(self) -> None:
        self.query_one(TabbedContent).active = "tab-logs"
        self.query_one("#log-filter-text").focus()

    @on(ServiceMap.ServiceSelected)
    def _service_selected(self, message: ServiceMap.ServiceSelected) -> None:
        self.query_one(MetricsPane).service = message.service

    @on(ServiceMap.ServiceChosen)
    def _service_chosen(self, message: ServiceMap.ServiceChosen) -> None:
        self.query_one(LogsPane).show_service(message.service)
        self.action_show("logs")

    @on(Timeline.EventChosen)
    def _event_chosen(self, message: Timeline.EventChosen) -> None:
        self.action_show("logs")
        self.query_one(LogView).jump_to_time(message.entry.t)

    @on(LogView.TraceRequested)
    @needs_engine
    async def _trace_requested(self, message: LogView.TraceRequested) -> None:
        """`o` on a log line: its trace in the waterfall, the engine's tree as the `trace` query
        answers it (recorded, as opening a trace from the list is)."""
        from dojo.engine.errors import NotFound

        try:
            root = await self.dojo.engine.call(self.feeds.signals.trace, message.trace_id, self.now)
        except NotFound as e:
            self.notify(str(e), timeout=4)  # not finished yet: a tracer exports a trace when it ends
            return
        self.action_show("traces")
        self.query_one(Waterfall).show_trace(message.trace_id, root, self.feeds.start)
        self.query_one(Waterfall).focus()
        await self._call(self.session.trace, message.trace_id, quiet=True)

    @on(TraceList.TraceSelected)
    @needs_engine
    def _trace_selected(self, message: TraceList.TraceSelected) -> None:
        self._show_trace(message.trace_id)

    @work(exclusive=True, group="waterfall")
    async def _show_trace(self, trace_id: str) -> None:
        """The engine's tree of the trace under the list's cursor (not a recorded query: the
        cursor passing over a trace is not opening it; Enter is). A newer selection cancels
        this one's wait."""
        from dojo.engine.errors import NotFound

        try:
            root = await self.dojo.engine.call(self.feeds.signals.trace, trace_id, self.now)
        except NotFound:
            root = None
        self.query_one(Waterfall).show_trace(trace_id, root, self.feeds.start)

    # -- recorded queries: what the learner settled on looking at ------------------------------

    @on(LogsPane.Committed)
    @needs_engine
    async def _logs_committed(self, message: LogsPane.Committed) -> None:
        args = message.filter.query_args()
        if args:
            await self._call(self.session.logs, limit=0, quiet=True, **args)

    @on(TracesPane.Committed)
    @needs_engine
    async def _traces_committed(self, message: TracesPane.Committed) -> None:
        q = message.query
        args = {
            k: v
            for k, v in (("service", q.service), ("status", q.status), ("min_ms", q.min_ms or None))
            if v is not None
        }
        await self._call(self.session.traces, limit=0, quiet=True, **args)

    @on(TraceList.TraceChosen)
    @needs_engine
    async def _trace_chosen(self, message: TraceList.TraceChosen) -> None:
        self.query_one(Waterfall).focus()
        await self._call(self.session.trace, message.trace_id, quiet=True)

    @on(MetricsPane.Picked)
    @needs_engine
    async def _metric_picked(self, message: MetricsPane.Picked) -> None:
        await self._call(self.session.metrics, service=message.service, metric=message.metric, points=False, quiet=True)


def change_label(e: Any) -> str:
    """A change event in the trigger picker: its id, when, what, and the note it came with."""
    note = f" — {e.detail}" if getattr(e, "detail", "") else ""
    return f"{e.id}  {offset(e.t)}  {e.name}{note}"


def wrong_text(verdict: Any) -> str:
    """What a wrong diagnosis cost first, then what the engine says of it (in practice, which
    part was wrong; in a challenge, nothing more)."""
    cost = f"+{span(verdict.penalty_s)} on your time" if verdict.penalty_s else "no time added"
    detail = verdict.message.removeprefix("wrong diagnosis").lstrip(": ")
    return f"Wrong diagnosis: {cost}." + (f" {detail[0].upper()}{detail[1:]}." if detail else "")
