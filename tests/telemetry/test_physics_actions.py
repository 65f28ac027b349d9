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
