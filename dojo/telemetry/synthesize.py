"""Scenario -> Telemetry: simulate the state, then derive every signal from it.

Each stage draws from its own child of the scenario's seed, so the same scenario and seed give
the same bytes, and a change to one stage does not reshuffle the others.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from dojo.scenario.model import CHANGE_KINDS, Scenario
from dojo.scenario.vocabulary import op_metric, split_op_metric

from . import budget
from .alerts import alert_events
from .draws import Draws
from .faults import FAULTS
from .logs import LEVELS, LogBuilder, take_in_slices
from .model import EVENT_COLUMNS, LOG_SCHEMA, METRIC_COLUMNS, Telemetry
from .physics import State, simulate
from .pools import build_pools, host_names
from .traces import synthesize_traces

Progress = Callable[[str, float], None]

# Metrics that exist only where they mean something.
ONLY_FOR = {
    "queue_depth": ("queue", "worker"),
    "cache_hit_pct": ("cache",),
    "queue_age_s": ("queue",),
    "replication_lag_s": ("db",),
    "packet_loss_pct": ("lb",),
}
CLIENT_SIDE = ("rps", "error_rate", "latency_p50_ms", "latency_p99_ms")  # all we see of an external


def synthesize(scenario: Scenario, seed: int | None = None, progress: Progress | None = None) -> Telemetry:
    return synthesize_with_state(scenario, seed, progress)[0]


def synthesize_with_state(
    scenario: Scenario, seed: int | None = None, progress: Progress | None = None
) -> tuple[Telemetry, State]:
    """The telemetry and the state it was rendered from (what an action resumes: see actions.act)."""
    seed = scenario.seed if seed is None else seed
    step = progress or (lambda _what, _frac: None)
    phys_rng = _streams(seed)[0]

    step("physics", 0.0)
    st, truth = simulate(scenario, _grid(scenario), phys_rng)
    budget.check(scenario, st)  # before anything big is drawn or rendered
    metrics, spans, logs = render(st, seed, *render_draws(seed, st.T, scenario.grid), step)
    step("events", 0.9)
    events_df = _events(scenario, metrics, st)
    tel = Telemetry(
        scenario=scenario,
        seed=seed,
        start=scenario.start,
        grid=scenario.grid,
        logs=logs,
        metrics=metrics,
        spans=spans,
        events=events_df,
        truth={"faults": truth},
    )
    if scenario.imports is not None:
        step("imports", 0.95)
        from .imported import imported_signals, merge

        tel = merge(tel, imported_signals(scenario))
    step("done", 1.0)
    return tel, st


def simulate_state(scenario: Scenario, seed: int | None = None) -> State:
    """The state a synthesis renders, without rendering it: what an action on an incident read
    from the cache resumes (actions.act), at a fraction of a synthesis's cost."""
    seed = scenario.seed if seed is None else seed
    return simulate(scenario, _grid(scenario), _streams(seed)[0])[0]


def _streams(seed: int) -> tuple[np.random.Generator, ...]:
    """The physics', metrics', logs' and traces' generators, each its own child of the seed."""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))


# Scenario seconds per block of per-row streams (dojo.telemetry.draws): an action renders again
# from the start of a block, so at most this much before it; more blocks cost more streams.
BLOCK_S = 300.0


def block_of(grid: float) -> int:
    return max(1, round(BLOCK_S / grid))


def render_draws(seed: int, T: int, grid: float) -> tuple[Draws, Draws, Draws]:
    """The metrics', logs' and traces' draws: each call a stream of its own, a bucket's rows drawn
    the same whatever later buckets hold (dojo.telemetry.draws), so a learner's action changes
    no row before it; rows drawn block by block, so a render can begin at a block."""
    block = block_of(grid)
    return Draws(seed, "metrics", T, block), Draws(seed, "logs", T, block), Draws(seed, "traces", T, block)


def _grid(scenario: Scenario) -> np.ndarray:
    return np.arange(max(1, math.ceil(scenario.duration / scenario.grid))) * scenario.grid


def render(
    st: State,
    seed: int,
    metric_rng: Draws,
    log_rng: Draws,
    trace_rng: Draws,
    step: Progress | None = None,
    live_from: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pa.Table]:
    """Metrics, spans and logs of `st`: every bucket's, or (`live_from`, a block's first bucket)
    the metrics of every bucket (cheap) and the traces and log lines of the buckets from there
    on, each row what a whole render draws for it."""
    step = step or (lambda _what, _frac: None)
    step("metrics", 0.1)
    metrics = derive_metrics(st, metric_rng)
    step("traces", 0.2)
    spans = synthesize_traces(st, trace_rng, live_from)
    step("logs", 0.3)
    logs = synthesize_logs(st, seed, log_rng, spans, live_from)
    return metrics, skew_spans(st, spans), logs


def written_at(st: State, t: np.ndarray, service: np.ndarray) -> np.ndarray:
    """The time a service writes on a record made at scenario time `t`: its own clock's, off by
    its clock skew at that moment (a host whose clock runs 5 minutes ahead stamps its log lines
    and spans 5 minutes ahead, so they sort away from everyone else's)."""
    if not st.clock_skew_s.any():
        return t
    grid = st.scenario.grid
    bucket = np.clip(((t - st.t[0]) // grid).astype(np.int64), 0, st.T - 1)
    return np.maximum(t + st.clock_skew_s[service, bucket], 0.0)


def skew_spans(st: State, spans: pd.DataFrame) -> pd.DataFrame:
    """Spans stamped by their own service's clock: a skewed service's spans start before their
    parent or after it has ended (the tell-tale of clock skew in a trace view)."""
    if not st.clock_skew_s.any() or spans.empty:
        return spans
    index = {n: i for i, n in enumerate(st.names)}
    service = spans["service"].map(index).to_numpy()
    spans = spans.assign(t=written_at(st, spans["t"].to_numpy(), service))
    return spans.sort_values(["t", "trace_id", "span_id"], kind="stable", ignore_index=True)


def _events(scenario: Scenario, metrics: pd.DataFrame, st: State | None = None) -> pd.DataFrame:
    unseen = None
    if st is not None and st.stale.any():  # the metrics pipeline was down: rules see no points
        unseen = (st.t, {name: st.stale[i].astype(bool) for i, name in enumerate(st.names) if st.stale[i].any()})
    events = change_events(scenario) + alert_events(scenario.alerts, metrics, scenario.grid, unseen)
    events_df = pd.DataFrame(events, columns=EVENT_COLUMNS)
    return events_df.sort_values(["t", "kind", "service", "name"], kind="stable", ignore_index=True)


def resume_telemetry(prev: Telemetry, st: State, at: float, truth: list[dict]) -> Telemetry:
    """The signals of a run resumed at `at` (dojo.telemetry.resume): `prev`'s rows before the
    cut, untouched (log lines and events before `at`, metric buckets and traces begun before
    `at`'s bucket: dojo.telemetry.splice), then the rows of the changed incident from the cut on.

    `st` is the changed scenario's own state, bit for bit (only its buckets from `at`'s on were
    solved again). Only the traces and log lines from a block start shortly before the cut are
    rendered (`live_from`): their draws are the whole run's (dojo.telemetry.draws), so every
    row from the cut on is the one a whole synthesis of the changed scenario gives, and the
    rows before it are the first run's (the draws look no further than their bucket). The
    metrics are derived for every bucket, a small part of the cost."""
    scenario = st.scenario
    grid = scenario.grid
    metrics, spans, logs = render(
        st, prev.seed, *render_draws(prev.seed, st.T, grid), live_from=live_start(prev, st, at)
    )
    after = Telemetry(scenario, prev.seed, prev.start, prev.grid, logs, metrics, spans, _events(scenario, metrics, st))
    if scenario.imports is not None:
        from .imported import imported_signals, merge

        after = merge(after, imported_signals(scenario))
    from .splice import splice

    out = splice(prev, after, at)
    out.truth = {**prev.truth, "faults": truth}
    return out


def live_start(prev: Telemetry, st: State, at: float) -> int:
    """The first bucket a resumed render must make lines for: every line at or after `at` is made
    in it or later. A line is stamped after the bucket it is made in by at most its span's length
    (a span's line is written at its end) and its host's clock skew; both are bounded by what the
    first run made before `at` (the same traces, the same state). Then back to a block start."""
    grid = st.scenario.grid
    j = int(min(max(at // grid, 0), st.T - 1))
    spill = 0.0
    sp = prev.spans
    if len(sp):
        began = sp.groupby("trace_id")["t"].transform("min")
        spill = float(((sp["t"] + sp["duration_ms"] / 1000.0) - began).max())
    if st.clock_skew_s.size:
        spill += max(float(st.clock_skew_s[:, : j + 1].max()), 0.0)
    first = max(0, j - int(math.ceil(spill / grid)) - 1)
    block = block_of(grid)
    return (first // block) * block


def derive_metrics(st: State, rng: Draws | np.random.Generator) -> pd.DataFrame:
    rng = Draws.of(rng, "metrics", st.T)
    grid = st.scenario.grid
    count = rng.poisson(st.rps * grid)
    rps = count / grid
    errors = rng.binomial(count, np.clip(st.err, 0, 1))
    err_rate = np.divide(errors, count, out=np.zeros_like(st.rps), where=count > 0)
    p50 = st.p50 * np.exp(rng.normal(0, 0.03, st.p50.shape))
    p99 = np.maximum(st.p99 * np.exp(rng.normal(0, 0.06, st.p99.shape)), p50)
    # No latency without traffic: a bucket with no requests has no percentile (a gap, not a 0).
    p50 = np.where(count > 0, p50, np.nan)
    p99 = np.where(count > 0, p99, np.nan)
    st.req_count, st.err_count = count, errors  # the log lines of a bucket are sampled from these
    series = {
        "rps": rps,
        "error_rate": err_rate,
        "latency_p50_ms": p50,
        "latency_p99_ms": p99,
        "cpu_pct": np.clip(st.cpu + rng.normal(0, 1.5, st.cpu.shape), 0, 100),
        "memory_pct": np.clip(st.mem, 0, 100),
        "pool_used_pct": np.clip(st.pool + rng.normal(0, 1.0, st.pool.shape), 0, 100),
        "queue_depth": np.maximum(st.queue, 0),
        "disk_used_pct": np.clip(st.disk, 0, 100),
        "cache_hit_pct": np.clip(st.cache_hit, 0, 100),
        # Instances ready to serve (the autoscaler's and the deploy tool's view).
        "instances": np.round(st.ready, 2),
        "queue_age_s": np.round(st.queue_age_s, 1),
        "replication_lag_s": np.round(st.replication_lag_s, 1),
        "packet_loss_pct": np.round(100.0 * st.packet_loss, 2),
        "clock_skew_s": np.round(st.clock_skew_s, 3),
        "pool_waiters": np.round(st.pools.waiters, 1) if st.pools is not None else np.zeros_like(st.rps),
    }
    per_op = _op_series(st, rng, count, errors)  # drawn last: the other series keep their draws
    for i in per_op:  # the service's failures are its operations' failures, counted once
        err_rate[i] = np.divide(errors[i], count[i], out=np.zeros(st.T), where=count[i] > 0)
    has_pool = [s.pool is not None for s in st.scenario.services]
    frames = []
    for i, name in enumerate(st.names):
        kind = st.kinds[i]
        rows = list(series.items()) + list(per_op.get(i, {}).items())
        for metric, values in rows:
            if metric in ONLY_FOR and kind not in ONLY_FOR[metric]:
                continue
            if metric == "pool_waiters" and not has_pool[i]:
                continue  # only a declared pool counts its waiters
            if kind == "external" and split_op_metric(metric)[0] not in CLIENT_SIDE:
                continue
            row = np.round(values[i] if values.ndim == 2 else values, 4)
            keep = np.ones(st.T, dtype=bool)
            if st.stale[i].any():
                row, keep = _unseen(row, st.stale[i], st.stale_mode.get(i, 1))
            frames.append(pd.DataFrame({"t": st.t[keep], "service": name, "metric": metric, "value": row[keep]}))
    return pd.concat(frames, ignore_index=True)[METRIC_COLUMNS]


def _op_series(st: State, rng: Draws, count: np.ndarray, errors: np.ndarray) -> dict[int, dict]:
    """Per operation of each service that declares them: its requests (the service's counted
    requests split by share), its failures (drawn at the operation's own error rate) and its
    latency, as `rps{op=...}` and the like. The service's failures become the sum of its
    operations', so `error_rate` and the labelled series tell one story; the counts per
    operation are kept on the state (`op_count`, `op_err`) for the log lines."""
    grid = st.scenario.grid
    out: dict[int, dict] = {}
    st.op_count, st.op_err = {}, {}
    for i, ops in st.ops.items():
        shares = np.array([o.share for o in ops], dtype=float)
        left, rest = count[i].astype(np.int64), shares.sum()
        n_op, e_op = [], []
        for o in ops:  # a multinomial split, as a chain of binomials: the parts add up to the count
            c = rng.binomial(left, min(o.share / rest, 1.0) if rest > 0 else 0.0)
            left, rest = left - c, rest - o.share
            n_op.append(c)
            e_op.append(rng.binomial(c, np.clip(np.nan_to_num(o.err), 0.0, 1.0)))
        errors[i] = np.sum(e_op, axis=0)
        st.op_count[i], st.op_err[i] = np.array(n_op), np.array(e_op)
        figures: dict[str, np.ndarray] = {}
        for o, c, e in zip(ops, n_op, e_op, strict=True):
            p50 = np.nan_to_num(o.p50) * np.exp(rng.normal(0, 0.03, st.T))
            p99 = np.maximum(np.nan_to_num(o.p99) * np.exp(rng.normal(0, 0.06, st.T)), p50)
            figures[op_metric("rps", o.name)] = c / grid
            figures[op_metric("error_rate", o.name)] = np.divide(e, c, out=np.zeros(st.T), where=c > 0)
            figures[op_metric("latency_p50_ms", o.name)] = np.where(c > 0, p50, np.nan)
            figures[op_metric("latency_p99_ms", o.name)] = np.where(c > 0, p99, np.nan)
        out[i] = figures
    return out


def _unseen(row: np.ndarray, stale: np.ndarray, mode: int) -> tuple[np.ndarray, np.ndarray]:
    """What the dashboards show while the metrics pipeline is down: no points (mode 1), or the
    last point received repeated (mode 2)."""
    if mode == 1:
        return row, ~stale
    idx = np.where(stale, 0, np.arange(len(row)))
    np.maximum.accumulate(idx, out=idx)
    return row[idx], np.ones(len(row), dtype=bool)


def change_events(scenario: Scenario) -> list[dict]:
    """What a deploy tracker or audit log would show. A fault appears only through the change
    that caused it (a bad config is first of all a config change), never by its name."""
    out = []
    for ev in scenario.timeline:
        kind = ev.kind if ev.kind in CHANGE_KINDS else FAULTS[ev.kind].change_event if ev.kind in FAULTS else None
        if kind is None:
            continue
        # A fault that arrives with a deploy names its version as a parameter.
        version = ev.version or (
            FAULTS[ev.kind].resolve_params(ev.params).get("version") if ev.kind in FAULTS else None
        )
        summary = {
            "deploy": f"deploy {ev.service} {version or ''}".strip(),
            "config_change": f"config change on {ev.service}",
            "feature_flag": f"feature flag change on {ev.service}",
            "scale": f"scale {ev.service}",
            "restart": f"restart {ev.service}",
        }.get(kind, f"{kind.replace('_', ' ')} on {ev.service}")
        out.append({"t": float(ev.at), "kind": kind, "service": ev.service, "name": summary, "detail": ev.note or ""})
    return out


def synthesize_logs(
    st: State, seed: int, rng: Draws | np.random.Generator, spans: pd.DataFrame | None = None, live_from: int = 0
) -> pa.Table:
    sc = st.scenario
    pools = build_pools(seed)
    hosts = [host_names(s.name, s.replicas, seed) for s in sc.services]
    builder = LogBuilder(st, pools, hosts, rng, spans, live_from)
    builder.requests()
    builder.warnings()
    builder.background()
    cols: dict[str, Any] = builder.build()
    made = cols["t"]
    cols["t"] = written_at(st, made, cols["service"])  # built from the spans before they are skewed
    order = np.argsort(cols["t"], kind="stable")
    if st.logs_lost.any():  # the log pipeline was down: those lines never arrive
        bucket = np.clip(((made - st.t[0]) // sc.grid).astype(np.int64), 0, st.T - 1)
        order = order[~st.logs_lost[cols["service"][order], bucket[order]]]
    t = np.round(cols["t"][order], 3)
    svc = cols["service"][order]
    lvl = cols["level"][order]
    host = cols["host"][order]
    message = take_in_slices(cols["message"], order)
    trace_col = cols["trace_values"].take(pa.array(cols["trace_code"][order]))
    del cols  # the unsorted copy
    n = len(t)

    service_col = pa.DictionaryArray.from_arrays(pa.array(svc, pa.int32()), pa.array(st.names))
    host_col = pa.DictionaryArray.from_arrays(pa.array(host, pa.int32()), pa.array([h for hs in hosts for h in hs]))
    level_col = pa.DictionaryArray.from_arrays(pa.array(lvl, pa.int8()), pa.array(LEVELS))
    ids = pa.array(np.arange(n, dtype=np.int64))
    return pa.Table.from_arrays(
        [ids, pa.array(t), service_col, host_col, level_col, trace_col, message], schema=LOG_SCHEMA
    )
