"""Session: one learner's live attempt at one scenario. The facade the TUI and the headless
protocol drive; see the package docstring (dojo/engine/__init__.py) for the whole API.

Every action is validated first, then appended to the store (committed), and only then applied
to the in-memory state, so what the learner was told has happened is exactly what is on disk.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from dojo.scenario.model import CHANGE_KINDS, Scenario
from dojo.store import Event, Store, StoreError
from dojo.telemetry.faults import FAULTS
from dojo.telemetry.model import Telemetry

from . import events as ev
from .actions import NOT_OURS
from .api import (
    ActionResult,
    AttemptView,
    Briefing,
    ClockState,
    DiagnosisResult,
    EventList,
    EventQuery,
    HintResult,
    Item,
    LogPage,
    LogQuery,
    MetricCatalog,
    MetricQuery,
    MetricSeries,
    MetricSummary,
    Overview,
    PageGraph,
    ServiceInfo,
    SpanNode,
    Status,
    TracePage,
    TraceQuery,
    Visible,
)
from .attempt import Attempt
from .clock import ManualTime, ReplayClock, TimeSource, check_speed, page_time
from .errors import AttemptOver, EngineError, NotFound, QueryError
from .journal import STATUSES, Hypothesis, Journal, Pin
from .queries import Signals, signals_of
from .readback import check_events
from .rules import Rules, digest, judge
from .scoring import ScoreCard, score

MODES = ("practice", "challenge")
CLOCKS = ("real", "manual")
# Enough pins to argue a case; too few to pin everything and collect the bonus by chance.
MAX_PINS = 15
# pin()'s default hypothesis: the journal's current one (None means no hypothesis).
CURRENT = "\x00current"
Q = TypeVar("Q", bound=BaseModel)
R = TypeVar("R")


def _args(model: type[Q], query: Q | None, kwargs: dict[str, Any]) -> Q:
    if query is not None:
        if kwargs:
            raise QueryError("give a query object or keyword arguments, not both")
        return query
    try:
        return model.model_validate(kwargs)
    except ValidationError as exc:
        raise QueryError(format_validation(exc)) from None


def format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith(("str", "list[", "literal[")))
        msg = err["msg"]
        if err["type"] == "missing" and loc == "item":
            # Replies call items "id", but a request's "id" is its own correlation id.
            msg = 'required: the item to act on, e.g. "item": "L123" ("id" is the request\'s own id)'
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(dict.fromkeys(parts))


class Session:
    def __init__(
        self, scenario: Scenario, signals: Signals, store: Store, attempt_id: int, attempt: Attempt, clock: ReplayClock
    ):
        self.scenario = scenario
        self.signals = signals
        self.store = store
        self.attempt_id = attempt_id
        self.attempt = attempt
        self.clock = clock
        self._events: list[Event] = []  # this attempt's full log, kept in step with the store
        self._number: int | None = None
        self._state: Any = None  # the physics state the signals were rendered from, once an action needs it

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        scenario: Scenario,
        store: Store,
        *,
        telemetry: Telemetry | None = None,
        seed: int | None = None,
        speed: float = 1.0,
        mode: str = "practice",
        clock: str = "real",
        time_source: TimeSource | None = None,
        time_limit: float | None = None,
    ) -> "Session":
        """Start a new attempt: the learner is paged, with the history before the page visible."""
        if mode not in MODES:
            raise EngineError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if clock not in CLOCKS:
            raise EngineError(f"clock must be one of {', '.join(CLOCKS)}, not {clock!r}")
        if clock == "manual" and mode != "practice":
            raise EngineError("a manual clock moves only by 'advance', which is for practice mode")
        if time_limit is not None and not time_limit > 0:
            raise EngineError("a time limit is a positive number of seconds")
        check_speed(speed)
        tel = telemetry if telemetry is not None else _synthesize(scenario, seed)
        if seed is not None and tel.seed != seed:
            raise EngineError(f"telemetry was synthesized with seed {tel.seed}, not {seed}")
        signals = signals_of(tel)
        start_t = page_time(scenario, tel.events)
        source = time_source if time_source is not None else (ManualTime() if clock == "manual" else time.monotonic)
        clk = ReplayClock(start_t, scenario.duration, speed=speed, source=source, practice=mode == "practice")
        data = {
            "rules": Rules.from_scenario(scenario).dump(),
            "scenario_id": scenario.id,
            "title": scenario.title,
            "digest": digest(scenario),
            "seed": tel.seed,
            "speed": speed,
            "mode": mode,
            "clock": clock,
            "start_t": start_t,
            "time_limit": time_limit,
        }
        attempt_id, first = store.create_attempt(scenario.id, scenario.title, Event(ev.STARTED, 0.0, start_t, data))
        session = cls(scenario, signals, store, attempt_id, Attempt.from_events([first]), clk)
        session._events = [first]
        return session

    @classmethod
    def resume(
        cls,
        scenario: Scenario,
        store: Store,
        attempt_id: int,
        *,
        telemetry: Telemetry | None = None,
        time_source: TimeSource | None = None,
    ) -> "Session":
        """Pick up an unfinished attempt where its last acknowledged event left it."""
        store.attempt(attempt_id)  # a clear error for a number that is no attempt
        events = store.events(attempt_id)
        if not events:
            raise EngineError(f"attempt #{attempt_id} has no events; it cannot be resumed")
        check_events(attempt_id, events)  # a malformed log is one line naming the event, not a traceback
        att = Attempt.from_events(events)
        if att.rules.scenario_id != scenario.id:
            raise EngineError(f"attempt #{attempt_id} is for scenario {att.rules.scenario_id}, not {scenario.id}")
        if att.settings.digest and att.settings.digest != digest(scenario):
            raise EngineError(
                f"scenario {scenario.id} has changed since attempt #{attempt_id} began: its pins would point at other "
                f"signals; start a new attempt"
            )
        if att.over:
            raise AttemptOver(f"attempt #{attempt_id} is over ({att.outcome}); start a new one")
        tel = telemetry if telemetry is not None else _synthesize(scenario, att.settings.seed)
        if tel.seed != att.settings.seed:
            raise EngineError(f"attempt #{attempt_id} was played with seed {att.settings.seed}, not {tel.seed}")
        manual = att.settings.clock == "manual"
        source = time_source if time_source is not None else (ManualTime() if manual else time.monotonic)
        last = events[-1]
        clk = ReplayClock(
            last.scenario_t, scenario.duration, speed=att.speed, source=source,
            practice=att.settings.mode == "practice",
            paused=att.paused, wall_offset=last.wall_s,
        )  # fmt: skip
        session = cls(scenario, signals_of(tel), store, attempt_id, att, clk)
        session._events = list(events)
        for e in events:  # the learner's actions, taken again in order: the incident as they left it
            if e.kind == ev.ACTION:
                session._apply(session._acted(e.data))
        session.record(ev.RESUMED, {"session": att.sessions + 1})
        return session

    # -- actions: the learner changes the system ----------------------------------------------

    def act(self, kind: str, service: str, params: dict[str, Any] | None = None) -> ActionResult:
        """A change the learner makes to the system now (on the replay clock): restart, scale,
        roll back (deploy), flip a flag, change a config. The incident from that moment on is
        simulated again with it; everything before stays as it was, read from the incident as it
        was cached (dojo.telemetry.splice), so pins and earlier answers keep naming the same
        lines. Only the part after the action is rendered and held by this attempt.

        The change takes effect at the start of the next time bucket (`at`, at most one grid step
        away, the time a rollout takes to begin): the bucket under way has been seen, and the
        incident then equals, row for row, a synthesis of the scenario with this change in its
        timeline at `at`."""
        self.check_open()
        refused = self.action_refusal()
        if refused is not None:
            raise QueryError(refused)
        if kind not in CHANGE_KINDS:
            raise QueryError(f"kind: a learner's action is one of {', '.join(CHANGE_KINDS)}, not {kind!r}")
        if any(s.name == service and s.kind in NOT_OURS for s in self.scenario.services):
            raise QueryError(f"service: {service} is a third party's; an action changes only your own services")
        grid = self.scenario.grid
        at = round(math.ceil(round(self.clock.now(), 3) / grid - 1e-9) * grid, 3)
        if at >= self.scenario.duration:
            raise QueryError("the incident ends before a change made now could take effect")
        data = {"kind": kind, "service": service, "params": dict(params or {}), "at": at}
        acted = self._acted(data)  # validated (and computed) before it is recorded
        self.record(ev.ACTION, data)
        self._apply(acted)
        return ActionResult(kind=kind, service=service, at=at, lines=acted[0].n_logs)

    def action_refusal(self) -> str | None:
        """Why this session takes no action at all (None: it takes them). A constant of the
        session's kind, safe to ask from any thread."""
        return None

    def _acted(self, data: dict[str, Any]) -> tuple[Telemetry, Any]:
        from dojo.telemetry.actions import ActionError, act
        from dojo.telemetry.synthesize import simulate_state

        event = {"at": data["at"], "kind": data["kind"], "service": data["service"], "params": data["params"]}
        tel = self.signals.tel
        if self._state is None:
            # The cached incident has no state with it: the physics alone is run again (no
            # rendering), a small part of a synthesis.
            self._state = simulate_state(self.scenario, tel.seed)
        try:
            return act(tel, self._state, event)
        except ActionError as exc:
            raise QueryError(str(exc)) from None
        except ValidationError as exc:
            raise QueryError(format_validation(exc)) from None

    def _apply(self, acted: tuple[Telemetry, Any]) -> None:
        tel, self._state = acted
        self.signals = Signals(tel)

    def close(self, reason: str = "quit") -> None:
        """End this session cleanly. The attempt stays as it is: resumable if unfinished."""
        try:
            self.record(ev.ENDED, {"reason": reason})
        except StoreError:
            pass  # nothing the learner did is lost: every action was committed when it was made

    # -- recording ------------------------------------------------------------------------------
    # Three extension points, public for subclasses (a game day's team session keeps its events in
    # a shared team stream and runs on the game's clock): `record` writes every event, `check_time`
    # runs before every call, `check_open` before every journal action.

    def record(self, kind: str, data: dict[str, Any], *, wall_s: float | None = None) -> Event:
        """Append one event to the attempt and apply it: the only place an action is written."""
        event = Event(kind, round(self.clock.wall() if wall_s is None else wall_s, 3), round(self.clock.now(), 3), data)
        stored = self.store.append(self.attempt_id, event)  # raises StoreError: nothing applied
        self.attempt.apply(stored)
        self._events.append(stored)
        return stored

    def check_time(self) -> None:
        """Time out the attempt once the learner's time is up (checked on every call)."""
        limit = self.attempt.settings.time_limit
        if limit is not None and not self.attempt.over and self.clock.wall() >= limit:
            self.record(ev.TIMED_OUT, {"limit": limit}, wall_s=limit)

    def check_open(self) -> None:
        """Refuse a journal action once the attempt is over."""
        self.check_time()
        if self.attempt.over:
            raise AttemptOver(f"the attempt is over ({self.attempt.outcome}); 'score' shows the card")

    @property
    def number(self) -> int:
        """Which attempt of its scenario this is, for people: 1 for the first (attempt ids count
        every attempt in the store)."""
        if self._number is None:
            listing = getattr(self.store, "attempts", None)  # a game's store keeps teams, not attempts
            try:
                earlier = [a for a in listing(self.scenario.id) if a.id <= self.attempt_id] if listing else []
                self._number = max(1, len(earlier)) if listing else self.attempt_id
            except StoreError:
                self._number = self.attempt_id
        return self._number

    @property
    def events(self) -> list[Event]:
        return list(self._events)

    @property
    def journal(self) -> Journal:
        return self.attempt.journal

    # -- clock -----------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def _clock_action(self, action: str, value: float | None, change: Callable[[], None]) -> ClockState:
        self.check_time()
        saved = dict(vars(self.clock))
        manual_before = self.clock.source.value if isinstance(self.clock.source, ManualTime) else None
        change()
        try:
            self.record(ev.CLOCK, {"action": action, "value": value})
        except StoreError:
            vars(self.clock).update(saved)  # not acknowledged: put the clock back
            if manual_before is not None:
                self.clock.source.value = manual_before  # type: ignore[attr-defined]
            raise
        return self.clock_state()

    def pause(self) -> ClockState:
        return self._clock_action("pause", None, self.clock.pause)

    def resume_clock(self) -> ClockState:
        return self._clock_action("resume", None, self.clock.resume)

    def set_speed(self, speed: float) -> ClockState:
        return self._clock_action("speed", float(speed), lambda: self.clock.set_speed(speed))

    def advance(self, seconds: float) -> ClockState:
        """Move the replay `seconds` ahead (practice). It costs the learner seconds / speed: with
        a manual clock that is how time passes; with a real one the skipped replay is added to
        the card as a term of its own (skipping ahead is not free: the future is evidence)."""
        return self._clock_action("advance", float(seconds), lambda: self.clock.advance(seconds))

    def clock_state(self) -> ClockState:
        return ClockState(
            now=round(self.clock.now(), 3),
            wall_s=round(self.clock.wall(), 3),
            speed=self.clock.speed,
            paused=self.clock.paused,
            start=self.attempt.settings.start_t,
            end=self.clock.end,
            finished=self.clock.finished,
        )

    # -- what the learner sees -----------------------------------------------------------------

    def briefing(self) -> Briefing:
        """What a pager shows: the alert that paged, its graph up to the page, the runbook if the
        scenario links one; and the rules of the game (services and fault kinds a diagnosis can
        name, par, penalties). Never the system's live state: that is what the learner explores
        once the clock runs."""
        sc = self.scenario
        start = self.attempt.settings.start_t
        page = self.signals.firing(start)
        alert = next((a for a in sc.alerts if a.name in page), None)
        graph = None
        if alert is not None:
            t, v = self.signals.series.get((alert.service, alert.metric), (None, None))
            if t is not None and v is not None:
                keep = t + self.signals.grid <= start + 1e-9
                graph = PageGraph(
                    alert=alert.name, service=alert.service, metric=alert.metric,
                    threshold=float(alert.above if alert.above is not None else alert.below),  # type: ignore[arg-type]
                    above=alert.above is not None,
                    points=[[round(float(a), 3), round(float(b), 4)] for a, b in zip(t[keep], v[keep], strict=True)],
                )  # fmt: skip
        return Briefing(
            scenario=sc.id,
            title=sc.title,
            difficulty=sc.difficulty,
            briefing=sc.briefing,
            page=page,
            services=[ServiceInfo(s.name, s.kind, list(s.calls)) for s in sc.services],
            faults={name: f.description for name, f in sorted(FAULTS.items())},
            par_s=sc.par,
            wrong_penalty_s=sc.wrong_penalty,
            hints=[h.cost for h in sc.hints],
            require_trigger=sc.answer.require_trigger,
            graph=graph,
            runbook=getattr(alert, "runbook", None),
        )

    def status(self) -> Status:
        self.check_time()
        now = self.clock.now()
        s = self.signals
        att = self.attempt
        c = self.clock_state()
        return Status(
            attempt=self.attempt_id,
            scenario=self.scenario.id,
            outcome=att.outcome if att.outcome != "open" else "in_progress",
            mode=att.settings.mode,
            clock=att.settings.clock,
            now=c.now, wall_s=c.wall_s, speed=c.speed, paused=c.paused, start=c.start, end=c.end, finished=c.finished,
            time_limit_s=att.settings.time_limit,
            visible=Visible(
                logs=s.visible_logs(now), metric_points=s.visible_points(now), traces=s.visible_traces(now),
                spans=s.visible_spans(now), events=s.visible_events(now),
            ),
            firing=s.firing(now),
            hints_used=att.hints_used,
            hints_left=len(att.rules.hint_costs) - att.hints_used,
            wrong_diagnoses=att.wrong_diagnoses,
            hypotheses=len(att.journal.hypotheses),
            pins=len(att.journal.pins),
            log_sample=self.scenario.log_sample,
        )  # fmt: skip

    def view(self) -> AttemptView:
        """A copy of everything a UI shows about the attempt, taken on the thread that owns the
        Session: the UI reads this, never the live state the engine may be changing."""
        self.check_time()
        att = self.attempt
        return AttemptView(
            attempt=self.attempt_id,
            number=self.number,
            outcome=att.outcome,
            mode=att.settings.mode,
            clock_kind=att.settings.clock,
            practice=att.settings.mode == "practice",
            clock=self.clock_state(),
            time_limit_s=att.settings.time_limit,
            hints_used=att.hints_used,
            hint_costs=list(att.rules.hint_costs),
            wrong_diagnoses=att.wrong_diagnoses,
            penalty_s=self.score().penalty_s,
            journal=copy.deepcopy(att.journal),
            sessions=att.sessions,
        )

    def overview(self) -> Overview:
        """Every service now (the last closed bucket) and against its baseline."""
        self.check_time()
        return self.signals.overview(self.clock.now())

    def _query(
        self, what: str, args: BaseModel, run: Callable[[float], R], count: Callable[[R], int], record: bool
    ) -> R:
        self.check_time()
        result = run(self.clock.now())
        if record:
            self.record(
                ev.QUERY, {"what": what, "args": args.model_dump(exclude_defaults=True), "count": count(result)}
            )
        return result

    def logs(self, query: LogQuery | None = None, *, record: bool = True, **kwargs: Any) -> LogPage:
        q = _args(LogQuery, query, kwargs)
        return self._query("logs", q, lambda now: self.signals.logs(q, now), lambda r: r.count, record)

    def metrics(
        self, query: MetricQuery | None = None, *, record: bool = True, **kwargs: Any
    ) -> MetricSeries | MetricSummary | MetricCatalog:
        q = _args(MetricQuery, query, kwargs)
        return self._query(
            "metrics",
            q,
            lambda now: self.signals.metrics(q, now),
            lambda r: len(getattr(r, "points", []) or []),
            record,
        )

    def traces(self, query: TraceQuery | None = None, *, record: bool = True, **kwargs: Any) -> TracePage:
        q = _args(TraceQuery, query, kwargs)
        return self._query("traces", q, lambda now: self.signals.traces_query(q, now), lambda r: r.count, record)

    def trace(self, trace_id: str, *, record: bool = True) -> SpanNode:
        self.check_time()
        tree = self.signals.trace(trace_id, self.clock.now())
        if record:
            self.record(ev.QUERY, {"what": "trace", "args": {"trace_id": trace_id}, "count": 1})
        return tree

    def events_list(self, query: EventQuery | None = None, *, record: bool = True, **kwargs: Any) -> EventList:
        q = _args(EventQuery, query, kwargs)
        return self._query("events", q, lambda now: self.signals.events_query(q, now), lambda r: r.count, record)

    def resolve(self, item: str) -> Item:
        """What a pin id points at, as of now (NotFound if it does not exist or not yet)."""
        self.check_time()
        return self.signals.resolve(item, self.clock.now())

    # -- journal ---------------------------------------------------------------------------------

    def _guess(self, service: str | None, fault: str | None) -> None:
        if service is not None and service not in self.scenario.service_names:
            raise QueryError(f"no service {service!r}; services: {', '.join(self.scenario.service_names)}")
        if fault is not None and fault not in FAULTS:
            raise QueryError(f"no fault kind {fault!r}; kinds: {', '.join(sorted(FAULTS))}")

    def add_hypothesis(self, text: str, service: str | None = None, fault: str | None = None) -> Hypothesis:
        self.check_open()
        text = text.strip()
        if not text:
            raise QueryError("a hypothesis needs some text")
        self._guess(service, fault)
        hid = self.journal.next_id()
        self.record(ev.HYPOTHESIS, {"id": hid, "text": text, "service": service, "fault": fault})
        return self.journal.hypotheses[hid]

    def update_hypothesis(
        self,
        hid: str,
        *,
        status: str | None = None,
        text: str | None = None,
        service: str | None = None,
        fault: str | None = None,
    ) -> Hypothesis:
        self.check_open()
        h = self.journal.hypotheses.get(hid)
        if h is None:
            known = ", ".join(self.journal.hypotheses) or "none yet"
            raise NotFound(f"no hypothesis {hid!r}; hypotheses: {known}")
        if status is not None and status not in STATUSES:
            raise QueryError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        self._guess(service, fault)
        changes = {
            k: v
            for k, v in (("status", status), ("text", text), ("service", service), ("fault", fault))
            if v is not None and getattr(h, k) != v
        }
        if "text" in changes and not changes["text"].strip():
            raise QueryError("a hypothesis needs some text")
        if not changes:
            raise QueryError(f"nothing to change in {hid}")
        self.record(ev.HYPOTHESIS_UPDATE, {"id": hid, **changes})
        return h

    def pin(self, item: str, hypothesis: str | None = CURRENT, note: str = "") -> Pin:
        """Pin a log line, span, metric window or event (by id) as evidence. It goes to
        `hypothesis`; by default to the current one (the open hypothesis written or changed
        last, as in the TUI), and to none with hypothesis=None. Only what exists by now can be
        pinned."""
        self.check_open()
        if hypothesis == CURRENT:
            hypothesis = self.journal.current
        if hypothesis is not None and hypothesis not in self.journal.hypotheses:
            known = ", ".join(self.journal.hypotheses) or "none yet"
            raise NotFound(f"no hypothesis {hypothesis!r}; hypotheses: {known}")
        if len(self.journal.pins) >= MAX_PINS:
            raise QueryError(f"at most {MAX_PINS} pins per attempt: choose the evidence that makes your case")
        found = self.signals.resolve(item, self.clock.now())
        if self.journal.pinned(found.id, hypothesis):
            raise QueryError(f"{found.id} is already pinned" + (f" to {hypothesis}" if hypothesis else ""))
        data = {
            "item": found.id,
            "kind": found.kind,
            "hypothesis": hypothesis,
            "note": note,
            "summary": found.summary,
            "snapshot": _json_safe({"t": found.t, **found.data}),
        }
        self.record(ev.PIN, data)
        return self.journal.pins[-1]

    def unpin(self, item: str, hypothesis: str | None = CURRENT) -> Pin:
        """Take a pin back. With one pin of `item` the hypothesis need not be named; with
        several, name it (None for the pin that belongs to no hypothesis)."""
        self.check_open()
        mine = [p for p in self.journal.pins if p.item == item]
        if hypothesis != CURRENT:
            mine = [p for p in mine if p.hypothesis == hypothesis]
        if not mine:
            pinned = ", ".join(dict.fromkeys(p.item for p in self.journal.pins)) or "none"
            to = f" to {hypothesis}" if hypothesis not in (CURRENT, None) else ""
            raise NotFound(f"{item} is not pinned{to}; pins: {pinned}")
        if len(mine) > 1:
            to = ", ".join(p.hypothesis or "none" for p in mine)
            raise QueryError(f"{item} is pinned to {to}: say which hypothesis to unpin it from")
        pin = mine[0]
        self.record(ev.UNPIN, {"item": pin.item, "hypothesis": pin.hypothesis})
        return pin

    # -- hints, diagnosis, score ---------------------------------------------------------------

    def hint(self) -> HintResult:
        """The next hint, in order, at its cost."""
        self.check_open()
        i = self.attempt.hints_used
        hints = self.scenario.hints
        if i >= len(hints):
            raise QueryError("no more hints" if hints else "this scenario has no hints")
        self.record(ev.HINT, {"index": i, "cost": hints[i].cost})
        left = len(hints) - i - 1
        return HintResult(index=i + 1, of=len(hints), text=hints[i].text, cost_s=hints[i].cost, hints_left=left)

    def diagnose(self, service: str, fault: str, explanation: str, trigger: str | None = None) -> DiagnosisResult:
        """Submit a diagnosis. Unknown names are errors, not guesses; a wrong one costs
        wrong_penalty. In a challenge it says only that it is wrong; in practice (where the
        scenario allows) it also says which part was wrong. A correct one ends the attempt with
        its score card."""
        self.check_open()
        self._guess(service, fault)
        explanation = explanation.strip()
        if not explanation:
            raise QueryError("explain your diagnosis in a sentence or two: it is kept for the debrief")
        rules = self.attempt.rules
        trigger_ref = None
        if trigger is not None:
            trigger_ref = self.signals.trigger_of(trigger, self.clock.now())
        elif rules.require_trigger:
            raise QueryError(
                "this scenario asks for the trigger too: name the change event (an id like E3) that set it off"
            )
        verdict = judge(rules, service, fault, trigger_ref)
        explain = rules.partial_feedback and self.attempt.settings.mode == "practice"
        feedback = verdict.feedback(explain)
        data = {
            "service": service, "fault": fault, "trigger": trigger, "trigger_ref": trigger_ref,
            "explanation": explanation,
            "correct": verdict.correct, "verdict": asdict(verdict),
        }  # fmt: skip
        self.record(ev.DIAGNOSIS, data)
        out = DiagnosisResult(correct=verdict.correct, message=feedback["message"])
        if verdict.correct:
            out.card = self.score().to_dict()
        else:
            out.penalty_s = rules.wrong_penalty
            out.service_ok = feedback.get("service_ok")
            out.fault_ok = feedback.get("fault_ok")
            out.trigger_ok = feedback.get("trigger_ok")
        return out

    def give_up(self) -> ScoreCard:
        self.check_open()
        self.record(ev.GAVE_UP, {})
        return self.score()

    def score(self) -> ScoreCard:
        self.check_time()
        live = not self.attempt.over
        return score(self._events, live=live, elapsed_s=self.clock.wall() if live else None)


def _synthesize(scenario: Scenario, seed: int | None) -> Telemetry:
    from dojo.telemetry.cache import synthesize_cached

    return synthesize_cached(scenario, seed=seed)


def _json_safe(value: Any) -> Any:
    """The value with NaN and infinities as None: a window over a service with no traffic has no
    latency (NaN), and the store keeps events as strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
