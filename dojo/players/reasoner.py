"""The reasoner: a scripted player that follows the evidence from the page to a diagnosis.

It plays through the Session API only, exactly the game a learner plays (the same queries, the
same clock, the same score card), and never reads the timeline, the answer key or the telemetry.
Its steps:

1. Look (`observe.look`): the page, metric departures from the quiet start, every fault kind's
   signature lines, failing traces read in full, ERROR counts, change events. With too little
   history after the baseline it first lets the clock run.
2. Suspect (`suspects.suspects`): (service, fault kind) pairs the evidence names, on the page's
   path, with the trail down the call graph as a tie-breaker.
3. Settle: when several suspects are telling, let the clock run a minute at a time and drop the
   ones whose signature stops while others carry on (a cause that has ended cannot explain a
   page that has not); when none is telling yet but something on the page's path moved, wait
   for its words. At most `MAX_WAIT` seconds of waiting.
4. Conclude: the best suspect; or, when nothing on the page's path changed and no signature
   shows, `no_fault` on the paged service.
5. Make the case: a hypothesis, and pins of what convinced it (signature lines, failing spans,
   metric windows that span the change, the change event that set it off).
6. Diagnose; if wrong, rule the hypothesis out and try the next suspect that fits the feedback.

Deterministic for a scenario and seed: no randomness, and the clock is moved only by `advance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dojo.engine.api import DiagnosisResult
from dojo.engine.errors import ClockError, QueryError
from dojo.engine.session import MAX_PINS, Session

from .observe import Observation, baseline_cut, look, metric_catalog, recent_lines
from .play import Guess, Play
from .signatures import SHAPES, signatures
from .suspects import Suspect, page_path, quiet, suspects, walk

STEP = 60.0  # scenario seconds per advance while the evidence is not conclusive
MAX_WAIT = 600.0  # never wait longer than this in all
MIN_HISTORY = 120.0  # seconds past the baseline cut before anything can be called a change
RECENT = 60.0  # "is it still happening" looks at this last stretch
WATCH = 120.0  # a page with no visible cause is watched this long before it is called noise
MAX_DIAGNOSES = 3
NO_FAULT = "no_fault"
# Metrics worth pinning first when they moved, most telling first.
PIN_ORDER = ("rps", "error_rate", "latency_p99_ms", "latency_p50_ms")


@dataclass(frozen=True)
class Conclusion:
    service: str
    fault: str
    why: str
    suspect: Suspect | None = None


def play_reasoner(session: Session) -> Play:
    return Reasoner(session).play()


class Reasoner:
    def __init__(self, session: Session):
        self.s = session
        self.notes: list[str] = []
        self.waited = 0.0
        self.pins: list[str] = []

    # -- the clock -------------------------------------------------------------------------------

    def can_wait(self) -> bool:
        state = self.s.clock_state()
        return self.waited + STEP <= MAX_WAIT and state.now + STEP <= state.end

    def wait(self, seconds: float) -> bool:
        state = self.s.clock_state()
        seconds = min(seconds, state.end - state.now)
        if seconds <= 0:
            return False
        try:
            self.s.advance(seconds)
        except ClockError:
            return False  # a clock that cannot move (not practice mode): judge on what there is
        self.waited += seconds
        return True

    # -- the investigation -------------------------------------------------------------------------

    def play(self) -> Play:
        ranked, obs = self.investigate(self.observe())
        plan = self.conclusions(ranked, obs)
        guesses = self.diagnose(plan, obs)
        brief = self.s.briefing()
        return Play(
            "reasoner",
            brief.to_dict()["scenario"],  # the id as a client reads it: `.scenario` is off limits here
            self.s.attempt.settings.seed,
            self.s.score(),
            guesses,
            self.pins,
            self.waited,
            self.notes,
        )

    def observe(self) -> Observation:
        state = self.s.status()
        cut = baseline_cut(state.start, metric_catalog(self.s).grid)
        if state.now < cut + MIN_HISTORY and self.wait(cut + MIN_HISTORY - state.now):
            self.notes.append(f"paged at {state.start:g}s with little history: waited until {cut + MIN_HISTORY:g}s")
        obs = look(self.s, cut=cut)
        pages = ", ".join(f"{p.alert} ({p.service} {p.metric})" for p in obs.page)
        if not pages:
            pages = "nothing: no alert had fired when the attempt began (does the page fire on this seed?)"
        self.notes.append(f"paged at {obs.start:g}s by {pages}; normal is the first {obs.cut:g}s")
        return obs

    def investigate(self, obs: Observation) -> tuple[list[Suspect], Observation]:
        """Suspects, best first, and the observation they come from (a later one if it waited)."""
        while True:
            self.notes.append("saw " + _changes_seen(obs))
            ranked = suspects(obs)
            live = [x for x in ranked if x.related and x.telling]
            if len(live) >= 2:
                self.settle(live, obs)
                return sorted(ranked, key=Suspect.rank_key), obs
            if live:
                return ranked, obs
            if any(x.telling for x in ranked):
                # The briefing's call graph may not show every dependency (a queue between a
                # producer and its consumer): a fault that speaks for itself off the page's path
                # beats waiting for one on it.
                self.notes.append("the only fault in its own words is off the page's path")
                return ranked, obs
            if any(x.related and x.shape is not None for x in ranked):
                self.notes.append("no fault's own words yet, but a saturation metric moved at flat traffic")
                return ranked, obs
            calm = quiet(obs)
            if calm and obs.page and self.waited >= WATCH:
                self.notes.append(f"watched the page for {self.waited:g}s: nothing behind it moved")
                return ranked, obs
            if not (self.can_wait() and self.wait(WATCH if calm else 2 * STEP)):
                self.notes.append(
                    f"waited {self.waited:g}s and no fault's signature showed"
                    + ("" if calm else ", though something on the page's path moved")
                )
                return ranked, obs
            obs = look(self.s, cut=obs.cut)

    def settle(self, live: list[Suspect], obs: Observation) -> None:
        """Several telling suspects: let time tell which ones are still going."""
        self.notes.append("several suspects: " + " | ".join(x.describe() for x in live[:4]))
        while True:
            for x in live:
                rate = x.line_count / max(obs.now - x.first, 60.0)
                x.expected = rate * RECENT
                x.recent = recent_lines(self.s, x.lines, RECENT)
            going = [x for x in live if not x.ended]
            if len(going) <= 1:
                for x in live:
                    if x.ended:
                        self.notes.append(
                            f"after {self.waited:g}s, {x.service}/{x.kind} has stopped while the rest goes on: it "
                            "does not explain the page"
                        )
                return
            if not (self.can_wait() and self.wait(STEP)):
                self.notes.append(f"still {len(going)} active suspects after {self.waited:g}s: taking the best ranked")
                return

    def conclusions(self, ranked: list[Suspect], obs: Observation) -> list[Conclusion]:
        """Diagnoses to try, best first."""
        for trail in walk(obs):
            self.notes.append("trail down the call graph: " + " -> ".join(trail))
        page_service = obs.page[0].service if obs.page else obs.services[0]
        out: list[Conclusion] = []
        telling = [x for x in ranked if x.telling or x.shape is not None]
        if not telling and quiet(obs):
            self.notes.append(
                f"nothing on the page's path ({', '.join(sorted(page_path(obs))) or 'all'}) changed for long and no "
                "fault's signature shows: the page is noise"
            )
            out.append(
                Conclusion(
                    page_service,
                    NO_FAULT,
                    f"No service behind {page_service} changed in a sustained way and no fault's signature shows: the "
                    "page was noise.",
                )
            )
        for x in telling:
            out.append(Conclusion(x.service, x.kind, x.describe(), x))
        if not any(c.fault == NO_FAULT for c in out):
            out.append(Conclusion(page_service, NO_FAULT, "Nothing else fits: the page was noise."))
        if out[0].suspect is not None:
            self.notes.append("concluded " + out[0].why)
        return out

    # -- the case and the diagnosis ----------------------------------------------------------------

    def diagnose(self, plan: list[Conclusion], obs: Observation) -> list[Guess]:
        guesses: list[Guess] = []
        tried: set[tuple[str, str]] = set()
        feedback: DiagnosisResult | None = None
        while plan and len(guesses) < MAX_DIAGNOSES:
            choice = _next(plan, tried, feedback, guesses)
            if choice is None:
                break
            tried.add((choice.service, choice.fault))
            h = self.s.add_hypothesis(
                f"{choice.service} {choice.fault}: {choice.why}"[:500], service=choice.service, fault=choice.fault
            )
            for item, note in self.case(choice, obs):
                if len(self.pins) >= MAX_PINS:
                    break
                try:
                    self.s.pin(item, hypothesis=h.id, note=note)
                    self.pins.append(item)
                except QueryError:
                    continue  # already pinned for an earlier hypothesis
            trigger = self.trigger(choice, obs) if self.s.briefing().require_trigger else None
            verdict = self.s.diagnose(choice.service, choice.fault, choice.why, trigger=trigger)
            guesses.append(Guess(choice.service, choice.fault, verdict.correct, verdict.message))
            if verdict.correct:
                break  # the attempt is over: nothing more can be recorded
            self.s.update_hypothesis(h.id, status="ruled_out")
            feedback = verdict
        return guesses

    def case(self, choice: Conclusion, obs: Observation) -> list[tuple[str, str]]:
        """Items to pin for a conclusion, most telling first: the fault's own words, the hops
        that lead to it, failing spans, metric windows that span the change, the change event."""
        out: list[tuple[str, str]] = []
        x = choice.suspect
        if x is not None:
            seen = set()
            for lines in sorted(x.lines, key=lambda n: -n.after):
                if (lines.writer, lines.pattern.text) not in seen and lines.example:
                    seen.add((lines.writer, lines.pattern.text))
                    out.append((lines.example, f"{x.kind} in its own words, on {lines.writer}"))
            out = out[:4]
            out += self.hop_lines(choice, obs)
            out += self.span_pins(x, obs)
        out += self.metric_pins(choice, obs)
        event = self.change_event(choice, obs)
        if event is not None:
            out.append((event, f"the change on {choice.service} just before it began"))
        return out

    def hop_lines(self, choice: Conclusion, obs: Observation) -> list[tuple[str, str]]:
        """One ERROR line per hop of the trail that names the next hop: why each caller fails."""
        trail = next((t for t in walk(obs) if choice.service in t), None)
        if trail is None:
            return []
        hops = trail[: trail.index(choice.service) + 1]
        since = choice.suspect.first if choice.suspect is not None else obs.cut
        if not math.isfinite(since):  # a suspect named by spans or metrics alone has no first line
            since = obs.cut
        out = []
        for caller, callee in zip(hops, hops[1:]):
            if obs.kinds.get(caller) == "external":
                continue
            page = self.s.logs(service=caller, level="ERROR", contains=callee, since=since, limit=1, order="oldest")
            if page.lines:
                out.append((page.lines[0].id, f"{caller} fails calling {callee}"))
        return out[:2]

    def span_pins(self, x: Suspect, obs: Observation) -> list[tuple[str, str]]:
        """Failing spans in the fault's own status message, on the suspect or on its callers (a
        connection that fails is seen by the caller)."""
        out = [(h.pin, f"failing spans end in '{h.message}'") for h in x.spans if h.service == x.service]
        message = signatures()[x.kind].span_message
        if message is not None:
            for service in [x.service] + obs.callers(x.service):
                page = self.s.traces(
                    service=service, status="error", contains=message, since=obs.cut, limit=1, order="oldest"
                )
                if page.traces and page.traces[0].match:
                    out.append((page.traces[0].match, f"{service} spans fail with '{message}'"))
        out += [
            (obs.origin_pins[o], f"failure starts on {o.service}: {o.message}")
            for o in x.origins
            if o in obs.origin_pins
        ]
        return list(dict.fromkeys(out))[:3]

    def metric_pins(self, choice: Conclusion, obs: Observation) -> list[tuple[str, str]]:
        """The suspect's own traffic, errors, latency and saturation (moved or not: traffic that
        did not rise is evidence too); what moved on the page and on the neighbours."""
        wanted: list[tuple[str, str]] = []
        shape = SHAPES.get(choice.fault)
        if shape is not None:
            wanted.append((choice.service, shape[0]))
        wanted += [(choice.service, m) for m in PIN_ORDER[:3]]
        wanted += [(p.service, p.metric) for p in obs.page]
        for service in [p.service for p in obs.page] + obs.calls.get(choice.service, []) + obs.callers(choice.service):
            moved = {c.departure.metric for c in obs.changes_of(service)}
            wanted += [(service, m) for m in PIN_ORDER if m in moved]
        if choice.fault == NO_FAULT:  # the case for noise: what did not move behind the page
            for p in obs.page:
                wanted += [(p.service, "rps")] + [(c, "error_rate") for c in obs.calls.get(p.service, [])]
        out = []
        for service, metric in dict.fromkeys(wanted):
            item = obs.window(service, metric)
            if item is not None:
                out.append((item, f"{service} {metric} over the incident so far"))
        return out[:6]

    def change_event(self, choice: Conclusion, obs: Observation) -> str | None:
        """The latest change on the suspect's service before its signature began."""
        x = choice.suspect
        if x is None:
            return None
        start = x.first + obs.grid
        mine = [e for e in obs.events if e.service == choice.service and e.t <= start]
        return mine[-1].id if mine else None

    def trigger(self, choice: Conclusion, obs: Observation) -> str | None:
        found = self.change_event(choice, obs)
        if found is not None:
            return found
        x = choice.suspect
        before = [e for e in obs.events if x is None or e.t <= x.first + obs.grid]
        return before[-1].id if before else None


def _changes_seen(obs: Observation) -> str:
    """The metric departures in the order they began, for the notes."""
    if not obs.changes:
        return f"no sustained metric change by {obs.now:g}s"
    parts = [
        f"{c.service} {c.departure.metric} {'up' if c.departure.direction > 0 else 'down'} at {c.departure.at:g}s"
        for c in obs.changes[:8]
    ]
    more = f" and {len(obs.changes) - 8} more" if len(obs.changes) > 8 else ""
    return f"by {obs.now:g}s: " + ", ".join(parts) + more


def _next(
    plan: list[Conclusion], tried: set[tuple[str, str]], feedback: DiagnosisResult | None, guesses: list[Guess]
) -> Conclusion | None:
    """The best untried conclusion that agrees with what the last wrong diagnosis was told."""
    left = [c for c in plan if (c.service, c.fault) not in tried]
    if feedback is not None and guesses:
        last = guesses[-1]
        fits = [
            c for c in left
            if (feedback.service_ok is None or (c.service == last.service) == feedback.service_ok)
            and (feedback.fault_ok is None or (c.fault == last.fault) == feedback.fault_ok)
        ]  # fmt: skip
        left = fits or left
    return left[0] if left else None
