"""Client connection pools as state carried across time (a database pool, an HTTP client pool).

Each call a service makes to its callees holds one of its pool's connections for as long as the
callee takes to answer (capped by the timeout), retries included. By Little's law the pool has
`checkouts/s x hold time` connections in use; a pool of N connections can serve at most
N / hold checkouts per second. When a callee slows down, the same traffic holds connections
longer, the pool runs dry, and requests wait for a free connection: the waiters are carried from
bucket to bucket, and those that wait longer than the pool's timeout fail ("Connection is not
available, request timed out"). The database itself may look idle the whole time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .state import State

# The error and warning source of a pool that ran dry; its lines are connection_pool_exhaustion's.
POOL_SOURCE = "pool"


@dataclass
class PoolState:
    """Each (S,T); zeros for services without a pool."""

    in_use: np.ndarray  # connections checked out
    size: np.ndarray  # connections the ready instances hold
    waiters: np.ndarray  # requests waiting for a connection at the end of the bucket
    wait_s: np.ndarray  # how long a request waits for one
    fail: np.ndarray  # share of requests that gave up waiting


def pooled(st: State) -> list[int]:
    return [i for i, s in enumerate(st.scenario.services) if s.pool is not None]


def pool_pass(
    st: State,
    rps: np.ndarray,
    forward: np.ndarray,
    ready: np.ndarray,
    p50: np.ndarray,
    call_fail: dict,
    carry: np.ndarray | None = None,
) -> PoolState:
    """The pools of every pooled service given the load (`rps` arriving, `forward` share worked
    on), the ready instances and the callees' median latency. `carry` (S,) are the waiters each
    service had at the end of the bucket before the first (a resumed run)."""
    S, T, grid = st.S, st.T, float(st.scenario.grid)
    out = PoolState(*(np.zeros((S, T)) for _ in range(5)))
    for i in pooled(st):
        svc = st.scenario.services[i]
        cfg = svc.pool
        assert cfg is not None
        uses = np.zeros(T)  # connection checkouts per request
        held = np.zeros(T)  # connection-seconds per request
        for c in st.calls[i]:
            f = np.clip(call_fail[(i, c)], 0.0, 0.999)
            r = st.retries[i]
            attempts = (1.0 - f ** (r + 1.0)) / (1.0 - f)
            w = st.edge_weight[(i, c)] * attempts
            uses = uses + w
            held = held + w * np.minimum(p50[c], svc.timeout_ms) / 1000.0
        lam = rps[i] * forward[i] * uses  # checkouts/s
        hold = np.divide(held, uses, out=np.zeros(T), where=uses > 0)  # seconds per checkout
        size = cfg.size * np.maximum(ready[i], 0.0)
        mu = np.divide(size, hold, out=np.full(T, np.inf), where=hold > 0)  # checkouts/s the pool serves
        out.size[i] = size
        out.in_use[i] = np.minimum(lam * hold, size)
        start = 0.0 if carry is None else float(carry[i])
        if start == 0.0 and np.all(lam <= mu):
            continue  # never short of a connection: nobody waits
        _scan(lam.tolist(), mu.tolist(), start, grid, cfg.timeout_ms / 1000.0, out, i)
    return out


def _scan(lam: list, mu: list, q: float, grid: float, timeout_s: float, out: PoolState, i: int) -> None:
    T = len(lam)
    waiters, wait, fail = [0.0] * T, [0.0] * T, [0.0] * T
    for j in range(T):
        if mu[j] <= 0.0:  # no connection at all: every request gives up
            waiters[j], wait[j], fail[j] = 0.0, timeout_s, 1.0 if lam[j] > 0 else 0.0
            q = 0.0
            continue
        if mu[j] == float("inf"):
            q = 0.0
        else:
            q = max(q + (lam[j] - mu[j]) * grid, 0.0)
            limit = mu[j] * timeout_s
            if q > limit:
                fail[j] = min((q - limit) / (lam[j] * grid), 1.0) if lam[j] > 0 else 0.0
                q = limit
        waiters[j], wait[j] = q, (q / mu[j] if mu[j] != float("inf") else 0.0)
    out.waiters[i], out.wait_s[i], out.fail[i] = waiters, wait, fail
