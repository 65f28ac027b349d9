"""Difficulty as a measured property of a scenario's own signals, not the author's guess.

Each factor is something an experienced on-call engineer would name when asked why an incident
was hard (docs/scoring.md, "Measured difficulty"):

- hops: call-graph edges from the paged service down to the cause (0: the page is the cause);
- signals: the kinds of signal, on distinct services, the answer key needs combined;
- moving: services whose own numbers leave their normal range in the first minutes after the
  onset (one mover points at itself; many hide the cause among its victims);
- herrings: loudness of what is not the cause: alarming lines per minute of bystanders (neither
  the cause nor a caller of it) against the cause's own, plus red-herring changes and faults;
- quiet: the cause writes next to nothing alarming of its own (only its callers speak of it);
- delay: minutes from the onset until the answer's evidence has shown (median of selectors);
- steps: what the scripted reasoner (dojo/players/reasoner.py) spent to solve it: queries,
  minutes of waiting, diagnoses; played through the Session API like a learner.

`score` folds them into one number on the stars' scale; `difficulty_findings` warns when the
written stars are more than one star away from the score rounded to stars.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dojo.scenario.model import CHANGE_KINDS, Scenario
from dojo.telemetry.faults import FAULTS
from dojo.telemetry.model import Telemetry
from dojo.telemetry.selectors import selector_hits

from .lint import Finding, fault_events, onset, page_time

MOVE_WINDOW = 600.0  # seconds after the onset in which a service "moves"
MOVE_FACTOR = 1.6  # a key metric this many times its normal level (or 1/this for rps) is a move
MOVE_METRICS = ("error_rate", "latency_p99_ms", "rps", "cpu_pct", "pool_used_pct", "queue_depth")
ALARMING = ("WARN", "ERROR")
QUIET_SHARE = 0.1  # a cause writing under this share of the alarming lines its callers write is quiet
# Each factor's weight and the value past which more of it adds nothing, fitted by hand on the
# built-in library (docs/scoring.md); the score starts at one star.
WEIGHTS = {
    "hops": (0.3, 4),
    "signals": (0.2, 4),  # counted past the first two: one log line and one metric is the least
    "moving": (0.05, 15),
    "herrings": (0.3, 4),
    "quiet": (0.15, 1),
    "delay": (0.15, 10),
    "steps": (1.5, 3),  # per hundred past steps_floor(): what one look at a small system costs
}


def steps_floor() -> float:
    """The reasoner's steps on the smallest scenarios: one look searches every fault kind's
    words, so it grows with the fault library (117 steps with 17 kinds, 148 with 26)."""
    return 60.0 + 3.5 * len(FAULTS)
DISAGREE = 1  # written stars further than this from the measured stars get a lint warning


@dataclass(frozen=True)
class Difficulty:
    hops: int
    signals: int
    moving: int
    herrings: float
    quiet: bool
    delay_min: float
    steps: int | None  # None when the reasoner was not played
    score: float

    @property
    def stars(self) -> int:
        """The score rounded half up (2.5 is three stars), within 1..5."""
        return int(np.clip(np.floor(self.score + 0.5), 1, 5))

    def as_dict(self) -> dict:
        return asdict(self) | {"stars": self.stars}

    def describe(self) -> str:
        steps = "" if self.steps is None else f", {self.steps} reasoner steps"
        return (
            f"measured {self.score:.1f} ({self.hops} hop{'s' * (self.hops != 1)}, {self.signals} signals, "
            f"{self.moving} services moving, red herrings {self.herrings:.1f}, "
            f"{'quiet' if self.quiet else 'loud'} cause, evidence after {self.delay_min:.1f} min{steps})"
        )


def measure(sc: Scenario, tel: Telemetry, steps: int | None = None) -> Difficulty:
    """The factors and the score; `steps` from `reasoner_steps` (left out of the score if None)."""
    control = not fault_events(sc)
    start = onset(sc)
    cause = None if control else sc.answer.accepted[0].service
    page = page_time(sc, tel)
    paged = _paged_service(sc)
    hops = 0 if cause is None or paged is None else _hops(sc, paged, cause)
    signals = _signals(sc)
    moving = _moving(sc, tel, start if not control else (page or 0.0))
    herrings = _herrings(sc, tel, start, cause)
    quiet = False if cause is None else _quiet(sc, tel, start, cause)
    delay = _delay(sc, tel, start, page)
    parts = {
        "hops": hops,
        "signals": max(0, signals - 2),
        "moving": moving,
        "herrings": herrings,
        "quiet": float(quiet),
        "delay": delay,
        "steps": max(0.0, (steps or 0) - steps_floor()) / 100,
    }
    score = 1.0 + sum(w * min(parts[k], cap) for k, (w, cap) in WEIGHTS.items())
    return Difficulty(hops, signals, moving, round(herrings, 2), quiet, round(delay, 1), steps, round(score, 2))


def _paged_service(sc: Scenario) -> str | None:
    for a in sc.alerts:
        if a.name == sc.page:
            return a.service
    pages = [a for a in sc.alerts if a.severity == "page"]
    return pages[0].service if pages else None


def _hops(sc: Scenario, paged: str, cause: str) -> int:
    """Edges down the call graph from the paged service to the cause; a cause that is not below
    the page (a consumer beside its producer, a caller of the paged service) counts as the
    distance through their nearest common caller."""
    calls = {s.name: s.calls for s in sc.services}
    down = _distances(calls, paged)
    if cause in down:
        return down[cause]
    callers: dict[str, list[str]] = {}
    for s in sc.services:
        for c in s.calls:
            callers.setdefault(c, []).append(s.name)
    up = _distances(callers, paged)
    best = [up[a] + d for a in up for n, d in _distances(calls, a).items() if n == cause]
    return min(best) if best else len(sc.services)


def _distances(graph: dict[str, list[str]], root: str) -> dict[str, int]:
    out, frontier = {root: 0}, [root]
    while frontier:
        nxt = []
        for n in frontier:
            for m in graph.get(n, []):
                if m not in out:
                    out[m] = out[n] + 1
                    nxt.append(m)
        frontier = nxt
    return out


def _signals(sc: Scenario) -> int:
    """Distinct (signal kind, service) pairs among the answer's evidence."""
    pairs = set()
    for sel in sc.answer.evidence:
        if sel.logs is not None:
            pairs.add(("logs", sel.logs.service or "*"))
        elif sel.metric is not None:
            pairs.add(("metric", sel.metric.service))
        elif sel.trace is not None:
            pairs.add(("trace", sel.trace.service))
    return len(pairs)


def _moving(sc: Scenario, tel: Telemetry, start: float) -> int:
    m = tel.metrics[tel.metrics["metric"].isin(MOVE_METRICS)]
    before = m[(m["t"] >= min(60.0, start / 2)) & (m["t"] < start)]
    after = m[(m["t"] >= start) & (m["t"] < start + MOVE_WINDOW)]
    if before.empty or after.empty:
        return 0
    normal = before.groupby(["service", "metric"], observed=True)["value"].median()
    # The worst sustained level: the median of a minute's rolling window, at its most extreme.
    peak_hi = after.groupby(["service", "metric"], observed=True)["value"].quantile(0.8)
    peak_lo = after.groupby(["service", "metric"], observed=True)["value"].quantile(0.2)
    frame = pd.DataFrame({"normal": normal, "hi": peak_hi, "lo": peak_lo}).dropna()
    floor = frame.index.get_level_values("metric").map({"error_rate": 0.01}).to_numpy(dtype=float)
    base = np.maximum(frame["normal"].to_numpy(), np.nan_to_num(floor, nan=1e-9))
    is_rps = frame.index.get_level_values("metric") == "rps"
    up = frame["hi"].to_numpy() > MOVE_FACTOR * base
    down = is_rps & (frame["lo"].to_numpy() * MOVE_FACTOR < frame["normal"].to_numpy())
    moved = frame.index.get_level_values("service")[up | down]
    return int(pd.Index(moved).nunique())


def _alarming_per_min(tel: Telemetry, t0: float, t1: float) -> pd.Series:
    logs = tel.logs.select(["t", "service", "level"]).to_pandas()
    logs = logs[(logs["t"] >= t0) & (logs["t"] < t1) & logs["level"].isin(ALARMING)]
    minutes = max(t1 - t0, 60.0) / 60.0
    return logs.groupby("service", observed=True).size().astype(float) / minutes


def _callers_of(sc: Scenario, service: str) -> set[str]:
    callers: dict[str, list[str]] = {}
    for s in sc.services:
        for c in s.calls:
            callers.setdefault(c, []).append(s.name)
    return set(_distances(callers, service)) - {service}


def _herrings(sc: Scenario, tel: Telemetry, start: float, cause: str | None) -> float:
    """Bystanders' alarming lines per minute over the cause's own (capped at 3), plus half a
    point for each red-herring change or fault in the timeline (capped at 2)."""
    staged = sum(ev.red_herring for ev in sc.timeline)
    faults_staged = sum(ev.red_herring and ev.kind not in CHANGE_KINDS and ev.kind in FAULTS for ev in sc.timeline)
    staged_part = min(2.0, 0.5 * (staged + faults_staged))
    if cause is None:  # a control: every alarming line is a herring and the page is the loudest
        return staged_part
    rate = _alarming_per_min(tel, start, sc.duration)
    involved = {cause} | _callers_of(sc, cause)
    bystanders = float(rate[[s for s in rate.index if s not in involved]].sum())
    own = float(rate.get(cause, 0.0))
    loud = min(3.0, bystanders / max(own, 1.0))
    return loud + staged_part


def _quiet(sc: Scenario, tel: Telemetry, start: float, cause: str) -> bool:
    """The cause's own alarming lines are few next to what its callers write about it."""
    after = _alarming_per_min(tel, start, sc.duration)
    before = _alarming_per_min(tel, 0.0, start) if start > 0 else pd.Series(dtype=float)
    own = float(after.get(cause, 0.0)) - float(before.get(cause, 0.0))
    callers = sum(float(after.get(c, 0.0)) - float(before.get(c, 0.0)) for c in _callers_of(sc, cause))
    return own < QUIET_SHARE * max(callers, 1.0)


def _delay(sc: Scenario, tel: Telemetry, start: float, page: float | None) -> float:
    """Minutes the learner waits, from the page, for each evidence selector's first hit after the
    onset (0 when it showed before the page), median over the selectors: evidence that built up
    before the page costs the learner nothing, evidence still to come costs its wait."""
    delays = []
    for sel in sc.answer.evidence:
        hits = selector_hits(tel, sel, start)
        later = hits[hits >= start]
        if len(later):
            delays.append(max(0.0, float(later.min()) - (page or start)) / 60.0)
    return float(np.median(delays)) if delays else 0.0


def reasoner_steps(sc: Scenario, tel: Telemetry) -> int:
    """What the scripted reasoner spent to finish: each query it sent, each minute it let the
    clock run, each diagnosis (a wrong one costs a whole new line of inquiry). Played on a
    throwaway store with a manual clock."""
    from dojo.engine import events as ev
    from dojo.engine.session import Session
    from dojo.players.reasoner import play_reasoner
    from dojo.store import Store

    with tempfile.TemporaryDirectory(prefix="dojo-difficulty-") as tmp:
        store = Store.open(Path(tmp) / "dojo.sqlite3")
        try:
            session = Session.start(sc, store, telemetry=tel, clock="manual")
            play = play_reasoner(session)
            kinds = [e.kind for e in session.events]
        finally:
            store.close()
    queries = kinds.count(ev.QUERY)
    diagnoses = kinds.count(ev.DIAGNOSIS)
    return queries + int(round(play.waited_s / 60.0)) + 10 * max(0, diagnoses - 1) + (0 if play.solved else 40)


def difficulty_findings(sc: Scenario, d: Difficulty) -> list[Finding]:
    if abs(d.stars - sc.difficulty) <= DISAGREE:
        return []
    return [
        Finding(
            "difficulty",
            f"{sc.difficulty} star{'s' * (sc.difficulty != 1)} but {d.describe()}: "
            f"give it {d.stars} or make it {'harder' if d.score < sc.difficulty else 'easier'}",
            "warning",
        )
    ]
