"""The score card, term by term, from hand-built event logs."""

import pytest

from dojo.engine.rules import Rules, judge
from dojo.engine.scoring import BASE_PER_DIFFICULTY, EVIDENCE_WEIGHT, score
from dojo.store import Event

RULES = Rules(
    scenario_id="sc",
    title="T",
    difficulty=2,
    par=600.0,
    wrong_penalty=120.0,
    hint_costs=[60.0, 90.0, 30.0],
    accepted=[{"service": "checkout", "fault": "retry_storm"}, {"service": "payments", "fault": "traffic_surge"}],
    evidence=[
        {"logs": {"service": "checkout", "contains": "retrying"}},
        {"metric": {"service": "payments", "name": "rps", "rises": "2x"}},
        {"trace": {"service": "checkout", "status": "error"}},
        {"logs": {"level": "ERROR", "contains": "pool"}},
    ],
)
STARTED = {
    "rules": RULES.dump(),
    "seed": 1,
    "speed": 1.0,
    "mode": "practice",
    "clock": "manual",
    "start_t": 900.0,
    "time_limit": None,
}
LOG_PIN = {
    "item": "L1",
    "kind": "log",
    "snapshot": {"service": "checkout", "level": "WARN", "message": "retrying request"},
}
METRIC_PIN = {
    "item": "M:payments:rps:0:60",
    "kind": "metric",
    "snapshot": {"service": "payments", "metric": "rps", "values": [10, 11, 30]},
}
SPAN_PIN = {
    "item": "Sa:b",
    "kind": "span",
    "snapshot": {"service": "checkout", "status": "error", "duration_ms": 10, "message": ""},
}
DUD_PIN = {"item": "L2", "kind": "log", "snapshot": {"service": "web", "level": "INFO", "message": "GET /"}}


def right(wall: float) -> Event:
    return Event("diagnosis", wall, 0, {"service": "checkout", "fault": "retry_storm", "correct": True})


def wrong(wall: float) -> Event:
    return Event("diagnosis", wall, 0, {"service": "web", "fault": "retry_storm", "correct": False})


def hint(wall: float, i: int) -> Event:
    return Event("hint", wall, 0, {"index": i, "cost": RULES.hint_costs[i]})


def pin(wall: float, data: dict) -> Event:
    return Event("pin", wall, 0, data)


def card(*events: Event, **kw):
    return score([Event("started", 0.0, 900.0, STARTED), *events], **kw)


@pytest.mark.parametrize(
    "events, ttcd",
    [
        ([right(300)], 300.0),
        ([Event("query", 50, 0, {}), right(123.456)], 123.456),
        ([wrong(10), right(400), wrong(500)], 400.0),
    ],
)
def test_ttcd_is_wall_seconds_to_the_correct_diagnosis(events, ttcd):
    assert card(*events).ttcd_s == ttcd


@pytest.mark.parametrize(
    "events, n, wrong_s",
    [
        ([right(100)], 0, 0.0),
        ([wrong(10), right(100)], 1, 120.0),
        ([wrong(10), wrong(20), wrong(30), right(100)], 3, 360.0),
        ([wrong(10), right(100), wrong(200)], 1, 120.0),  # nothing after the solve counts
    ],
)
def test_each_wrong_diagnosis_costs_the_wrong_penalty(events, n, wrong_s):
    c = card(*events)
    assert (c.wrong_diagnoses, c.wrong_s, c.wrong_penalty_s) == (n, wrong_s, 120.0)


@pytest.mark.parametrize(
    "events, costs",
    [
        ([right(100)], []),
        ([hint(5, 0), right(100)], [60.0]),
        ([hint(5, 0), hint(6, 1), hint(7, 2), right(100)], [60.0, 90.0, 30.0]),
        ([hint(5, 0), right(100), hint(200, 1)], [60.0]),
    ],
)
def test_each_hint_costs_its_own_price(events, costs):
    c = card(*events)
    assert (c.hints_used, c.hint_costs_s, c.hints_s) == (len(costs), costs, sum(costs))


def test_penalties_add_up():
    c = card(wrong(1), hint(2, 0), hint(3, 1), right(100))
    assert c.penalty_s == 120 + 60 + 90
    assert c.adjusted_s == 100 + 270


@pytest.mark.parametrize(
    "pins, matched",
    [
        ([], 0),
        ([DUD_PIN], 0),
        ([LOG_PIN], 1),
        ([LOG_PIN, {**LOG_PIN, "item": "L9"}], 1),  # a selector counts once
        ([LOG_PIN, METRIC_PIN], 2),
        ([LOG_PIN, METRIC_PIN, SPAN_PIN, DUD_PIN], 3),
    ],
)
def test_evidence_bonus_counts_matched_selectors(pins, matched):
    c = card(*(pin(i, p) for i, p in enumerate(pins)), right(100))
    assert (c.evidence_matched, c.evidence_total) == (matched, 4)
    base = BASE_PER_DIFFICULTY * 2
    assert c.evidence_points == pytest.approx(base * EVIDENCE_WEIGHT * matched / 4)
    assert c.evidence[0].matched_by == [p["item"] for p in pins if p["item"] in ("L1", "L9")]


def test_pins_after_the_diagnosis_do_not_count():
    c = card(right(100), pin(200, LOG_PIN))
    assert c.evidence_matched == 0


@pytest.mark.parametrize(
    "ttcd, penalties, speed", [(0.0, [], 1.0), (600.0, [], 0.5), (480.0, [wrong(1)], 0.5), (1800.0, [], 0.25)]
)
def test_speed_is_par_over_par_plus_adjusted_time(ttcd, penalties, speed):
    c = card(*penalties, right(ttcd))
    assert c.speed == pytest.approx(speed)
    assert c.speed_points == pytest.approx(200 * speed)


@pytest.mark.parametrize("difficulty", [1, 3, 5])
def test_base_scales_with_difficulty(difficulty):
    rules = RULES.model_copy(update={"difficulty": difficulty})
    c = score([Event("started", 0, 0, {**STARTED, "rules": rules.dump()}), right(600)])
    assert c.base == 100 * difficulty
    assert c.points == round(100 * difficulty * 0.5)


def test_points_add_the_speed_and_evidence_terms():
    c = card(pin(10, LOG_PIN), pin(20, METRIC_PIN), wrong(30), hint(40, 0), right(420))
    adjusted = 420 + 120 + 60
    assert c.adjusted_s == adjusted
    assert c.points == round(200 * 600 / (600 + adjusted) + 200 * 2 / 4)


def test_reasoning_beats_guessing():
    guesser = card(wrong(20), wrong(40), wrong(60), right(80))
    reasoner = card(pin(100, LOG_PIN), pin(200, METRIC_PIN), pin(300, SPAN_PIN), right(600))
    lucky = card(right(15))
    assert reasoner.points > lucky.points > guesser.points


@pytest.mark.parametrize(
    "events, live, outcome",
    [
        ([Event("gave_up", 300, 0, {})], False, "gave_up"),
        ([Event("timed_out", 900, 0, {"limit": 900})], False, "timed_out"),
        ([Event("query", 30, 0, {})], False, "abandoned"),
        ([Event("query", 30, 0, {})], True, "in_progress"),
        ([wrong(10), Event("ended", 40, 0, {"reason": "eof"})], False, "abandoned"),
    ],
)
def test_unsolved_attempts_get_a_card_with_zero_points(events, live, outcome):
    c = card(hint(5, 0), pin(6, LOG_PIN), *events, live=live)
    assert c.outcome == outcome and not c.solved
    assert c.points == 0 and c.ttcd_s is None and c.adjusted_s is None
    assert c.hints_s == 60.0 and c.evidence_matched == 1  # the terms are still shown
    assert c.elapsed_s == max(e.wall_s for e in events)


def test_card_is_json_friendly():
    import json

    d = card(pin(1, LOG_PIN), right(100)).to_dict()
    assert json.loads(json.dumps(d))["evidence"][0]["matched_by"] == ["L1"]
    for key in (
        "ttcd_s",
        "penalty_s",
        "points",
        "adjusted_s",
        "speed",
        "evidence_points",
        "formula",
        "par_s",
        "difficulty",
    ):
        assert key in d


@pytest.mark.parametrize(
    "service, fault, trigger, need, correct, service_ok, fault_ok, trigger_ok",
    [
        ("checkout", "retry_storm", None, False, True, True, True, None),
        ("payments", "traffic_surge", None, False, True, True, True, None),
        ("checkout", "traffic_surge", None, False, False, True, True, None),  # both parts named, not together
        ("web", "retry_storm", None, False, False, False, True, None),
        ("web", "memory_leak", None, False, False, False, False, None),
        ("checkout", "retry_storm", "storm", True, True, True, True, True),
        ("checkout", "retry_storm", "deploy-1", True, False, True, True, False),
        ("checkout", "retry_storm", None, True, False, True, True, False),
    ],
)
def test_judging_a_diagnosis(service, fault, trigger, need, correct, service_ok, fault_ok, trigger_ok):
    accepted = [
        {"service": "checkout", "fault": "retry_storm", "trigger": "storm" if need else None},
        {"service": "payments", "fault": "traffic_surge"},
    ]
    rules = RULES.model_copy(
        update={
            "require_trigger": need,
            "accepted": [a for a in Rules(**{**RULES.model_dump(), "accepted": accepted}).accepted],
        }
    )
    v = judge(rules, service, fault, trigger)
    assert (v.correct, v.service_ok, v.fault_ok, v.trigger_ok) == (correct, service_ok, fault_ok, trigger_ok)


@pytest.mark.parametrize(
    "service_ok, fault_ok, partial, message",
    [
        (True, False, True, "wrong diagnosis: the service is right, the fault kind is not"),
        (False, True, True, "wrong diagnosis: the fault kind is right, the service is not"),
        (False, False, True, "wrong diagnosis: the service and the fault kind are not right"),
        # Both halves right, but in different accepted answers: a whole sentence, no empty slot.
        (
            True,
            True,
            True,
            "wrong diagnosis: the service and the fault kind are each right on their own, but not together",
        ),
        (True, False, False, "wrong diagnosis"),
        (True, True, False, "wrong diagnosis"),
    ],
)
def test_wrong_diagnosis_feedback(service_ok, fault_ok, partial, message):
    from dojo.engine.rules import Verdict

    v = Verdict(False, service_ok, fault_ok, None)
    fb = v.feedback(partial)
    assert fb["message"] == message
    assert ("service_ok" in fb) is partial
