"""State carried across time: backlogs, shedding, caches shielding databases, surges anywhere."""

import numpy as np

from dojo.scenario.model import Scenario
from dojo.telemetry.physics import simulate

GRID = 10.0


def tiny(services, timeline=(), duration="20m") -> Scenario:
    return Scenario.model_validate(
        {
            "id": "tiny",
            "title": "tiny",
            "difficulty": 1,
            "duration": duration,
            "seed": 5,
            "briefing": "test",
            "services": services,
            "timeline": list(timeline),
            "answer": {"accepted": [{"service": services[0]["name"], "fault": "no_fault"}]},
        }
    )


def run(sc: Scenario):
    t = np.arange(round(sc.duration / GRID)) * GRID
    st, _ = simulate(sc, t, np.random.default_rng(sc.seed))
    return st


def mean(a, t0, t1):
    return float(np.mean(a[int(t0 // GRID) : int(t1 // GRID)]))


CHAIN = [
    {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 100},
    {"name": "api", "kind": "http", "calls": ["db"], "capacity_rps": 200},
    {"name": "db", "kind": "db"},
]
SURGE = {"at": "5m", "kind": "traffic_surge", "service": "edge", "params": {"factor": 4}, "for": "5m"}


def test_a_shedding_hop_forwards_only_what_it_does_not_shed():
    st = run(tiny(CHAIN, [SURGE]))
    api, db = st.index("api"), st.index("db")
    shed = mean(st.overload[api], 360, 600)
    assert shed > 0.3  # 400 rps into 200 rps of capacity
    # The database sees the admitted requests only, about api's capacity.
    assert mean(st.rps[db], 360, 600) < 1.1 * 200
    assert abs(mean(st.rps[db], 360, 600) - mean(st.rps[api] * (1 - st.overload[api]), 360, 600)) < 1.0


def test_latency_under_saturation_is_bounded_by_the_queue():
    st = run(tiny(CHAIN, [SURGE]))
    api = st.index("api")
    # The default queue holds at most a tenth of the caller's 3 s timeout.
    assert st.wait_s[api].max() <= 0.3 + 1e-9
    assert mean(st.wait_s[api], 360, 600) > 0.2
    assert mean(st.wait_s[api], 0, 300) == 0.0
    # The backlog is state: it is drained after the surge, not in the same bucket.
    assert st.wait_s[api][61] == 0.0


def test_a_cache_shields_its_database_and_a_cold_one_does_not():
    services = [
        {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 100},
        {"name": "api", "kind": "http", "calls": ["cache", "db"]},
        {"name": "cache", "kind": "cache"},
        {"name": "db", "kind": "db"},
    ]
    cold = {"at": "5m", "kind": "cache_failure", "service": "cache", "params": {"hit_pct": 0}, "for": "5m"}
    st = run(tiny(services, [cold]))
    api, db = st.index("api"), st.index("db")
    warm_share = mean(st.rps[db], 0, 300) / mean(st.rps[api], 0, 300)
    # At ~94 % hits the database sees the writes (10 %) and the misses of the reads.
    assert 0.12 < warm_share < 0.2
    assert mean(st.rps[db], 360, 600) > 4 * mean(st.rps[db], 0, 300)


def test_a_surge_on_a_service_nobody_outside_calls_is_not_a_no_op():
    surge = {"at": "5m", "kind": "traffic_surge", "service": "api", "params": {"factor": 3}, "for": "5m"}
    st = run(tiny(CHAIN, [surge]))
    api, db = st.index("api"), st.index("db")
    assert mean(st.rps[api], 360, 600) > 2.5 * mean(st.rps[api], 0, 300)
    # It forwards the surge, up to what its capacity (200 rps) lets through.
    assert mean(st.rps[db], 360, 600) > 1.5 * mean(st.rps[db], 0, 300)


def test_a_skewed_clock_stamps_its_own_logs_and_spans():
    from dojo.telemetry.synthesize import synthesize

    services = [
        {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 50},
        {"name": "api", "kind": "http", "calls": ["auth"]},
        {"name": "auth", "kind": "http"},
    ]
    skew = {"at": "5m", "kind": "clock_skew", "service": "auth", "params": {"skew_s": 120, "leeway_s": 300}}
    plain, skewed = synthesize(tiny(services)), synthesize(tiny(services, [skew]))
    logs = skewed.logs.to_pandas()
    auth, api = logs[logs["service"] == "auth"], logs[logs["service"] == "api"]
    # Nothing of auth's before 5m (skewed it writes 7m); the others' clocks are right.
    assert not auth["t"].between(300, 420).any() and api["t"].between(300, 420).sum() > 100
    assert auth["t"].max() > 1200 - 1  # its last lines are stamped past the end of the window
    assert logs["t"].is_monotonic_increasing  # the aggregator sorts by the written time
    sp = skewed.spans
    child = sp[sp["service"] == "auth"].set_index("trace_id")["t"]
    parent = sp[sp["service"] == "api"].drop_duplicates("trace_id").set_index("trace_id")["t"]
    late = (child - parent.reindex(child.index)).dropna()
    assert (late[late > 100]).size > 0.5 * late.size  # children begin two minutes after their parents
    plain_logs = plain.logs.to_pandas()
    assert plain_logs[plain_logs["service"] == "auth"]["t"].between(300, 420).any()
