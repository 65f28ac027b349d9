"""The Session facade: journal, pins, hints, diagnosis, time limits, resume, and the rule that
nothing is applied unless it is on disk."""

import pytest

from dojo.engine.errors import AttemptOver, ClockError, EngineError, NotFound, QueryError
from dojo.engine.session import MAX_PINS, Session
from dojo.store import StoreError
from dojo.telemetry.synthesize import synthesize
from tests.telemetry.scenarios import shop

RIGHT = ("checkout", "retry_storm", "checkout retries every failed payment call four times without backoff")


def kinds(session):
    return [e.kind for e in session.store.events(session.attempt_id)]


def test_a_new_attempt_starts_at_the_page(make_session, scenario):
    s = make_session(speed=10)
    st = s.status()
    assert st.now == 960.0 and st.wall_s == 0.0 and st.outcome == "in_progress"
    assert "CheckoutP99High" in st.firing  # the page (payments' own alert may fire in the same bucket)
    assert st.visible.logs > 0 and st.hints_left == 2
    first = s.store.events(s.attempt_id)[0]
    assert first.kind == "started" and first.data["rules"]["par"] == scenario.par
    assert s.briefing().page == st.firing and s.briefing().graph.alert == "CheckoutP99High"
    assert "retry_storm" in s.briefing().faults


def test_queries_follow_the_clock_and_are_recorded(make_session):
    s = make_session()
    before = s.logs(contains="retrying request to payments", limit=0).count
    s.advance(300)
    after = s.logs(contains="retrying request to payments", limit=0).count
    assert after > before
    s.logs(contains="x", record=False)
    recorded = [e for e in s.store.events(s.attempt_id) if e.kind == "query"]
    assert [e.data["count"] for e in recorded] == [before, after]
    assert recorded[0].data["args"] == {"contains": "retrying request to payments", "limit": 0}
    assert recorded[1].scenario_t == 1260.0


def test_query_arguments_are_validated(make_session):
    s = make_session()
    with pytest.raises(QueryError, match="limit"):
        s.logs(limit="ten")
    with pytest.raises(QueryError, match="Extra inputs"):
        s.traces(colour="red")


def test_hypotheses_keep_their_history(make_session):
    s = make_session()
    h = s.add_hypothesis("payments is slow", service="payments", fault="dependency_latency")
    assert (h.id, h.status, h.created.scenario_t, h.created.wall_s) == ("H1", "open", 960.0, 0.0)
    s.advance(60)
    s.update_hypothesis("H1", status="ruled_out")
    s.update_hypothesis("H1", text="payments is slow because of checkout", service="checkout")
    h = s.journal.hypotheses["H1"]
    assert h.status == "ruled_out" and h.service == "checkout"
    assert [c.changes for c in h.history] == [
        {"status": "ruled_out"},
        {"text": "payments is slow because of checkout", "service": "checkout"},
    ]
    assert h.history[0].stamp.scenario_t == 1020.0 and h.history[0].stamp.wall_s == 60.0
    assert h.history[0].stamp.at.endswith("Z")
    assert s.add_hypothesis("another").id == "H2"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda s: s.add_hypothesis("  "), QueryError, "needs some text"),
        (lambda s: s.add_hypothesis("x", service="nope"), QueryError, "no service 'nope'"),
        (lambda s: s.add_hypothesis("x", fault="gremlins"), QueryError, "no fault kind 'gremlins'"),
        (lambda s: s.update_hypothesis("H9", status="confirmed"), NotFound, "no hypothesis 'H9'"),
        (lambda s: s.update_hypothesis("H1", status="maybe"), QueryError, "status must be one of"),
        (lambda s: s.update_hypothesis("H1", status="open"), QueryError, "nothing to change"),
    ],
)
def test_journal_errors_record_nothing(make_session, call, error, message):
    s = make_session()
    s.add_hypothesis("x")
    n = len(kinds(s))
    with pytest.raises(error, match=message):
        call(s)
    assert len(kinds(s)) == n


def test_pins_hold_a_snapshot_of_what_they_point_at(make_session):
    s = make_session()
    s.add_hypothesis("storm")
    line = s.logs(contains="retrying request to payments", limit=1).lines[0]
    p = s.pin(line.id, hypothesis="H1", note="no backoff")
    assert (p.item, p.kind, p.hypothesis) == (line.id, "log", "H1")
    assert p.snapshot["message"] == line.message and p.snapshot["t"] == line.t
    window = s.metrics(service="payments", metric="rps", since=600.0).window
    assert s.pin(window.id).snapshot["values"]
    assert s.pin("E0").kind == "event"
    assert s.pin(line.id, None).hypothesis is None  # the same line, unattached, is another pin


def test_a_pin_goes_to_the_current_hypothesis_unless_told_otherwise(make_session):
    s = make_session()
    assert s.pin("L1").hypothesis is None  # no hypothesis yet
    s.add_hypothesis("first idea")
    s.add_hypothesis("second idea")
    assert s.journal.current == "H2" and s.pin("L2").hypothesis == "H2"
    s.update_hypothesis("H1", text="first idea, sharper")
    assert s.pin("L3").hypothesis == "H1"  # the one changed last
    s.update_hypothesis("H1", status="ruled_out")
    assert s.pin("L4").hypothesis == "H2"  # a ruled-out idea is nobody's current one
    assert s.pin("L5", None).hypothesis is None


def test_unpin_takes_a_pin_back_and_the_card_forgets_it(make_session):
    s = make_session()
    s.add_hypothesis("storm")
    line = s.logs(contains="retrying request to payments", limit=1).lines[0]
    s.pin(line.id)
    assert s.score().evidence_matched == 1
    pin = s.unpin(line.id)
    assert (pin.item, pin.hypothesis) == (line.id, "H1")
    assert s.journal.pins == [] and kinds(s)[-1] == "unpin"
    assert s.score().evidence_matched == 0
    with pytest.raises(NotFound, match="is not pinned"):
        s.unpin(line.id)
    s.pin(line.id)
    s.pin(line.id, None)
    with pytest.raises(QueryError, match="say which hypothesis"):
        s.unpin(line.id)
    s.unpin(line.id, None)
    assert [(p.item, p.hypothesis) for p in s.journal.pins] == [(line.id, "H1")]
    resumed = Session.resume(s.scenario, s.store, s.attempt_id, telemetry=s.signals.tel)
    assert [(p.item, p.hypothesis) for p in resumed.journal.pins] == [(line.id, "H1")]


@pytest.mark.parametrize(
    "item, hypothesis, message",
    [
        ("L99999999", None, "no log line"),
        ("L50000", None, "not happened yet"),
        ("M:payments:rps:600:1500", None, "not happened yet"),
        ("E3", None, "not happened yet"),
        ("bogus", None, "is not an id"),
        ("L1", "H7", "no hypothesis 'H7'"),
    ],
)
def test_pin_errors(make_session, item, hypothesis, message):
    s = make_session()
    with pytest.raises(NotFound, match=message):
        s.pin(item, hypothesis)
    assert s.journal.pins == []


def test_duplicate_pins_and_the_pin_limit(make_session):
    s = make_session()
    s.pin("L1")
    with pytest.raises(QueryError, match="already pinned"):
        s.pin("L1")
    for i in range(2, MAX_PINS + 1):
        s.pin(f"L{i}")
    with pytest.raises(QueryError, match=f"at most {MAX_PINS} pins"):
        s.pin("L999")


def test_hints_unlock_in_order_at_their_cost(make_session, scenario):
    s = make_session()
    first, second = s.hint(), s.hint()
    assert (first.index, first.text, first.cost_s) == (1, scenario.hints[0].text, 60.0)
    assert (second.index, second.cost_s, second.hints_left) == (2, 120.0, 0)
    with pytest.raises(QueryError, match="no more hints"):
        s.hint()
    assert s.score().hints_s == 180.0


def test_unknown_names_are_errors_not_wrong_guesses(make_session):
    s = make_session()
    for args, message in [
        (("nope", "retry_storm", "x"), "no service"),
        (("checkout", "gremlins", "x"), "no fault kind"),
        (("checkout", "retry_storm", " "), "explain"),
    ]:
        with pytest.raises(QueryError, match=message):
            s.diagnose(*args)
    assert s.status().wrong_diagnoses == 0 and "diagnosis" not in kinds(s)


def test_a_wrong_diagnosis_costs_and_says_only_what_the_scenario_allows(make_session, scenario, telemetry):
    s = make_session()
    r = s.diagnose("checkout", "dependency_latency", "checkout is slow").to_dict()
    assert r == {
        "correct": False,
        "message": "wrong diagnosis: the service is right, the fault kind is not",
        "service_ok": True,
        "fault_ok": False,
        "penalty_s": 120.0,
    }
    strict = scenario.model_copy(update={"answer": scenario.answer.model_copy(update={"partial_feedback": False})})
    s2 = make_session(strict)
    assert s2.diagnose("checkout", "dependency_latency", "checkout is slow").to_dict() == {
        "correct": False,
        "message": "wrong diagnosis",
        "penalty_s": 120.0,
    }


def test_in_a_challenge_a_wrong_diagnosis_is_only_wrong(make_session):
    s = make_session(mode="challenge", clock="real", time_source=lambda: 0.0)
    r = s.diagnose("checkout", "dependency_latency", "checkout is slow")
    assert r.to_dict() == {"correct": False, "message": "wrong diagnosis", "penalty_s": 120.0}
    assert s.events[-1].data["explanation"] == "checkout is slow"  # kept for the debrief all the same


def test_a_correct_diagnosis_ends_the_attempt_with_its_card(make_session):
    s = make_session()
    s.advance(120)
    r = s.diagnose(*RIGHT)
    assert r.correct and r.card is not None and r.card["ttcd_s"] == 120.0 and r.card["outcome"] == "solved"
    assert s.status().outcome == "solved"
    for action in (
        lambda: s.hint(),
        lambda: s.diagnose(*RIGHT),
        lambda: s.pin("L1"),
        lambda: s.add_hypothesis("x"),
        lambda: s.give_up(),
    ):
        with pytest.raises(AttemptOver, match="over \\(solved\\)"):
            action()
    assert s.logs(limit=1).count > 0  # the signals stay open for the debrief
    assert s.events[-2].data["explanation"] == RIGHT[2]


def test_give_up(make_session):
    s = make_session()
    s.advance(30)
    card = s.give_up()
    assert card.outcome == "gave_up" and card.points == 0 and card.elapsed_s == 30.0
    with pytest.raises(AttemptOver):
        s.hint()


def test_time_limit_times_the_attempt_out(make_session):
    s = make_session(time_limit=100.0, speed=2)
    s.advance(150)  # 75 learner seconds
    assert s.status().outcome == "in_progress"
    s.advance(60)  # 105
    with pytest.raises(AttemptOver, match="timed_out"):
        s.diagnose(*RIGHT)
    card = s.score()
    assert card.outcome == "timed_out" and card.elapsed_s == 100.0 and card.points == 0
    assert kinds(s).count("timed_out") == 1


def test_challenge_mode_clock_just_runs(make_session):
    with pytest.raises(EngineError, match="manual clock"):
        make_session(mode="challenge")
    t = [0.0]
    s = make_session(mode="challenge", clock="real", time_source=lambda: t[0], speed=2)
    t[0] = 10.0
    assert s.status().now == 980.0 and s.status().wall_s == 10.0
    for action in (s.pause, lambda: s.advance(10), lambda: s.set_speed(5)):
        with pytest.raises(ClockError, match="practice mode"):
            action()


def test_skipping_ahead_in_practice_costs_the_time_it_skips(make_session):
    t = [0.0]
    s = make_session(clock="real", time_source=lambda: t[0], speed=2)
    s.advance(120)  # a minute of learner time at 2x
    s.set_speed(10)
    s.advance(300)  # thirty seconds at 10x
    card = s.score()
    assert (card.skipped_replay_s, card.skips_s) == (420.0, 90.0)
    assert card.penalty_s == 90.0 and card.elapsed_s == 0.0
    t[0] = 30.0
    solved = s.diagnose(*RIGHT).card
    assert solved["ttcd_s"] == 30.0 and solved["adjusted_s"] == 120.0


def test_a_manual_clock_pays_for_advance_in_wall_time_not_twice(make_session):
    s = make_session(speed=10)
    s.advance(600)
    card = s.score()
    assert card.skips_s == 0.0 and card.elapsed_s == 60.0


def test_the_overview_has_every_service_now_and_its_baseline(make_session, scenario):
    s = make_session()
    s.advance(120)
    o = s.overview()
    assert [x.service for x in o.services] == list(scenario.service_names)
    payments = next(x for x in o.services if x.service == "payments")
    assert payments.rps is not None and payments.rps_baseline is not None
    assert payments.rps > 1.5 * payments.rps_baseline  # the retry storm, against payments' own normal
    assert payments.p99_ms > 5 * payments.p99_ms_baseline and payments.firing == ["PaymentsLatencyHigh"]
    checkout = next(x for x in o.services if x.service == "checkout")
    assert "CheckoutP99High" in checkout.firing and checkout.p99_ms > checkout.p99_ms_baseline
    assert o.t0 + 10 <= o.now and o.baseline == [0.0, 300.0]
    got = s.metrics(service="payments", metric="rps", since=o.t0, until=o.t0 + 10)
    assert got.window.last == payments.rps  # the same figure a metrics query gives


def test_view_is_a_copy_the_engine_does_not_change_under_a_ui(make_session):
    s = make_session()
    s.add_hypothesis("storm")
    view = s.view()
    s.add_hypothesis("another")
    s.hint()
    assert list(view.journal.hypotheses) == ["H1"] and view.hints_used == 0
    later = s.view()
    assert list(later.journal.hypotheses) == ["H1", "H2"] and later.hints_used == 1 and later.penalty_s == 60.0


def test_clock_actions_are_recorded(make_session):
    s = make_session()
    s.pause()
    s.advance(10)
    s.set_speed(20)
    s.resume_clock()
    clock = [(e.data["action"], e.data["value"]) for e in s.store.events(s.attempt_id) if e.kind == "clock"]
    assert clock == [("pause", None), ("advance", 10.0), ("speed", 20.0), ("resume", None)]


def test_nothing_is_applied_unless_it_is_stored(make_session, monkeypatch):
    s = make_session()

    def broken(*a, **k):
        raise StoreError("/x/dojo.sqlite3: locked by another process")

    monkeypatch.setattr(s.store, "append", broken)
    with pytest.raises(StoreError):
        s.add_hypothesis("x")
    with pytest.raises(StoreError):
        s.advance(100)
    with pytest.raises(StoreError):
        s.hint()
    assert s.journal.hypotheses == {} and s.now() == 960.0 and s.clock.wall() == 0.0 and s.attempt.hints_used == 0


def test_the_store_holds_exactly_what_the_session_holds(make_session):
    s = make_session()
    s.add_hypothesis("x")
    s.pin("L3")
    s.hint()
    s.diagnose("web", "retry_storm", "guess")
    assert s.store.events(s.attempt_id) == s.events


def test_resume_rebuilds_the_attempt(make_session, store, scenario, telemetry):
    s = make_session(speed=4)
    s.add_hypothesis("storm", service="checkout", fault="retry_storm")
    s.pin("L3", "H1")
    s.hint()
    s.advance(200)  # 50 learner seconds
    s.diagnose("web", "retry_storm", "guess")
    s.pause()
    s.close("eof")
    r = Session.resume(scenario, store, s.attempt_id, telemetry=telemetry)
    assert r.now() == 1160.0 and r.clock.wall() == 50.0 and r.clock.paused and r.clock.speed == 4
    assert list(r.journal.hypotheses) == ["H1"] and r.journal.pins[0].item == "L3"
    assert r.attempt.hints_used == 1 and r.attempt.wrong_diagnoses == 1 and r.attempt.sessions == 2
    r.resume_clock()
    r.advance(40)
    card = r.diagnose(*RIGHT).card
    assert card["ttcd_s"] == 60.0 and card["penalty_s"] == 180.0
    assert kinds(r)[-5:] == ["ended", "resumed", "clock", "clock", "diagnosis"]


def test_resume_refuses_what_it_cannot_continue(make_session, store, scenario, telemetry):
    done = make_session()
    done.diagnose(*RIGHT)
    with pytest.raises(AttemptOver, match="is over"):
        Session.resume(scenario, store, done.attempt_id, telemetry=telemetry)
    open_ = make_session()
    other = shop()
    with pytest.raises(EngineError, match="is for scenario checkout-retry-storm"):
        Session.resume(other, store, open_.attempt_id, telemetry=synthesize(other))
    changed = scenario.model_copy(update={"par": 60.0})
    with pytest.raises(EngineError, match="has changed"):
        Session.resume(changed, store, open_.attempt_id, telemetry=telemetry)


TRIGGER_TIMELINE = [
    {"at": "8m", "kind": "deploy", "service": "inventory", "version": "v2", "id": "inv-deploy"},
    {"at": "10m", "kind": "config_change", "service": "checkout", "id": "retry-config"},
    {"at": "10m", "kind": "dependency_latency", "service": "provider", "params": {"added_ms": 1500}, "for": "10m"},
    {"at": "10m", "kind": "retry_storm", "service": "checkout", "params": {"factor": 4}},
]


@pytest.fixture(scope="module")
def trigger_world():
    sc = shop(
        TRIGGER_TIMELINE,
        answer={
            "accepted": [{"service": "checkout", "fault": "retry_storm", "trigger": "retry-config"}],
            "require_trigger": True,
        },
    )
    return sc, synthesize(sc)


def test_a_scenario_can_ask_for_the_trigger(make_session, trigger_world):
    sc, tel = trigger_world
    s = make_session(sc, tel)
    s.advance(sc.duration)
    changes = {e.name: e.id for e in s.events_list(kind="changes").events}
    config, deploy = changes["config change on checkout"], changes["deploy inventory v2"]
    alert = s.events_list(kind="alerts").events[0].id
    with pytest.raises(QueryError, match="asks for the trigger"):
        s.diagnose("checkout", "retry_storm", "x")
    with pytest.raises(QueryError, match="not a change"):
        s.diagnose("checkout", "retry_storm", "x", trigger=alert)
    with pytest.raises(NotFound):
        s.diagnose("checkout", "retry_storm", "x", trigger="E99")
    wrong = s.diagnose("checkout", "retry_storm", "the deploy did it", trigger=deploy)
    assert wrong.correct is False and wrong.trigger_ok is False and wrong.service_ok is True
    right = s.diagnose("checkout", "retry_storm", "the retry config", trigger=config)
    assert right.correct is True


def test_leaving_and_resuming_keeps_learner_time_and_replay_position_exactly(make_session):
    t = [100.0]
    s = make_session(clock="real", time_source=lambda: t[0], speed=5)
    t[0] = 137.25  # 37.25 s of learner time at 5x
    s.pause()
    t[0] = 150.5  # paused: the replay holds, learner time runs
    before = s.clock_state()
    s.close()
    later = [9000.0]  # another day, another process: a different time base
    r = Session.resume(s.scenario, s.store, s.attempt_id, telemetry=s.signals.tel, time_source=lambda: later[0])
    after = r.clock_state()
    assert (after.now, after.wall_s, after.speed, after.paused) == (before.now, before.wall_s, 5.0, True)
    assert before.now == 960.0 + 37.25 * 5 and before.wall_s == 50.5
    later[0] += 10
    r.resume_clock()
    later[0] += 2
    assert r.clock_state().now == before.now + 10 and r.clock_state().wall_s == before.wall_s + 12


def test_attempts_are_numbered_per_scenario(make_session, scenario, telemetry, store):
    other = scenario.model_copy(update={"id": "another-scenario"})
    first = make_session()
    Session.start(other, store, telemetry=telemetry, clock="manual")
    second = make_session()
    assert (first.number, second.number) == (1, 2) and second.attempt_id == 3
    assert second.view().number == 2
