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
