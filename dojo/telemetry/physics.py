"""Incident physics: every service's state on a time grid, with faults applied and propagated.

Each service has, per bucket, a request rate, a latency distribution, an error rate and its
saturation (cpu, memory, pool, queue, disk, cache hits). Faults transform the state of the
service they hit; the call graph then carries the damage: callers inherit latency and errors,
timeouts cap latency and turn into errors, retries multiply load downstream, a failing cache
sends its misses to the database. Every signal (metrics, logs, traces, alerts) is derived from the
state computed here, so they agree with each other.
"""

from __future__ import annotations

import copy
import math
from statistics import NormalDist

import numpy as np

from dojo.scenario.model import Scenario

from .changes import CHANGE_VOICES, apply_change
from .connpool import POOL_SOURCE, PoolState, pool_pass, pooled
from .faults import FAULTS
from .flow import AutoscaleConfig, Carry, flow
from .pipeline import pipeline_outages
from .refill import first_guess, refill
from .state import FaultContext, Op, State, combine, envelope

__all__ = ["FaultContext", "State", "combine", "envelope", "propagate", "simulate"]

# Own median latency (ms) and p99/p50 ratio by service kind.
BASE_LATENCY_MS = {"http": 22.0, "worker": 60.0, "db": 4.0, "cache": 0.8, "queue": 2.0, "lb": 1.0, "external": 110.0}
BASE_TAIL = {"http": 4.0, "worker": 3.0, "db": 5.0, "cache": 3.0, "queue": 3.0, "lb": 3.0, "external": 4.0}
HEADROOM = 2.5  # default capacity as a multiple of the busiest baseline load
WRITE_SHARE = 0.1  # share of a service's requests that write, when it declares no operations
Z99 = 2.3263  # standard normal quantile of 0.99
PARTICLES = 200  # latency samples per service per bucket in the final pass
# Stratified standard normals: a service's own latency distribution without sampling noise.
_STRATA = np.array([NormalDist().inv_cdf((k + 0.5) / PARTICLES) for k in range(PARTICLES)])

_erf = np.frompyfunc(math.erf, 1, 1)


def _normal_sf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 - np.asarray(_erf(z / math.sqrt(2.0))).astype(float))


def _topology(scenario: Scenario) -> tuple[list[str], list[list[int]], list[list[int]], list[int]]:
    names = scenario.service_names
    idx = {n: i for i, n in enumerate(names)}
    calls = [[idx[c] for c in s.calls if c in idx] for s in scenario.services]
    callers: list[list[int]] = [[] for _ in names]
    for i, cs in enumerate(calls):
        for c in cs:
            callers[c].append(i)
    # Kahn's algorithm; the loader has already refused cycles. A queue comes before the workers
    # that consume it: their load is what it hands them.
    after = [list(cs) for cs in calls]
    for i, s in enumerate(scenario.services):
        if s.consumes in idx:
            after[idx[s.consumes]].append(i)
    indeg = [0] * len(names)
    for cs in after:
        for c in cs:
            indeg[c] += 1
    order, ready = [], [i for i, d in enumerate(indeg) if d == 0]
    while ready:
        i = ready.pop(0)
        order.append(i)
        for c in after[i]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    if len(order) != len(names):
        raise ValueError("call graph has a cycle")
    return names, calls, callers, order


def initial_state(scenario: Scenario, t: np.ndarray, rng: np.random.Generator) -> State:
    names, calls, callers, topo = _topology(scenario)
    S, T = len(names), len(t)
    kinds: list[str] = [s.kind for s in scenario.services]
    hours = (scenario.start.hour + scenario.start.minute / 60) + t / 3600.0
    daily = 1.0 + 0.25 * np.sin(2 * np.pi * (hours - 9.0) / 24.0)

    def smooth_noise(sigma: float) -> np.ndarray:
        # Autocorrelated noise: traffic wanders, it does not jump every bucket.
        raw = rng.normal(0.0, sigma, (S, T))
        out = np.empty_like(raw)
        out[:, 0] = raw[:, 0]
        for j in range(1, T):
            out[:, j] = 0.8 * out[:, j - 1] + 0.6 * raw[:, j]
        return out

    traffic_noise = np.exp(smooth_noise(0.04))
    demand = np.zeros((S, T))
    lat_own = np.zeros((S, T))
    tail = np.zeros((S, T))
    retries = np.zeros((S, T))
    for i, svc in enumerate(scenario.services):
        if svc.rps is not None:
            demand[i] = svc.rps * daily * traffic_noise[i]
        lat_own[i] = (svc.latency_ms or BASE_LATENCY_MS[svc.kind]) * np.exp(smooth_noise(0.02)[i])
        tail[i] = BASE_TAIL[svc.kind]
        retries[i] = svc.retries
    st = State(
        scenario=scenario,
        t=t,
        names=names,
        kinds=kinds,
        calls=calls,
        callers=callers,
        topo=topo,
        rng=rng,
        demand=demand,
        lat_own=lat_own,
        tail=tail,
        retries=retries,
        cpu_extra=np.zeros((S, T)),
        mem=np.clip(42 + 6 * rng.random((S, 1)) + np.cumsum(rng.normal(0, 0.05, (S, T)), axis=1), 5, 95),
        disk=np.clip(30 + 20 * rng.random((S, 1)) + np.linspace(0, 0.5, T), 1, 99),
        pool_extra=np.zeros((S, T)),
        queue=np.abs(rng.normal(3.0, 2.0, (S, T))),
        cache_hit=np.where(np.array([k == "cache" for k in kinds])[:, None], 94 + rng.normal(0, 0.6, (S, T)), 0.0),
        capacity=np.full(S, np.inf),
        err_src=[{"base": np.full(T, svc.error_rate)} for svc in scenario.services],
        conn_src=[{} for _ in names],
    )
    st.cache_hit_base = np.median(st.cache_hit, axis=1)
    _carried_defaults(st)
    _operations(st)
    # Capacity from the fault-free load, so that a surge, a retry storm or a stampede saturates.
    st.particle_seed = int(rng.integers(0, 2**63))
    propagate(st, iterations=1, particles=False)
    peak = st.rps.max(axis=1)
    for i, svc in enumerate(scenario.services):
        # Another company's API does not saturate on our traffic (it rate-limits instead).
        default = np.inf if svc.kind == "external" else max(peak[i] * HEADROOM, 1.0)
        st.capacity[i] = svc.capacity_rps or default
    return st


def _operations(st: State) -> None:
    """Each declared operation with its own latency and callees; the service's own latency is
    their mix, weighted by share."""
    for i, svc in enumerate(st.scenario.services):
        if not svc.operations:
            continue
        idx = {n: k for k, n in enumerate(st.names)}
        base = st.lat_own[i]
        default = svc.latency_ms or BASE_LATENCY_MS[svc.kind]
        ops = [
            Op(
                name=o.name,
                route=o.route,
                share=o.share,
                writes=o.writes,
                calls=list(st.calls[i]) if o.calls is None else [idx[c] for c in o.calls if c in idx],
                lat=base * (o.latency_ms or default) / default,
            )
            for o in svc.operations
        ]
        rest = 1.0 - sum(o.share for o in ops)
        if rest > 1e-9:
            ops.append(Op("other", None, rest, False, list(st.calls[i]), base.copy()))
        st.ops[i] = ops
        st.lat_own[i] = sum(o.share * o.lat for o in ops) / sum(o.share for o in ops)


def _carried_defaults(st: State) -> None:
    """The time-carried inputs of a healthy system: every replica in service, nothing shed."""
    S, T = st.S, st.T
    svc = st.scenario.services
    st.instances = np.array([np.full(T, float(s.replicas)) for s in svc])
    st.ready_factor = np.ones((S, T))
    st.cap_factor = np.ones((S, T))
    st.shed = np.zeros((S, T))
    st.surge = np.ones((S, T))
    st.retry_budget = np.array([np.full(T, np.inf if s.retry_budget is None else s.retry_budget) for s in svc])
    st.consume = np.ones((S, T))
    st.stale = np.zeros((S, T), dtype=bool)
    st.logs_lost = np.zeros((S, T), dtype=bool)
    st.replication_lag_s = np.zeros((S, T))
    st.packet_loss = np.zeros((S, T))
    st.clock_skew_s = np.zeros((S, T))
    # A server queues what it cannot serve at once, for a bounded time: by default a tenth of
    # its shortest caller's timeout, so overload shows as 503s rather than as every call timing out.
    wait = np.zeros(S)
    for i, s in enumerate(svc):
        timeouts = [svc[c].timeout_ms for c in st.callers[i]] or [s.timeout_ms]
        wait[i] = (s.max_queue_ms if s.max_queue_ms is not None else 0.1 * min(timeouts)) / 1000.0
    st.max_wait_s = np.repeat(wait[:, None], T, axis=1)
    for i, s in enumerate(svc):
        if s.autoscale is not None:
            a = s.autoscale
            st.autoscale[i] = AutoscaleConfig(a.min, a.max, a.target_cpu, a.every, a.warmup)


def apply_faults(st: State, grid: float) -> list[dict]:
    """Apply every timeline fault; returns ground truth about each (for lint and debrief)."""
    truth = []
    for i, ev in enumerate(st.scenario.timeline):
        kind = FAULTS.get(ev.kind)
        if kind is None:  # a change: no harm by itself, consequences when its params say so
            if ev.kind in CHANGE_VOICES and (found := apply_change(st, i, ev)) is not None:
                truth.append(found)
            continue
        env, since = envelope(ev, st.t, grid, st.scenario.duration)
        ctx = FaultContext(
            st=st,
            s=st.index(ev.service),
            env=env,
            since=since,
            params=kind.resolve_params(ev.params),
            source=f"ev{i}",
            kind=kind,
            event=ev,
        )
        if ev.operation is not None and ctx.s in st.ops:
            _apply_to_operation(st, ctx)
        else:
            kind.apply(ctx)
        truth.append({"event": i, "kind": ev.kind, "service": ev.service, "at": ev.at, "end": ev.end})
    return truth


def _apply_to_operation(st: State, ctx: FaultContext) -> None:
    """A fault aimed at one operation: only that operation's requests slow down or fail, so the
    service's share of them is the operation's share."""
    s = ctx.s
    op = next(o for o in st.ops[s] if o.name == ctx.event.operation)
    before = st.lat_own[s].copy()
    ctx.kind.apply(ctx)
    op.lat = op.lat + (st.lat_own[s] - before)
    st.lat_own[s] = sum(o.share * o.lat for o in st.ops[s]) / sum(o.share for o in st.ops[s])
    for srcs in (st.err_src[s], st.conn_src[s]):
        if ctx.source in srcs:
            op.sources[ctx.source] = 1.0
            srcs[ctx.source] = srcs[ctx.source] * op.share


def _lognormal_sigma(p50: np.ndarray, p99: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(p99 / np.maximum(p50, 1e-6), 1.0001)) / Z99


def _op_weight(st: State, o: Op, c: int) -> np.ndarray:
    """Calls to `c` per request of operation `o`: none, one, or the misses of a cache it reads."""
    if c not in o.calls:
        return np.zeros(st.T)
    caches = [k for k in o.calls if st.kinds[k] == "cache"]
    if st.kinds[c] == "db" and caches and not o.writes:
        return np.clip((100.0 - st.cache_hit[caches[0]]) / 100.0, 0.0, 1.0)
    return np.ones(st.T)


def propagate(st: State, iterations: int = 4, particles: bool = True, carry: Carry | list[Carry] | None = None) -> None:
    """Load flows down the call graph, latency and errors flow back up; iterate for feedback
    (retries add load, load adds errors, errors add retries). `carry` resumes a run: `st` is a
    window (dojo.telemetry.resume) and each service starts from what it held before it; a list
    gives each pass the carry of the same pass of the run resumed."""
    S, T = st.S, st.T
    kinds = st.kinds
    # A caller that has a cache sends only its misses on to its databases: at 94 % hits the
    # database sees 6 % of the reads, and all of them while the cache is cold. Writes go to
    # the database whatever the cache holds.
    if st.cache_refill:  # a cold cache: first guess, the refill at normal traffic
        st.cache_base = st.cache_hit.copy()
        first_guess(st)
    _weights(st)

    conn_fail = np.zeros((S, T))
    for i in range(S):
        for rate in st.conn_src[i].values():
            conn_fail[i] = combine(conn_fail[i], rate)

    fail_static = {e: np.zeros(T) for e in st.edge_weight}
    p50_static = st.lat_own.copy()
    pools = pooled(st)
    pool: PoolState | None = None  # the pools as the last pass left them: their wait and failures feed the next
    st.flow_passes, st.pool_passes = [], []
    for it in range(iterations):
        now = carry[it] if isinstance(carry, list) else carry
        # Load, top down and bucket by bucket. Every attempt, retries included, is a request the
        # callee must serve; a service forwards only what it does not shed or reject.
        fl = flow(st, fail_static, p50_static, conn_fail, now)
        st.flow_passes.append(fl)
        rps, overload = fl.rps, fl.overload
        util = np.where(
            fl.capacity > 0, fl.admitted / np.maximum(fl.capacity, 1e-9), np.where(fl.admitted > 0, 2.0, 0.0)
        )
        queueing = 1.0 + 3.0 * np.clip((util - 0.7) / 0.3, 0.0, 1.0) ** 2 + 8.0 * np.clip(util - 1.0, 0.0, 3.0)
        cpu = np.clip(8.0 + 62.0 * np.minimum(util, 1.4) + st.cpu_extra, 0.0, 100.0)
        # A pinned cpu makes every request wait for a core: up to 10x its own time at 100 %.
        cpu_slow = 1.0 + 9.0 * np.clip((cpu - 85.0) / 15.0, 0.0, 1.0) ** 2

        own_err = np.zeros((S, T))
        for i in range(S):
            for rate in st.err_src[i].values():
                own_err[i] = combine(own_err[i], rate)
            own_err[i] = combine(own_err[i], overload[i])

        # Latency and errors, bottom up: once without the queue wait (what the next scan adds the
        # backlog's timeouts to), once with it (what callers see).
        work_p50 = st.lat_own * queueing * cpu_slow
        if pool is not None:
            work_p50 = work_p50 + pool.wait_s * 1000.0  # waiting for a connection is waiting
        self_p50 = work_p50 + fl.wait_s * 1000.0
        p50_static, _, _, fail_static, _ = _bottom_up(st, work_p50, own_err, conn_fail, particles=False)
        last = it == iterations - 1
        p50, p99, err, call_fail, call_parts = _bottom_up(
            st, self_p50, own_err, conn_fail, particles=particles and last and PARTICLES > 0
        )
        if pools and not last:
            start = None if now is None else now.pool_waiters
            pool = pool_pass(st, rps, fl.forward, fl.instances, p50, call_fail, start)
            st.pool_passes.append(pool)
            for i in pools:
                st.err_src[i][POOL_SOURCE] = pool.fail[i]
                # "pool saturated, n threads waiting": while requests wait, a few lines a minute.
                st.warn_rate[(i, POOL_SOURCE)] = np.where(pool.waiters[i] > 0.5, 6.0, 0.0)
        if st.cache_refill and not last:
            # A cold cache holds what this pass's requests asked for: the next pass sends the
            # databases behind it the misses of that (the last pass keeps the hit ratio it used).
            fl.warm = refill(st, fl.admitted, None if now is None else now.warm)
            _weights(st)

    st.rps, st.p50, st.p99, st.err, st.own_err = rps, p50, np.maximum(p99, p50), err, own_err
    st.cpu, st.overload, st.self_p50 = cpu, overload, self_p50
    st.call_fail = call_fail
    st.call_parts = call_parts
    st.wait_s, st.capacity_t, st.ready, st.forward = fl.wait_s, fl.capacity, fl.instances, fl.forward
    st.queue_age_s = fl.age_s
    st.pools = pool
    st.queue = st.queue + fl.depth
    st.flow_out = fl
    has_db = np.array([any(kinds[c] == "db" for c in st.calls[i]) for i in range(S)])
    st.pool = np.clip(
        np.where(has_db[:, None], 12.0 + 55.0 * np.minimum(util, 1.5), 4.0 + 6.0 * np.minimum(util, 1.0))
        + st.pool_extra,
        0.0,
        100.0,
    )
    if pool is not None:
        for i in pools:  # a declared pool: its use is what Little's law says is checked out
            used = 100.0 * np.divide(pool.in_use[i], pool.size[i], out=np.zeros(T), where=pool.size[i] > 0)
            st.pool[i] = np.clip(used + st.pool_extra[i], 0.0, 100.0)


def _weights(st: State) -> None:
    """Calls per request on every edge (and per operation): one, or a database's share of the
    reads its caller's cache misses. Again after each pass when a cold cache refills."""
    S, T, kinds = st.S, st.T, st.kinds
    cache_of = {i: [c for c in st.calls[i] if kinds[c] == "cache"] for i in range(S)}
    st.edge_weight = {}
    st.op_weight = {}
    for i in range(S):
        for c in st.calls[i]:
            w = np.ones(T)
            if i in st.ops:
                w = np.zeros(T)
                for o in st.ops[i]:
                    wo = _op_weight(st, o, c)
                    st.op_weight[(i, o.name, c)] = wo
                    w = w + o.share * wo
            elif kinds[c] == "db" and cache_of[i]:
                k = cache_of[i][0]
                miss = np.clip((100.0 - st.cache_hit[k]) / 100.0, 0.0, 1.0)
                w = WRITE_SHARE + (1.0 - WRITE_SHARE) * miss
            st.edge_weight[(i, c)] = w


def _bottom_up(st: State, self_p50: np.ndarray, own_err: np.ndarray, conn_fail: np.ndarray, particles: bool):
    """Latency and errors from the leaves up.

    The quick pass (used while load and retries settle) treats each service's latency as one
    lognormal. The final pass carries, per bucket, a set of latency particles per service: a
    caller's particles are its own work plus, per call, the attempts it makes (each capped at
    its timeout, retried on failure). That keeps the shapes a lognormal cannot hold (half the
    requests fast, half stuck in retries) so timeouts, metrics and sampled traces agree.
    """
    svc = st.scenario.services
    p50 = self_p50.copy()
    p99 = p50 * st.tail
    err = own_err.copy()
    call_fail, call_parts = {}, {}
    cloud: dict[int, np.ndarray] = {}
    for i in reversed(st.topo):
        # Streams of their own per service and per call, drawn from a seed fixed before any fault
        # applies: a fault changes the particles where it acts and nowhere else.
        rng = np.random.default_rng([st.particle_seed, i])
        timeout = svc[i].timeout_ms
        if particles:
            z = _STRATA[rng.permutation(PARTICLES)]
            sigma_own = np.log(np.maximum(st.tail[i], 1.0001)) / Z99
            total = self_p50[i][:, None] * np.exp(z[None, :] * sigma_own[:, None])
            op_of = None
            if i in st.ops:
                # Particles split over the operations by share; each has its own work and callees.
                op_of = _op_particles(st.ops[i])
                ratio = np.array([o.lat / np.maximum(st.lat_own[i], 1e-9) for o in st.ops[i]])  # (O,T)
                total = total * ratio[op_of].T
        for c in st.calls[i]:
            w = np.minimum(st.edge_weight[(i, c)], 1.0)
            r = st.retries[i]
            if particles:
                timed_out = (cloud[c] > timeout).mean(axis=1)
            else:
                sigma = _lognormal_sigma(p50[c], p99[c])
                timed_out = _normal_sf((np.log(timeout) - np.log(np.maximum(p50[c], 1e-6))) / np.maximum(sigma, 1e-6))
            # Refused, else failed by the callee, else timed out: the three parts add up to `first`.
            first = conn_fail[c] + err[c] * (1 - conn_fail[c]) + timed_out * (1 - conn_fail[c]) * (1 - err[c])
            final = first ** (r + 1)
            attempts = np.where(first < 0.999, (1 - first ** (r + 1)) / np.maximum(1 - first, 1e-9), r + 1)
            call_fail[(i, c)] = first
            denom = np.maximum(first, 1e-12)
            call_parts[(i, c)] = {
                "conn": final * conn_fail[c] / denom,
                "upstream": final * err[c] * (1 - conn_fail[c]) / denom,
                "timeout": final * timed_out * (1 - conn_fail[c]) * (1 - err[c]) / denom,
            }
            err[i] = combine(err[i], w * final)
            if particles:
                edge_rng = np.random.default_rng([st.particle_seed, i, c])
                wp = w
                if op_of is not None:
                    wp = np.array([st.op_weight[(i, o.name, c)] for o in st.ops[i]])[op_of].T  # (T,P)
                total = total + _call_time(edge_rng, cloud[c], wp, r, conn_fail[c], err[c], timeout, st.offset)
            else:
                # Each attempt waits for the callee, at most its timeout.
                p50[i] += w * np.minimum(p50[c], timeout) * np.minimum(attempts, r + 1)
                p99[i] += w * np.minimum(p99[c], timeout) * np.minimum(attempts, r + 1)
        if particles:
            cloud[i] = total
            p50[i], p99[i] = np.quantile(total, [0.5, 0.99], axis=1)
            if op_of is not None:
                _op_outcomes(st, i, op_of, total, own_err[i], call_fail, conn_fail)
    if particles:
        st.cloud = cloud
    return p50, np.maximum(p99, p50), err, call_fail, call_parts


def _op_particles(ops: list[Op]) -> np.ndarray:
    """(P,) the operation each latency particle belongs to, in proportion to the shares."""
    shares = np.array([o.share for o in ops])
    bounds = np.cumsum(shares / shares.sum()) * PARTICLES
    return np.minimum(np.searchsorted(bounds, np.arange(PARTICLES) + 0.5), len(ops) - 1)


def _op_outcomes(st: State, i: int, op_of: np.ndarray, total: np.ndarray, own_err, call_fail, conn_fail) -> None:
    """Each operation's latency percentiles from its particles, and its error rate: the service's
    own failures (a fault aimed at it in full) and the failed calls of its own callees."""
    for k, o in enumerate(st.ops[i]):
        mine = total[:, op_of == k]
        if mine.shape[1]:
            o.p50, o.p99 = np.quantile(mine, [0.5, 0.99], axis=1)
        else:
            o.p50 = o.p99 = np.zeros(st.T)
        # The service's own failures less those aimed at single operations (scaled by share),
        # plus those aimed at this one in full.
        aimed = np.zeros(st.T)
        for src, rate in st.err_src[i].items():
            if any(src in other.sources for other in st.ops[i]):
                aimed = combine(aimed, rate)
        err = 1.0 - (1.0 - own_err) / np.maximum(1.0 - aimed, 1e-9)
        for src, rate in st.err_src[i].items():
            if src in o.sources:
                err = combine(err, np.clip(rate / max(o.share, 1e-9), 0.0, 1.0))
        o.own = np.clip(err, 0.0, 1.0)
        for c in o.calls:
            r = st.retries[i]
            final = call_fail[(i, c)] ** (r + 1)
            err = combine(err, np.minimum(st.op_weight[(i, o.name, c)], 1.0) * final)
        o.err = np.clip(err, 0.0, 1.0)


def _call_time(rng, callee: np.ndarray, w, retries, conn, err, timeout: float, offset: int = 0) -> np.ndarray:
    """Per particle: time spent calling one dependency, attempts and retries included.

    Every draw is made for the whole run and a resumed window (from bucket `offset`) takes its
    own buckets' part, so a window's particles are the run's, bit for bit."""
    T, P = callee.shape

    def draw(fn):
        return fn((offset + T, P))[offset:]

    called = draw(rng.random) < (w if w.ndim == 2 else w[:, None])
    spent = np.zeros((T, P))
    still = called
    for a in range(int(retries.max(initial=0)) + 1):
        active = still & (a <= retries[:, None])
        if not active.any():
            break
        d = np.take_along_axis(callee, draw(lambda shape: rng.integers(0, P, shape)), axis=1)
        refused = draw(rng.random) < conn[:, None]
        failed = refused | (draw(rng.random) < err[:, None]) | (d > timeout)
        spent += np.where(active, np.where(refused, 1.0, np.minimum(d, timeout)), 0.0)
        still = active & failed
    return spent


def simulate(scenario: Scenario, t: np.ndarray, rng: np.random.Generator) -> tuple[State, list[dict]]:
    start = copy.deepcopy(dict(rng.bit_generator.state))
    st = initial_state(scenario, t, rng)
    st.rng_start = start
    st.flow_passes, st.pool_passes = [], []  # the sizing pass's: nothing resumes from them
    # The inputs before any event: what a run resumed mid-incident starts from (resume.py).
    # The generator is copied too: faults draw from it (a latency's jitter), and a resumed run
    # must draw what this run drew, not what follows it.
    st.prepared = copy.deepcopy(st, {id(scenario): scenario})
    truth = apply_faults(st, scenario.grid)
    propagate(st)
    pipeline_outages(st)
    return st, truth
