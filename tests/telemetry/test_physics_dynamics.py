"""Dynamics that fall out of carried state: metastable storms, and changes with consequences."""

import numpy as np
import pytest

from .test_physics_state import mean, run, tiny

CHAIN = [
    {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 100},
    {"name": "api", "kind": "http", "calls": ["backend"], "timeout_ms": 1000},
    {"name": "backend", "kind": "http"},
]
BLIP = {"at": "5m", "kind": "dependency_latency", "service": "backend", "params": {"added_ms": 1500}, "for": "2m"}
STORM = {"at": "4m", "kind": "metastable_retry_storm", "service": "api", "params": {"factor": 4}}
BUDGET = {"at": "14m", "kind": "config_change", "service": "api", "params": {"retry_budget": 0.1}}


def load(st, name):
    i = st.index(name)
    return st.rps[i] / st.capacity_t[i]


def test_a_metastable_storm_outlives_its_trigger_until_load_is_shed():
    st = run(tiny(CHAIN, [BLIP, STORM, BUDGET], duration="25m"))
    backend = load(st, "backend")
    assert mean(backend, 0, 240) < 0.6
    # The blip ended at 7m; the storm holds the backend above its capacity for 7 more minutes...
    assert mean(backend, 480, 840) > 1.5
    assert min(backend[48:84]) > 1.0
    # ...until a retry budget sheds the retries, and it drains.
    assert mean(backend, 960, 1500) < 0.6
    api = st.index("api")
    assert mean(st.err[api], 480, 840) > 0.5
    assert mean(st.err[api], 960, 1500) < 0.05


def test_the_same_blip_without_the_unbounded_queue_ends_with_its_trigger():
    retry = {"at": "4m", "kind": "retry_storm", "service": "api", "params": {"factor": 4}}
    st = run(tiny(CHAIN, [BLIP, retry], duration="25m"))
    assert mean(load(st, "backend"), 540, 840) < 0.6


def test_shedding_at_the_door_also_ends_the_storm():
    shed = {"at": "14m", "kind": "feature_flag", "service": "edge", "params": {"shed": 0.7, "flag": "shed-checkout"}}
    st = run(tiny(CHAIN, [BLIP, STORM, shed], duration="25m"))
    backend = load(st, "backend")
    assert mean(backend, 480, 840) > 1.5
    assert mean(backend, 960, 1500) < 0.6


SHOP = [
    {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 100},
    {"name": "api", "kind": "http", "calls": ["cache", "db", "jobs"], "replicas": 6},
    {"name": "cache", "kind": "cache"},
    {"name": "db", "kind": "db"},
    {"name": "jobs", "kind": "queue"},
]


def test_a_scale_in_raises_per_instance_load_and_cpu():
    st = run(tiny(SHOP, [{"at": "5m", "kind": "scale", "service": "api", "params": {"replicas": 2}}]))
    api = st.index("api")
    assert mean(st.ready[api], 0, 300) == 6 and mean(st.ready[api], 310, 600) == 2
    per_before = mean(st.rps[api] / st.ready[api], 0, 300)
    assert mean(st.rps[api] / st.ready[api], 310, 600) > 2.5 * per_before
    assert mean(st.cpu[api], 310, 600) > mean(st.cpu[api], 0, 300) + 20


def test_a_scale_out_serves_only_after_warm_up():
    out = {"at": "5m", "kind": "scale", "service": "api", "params": {"replicas": 12, "warmup_s": 120}}
    st = run(tiny(SHOP, [out]))
    api = st.index("api")
    assert st.ready[api][30] < 7 and st.ready[api][33] < 12 and st.ready[api][45] == 12


def test_a_restart_empties_the_cache_and_the_database_sees_the_misses():
    restart = {"at": "5m", "kind": "restart", "service": "cache", "params": {"warmup_s": 180}}
    st = run(tiny(SHOP, [restart]))
    cache, db = st.index("cache"), st.index("db")
    assert st.cache_hit[cache][30] < 10
    assert st.rps[db][30] > 4 * mean(st.rps[db], 0, 300)
    # It warms back gradually, not in one bucket.
    assert 10 < st.cache_hit[cache][45] < 85
    assert mean(st.cache_hit[cache], 1000, 1200) > 85


def test_a_restart_drops_work_in_flight_and_capacity_returns_over_warm_up():
    restart = {"at": "5m", "kind": "restart", "service": "api", "params": {"warmup_s": 120}}
    st = run(tiny(SHOP, [restart]))
    api = st.index("api")
    assert st.err[api][30] > 0.2
    assert st.ready[api][31] < 1.5 and 2 < st.ready[api][36] < 5 and st.ready[api][45] == 6


def test_a_flag_that_pauses_consumers_fills_the_queue_and_ages_its_messages():
    pause = {"at": "5m", "kind": "feature_flag", "service": "jobs", "params": {"consumers": 0}, "for": "5m"}
    st = run(tiny(SHOP, [pause]))
    jobs = st.index("jobs")
    assert mean(st.queue[jobs], 0, 300) < 20
    assert st.queue[jobs][59] > 10 * st.queue[jobs][32] > 0
    assert st.queue_age_s[jobs][59] == pytest.approx(300, abs=15)
    # Resumed at 10m, the consumers drain the backlog.
    assert st.queue[jobs][100] < 20 and st.queue_age_s[jobs][100] == 0


def test_a_change_can_set_off_a_fault():
    wrong = {"at": "5m", "kind": "config_change", "service": "api", "params": {"fault": "retry_storm", "factor": 3}}
    sc = tiny(SHOP, [wrong])
    st = run(sc)
    assert np.all(st.retries[st.index("api")][31:] == 3)
    assert np.all(st.retries[st.index("api")][:30] == 0)


def test_an_autoscaler_scales_in_when_load_vanishes_then_lacks_capacity():
    services = [dict(s) for s in CHAIN]
    services[1] = {**services[1], "replicas": 6, "autoscale": {"min": 2, "max": 6, "target_cpu": 60, "warmup": "3m"}}
    # The edge stops sending most traffic (a failing upstream hides the load), then it returns.
    hide = {"at": "3m", "kind": "feature_flag", "service": "edge", "params": {"shed": 0.9}, "for": "6m"}
    st = run(tiny(services, [hide], duration="20m"))
    api = st.index("api")
    assert st.ready[api][50] < 6  # scaled in on the low cpu
    back = st.rps[api][56:62] / st.capacity_t[api][56:62]
    assert back.max() > 0.9  # the load is back before the instances are
    assert st.ready[api][110] > st.ready[api][50]


def test_a_scale_by_hand_on_an_autoscaled_service_sets_the_count_it_starts_over_from():
    services = [dict(s) for s in SHOP]
    services[1] = {**services[1], "autoscale": {"min": 2, "max": 10, "warmup": "2m"}}
    scale = {"at": "8m", "kind": "scale", "service": "api", "params": {"replicas": 2}}
    st = run(tiny(services, [scale]))
    api = st.index("api")
    # It had scaled in on its own before; the operator's 2 are 2, not 2 minus what it removed.
    assert st.ready[api][40] < 6
    assert st.ready[api][49] == 2
    assert st.capacity_t[api][48:].min() > 0


def test_a_restart_of_an_autoscaled_service_comes_back_to_its_count():
    services = [dict(s) for s in SHOP]
    services[1] = {**services[1], "autoscale": {"min": 2, "max": 10, "warmup": "2m"}}
    st = run(tiny(services, [{"at": "8m", "kind": "restart", "service": "api", "params": {"warmup_s": 60}}]))
    api = st.index("api")
    assert st.ready[api][48] < 1 and st.ready[api][60] >= 2


def test_a_broken_autoscaler_scales_in_then_its_half_ready_instances_fail_requests():
    services = [dict(s) for s in SHOP]
    services[1] = {**services[1], "autoscale": {"min": 1, "max": 10, "warmup": "3m"}}
    broken = {
        "at": "5m",
        "for": "4m",
        "kind": "autoscaler_misbehaviour",
        "service": "api",
        "params": {"joins_unready": True},
    }
    st = run(tiny(services, [broken], duration="20m"))
    api = st.index("api")
    assert st.ready[api][50] <= 1.5  # scaled in to its minimum on the cpu it misread
    # Once it reads the real cpu it scales out; the new instances take traffic before they are
    # ready and fail it, until their warm-up is over.
    assert mean(st.err_src[api]["ev0"], 550, 700) > 0.3
    assert mean(st.err_src[api]["ev0"], 0, 540) == 0
    assert mean(st.err_src[api]["ev0"], 1000, 1200) == 0
