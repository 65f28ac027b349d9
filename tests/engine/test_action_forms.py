"""What a learner can do to the system, as the action dialog offers it and the debrief tells it
(dojo/engine/actions.py): kinds, the services each applies to, typed text turned into params."""

import pytest

from dojo.engine.actions import ACTION_KINDS, action_services, describe_action, parse_params
from dojo.engine.errors import QueryError
from dojo.scenario.model import CHANGE_KINDS


def test_every_kind_the_engine_takes_is_offered():
    assert set(ACTION_KINDS) == set(CHANGE_KINDS)


def test_a_third_partys_service_is_not_the_learners_to_operate(scenario):
    services = action_services(scenario, "restart")
    assert "checkout" in services and "payment-provider" not in services
    assert services == [s.name for s in scenario.services if s.kind != "external"]
    assert action_services(scenario, "retry_storm") == []


def test_typed_params_become_the_engines_types():
    assert parse_params("scale", {"replicas": "8", "warmup_s": ""}) == {"replicas": 8}
    assert parse_params("restart", {"share": "0.5"}) == {"share": 0.5}
    assert parse_params("config_change", {"flag": "payments.retries", "retries": "0"}) == {
        "flag": "payments.retries",
        "retries": 0,
    }
    assert parse_params("restart", {}) == {} and parse_params("deploy", {"replicas": "3"}) == {}


@pytest.mark.parametrize(
    "kind,raw,error",
    [
        ("scale", {}, "replicas: required for scale"),
        ("scale", {"replicas": "many"}, "replicas: must be a number, not 'many'"),
        ("scale", {"replicas": "2.5"}, "replicas: must be a whole number"),
        ("scale", {"replicas": "999"}, "replicas: must be at most 256"),
        ("feature_flag", {"shed": "-1"}, "shed: must be at least 0"),
        ("config_change", {"flag": "x"}, "give at least one setting to change"),
        ("retry_storm", {}, "a learner's action is one of"),
    ],
)
def test_a_wrong_param_is_named_with_what_it_must_be(kind, raw, error):
    with pytest.raises(QueryError, match=error):
        parse_params(kind, raw)


def test_an_action_told_back_in_words():
    assert describe_action("restart", "payments", {}) == "restarted payments"
    assert describe_action("scale", "checkout", {"replicas": 8}) == "scaled checkout to 8 replicas"
    assert describe_action("feature_flag", "web", {"flag": "shed-load", "shed": 0.5}) == (
        "flipped shed-load on web (shed=0.5)"
    )
    assert describe_action("config_change", "checkout", {"retries": 0}) == "changed a config on checkout (retries=0)"
    assert describe_action("deploy", "inventory", {}) == "redeployed inventory"


def test_a_challenge_takes_actions_as_practice_does(make_session):
    """Only the clock is practice's alone: a responder may mitigate in a challenge too (docs/tui.md)."""
    now = [0.0]
    s = make_session(mode="challenge", clock="real", speed=10.0, time_source=lambda: now[0])
    now[0] = 12.0  # 120 s of incident after the page
    assert s.action_refusal() is None
    result = s.act("scale", "checkout", {"replicas": 8})
    assert result.at == 960.0 + 120.0 and [e.kind for e in s.events][-1] == "action"
