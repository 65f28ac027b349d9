"""An action inserted mid-incident: the physics runs again, everything before it byte-identical."""

import numpy as np
import pytest

from dojo.telemetry.actions import STATE_SERIES, ActionError, first_difference, insert_event

from .test_physics_dynamics import BLIP, CHAIN, STORM
from .test_physics_state import mean, run, tiny


@pytest.fixture(scope="module")
def storm():
    return run(tiny(CHAIN, [BLIP, STORM], duration="25m"))


@pytest.mark.parametrize(
    "action",
    [
        {"at": "12m", "kind": "config_change", "service": "api", "params": {"retry_budget": 0.1}},
        {"at": "12m", "kind": "scale", "service": "backend", "params": {"replicas": 12, "warmup_s": 60}},
        {"at": "12m", "kind": "restart", "service": "backend"},
        {"at": "12m", "kind": "dependency_latency", "service": "backend", "params": {"added_ms": 300}},
    ],
    ids=["retry-budget", "scale-out", "restart", "a-fault"],
)
def test_everything_before_the_action_is_byte_identical(storm, action):
    after, truth = insert_event(storm, action)
    j = 72  # 12m on a 10 s grid
    for name in STATE_SERIES:
        old, new = getattr(storm, name), getattr(after, name)
        assert old[:, :j].tobytes() == new[:, :j].tobytes(), name
    assert first_difference(storm, after) >= j
    # ...and the action has consequences after it.
    assert first_difference(storm, after) < storm.T


def test_an_action_ends_the_storm(storm):
    after, _ = insert_event(storm, {"at": "12m", "kind": "config_change", "service": "api", "params": {"retries": 0}})
    backend = after.index("backend")
    assert mean(storm.rps[backend] / storm.capacity_t[backend], 900, 1500) > 1.5
    assert mean(after.rps[backend] / after.capacity_t[backend], 900, 1500) < 0.6


def test_a_bad_action_is_refused_with_its_reason(storm):
    with pytest.raises(ActionError, match="params.replica: unknown parameter; did you mean 'replicas'"):
        insert_event(storm, {"at": "12m", "kind": "scale", "service": "backend", "params": {"replica": 3}})
    with pytest.raises(ActionError, match="service: no service named 'bakend'"):
        insert_event(storm, {"at": "12m", "kind": "restart", "service": "bakend"})


def test_the_same_run_twice_is_identical(storm):
    again = run(tiny(CHAIN, [BLIP, STORM], duration="25m"))
    assert first_difference(storm, again) == storm.T
    assert np.array_equal(storm.rps, again.rps)


def test_a_resumed_run_carries_the_state_at_t(storm):
    """Resumed at 12m with a change that does nothing, the storm goes on as in the first run: the
    backlog and queue wait at 12m are carried over (dropped, the storm would end at once)."""
    after, _ = insert_event(storm, {"at": "12m", "kind": "config_change", "service": "api"})
    backend = after.index("backend")
    j = 72
    assert np.allclose(after.rps[:, j:], storm.rps[:, j:], rtol=0.02)
    assert np.allclose(after.wait_s[backend, j:], storm.wait_s[backend, j:], rtol=0.02, atol=1e-3)
    assert storm.wait_s[backend, j - 1] > 0  # there was something to carry


def test_only_the_buckets_from_t_are_solved_again(storm, monkeypatch):
    import dojo.telemetry.actions as actions

    seen = []
    real = actions.propagate

    def spy(st, **kw):
        seen.append((st.T, st.offset, kw.get("carry") is not None))
        return real(st, **kw)

    monkeypatch.setattr(actions, "propagate", spy)
    after, _ = insert_event(storm, {"at": "12m", "kind": "restart", "service": "backend"})
    assert seen == [(storm.T - 72, 72, True)]
    assert after.T == storm.T and after.offset == 0


def test_actions_stack(storm):
    """A second action resumes from the state the first left: both prefixes stay as they were."""
    one, _ = insert_event(storm, {"at": "8m", "kind": "config_change", "service": "api", "params": {"retries": 1}})
    two, _ = insert_event(one, {"at": "14m", "kind": "scale", "service": "backend", "params": {"replicas": 6}})
    for name in STATE_SERIES:
        assert getattr(storm, name)[:, :48].tobytes() == getattr(two, name)[:, :48].tobytes(), name
        assert getattr(one, name)[:, :84].tobytes() == getattr(two, name)[:, :84].tobytes(), name
    assert len(two.scenario.timeline) == len(storm.scenario.timeline) + 2


def test_a_resumed_run_carries_the_autoscaler():
    """Resumed while the autoscaler has scaled in and has instances warming, it goes on from there."""
    from .test_physics_state import tiny as small

    services = [dict(s) for s in CHAIN]
    services[1] = {**services[1], "replicas": 6, "autoscale": {"min": 2, "max": 6, "target_cpu": 60, "warmup": "3m"}}
    hide = {"at": "3m", "kind": "feature_flag", "service": "edge", "params": {"shed": 0.9}, "for": "6m"}
    st = run(small(services, [hide], duration="20m"))
    api = st.index("api")
    after, _ = insert_event(st, {"at": "10m", "kind": "config_change", "service": "edge"})
    assert st.ready[api][59] < 6  # scaled in: the count is carried, not reset to the replicas
    assert np.allclose(after.ready[api], st.ready[api])


@pytest.fixture(scope="module")
def acted():
    from dojo.scenario.model import Scenario
    from dojo.telemetry.actions import act
    from dojo.telemetry.synthesize import synthesize_with_state

    sc = Scenario.model_validate(
        {
            "id": "tiny",
            "title": "tiny",
            "difficulty": 1,
            "duration": "25m",
            "seed": 5,
            "briefing": "test",
            "services": CHAIN,
            "timeline": [BLIP, STORM],
            "alerts": [{"name": "ApiErrors", "service": "api", "metric": "error_rate", "above": 0.05, "for": "1m"}],
            "answer": {"accepted": [{"service": "api", "fault": "metastable_retry_storm"}]},
        }
    )
    tel, st = synthesize_with_state(sc)
    tel2, st2 = act(tel, st, {"at": "12m", "kind": "config_change", "service": "api", "params": {"retries": 0}})
    return tel, tel2, 720.0


def test_signals_before_the_action_are_byte_identical(acted):
    import pyarrow.compute as pc

    tel, tel2, t0 = acted
    old = tel.logs.filter(pc.less(tel.logs.column("t"), t0))
    new = tel2.logs.filter(pc.less(tel2.logs.column("t"), t0))
    assert old.num_rows > 1000 and old.equals(new)
    for frame in ("metrics", "spans", "events"):
        a, b = getattr(tel, frame), getattr(tel2, frame)
        a, b = a[a["t"] < t0].reset_index(drop=True), b[b["t"] < t0].reset_index(drop=True)
        assert len(a) and a.to_csv() == b.to_csv(), frame
    assert (tel.events["kind"] == "alert_firing").any()


def test_signals_after_the_action_tell_the_new_story(acted):
    tel, tel2, t0 = acted
    assert tel2.logs.column("id").to_pylist() == list(range(tel2.logs.num_rows))
    assert list(tel2.metrics.columns) == list(tel.metrics.columns) and len(tel2.metrics) == len(tel.metrics)

    def api_errors(t, a, b):
        m = t.metrics
        m = m[(m["service"] == "api") & (m["metric"] == "error_rate") & (m["t"] >= a) & (m["t"] < b)]
        return float(m["value"].mean())

    assert api_errors(tel, 900, 1500) > 0.2  # the storm goes on without the action
    assert api_errors(tel2, 900, 1500) < 0.05  # and ends with it
    assert "config_change" in set(tel2.events[tel2.events["t"] >= t0]["kind"])
    assert tel2.spans["t"].is_monotonic_increasing


def test_the_changed_incident_is_rendered_with_the_runs_own_draws_from_a_block_before_the_action(monkeypatch):
    """Only the window is solved again, and its signals are rendered as a whole run of the
    changed scenario renders them (tests/telemetry/test_actions_match_a_full_run.py compares
    the rows): the state of the whole length, the draws synthesize() makes from the seed, and
    lines and traces only from the start of the block of buckets before the action."""
    import dojo.telemetry.synthesize as synth
    from dojo.telemetry.actions import act

    tel, st = synth.synthesize_with_state(tiny(CHAIN, [BLIP], duration="10m"))
    seen = []
    real = synth.render

    def spy(state, seed, metric_rng, log_rng, trace_rng, *a, live_from=0, **kw):
        seen.append((state.T, float(state.t[0]), [r.seed for r in (metric_rng, log_rng, trace_rng)], live_from))
        return real(state, seed, metric_rng, log_rng, trace_rng, *a, live_from=live_from, **kw)

    monkeypatch.setattr(synth, "render", spy)
    act(tel, st, {"at": "6m", "kind": "restart", "service": "backend"})
    block = synth.block_of(st.scenario.grid)
    [(T, t0, seeds, live_from)] = seen
    assert (T, t0, seeds) == (st.T, 0.0, [tel.seed] * 3)
    assert live_from % block == 0 and 0 < live_from * st.scenario.grid <= 360.0


def test_an_action_on_a_system_with_every_carried_state():
    """Operations, a pool, a queue with its consumer, an autoscaler and the metrics pipeline, all
    resumed: the window has the whole length, the prefix is untouched and the action acts."""
    from dojo.telemetry.actions import act
    from dojo.telemetry.synthesize import synthesize_with_state

    services = [
        {"name": "edge", "kind": "lb", "calls": ["orders"], "rps": 60},
        {
            "name": "orders",
            "calls": ["jobs", "orders-db"],
            "pool": {"size": 5},
            "autoscale": {"min": 2, "max": 6},
            "operations": [
                {"name": "get", "route": "GET /api/v1/orders/{id}", "share": 0.8, "calls": ["orders-db"]},
                {"name": "put", "route": "POST /api/v1/orders", "share": 0.2, "writes": True},
            ],
        },
        {"name": "jobs", "kind": "queue"},
        {"name": "mailer", "kind": "worker", "consumes": "jobs"},
        {"name": "orders-db", "kind": "db"},
        {"name": "metrics", "kind": "http", "rps": 20, "pipeline": {"carries": "metrics", "mode": "stale"}},
    ]
    slow = {"at": "4m", "kind": "dependency_latency", "service": "orders-db", "params": {"added_ms": 300}}
    tel, st = synthesize_with_state(tiny(services, [slow], duration="12m"))
    tel2, st2 = act(tel, st, {"at": "6m", "kind": "restart", "service": "mailer", "params": {"warmup_s": 120}})
    for name in STATE_SERIES:
        assert getattr(st, name)[:, :36].tobytes() == getattr(st2, name)[:, :36].tobytes(), name
        assert getattr(st2, name).shape == getattr(st, name).shape
    assert all(o.p50.shape == (st.T,) for o in st2.ops[st2.index("orders")])
    assert st2.pools.waiters.shape == (st.S, st.T)
    mailer = st2.index("mailer")
    assert st2.ready[mailer][37] < st.ready[mailer][37]
    assert tel2.metrics["t"].max() == tel.metrics["t"].max()
