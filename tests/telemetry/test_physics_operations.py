"""Operations: a service's routes with their own share, callees and latency; faults aimed at one."""

from .test_physics_state import mean, run, tiny

API = {
    "name": "api",
    "kind": "http",
    "calls": ["cache", "db"],
    "operations": [
        {"name": "get", "route": "GET /api/v1/items/{id}", "share": 0.8, "calls": ["cache", "db"], "latency_ms": 20},
        {
            "name": "put",
            "route": "PUT /api/v1/items/{id}",
            "share": 0.2,
            "calls": ["db"],
            "writes": True,
            "latency_ms": 60,
        },
    ],
}
SERVICES = [
    {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 100},
    API,
    {"name": "cache", "kind": "cache"},
    {"name": "db", "kind": "db"},
]


def ops(st):
    return {o.name: o for o in st.ops[st.index("api")]}


def test_each_operation_has_its_own_rate_of_calls():
    st = run(tiny(SERVICES))
    api, db, cache = st.index("api"), st.index("db"), st.index("cache")
    # Only reads ask the cache; writes and read misses reach the database.
    assert abs(mean(st.rps[cache] / st.rps[api], 0, 600) - 0.8) < 0.01
    miss = 1 - mean(st.cache_hit[cache], 0, 600) / 100
    assert abs(mean(st.rps[db] / st.rps[api], 0, 600) - (0.2 + 0.8 * miss)) < 0.02


def test_each_operation_has_its_own_latency():
    st = run(tiny(SERVICES))
    o = ops(st)
    assert mean(o["put"].p50, 0, 600) > 2 * mean(o["get"].p50, 0, 600)


def test_a_fault_aimed_at_one_operation_fails_only_its_requests():
    defect = {
        "at": "5m",
        "kind": "code_defect",
        "service": "api",
        "operation": "put",
        "for": "5m",
        "params": {"tenant_share": 0.5},
    }
    st = run(tiny(SERVICES, [defect]))
    o, api = ops(st), st.index("api")
    put_err, get_err = mean(o["put"].err, 330, 600), mean(o["get"].err, 330, 600)
    assert put_err > 0.2 and get_err < 0.02
    # The service as a whole fails in proportion to the operation's share.
    assert abs(mean(st.err[api], 330, 600) - 0.2 * put_err) < 0.03
    # Reads and writes recover separately: writes recover when the defect ends.
    assert mean(o["put"].err, 630, 900) < 0.02


def test_a_slow_write_path_moves_the_tail_not_the_median():
    slow = {"at": "5m", "kind": "dependency_latency", "service": "api", "operation": "put", "params": {"added_ms": 800}}
    st = run(tiny(SERVICES, [slow]))
    o, api = ops(st), st.index("api")
    assert mean(o["put"].p50, 330, 600) > 800
    assert mean(o["get"].p50, 330, 600) < 100
    assert mean(st.p99[api], 330, 600) > 800 and mean(st.p50[api], 330, 600) < 200


def test_a_database_outage_fails_writes_fully_and_reads_only_on_misses():
    down = {"at": "5m", "kind": "crash_loop", "service": "db", "params": {"uptime_s": 5}}
    st = run(tiny(SERVICES, [down]))
    o = ops(st)
    assert mean(o["put"].err, 400, 1200) > 3 * mean(o["get"].err, 400, 1200)
