"""Mechanisms on the state that both changes and faults use: a restart, a loss of capacity.

They import nothing but the state, so the fault library can use them without the physics.
"""

from __future__ import annotations

import numpy as np

from .state import NO_RATE, State, combine


def restart(
    st: State,
    s: int,
    source: str,
    since: np.ndarray,
    on: np.ndarray,
    share: float,
    warmup_s: float,
    keys: float = 0.0,
) -> None:
    """`share` of the service's instances stop at the first bucket of `on` and come back one by one
    over `warmup_s`; the work in flight on them fails, its backlog is dropped, and a cache comes
    back empty and refills, so its database sees the misses. Lines for the stop and the return
    are keyed `<source>:stop` and `<source>:ready`.

    A cache refills by demand: each miss stores its key, so the share of its `keys` it holds
    grows with the requests it gets (`keys` defaults to what `warmup_s` of normal traffic asks
    for). Only recorded here: propagate() solves it from the traffic the cache really gets
    (dojo.telemetry.refill), over whatever hit ratio the faults leave it."""
    if not on.any():
        return
    grid = st.scenario.grid
    warmup = max(warmup_s, 1e-9)
    j0 = int(np.argmax(on))
    onset = np.zeros(st.T)
    onset[j0] = 1.0
    back = np.clip(since / warmup, 0.0, 1.0)
    st.ready_factor[s] = np.where(on, st.ready_factor[s] * (1.0 - share + share * back), st.ready_factor[s])
    st.drops.setdefault(s, {})[j0] = max(share, st.drops.get(s, {}).get(j0, 0.0))
    # Requests in flight on the stopped instances (a few seconds' worth) fail.
    st.err_src[s][source] = combine(st.err_src[s].get(source, NO_RATE), onset * share * min(1.0, 5.0 / grid))
    # One line per stopped instance: the orchestrator kills them one by one.
    _mark(st, s, f"{source}:stop", onset * max(1.0, share * st.scenario.services[s].replicas))
    ready = np.zeros(st.T)
    ready[min(j0 + int(np.ceil(warmup / grid)), st.T - 1)] = 1.0
    _mark(st, s, f"{source}:ready", ready)
    if st.kinds[s] == "cache":
        normal = max(float(np.median(st.rps[s])) if st.rps is not None else 0.0, 1e-9)
        space = keys if keys > 0 else max(normal * warmup, 1.0)
        st.cache_refill.setdefault(s, []).append((st.offset + j0, share, space, normal))


def _mark(st: State, s: int, key: str, per_bucket: np.ndarray) -> None:
    st.warn_rate[(s, key)] = st.warn_rate.get((s, key), 0.0) + per_bucket * 60.0 / st.scenario.grid
