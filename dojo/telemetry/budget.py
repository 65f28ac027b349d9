"""How big a scenario's signals will be, known after the physics and before anything is rendered.

The static guard in dojo.scenario.references reads entry rps only; faults change load (a 10x
traffic_surge, a retry storm multiplying calls downstream) and traces grow with services x
duration x traces_per_min, none of which it sees. Here the same rates that synthesis samples
from are summed (no draws, no text), so the estimate is what synthesis would do, and a scenario
over budget is refused in one line, at `validate` and before `play`, without allocating it.

Limits: DOJO_MAX_LOG_LINES, DOJO_MAX_SPANS, DOJO_MAX_LOG_MB raise them (documented in
docs/scenario-format.md); the defaults keep synthesis within a few GB of memory.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from dojo.scenario.errors import ScenarioError, ScenarioErrors
from dojo.scenario.model import Scenario

from .draws import Draws
from .logs import LogBuilder
from .physics import State, simulate
from .traces import MAX_NODES, MAX_RETRY_SPANS, _unroll

LOG_LINES = 5_000_000
SPANS = 3_000_000
LOG_MB = 1_500


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return max(1, int(raw)) if raw.strip() else default
    except ValueError:
        return default


def limits() -> tuple[int, int, int]:
    """(log lines, span rows, MB of log text), from the environment or the defaults."""
    return _limit("DOJO_MAX_LOG_LINES", LOG_LINES), _limit("DOJO_MAX_SPANS", SPANS), _limit("DOJO_MAX_LOG_MB", LOG_MB)


@dataclass(frozen=True)
class Estimate:
    log_lines: float
    log_bytes: float
    spans: float  # span rows synthesis would hold at once (trace nodes and retry attempts)


class _Counter(LogBuilder):
    """The log builder's own rate walk, summing expected lines instead of rendering them (request
    lines are drawn there as counts: they are summed as drawn, a few ms of binomials)."""

    draws_lines = False

    def __init__(self, st: State):
        super().__init__(st, None, [[] for _ in st.names], Draws(0, "budget", st.T))  # type: ignore[arg-type]
        self.lines = 0.0
        self.bytes = 0.0

    def add(self, service, template, per_s, consts, counts=None, **dist) -> None:
        if self.st.kinds[service] == "external":
            return
        if counts is not None:  # lines already drawn from the counted requests: a sample, not a rate
            n = float(np.sum(counts))
        else:
            n = float(np.clip(np.nan_to_num(np.asarray(per_s, dtype=float)), 0.0, None).sum()) * self.grid
        self.lines += n
        self.bytes += n * (len(template.text) + 40 * template.text.count("{"))


def estimate(st: State) -> Estimate:
    sc = st.scenario
    counter = _Counter(st)
    counter.requests()
    counter.warnings()
    counter.background()
    spans = 0.0
    span_lines = 0.0
    traces = sc.traces_per_min * sc.duration / 60.0
    for e in range(st.S):
        if sc.services[e].rps is None:
            continue
        nodes = _unroll(st, e)
        retries = sum(min(int(np.max(st.retries[s], initial=0)), MAX_RETRY_SPANS) for s, _ in nodes)
        spans += traces * (len(nodes) + retries)
        span_lines += traces * sum(st.kinds[s] != "external" for s, _ in nodes)
    return Estimate(counter.lines + span_lines, counter.bytes + span_lines * 80, spans)


def static_estimate(scenario: Scenario) -> Estimate:
    """A floor for the estimate from the model alone (entry rps down every call, no faults, no
    retries): when even this is over budget, the physics need not run (a 24 h, 40-service
    scenario takes seconds to simulate; refusing it should not)."""
    from dojo.scenario.references import estimate_log_lines

    lines, _ = estimate_log_lines(scenario)
    index = {s.name: i for i, s in enumerate(scenario.services)}
    calls = [[index[c] for c in s.calls if c in index] for s in scenario.services]
    spans = 0.0
    for e, svc in enumerate(scenario.services):
        if svc.rps is None:
            continue
        nodes, stack = 0, [e]
        while stack and nodes < MAX_NODES:  # the tree traces.py unrolls, counted
            nodes += 1
            stack.extend(calls[stack.pop()])
        spans += scenario.traces_per_min * scenario.duration / 60.0 * nodes
    return Estimate(lines, 0.0, spans)


def estimate_scenario(scenario: Scenario) -> Estimate:
    """The estimate for a scenario not yet simulated (what `dojo validate` runs)."""
    floor = static_estimate(scenario)
    if over_budget(scenario, floor) is not None:
        return floor
    n_buckets = max(1, math.ceil(scenario.duration / scenario.grid))
    st, _ = simulate(scenario, np.arange(n_buckets) * scenario.grid, np.random.default_rng(scenario.seed))
    return estimate(st)


def over_budget(scenario: Scenario, est: Estimate) -> tuple[tuple, str] | None:
    """Where (the key to change) and one sentence saying which limit the scenario passes, or None."""
    max_lines, max_spans, max_mb = limits()
    if est.log_lines > max_lines:
        return ("duration",), (
            f"this scenario would write about {est.log_lines:,.0f} log lines, faults included "
            f"(limit {max_lines:,}, DOJO_MAX_LOG_LINES); lower rps, log_sample or a fault's load, or shorten duration"
        )
    if est.log_bytes > max_mb * 1e6:
        return ("duration",), (
            f"this scenario would write about {est.log_bytes / 1e6:,.0f} MB of log text "
            f"(limit {max_mb:,} MB, DOJO_MAX_LOG_MB); shorten noise lines or lower their per_min, rps or duration"
        )
    if est.spans > max_spans:
        key = "traces_per_min" if "traces_per_min" in scenario.model_fields_set else "duration"
        return (key,), (
            f"this scenario would sample about {est.spans:,.0f} spans (limit {max_spans:,}, DOJO_MAX_SPANS); "
            f"lower traces_per_min (now {scenario.traces_per_min:g}), shorten duration or use fewer services"
        )
    return None


def check(scenario: Scenario, st: State | None = None, lines_of=None) -> None:
    """Refuse, before rendering, a scenario whose signals would not fit the budget: ScenarioErrors
    with one line. `st` is the simulated state when there is one; `lines_of(loc)` finds the line."""
    found = over_budget(scenario, estimate(st) if st is not None else estimate_scenario(scenario))
    if found is not None:
        loc, problem = found
        line = lines_of(loc) if lines_of is not None else None
        raise ScenarioErrors([ScenarioError(scenario.file or scenario.id, line, loc[0], problem)])
