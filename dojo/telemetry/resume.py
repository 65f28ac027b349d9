"""A run resumed at bucket j: the state at j carried over, the physics solved only from j on.

The split is what lets an action taken mid-incident cost only what follows it, and what lets a
cache keep the part before it:

- the *prefix*: every bucket before j, exactly as the first run left it (state and signals);
- the *state at j*: the inputs before any timeline event (`State.prepared`, kept by simulate())
  and what each service carries from bucket j - 1 into j (`flow.Carry`: backlog, queue depth and
  age, queue wait, autoscaler);
- the *window*: the buckets from j on, solved again from the state at j with the new timeline.

`window()` cuts a state to its buckets from j on, `stitch()` puts the prefix and a solved window
back into one state of the whole length. Every array with a time axis is cut and joined here, so
a field added to State with a time axis must be handled here too (the action tests would show
a prefix that is not identical, or a window of the wrong length).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np

from dojo.scenario.model import Scenario

from .connpool import PoolState
from .flow import Flow
from .state import Op, State

# Dict-valued fields whose values are (T,) arrays, keyed by anything.
_SERIES_DICTS = ("warn_rate", "call_fail", "edge_weight", "op_weight")
# Fields that hold absolute bucket numbers or whole-run settings: shared, never cut.
_ABSOLUTE = (
    "drops",
    "scaled_at",
    "autoscale",
    "stale_mode",
    "capacity",
    "cache_hit_base",
    "rng_start",
    "cache_refill",
)


def fresh_inputs(prev: State, scenario: Scenario) -> State:
    """The inputs of `prev`'s run before any timeline event, for `scenario` (the same system with
    a changed timeline): a copy of `prev.prepared`, so nothing is drawn again."""
    if prev.prepared is None:
        raise ValueError("this state keeps no inputs to resume from; run the scenario with simulate()")
    base = prev.prepared
    # Its generator copied at the state it had before any event (a fault's draws come from it),
    # so the changed timeline draws what a run of it from the start would.
    st = copy.deepcopy(base, {id(base.scenario): scenario})
    st.scenario = scenario
    return st


def _cut(x: Any, j: int, axis: int = -1) -> Any:
    if isinstance(x, np.ndarray) and x.ndim:
        return x[(slice(None),) * (x.ndim - 1) + (slice(j, None),)] if axis == -1 else x[j:]
    return x


def _join(a: Any, b: Any, j: int, T: int, axis: int = -1) -> Any:
    """a's buckets before j, then b (which starts at j). Either may be a scalar (a rate that is
    the same in every bucket) or missing (a source the other run does not have)."""
    if not isinstance(b, np.ndarray) or b.ndim == 0:
        if not isinstance(a, np.ndarray) or a.ndim == 0:
            return b
        b = np.full(T - j, float(b))
    if axis == 0:
        head = a[:j] if isinstance(a, np.ndarray) and a.ndim else np.zeros((j,) + b.shape[1:])
        return np.concatenate([head, b], axis=0)
    if not isinstance(a, np.ndarray) or a.ndim == 0:
        a = np.full(b.shape[:-1] + (j,), 0.0 if a is None else float(a), dtype=b.dtype)
    return np.concatenate([a[..., :j], b], axis=-1)


def window(st: State, j: int) -> State:
    """`st` from bucket j on: every time series cut, absolute bucket numbers kept (the flow scan
    adds `offset` where it reads them)."""
    T = st.T
    out = copy.copy(st)
    for f in dataclasses.fields(State):
        v = getattr(st, f.name)
        if f.name in _ABSOLUTE or f.name in ("prepared", "flow_out", "pools", "scenario", "rng"):
            continue
        if isinstance(v, np.ndarray) and v.ndim and v.shape[-1] == T:
            setattr(out, f.name, _cut(v, j))
    out.t = st.t[j:]
    out.err_src = [{k: _cut(v, j) for k, v in d.items()} for d in st.err_src]
    out.conn_src = [{k: _cut(v, j) for k, v in d.items()} for d in st.conn_src]
    for name in _SERIES_DICTS:
        setattr(out, name, {k: _cut(v, j) for k, v in getattr(st, name).items()})
    out.call_parts = {k: {p: _cut(v, j) for p, v in d.items()} for k, d in st.call_parts.items()}
    out.limits = {k: (_cut(q, j), _cut(e, j)) for k, (q, e) in st.limits.items()}
    out.cloud = {k: _cut(v, j, axis=0) for k, v in st.cloud.items()}
    out.ops = {i: [_op(o, lambda x: _cut(x, j)) for o in ops] for i, ops in st.ops.items()}
    out.prepared, out.flow_out, out.pools, out.offset = None, None, None, st.offset + j
    out.flow_passes, out.pool_passes = [], []
    return out


def _op(o: Op, fn) -> Op:
    return dataclasses.replace(
        o, lat=fn(o.lat), p50=fn(o.p50), p99=fn(o.p99), err=fn(o.err), own=fn(o.own), sources=dict(o.sources)
    )


def stitch(prev: State, win: State, j: int) -> State:
    """One state of the whole length: `prev`'s buckets before j, then the solved window `win`."""
    T = prev.T
    out = copy.copy(win)
    for f in dataclasses.fields(State):
        if f.name in _ABSOLUTE or f.name in ("prepared", "flow_out", "pools", "scenario", "rng", "t"):
            continue
        v = getattr(win, f.name)
        if isinstance(v, np.ndarray) and v.ndim and v.shape[-1] == win.T:
            setattr(out, f.name, _join(getattr(prev, f.name), v, j, T))
    out.t = prev.t
    out.err_src = [_join_dict(a, b, j, T) for a, b in zip(prev.err_src, win.err_src)]
    out.conn_src = [_join_dict(a, b, j, T) for a, b in zip(prev.conn_src, win.conn_src)]
    for name in _SERIES_DICTS:
        setattr(out, name, _join_dict(getattr(prev, name), getattr(win, name), j, T))
    out.call_parts = {k: _join_dict(prev.call_parts.get(k, {}), d, j, T) for k, d in win.call_parts.items()}
    out.limits = {
        k: (_join(prev.limits.get(k, (None, None))[0], q, j, T), _join(prev.limits.get(k, (None, None))[1], e, j, T))
        for k, (q, e) in win.limits.items()
    }
    out.cloud = {k: _join(prev.cloud.get(k), v, j, T, axis=0) for k, v in win.cloud.items()}
    out.ops = {}
    for i, ops in win.ops.items():
        before = {o.name: o for o in prev.ops.get(i, [])}
        joined = []
        for o in ops:
            p = before.get(o.name)
            joined.append(
                dataclasses.replace(
                    o,
                    lat=_join(p.lat if p else None, o.lat, j, T),
                    p50=_join(p.p50 if p else None, o.p50, j, T),
                    p99=_join(p.p99 if p else None, o.p99, j, T),
                    err=_join(p.err if p else None, o.err, j, T),
                    own=_join(p.own if p else None, o.own, j, T),
                )
            )
        out.ops[i] = joined
    out.flow_out = _join_flow(prev.flow_out, win.flow_out, j, T)
    out.flow_passes = [_join_flow(a, b, j, T) for a, b in zip(prev.flow_passes, win.flow_passes, strict=True)]
    out.pools = _join_pools(prev.pools, win.pools, j, T)
    out.pool_passes = [_join_pools(a, b, j, T) for a, b in zip(prev.pool_passes, win.pool_passes, strict=True)]
    out.prepared, out.offset, out.rng_start = prev.prepared, prev.offset, prev.rng_start
    return out


def _join_dict(a: dict, b: dict, j: int, T: int) -> dict:
    return {k: _join(a.get(k), v, j, T) for k, v in b.items()}


def _join_flow(a: Flow | None, b: Flow | None, j: int, T: int) -> Flow | None:
    if a is None or b is None:
        return b
    out = Flow(
        **{
            f.name: _join(getattr(a, f.name), getattr(b, f.name), j, T)
            if getattr(a, f.name) is not None and getattr(b, f.name) is not None
            else getattr(b, f.name)
            for f in dataclasses.fields(Flow)
            if f.name != "scalers"
        }
    )
    out.scalers = {c: a.scalers.get(c, [(0.0, [])] * j)[:j] + snaps for c, snaps in b.scalers.items()}
    return out


def _join_pools(a: PoolState | None, b: PoolState | None, j: int, T: int) -> PoolState | None:
    if a is None or b is None:
        return b
    return PoolState(
        **{f.name: _join(getattr(a, f.name), getattr(b, f.name), j, T) for f in dataclasses.fields(PoolState)}
    )
