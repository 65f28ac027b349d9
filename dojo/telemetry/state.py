"""The simulated state the physics computes and the context a fault kind acts on.

Kept apart from the physics so the fault library can name these types without importing the
physics, which imports the fault library: the dependency goes one way (physics -> faults -> state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dojo.scenario.model import Scenario, TimelineEvent

# The default of the arrays the physics fills in before anything reads them: typed as the array
# it becomes, so each reader need not prove it is there.
LATER: Any = None


# A rate of 0 in every bucket: what a source contributes before it has a series of its own.
NO_RATE: np.ndarray = np.zeros(())


def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Probability that either of two independent failures happens."""
    return 1.0 - (1.0 - a) * (1.0 - b)


@dataclass
class Op:
    """One operation of a service: its share of the service's requests, its callees, its own
    latency; after propagation its own latency percentiles and error rate (each (T,))."""

    name: str
    route: str | None
    share: float
    writes: bool
    calls: list[int]  # callee indices
    lat: np.ndarray  # (T,) own median latency, ms
    p50: np.ndarray = LATER
    p99: np.ndarray = LATER
    err: np.ndarray = LATER
    own: np.ndarray = LATER  # (T,) its own failures, before any failed call: what its spans fail with
    sources: dict[str, float] = field(default_factory=dict)  # fault sources aimed at this operation: unscaled


@dataclass
class State:
    scenario: Scenario
    t: np.ndarray  # bucket starts, seconds
    names: list[str]
    kinds: list[str]
    calls: list[list[int]]
    callers: list[list[int]]
    topo: list[int]  # callers before callees
    rng: np.random.Generator
    # Inputs: baseline, then transformed by faults.
    demand: np.ndarray  # (S,T) entry requests/s
    lat_own: np.ndarray  # (S,T) own median latency, ms
    tail: np.ndarray  # (S,T) own p99/p50
    retries: np.ndarray  # (S,T) retries per failed call
    cpu_extra: np.ndarray  # (S,T) cpu % not explained by load
    mem: np.ndarray  # (S,T) %
    disk: np.ndarray  # (S,T) %
    pool_extra: np.ndarray  # (S,T) pool % held by something other than load
    queue: np.ndarray  # (S,T) messages waiting
    cache_hit: np.ndarray  # (S,T) % (meaningful for caches)
    capacity: np.ndarray  # (S,) requests/s before saturation
    # Own failures by source name ("base", "overload", "ev3"...), and failures of calls *to* a
    # service that happen on the caller's side (dns, tls, auth), by source.
    err_src: list[dict[str, np.ndarray]] = field(default_factory=list)
    conn_src: list[dict[str, np.ndarray]] = field(default_factory=list)
    # Extra log lines per minute by (service, source, template side).
    warn_rate: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    # (S,) fault-free cache hit %: the miss ratio callers' database calls are sized for.
    cache_hit_base: np.ndarray = LATER
    # Rate limits by (service, source): (quota requests/s, strength 0..1), both (T,). The share
    # rejected depends on the load that arrives, so propagate() turns them into err_src entries.
    limits: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # Outputs of propagate().
    rps: np.ndarray = LATER
    p50: np.ndarray = LATER
    p99: np.ndarray = LATER
    err: np.ndarray = LATER
    own_err: np.ndarray = LATER
    cpu: np.ndarray = LATER
    pool: np.ndarray = LATER
    call_fail: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # after retries
    call_parts: dict[tuple[int, int], dict[str, np.ndarray]] = field(default_factory=dict)
    edge_weight: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    overload: np.ndarray = LATER
    self_p50: np.ndarray = LATER  # own work only, without waiting on callees
    cloud: dict[int, np.ndarray] = field(default_factory=dict)  # (T, PARTICLES) latency samples per service
    particle_seed: int = 0
    # State carried across time (dojo.telemetry.flow), inputs set by faults and changes, all (S,T):
    instances: np.ndarray = LATER  # instances the service runs (scale changes; warm-up as a fraction)
    ready_factor: np.ndarray = LATER  # share of them serving (a restart takes them down and back)
    scaled_at: dict[int, set[int]] = field(default_factory=dict)  # service -> buckets a scale change set the count
    cap_factor: np.ndarray = LATER  # capacity multiplier (capacity removed, a GC pause...)
    shed: np.ndarray = LATER  # share of arriving requests shed at the door (503 before any work)
    surge: np.ndarray = LATER  # multiplier on all traffic arriving at a service
    retry_budget: np.ndarray = LATER  # retries allowed per request (inf: only `retries` limits them)
    max_wait_s: np.ndarray = LATER  # the longest a request may wait in a service's queue
    consume: np.ndarray = LATER  # consumers' speed as a share of normal (queues; 0: paused)
    drops: dict[int, dict[int, float]] = field(default_factory=dict)  # service -> bucket -> share of work dropped
    autoscale: dict[int, Any] = field(default_factory=dict)  # service -> flow.AutoscaleConfig
    stale: np.ndarray = LATER  # (S,T) True where the service's metrics are not collected
    logs_lost: np.ndarray = LATER  # (S,T) True where the service's log lines never reach the learner
    stale_mode: dict[int, int] = field(default_factory=dict)  # service -> 1: blank, 2: last value repeats
    replication_lag_s: np.ndarray = LATER  # (S,T) seconds a replica is behind (databases)
    packet_loss: np.ndarray = LATER  # (S,T) share of packets through a service that are lost
    clock_skew_s: np.ndarray = LATER  # (S,T) seconds the service's clock is off
    # Outputs of the flow scan, (S,T).
    wait_s: np.ndarray = LATER  # queue wait in front of the workers, seconds
    capacity_t: np.ndarray = LATER  # requests/s the ready instances serve
    ready: np.ndarray = LATER  # ready instances, autoscaler included
    queue_age_s: np.ndarray = LATER  # age of the oldest waiting message (queues)
    forward: np.ndarray = LATER  # share of arrivals worked on (not shed, rejected or over quota)
    pools: Any = None  # connpool.PoolState of the services that declare a pool, else None
    # Operations by service (only services that declare them; the remainder of the shares is an
    # implicit operation "other" that calls every callee).
    ops: dict[int, list[Op]] = field(default_factory=dict)
    # Requests and failed requests counted in each bucket (S,T): drawn with the metrics, and the
    # log lines of a bucket are sampled from them.
    req_count: np.ndarray | None = None
    err_count: np.ndarray | None = None
    # The same per operation, (O,T) by service (services that declare operations only).
    op_count: dict[int, np.ndarray] = field(default_factory=dict)
    op_err: dict[int, np.ndarray] = field(default_factory=dict)
    rng_start: dict | None = None  # the physics generator's state before the run, to run it again
    # The inputs before any timeline event applied (a copy made by simulate()): what a run resumed
    # at t starts from, so a change inserted mid-incident never re-draws the baseline.
    prepared: State | None = None
    offset: int = 0  # the scenario's bucket number of this state's first bucket (a resumed window)
    flow_out: Any = None  # the last flow.Flow: what each service carries from bucket to bucket
    # Every pass's flow.Flow and connpool.PoolState (propagate() solves a few passes for feedback):
    # a run resumed at t starts each pass from what the same pass carried into t, so the resumed
    # window is the run of the changed scenario itself, not an approximation of it.
    flow_passes: list = field(default_factory=list)
    pool_passes: list = field(default_factory=list)
    op_weight: dict[tuple[int, str, int], np.ndarray] = field(default_factory=dict)  # (service, op, callee) -> (T,)
    # Caches restarted cold, refilling by demand (dojo.telemetry.refill): service -> (absolute
    # bucket of the restart, share restarted, key space, normal requests/s), and the hit % the
    # faults leave them warm (S,T), kept by propagate() before the refill scales it.
    cache_refill: dict[int, list[tuple[int, float, float, float]]] = field(default_factory=dict)
    cache_base: np.ndarray = LATER

    @property
    def S(self) -> int:
        return len(self.names)

    @property
    def T(self) -> int:
        return len(self.t)

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class FaultContext:
    """What a fault kind's `apply` gets: the state, where and when it is active, its parameters."""

    st: State
    s: int  # the faulty service
    env: np.ndarray  # (T,) 0..1 strength over time
    since: np.ndarray  # (T,) seconds since onset (0 before)
    params: dict
    source: str  # error source name for attribution in logs and spans
    kind: Any  # the fault's FaultKind; not imported, the fault library depends on this module
    event: TimelineEvent

    @property
    def active(self) -> np.ndarray:
        return self.env > 0

    def add_error(self, rate: np.ndarray, s: int | None = None) -> None:
        s = self.s if s is None else s
        srcs = self.st.err_src[s]
        srcs[self.source] = combine(srcs.get(self.source, NO_RATE), np.clip(rate, 0.0, 1.0))

    def add_error_source(self, source: str, rate: np.ndarray, s: int | None = None) -> None:
        """Own failures under a keyed source of this fault (`ev3:stale`): logged in the words of
        the kind's event_logs[key], where a fault fails in more than one way."""
        s = self.s if s is None else s
        srcs = self.st.err_src[s]
        srcs[source] = combine(srcs.get(source, NO_RATE), np.clip(rate, 0.0, 1.0))

    def add_warn_source(self, source: str, per_min: np.ndarray, s: int | None = None) -> None:
        """Lines per minute of the kind's event_logs[key] for a keyed source (`ev3:storage_warn`)."""
        s = self.s if s is None else s
        self.st.warn_rate[(s, source)] = self.st.warn_rate.get((s, source), 0.0) + per_min

    def add_conn_failure(self, rate: np.ndarray, s: int | None = None) -> None:
        """Calls to the service fail before they reach it (seen and logged by the callers)."""
        s = self.s if s is None else s
        srcs = self.st.conn_src[s]
        srcs[self.source] = combine(srcs.get(self.source, NO_RATE), np.clip(rate, 0.0, 1.0))

    def add_limit(self, quota_rps: float | np.ndarray, s: int | None = None) -> None:
        """Requests beyond `quota_rps` are rejected while the fault is active (a rate limiter).
        Retries of rejected calls count against the quota too, which only propagate() knows."""
        s = self.s if s is None else s
        quota = np.broadcast_to(np.asarray(quota_rps, dtype=float), (self.st.T,))
        self.st.limits[(s, self.source)] = (quota, self.env)

    def add_event_lines(self, key: str, per_bucket: np.ndarray, s: int | None = None) -> None:
        """About `per_bucket` lines of the kind's event_logs[key] in each bucket (an OOM kill, a
        restart, a config reload): moments the fault marks itself, not a steady rate."""
        s = self.s if s is None else s
        k = (s, f"{self.source}:{key}")
        self.st.warn_rate[k] = self.st.warn_rate.get(k, 0.0) + per_bucket * 60.0 / self.st.scenario.grid

    @property
    def onset(self) -> np.ndarray:
        """(T,) True only in the first bucket the fault is active."""
        out = np.zeros(self.st.T, dtype=bool)
        if self.active.any():
            out[int(np.argmax(self.active))] = True
        return out

    @property
    def baseline_rps(self) -> np.ndarray:
        """Requests/s reaching the faulty service with no fault at all (initial_state propagates
        the fault-free load once, to size capacities, before any fault applies). For rates of
        lines about calls the fault rejects; not updated by other faults."""
        return self.st.rps[self.s].copy()

    def add_warn(self, per_min: np.ndarray, s: int | None = None) -> None:
        s = self.s if s is None else s
        key = (s, self.source)
        self.st.warn_rate[key] = self.st.warn_rate.get(key, 0.0) + per_min


def envelope(ev: TimelineEvent, t: np.ndarray, grid: float, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Strength 0..1 per bucket (fraction of the bucket the fault covers) and seconds since onset."""
    end = duration if ev.end is None else ev.end
    overlap = np.clip(np.minimum(t + grid, end) - np.maximum(t, ev.at), 0.0, grid) / grid
    since = np.clip(t + grid / 2 - ev.at, 0.0, None) * (t + grid > ev.at)
    return overlap, since
