"""A cache restarted cold refills by demand: the requests it gets ask for its keys. Shedding load
to protect the database behind it slows the refill, so the database stays exposed for longer."""

import numpy as np

from .test_physics_state import mean, run, tiny

SERVICES = [
    {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 200},
    {"name": "api", "kind": "http", "calls": ["cache", "db"]},
    {"name": "cache", "kind": "cache"},
    {"name": "db", "kind": "db"},
]
RESTART = {"at": "5m", "kind": "restart", "service": "cache", "params": {"warmup_s": 60}}
SHED = {"at": "5m", "kind": "config_change", "service": "edge", "params": {"shed": 0.8}, "for": "10m"}


def _recovered(st, cache: int, frac: float = 0.9) -> float:
    """Seconds after the restart until the hit ratio is back to `frac` of its warm value."""
    base = float(np.median(st.cache_hit[cache][:25]))
    after = np.nonzero(st.cache_hit[cache][31:] >= frac * base)[0]
    return float(after[0] + 1) * 10.0 if len(after) else np.inf


def test_a_cold_cache_refills_with_the_requests_it_gets():
    full = run(tiny(SERVICES, [RESTART]))
    shed = run(tiny(SERVICES, [RESTART, SHED]))
    cache = full.index("cache")
    # Right after the restart it holds nothing.
    assert full.cache_hit[cache][30] < 0.3 * full.cache_hit[cache][20]
    # At normal traffic it is back in about its warm-up...
    assert _recovered(full, cache) <= 200
    # ...with a fifth of the traffic it takes about five times as long.
    assert _recovered(shed, cache) > 3 * _recovered(full, cache)
    assert mean(shed.cache_hit[cache], 330, 420) < 0.6 * mean(full.cache_hit[cache], 330, 420)


def test_the_database_sees_the_misses_for_as_long_as_the_cache_is_cold():
    full = run(tiny(SERVICES, [RESTART]))
    shed = run(tiny(SERVICES, [RESTART, SHED]))
    db, api = full.index("db"), full.index("api")
    # Database calls per api request: many more while the shed cache is still cold.
    share = lambda st: mean(st.rps[db], 400, 600) / mean(st.rps[api] * st.forward[api], 400, 600)  # noqa: E731
    assert share(shed) > 2 * share(full)


def test_the_refill_depends_on_traffic_not_on_the_clock():
    """Twice the traffic over twice the key space refills in the same time."""
    double = [dict(SERVICES[0], rps=400), *SERVICES[1:]]
    a = run(tiny(SERVICES, [dict(RESTART, params={"warmup_s": 60, "keys": 20000})]))
    b = run(tiny(double, [dict(RESTART, params={"warmup_s": 60, "keys": 40000})]))
    c = a.index("cache")
    assert abs(_recovered(a, c) - _recovered(b, c)) <= 20
    slow = run(tiny(SERVICES, [dict(RESTART, params={"warmup_s": 60, "keys": 80000})]))
    assert _recovered(slow, c) > 2 * _recovered(a, c)


def test_an_action_mid_refill_is_the_changed_scenarios_own_run():
    from .test_actions_match_a_full_run import _check

    _check(
        tiny(SERVICES, [RESTART], duration="15m"),
        {"at": 333.0, "kind": "config_change", "service": "edge", "params": {"shed": 0.8}},
    )
