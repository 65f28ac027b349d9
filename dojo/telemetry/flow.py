"""Load flowing down the call graph bucket by bucket, with the state that carries across time.

The rest of the physics is solved for all buckets at once; what happens here cannot be: a
backlog left by one bucket is still there in the next, a queue fills while its consumers are
paused and drains after, an autoscaler acts on the cpu it saw a minute ago, and a caller's
retries depend on whether the callee's backlog already made its last calls time out. That last
loop is what makes a retry storm metastable: once a callee's queue wait exceeds its callers'
timeout, every call fails, every failure is retried, and the retries keep the queue full after
whatever started it has gone, until load is shed or capacity added.

Each service is scanned once, in call order (callers first), so a callee sees the whole series
its callers send it. The scan is causal: bucket j depends only on buckets <= j, which is what
lets an action inserted at time t leave everything before t untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .state import State

# A call fails by timeout when queue wait + own latency passes its caller's timeout; the ramp
# from 80 % to 120 % of the timeout stands for the spread of latencies around the median.
TIMEOUT_RAMP = (0.8, 0.4)


@dataclass
class Flow:
    """What the scan returns, each (S,T)."""

    rps: np.ndarray  # requests arriving (every attempt, retries included, shed ones included)
    admitted: np.ndarray  # requests/s let in (not shed, not over a quota)
    overload: np.ndarray  # share of arrivals rejected because the backlog was full
    forward: np.ndarray  # share of arrivals the service works on, and so calls its callees for
    wait_s: np.ndarray  # queue wait in front of the service's workers, seconds
    capacity: np.ndarray  # requests/s the ready instances can serve
    instances: np.ndarray  # ready instances (autoscaler included)
    depth: np.ndarray  # messages waiting in a queue (queue kind only)
    age_s: np.ndarray  # age of the oldest waiting message, seconds (queue kind only)
    backlog: np.ndarray  # requests waiting for a worker at the end of the bucket
    drained: np.ndarray  # messages/s consumers took from a queue (queue kind only)
    # Share of its key space a cache restarted cold holds at the end of each bucket (1 elsewhere),
    # as refilled by the requests this pass sent it (dojo.telemetry.refill).
    warm: np.ndarray | None = None  # set by the refill after the scan
    # Autoscaler state at the end of each bucket, by service: (extra instances, pending additions).
    scalers: dict[int, list[tuple[float, list[tuple[int, float]]]]] = field(default_factory=dict)

    def carry(self, j: int) -> Carry:
        """What every service holds at the end of bucket j: the start of a run resumed at j + 1."""
        return Carry(
            backlog=self.backlog[:, j].copy(),
            depth=self.depth[:, j].copy(),
            age=self.age_s[:, j].copy(),
            wait=self.wait_s[:, j].copy(),
            scalers={c: (snaps[j][0], list(snaps[j][1])) for c, snaps in self.scalers.items()},
            warm=None if self.warm is None else self.warm[:, j].copy(),
        )


@dataclass
class Carry:
    """The state a service carries from one bucket into the next, each (S,): requests waiting for
    a worker, messages waiting in a queue and the age of the oldest, the queue wait callers feel,
    and an autoscaler's instances and pending additions (absolute bucket numbers)."""

    backlog: np.ndarray
    depth: np.ndarray
    age: np.ndarray
    wait: np.ndarray
    scalers: dict[int, tuple[float, list[tuple[int, float]]]] = field(default_factory=dict)
    pool_waiters: np.ndarray | None = None  # requests waiting for a pooled connection (dojo.telemetry.connpool)
    warm: np.ndarray | None = None  # share of its keys a cache restarted cold holds (dojo.telemetry.refill)

    def holds(self, c: int) -> bool:
        return bool(self.backlog[c] > 0.0 or self.depth[c] > 0.0 or self.wait[c] > 0.0 or c in self.scalers)


@dataclass
class AutoscaleConfig:
    min: int
    max: int
    target_cpu: float
    every_s: float
    warmup_s: float
    read_cpu: np.ndarray | None = None  # (T,) the cpu the autoscaler reads where >= 0 (a broken metric)
    start: int = 0  # first bucket it acts in (an autoscaler nobody declared acts once it misbehaves)
    # New instances join the pool before they are ready and fail what they get until warm; the
    # failures are attributed to this error source (the misbehaving autoscaler's event).
    unready_source: str | None = None


def _arrivals(j, wait, demand, feeds, p50s, surge, shed, limits, lim_o) -> tuple[float, float]:
    """Arrivals and admissions in bucket j while the service has a queue wait its callers feel."""
    lo, width = TIMEOUT_RAMP
    arr = demand[j]
    for base, fs, retries, budget, timeout in feeds:
        b = base[j]
        if b <= 0.0:
            continue
        x = ((wait * 1000.0 + p50s[j]) / timeout - lo) / width
        tf = 0.0 if x <= 0.0 else 1.0 if x >= 1.0 else x
        f = 1.0 - (1.0 - fs[j]) * (1.0 - tf)
        a = attempts(f, retries[j])
        if a > 1.0 + budget[j]:
            a = 1.0 + budget[j]
        arr += b * a
    arr *= surge[j]
    adm = arr * (1.0 - shed[j])
    for quota, env, src in limits:
        rej = env[j] * (1.0 - quota[j] / adm) if adm > quota[j] else 0.0
        lim_o[src][j] = rej
        adm *= 1.0 - rej
    return arr, adm


def attempts(f: float, r: float) -> float:
    """Expected attempts per call when each fails independently with probability f, r retries."""
    if f < 0.999:
        return (1.0 - f ** (r + 1.0)) / (1.0 - f)
    return r + 1.0


def flow(
    st: State, fail_static: dict, p50_static: np.ndarray, conn_fail: np.ndarray, carry: Carry | None = None
) -> Flow:
    """Scan every service in call order, bucket by bucket.

    `fail_static[(i, c)]` is the chance a call from i to c fails for reasons other than c's
    backlog (errors, connection failures, plain slowness), from the previous pass; `p50_static`
    the callee's median latency without backlog. The backlog's share of timeouts is computed here,
    causally, from the wait the callee had one bucket earlier.

    `carry` resumes a run: `st` then holds only the buckets from `st.offset` on, and each service
    starts from what it held at the end of the bucket before (see dojo.telemetry.resume)."""
    S, T, grid = st.S, st.T, float(st.scenario.grid)
    svc = st.scenario.services
    out = Flow(*(np.zeros((S, T)) for _ in range(11)))  # type: ignore[arg-type]  # the arrays, not the scalers
    out.forward[:] = 1.0
    for c in st.topo:
        feeds = []
        for i in st.callers[c]:
            base = out.rps[i] * out.forward[i] * st.edge_weight[(i, c)] * (1.0 - conn_fail[c])
            feeds.append(
                (base, np.asarray(fail_static[(i, c)]), st.retries[i], st.retry_budget[i], float(svc[i].timeout_ms))
            )
        # A worker that consumes a queue works on what the queue hands it, besides any traffic of its own.
        demand = st.demand[c]
        queue = svc[c].consumes
        if queue is not None and queue in st.names:
            demand = demand + out.drained[st.index(queue)]
        calm = _calm(st, c, feeds, p50_static[c], demand)
        if st.kinds[c] == "queue":
            calm["drain"] = _drain(st, c, calm["cap"])
        if (carry is not None and carry.holds(c)) or not _settled(st, c, calm, out):
            _scan_one(st, c, feeds, p50_static[c].tolist(), grid, out, calm, carry)
    return out


def _drain(st: State, c: int, own: np.ndarray) -> np.ndarray:
    """Messages/s a queue's consumers can take: its workers' capacity (ready instances, restarts,
    pauses included) when workers consume it, else the queue's own."""
    workers = [w for w, s in enumerate(st.scenario.services) if s.consumes == st.names[c]]
    if not workers:
        return own
    rate = np.zeros(st.T)
    for w in workers:
        live = np.maximum(st.instances[w], 0.0) * st.ready_factor[w] * st.cap_factor[w] * st.consume[w]
        per_inst = float(st.capacity[w]) / max(float(st.scenario.services[w].replicas), 1.0)
        # Before capacities are sized (the first, fault-free pass) a worker keeps up with anything.
        rate = rate + (np.where(live > 0, np.inf, 0.0) if np.isinf(per_inst) else per_inst * live)
    return rate


def _calm(st: State, c: int, feeds: list, p50s: np.ndarray, demand: np.ndarray) -> dict:
    """Arrivals, admissions and quota rejections per bucket as they are when the service has no
    backlog (so its callers see no queue wait): all buckets at once. The scan uses these values
    wherever the wait is zero, so both paths give the same bits."""
    lo, width = TIMEOUT_RAMP
    arr = demand.copy()
    for base, fs, retries, budget, timeout in feeds:
        tf = np.clip((p50s / timeout - lo) / width, 0.0, 1.0)
        f = 1.0 - (1.0 - fs) * (1.0 - tf)
        a = np.where(f < 0.999, (1.0 - f ** (retries + 1.0)) / np.maximum(1.0 - f, 1e-12), retries + 1.0)
        arr = arr + base * np.minimum(a, 1.0 + budget)
    arr = arr * st.surge[c]
    adm = arr * (1.0 - st.shed[c])
    rej = {}
    for (s, src), (quota, env) in st.limits.items():
        if s == c:
            r = np.where(adm > quota, env * (1.0 - quota / np.where(adm > 0, adm, 1.0)), 0.0)
            rej[src] = r
            adm = adm * (1.0 - r)
    replicas = max(float(st.scenario.services[c].replicas), 1.0)
    cap = float(st.capacity[c]) / replicas * np.maximum(st.instances[c], 0.0) * st.ready_factor[c] * st.cap_factor[c]
    return {"arr": arr, "adm": adm, "rej": rej, "cap": cap, "demand": demand}


def _settled(st: State, c: int, calm: dict, out: Flow) -> bool:
    """Fill in service c at once when nothing carries over: never more admitted than it can serve,
    no queue, no autoscaler, no restart. False when it needs the bucket-by-bucket scan."""
    arr, adm, cap = calm["arr"], calm["adm"], calm["cap"]
    if st.kinds[c] == "queue" or c in st.autoscale or st.drops.get(c):
        return False
    if not np.all(np.isinf(cap) | ((cap > 0) & (adm <= cap))):
        return False
    out.rps[c], out.admitted[c], out.overload[c] = arr, adm, 0.0
    out.forward[c] = np.where(arr > 0, adm / np.where(arr > 0, arr, 1.0), 1.0)
    out.wait_s[c], out.capacity[c], out.instances[c] = 0.0, cap, st.instances[c] * st.ready_factor[c]
    for src, r in calm["rej"].items():
        st.err_src[c][src] = r
    return True


def _scan_one(
    st: State, c: int, feeds: list, p50s: list, grid: float, out: Flow, calm: dict, carry: Carry | None
) -> None:
    T, off = st.T, st.offset
    feeds = [(b.tolist(), f.tolist(), r.tolist(), u.tolist(), to) for b, f, r, u, to in feeds]
    arr0, adm0 = calm["arr"].tolist(), calm["adm"].tolist()
    rej0 = {src: r.tolist() for src, r in calm["rej"].items()}
    cap0 = calm["cap"].tolist()
    kind = st.kinds[c]
    demand = calm["demand"].tolist()
    drain = calm.get("drain", calm["cap"]).tolist()
    surge = st.surge[c].tolist()
    shed = st.shed[c].tolist()
    base_inst = st.instances[c].tolist()
    cap_factor = st.cap_factor[c].tolist()
    ready_factor = st.ready_factor[c].tolist()
    scaled_at = st.scaled_at.get(c, set())
    max_wait = st.max_wait_s[c].tolist()
    consume = st.consume[c].tolist()
    drops = st.drops.get(c, {})
    replicas = max(float(st.scenario.services[c].replicas), 1.0)
    per_inst = float(st.capacity[c]) / replicas
    limits = [(q.tolist(), e.tolist(), src) for (s, src), (q, e) in st.limits.items() if s == c]
    auto = st.autoscale.get(c)
    scaler = _Autoscaler(auto, replicas, grid) if auto is not None else None

    rps, adm_o, over_o, fwd_o, wait_o, cap_o, inst_o, depth_o, age_o, backlog_o, took_o = ([0.0] * T for _ in range(11))
    lim_o = {src: [0.0] * T for _, _, src in limits}
    unready_o = [0.0] * T
    snaps: list[tuple[float, list[tuple[int, float]]]] = []
    backlog = depth = age = wait = 0.0
    if carry is not None:
        backlog, depth, age, wait = (float(x[c]) for x in (carry.backlog, carry.depth, carry.age, carry.wait))
        if scaler and c in carry.scalers:
            scaler.extra, scaler.pending = carry.scalers[c][0], list(carry.scalers[c][1])
    for j in range(T):  # the window's bucket; j + off is the scenario's
        if wait == 0.0:
            arr, adm = arr0[j], adm0[j]
            for src in lim_o:
                lim_o[src][j] = rej0[src][j]
        else:
            arr, adm = _arrivals(j, wait, demand, feeds, p50s, surge, shed, limits, lim_o)
        if scaler and j + off in scaled_at:
            scaler.reset()
        inst = max(base_inst[j] + (scaler.ready(j + off) if scaler else 0.0), 0.0)
        cap = cap0[j] if not scaler else per_inst * inst * ready_factor[j] * cap_factor[j]
        if j + off in drops:  # a restart drops the work in flight
            backlog *= 1.0 - drops[j + off]
        over = 0.0
        if kind == "queue":
            # Publishes are accepted; consumers take what they can, the rest waits.
            rate = (drain[j] if not scaler else cap) * consume[j]
            depth += adm * grid
            taken = min(depth, rate * grid) if rate > 0.0 else 0.0
            depth -= taken
            if depth < 1.0:
                age = 0.0
            else:
                age = min(age + grid, depth / (taken / grid)) if taken > 0.0 else age + grid
            depth_o[j], age_o[j], took_o[j] = depth, age, taken / grid
            wait = 0.0
        elif math.isinf(cap):
            backlog, wait = 0.0, 0.0
        elif cap <= 0.0:
            over, backlog, wait = (1.0 if adm > 0 else 0.0), 0.0, 0.0
        else:
            backlog += adm * grid
            backlog -= min(backlog, cap * grid)
            limit = cap * max_wait[j]
            if backlog > limit:
                over = (backlog - limit) / (adm * grid) if adm > 0 else 0.0
                backlog = limit
            wait = backlog / cap
        if scaler:
            scaler.observe(j + off, adm, cap, inst)
            snaps.append((scaler.extra, list(scaler.pending)))
            if scaler.cfg.unready_source is not None:
                waiting = sum(n for _, n in scaler.pending)
                unready_o[j] = waiting / (inst + waiting) if inst + waiting > 0 else 0.0
        rps[j] = arr
        adm_o[j] = adm
        over_o[j] = min(over, 1.0)
        fwd_o[j] = (adm / arr if arr > 0 else 1.0) * (1.0 - over_o[j])
        wait_o[j], cap_o[j], inst_o[j] = wait, cap, inst * ready_factor[j]
        backlog_o[j] = backlog
    out.rps[c], out.admitted[c], out.overload[c], out.forward[c] = rps, adm_o, over_o, fwd_o
    out.wait_s[c], out.capacity[c], out.instances[c] = wait_o, cap_o, inst_o
    out.depth[c], out.age_s[c], out.backlog[c], out.drained[c] = depth_o, age_o, backlog_o, took_o
    if scaler:
        out.scalers[c] = snaps
    for src, values in lim_o.items():
        st.err_src[c][src] = np.array(values)
    if scaler and scaler.cfg.unready_source is not None:
        st.err_src[c][scaler.cfg.unready_source] = np.array(unready_o)


class _Autoscaler:
    """A horizontal autoscaler: every `every_s` it sizes the service for its cpu target from the
    cpu it sees (which lags, and which a failing upstream drives down); new instances serve only
    after `warmup_s`, removed ones stop at once."""

    def __init__(self, cfg, replicas: float, grid: float):
        self.cfg, self.grid = cfg, grid
        self.extra = 0.0  # ready instances above or below the base
        self.pending: list[tuple[int, float]] = []  # (bucket it becomes ready, count)
        self.every = max(1, round(cfg.every_s / grid))
        self.warm = max(1, round(cfg.warmup_s / grid))

    def reset(self) -> None:
        """A person set the count by hand: the autoscaler starts over from it."""
        self.extra, self.pending = 0.0, []

    def ready(self, j: int) -> float:
        while self.pending and self.pending[0][0] <= j:
            self.extra += self.pending.pop(0)[1]
        return self.extra

    def observe(self, j: int, adm: float, cap: float, inst: float) -> None:
        if j % self.every or j < self.cfg.start:
            return
        cfg = self.cfg
        util = adm / cap if cap > 0 else (2.0 if adm > 0 else 0.0)
        cpu = cfg.read_cpu[j] if cfg.read_cpu is not None and cfg.read_cpu[j] >= 0 else 8.0 + 62.0 * min(util, 1.4)
        total = inst + sum(n for _, n in self.pending)
        want = min(max(math.ceil(max(inst, 1.0) * cpu / cfg.target_cpu), cfg.min), cfg.max)
        if want > total:
            self.pending.append((j + self.warm, want - total))
        elif want < inst:
            self.extra -= inst - want
