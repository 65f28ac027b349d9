"""Connection pools as carried state: Little's law, waiters, exhaustion when the callee slows."""

import numpy as np

from dojo.telemetry.actions import insert_event

from .test_physics_state import mean, run, tiny

# 100 rps over 3 instances of 10 connections; a 4 ms database holds 0.4 connection on average.
POOLED = [
    {"name": "edge", "kind": "lb", "calls": ["orders"], "rps": 100},
    {"name": "orders", "kind": "http", "calls": ["orders-db"], "pool": {"size": 10, "timeout_ms": 500}},
    {"name": "orders-db", "kind": "db"},
]
SLOW_DB = {"at": "5m", "kind": "dependency_latency", "service": "orders-db", "params": {"added_ms": 400}, "for": "5m"}


def test_connections_in_use_follow_littles_law():
    st = run(tiny(POOLED))
    orders, db = st.index("orders"), st.index("orders-db")
    lam = st.rps[orders] * st.forward[orders]
    expected = lam * st.p50[db] / 1000.0
    assert np.allclose(st.pools.in_use[orders], expected, rtol=0.05)
    assert mean(st.pool[orders], 60, 1200) < 5  # 0.4 of 30 connections
    assert st.pools.waiters[orders].max() == 0.0


def test_a_slow_callee_drains_the_pool_and_requests_wait_then_fail():
    st = run(tiny(POOLED, [SLOW_DB]))
    orders, db = st.index("orders"), st.index("orders-db")
    # 100 checkouts/s x ~0.4 s = 40 connections wanted, 30 held: the pool is full, requests queue.
    assert mean(st.pool[orders], 360, 590) > 99
    assert mean(st.pools.waiters[orders], 360, 590) > 5
    assert mean(st.pools.wait_s[orders], 360, 590) > 0.1
    assert mean(st.err_src[orders]["pool"], 360, 590) > 0.1  # those past the pool's timeout give up
    assert mean(st.own_err[orders], 360, 590) > 0.1
    # The database sees fewer calls than before, not more: it is not what is overloaded.
    assert mean(st.rps[db], 360, 590) < mean(st.rps[db], 60, 290)
    # After the callee recovers, the waiters go and the pool returns to a few connections.
    assert mean(st.pool[orders], 700, 1200) < 5 and st.pools.waiters[orders][70:].max() == 0.0


def test_waiters_build_up_bucket_by_bucket_and_are_carried_into_a_resumed_run():
    # A little short of connections, with a long pool timeout: the queue of waiters grows for minutes.
    services = [dict(s) for s in POOLED]
    services[1] = {**services[1], "pool": {"size": 10, "timeout_ms": 60000}, "timeout_ms": 90000}
    services[0] = {**services[0], "timeout_ms": 90000}
    slow = {**SLOW_DB, "params": {"added_ms": 330}}
    st = run(tiny(services, [slow]))
    orders = st.index("orders")
    w = st.pools.waiters[orders]
    assert 0 < w[32] < w[38] < w[44] < w[50]
    after, _ = insert_event(st, {"at": "7m", "kind": "config_change", "service": "orders"})
    # Resumed at 7m, the waiters go on from where they were (from nothing they would be ~w[32]).
    assert abs(after.pools.waiters[orders][44] - w[44]) < 0.2 * w[44]


def test_a_dry_pool_speaks_in_metrics_logs_and_spans():
    from dojo.telemetry.synthesize import synthesize

    tel = synthesize(tiny(POOLED, [SLOW_DB]))
    m = tel.metrics
    waiters = m[(m["service"] == "orders") & (m["metric"] == "pool_waiters")]
    assert waiters[waiters["t"].between(360, 590)]["value"].mean() > 5
    assert waiters[waiters["t"] < 290]["value"].max() == 0
    assert not ((m["service"] == "orders-db") & (m["metric"] == "pool_waiters")).any()  # no pool, no count
    logs = tel.logs.to_pandas()
    msgs = logs[logs["service"] == "orders"]["message"].tolist()
    assert any("Connection is not available, request timed out after 500ms" in x for x in msgs)
    assert any("connection pool saturated: 10/10 in use" in x for x in msgs)
    assert (tel.spans["message"] == "connection pool timeout").any()
