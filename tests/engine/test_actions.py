"""A learner's action in the engine (Session.act): the incident before it stays the cached one,
mapped and shared; only the part after it is kept from a new render, for this attempt."""

from __future__ import annotations

import pytest

import dojo.telemetry.synthesize as synth
from dojo.engine.errors import QueryError
from dojo.engine.session import Session
from dojo.scenario.model import TimelineEvent
from dojo.telemetry import mapped
from dojo.telemetry.actions import act
from dojo.telemetry.cache import Cache

ACTION = {"kind": "restart", "service": "checkout", "params": {}}
AT = 960.0 + 120.0  # the page, then two minutes


@pytest.fixture(scope="module")
def cached(scenario, tmp_path_factory):
    """The incident as a player opens it a second time: mapped from the cache."""
    cache = Cache(tmp_path_factory.mktemp("cache"))
    cache.synthesize(scenario)
    tel = cache.synthesize(scenario)
    assert cache.hits == 1
    return tel


def frames_equal(a, b) -> None:
    assert a.logs.combine_chunks().equals(b.logs.combine_chunks())
    for name in ("metrics", "spans", "events"):
        x, y = getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True)
        assert x.to_csv() == y.to_csv(), name


def test_an_action_renders_once_and_keeps_what_precedes_it(scenario, cached, store, monkeypatch):
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    s.advance(120)
    before = s.logs(limit=50, record=False)

    def whole(*args, **kwargs):
        raise AssertionError("an action must not synthesize the whole incident")

    rendered = []
    real_render = synth.render

    def render(st, *args, live_from=0, **kwargs):
        out = real_render(st, *args, live_from=live_from, **kwargs)
        rendered.append((live_from, out[2]))
        return out

    monkeypatch.setattr(synth, "synthesize", whole)
    monkeypatch.setattr(synth, "synthesize_with_state", whole)
    monkeypatch.setattr(synth, "render", render)

    result = s.act(**ACTION)
    assert (result.kind, result.service, result.at) == ("restart", "checkout", AT)
    # One render, of the part after the action only: lines from a block start a few minutes
    # before it (telemetry/draws.py), none before it.
    assert len(rendered) == 1
    live_from, lines = rendered[0]
    assert 0 < live_from * scenario.grid <= AT and live_from * scenario.grid >= AT - 2 * synth.BLOCK_S
    made = lines.column("t").to_numpy()
    assert len(made) and made.min() >= live_from * scenario.grid
    before_block = int((cached.logs.column("t").to_numpy() < live_from * scenario.grid).sum())
    assert before_block > 10_000 and len(made) < cached.n_logs  # the first run's lines before it: not made again

    # Before the action: still the mapped file's pages (shared with every player), not a copy.
    head = s.signals.log_table.column("message").chunk(0)
    assert mapped.locate(head.buffers()[2].address, 1) is not None
    # The same lines, the same ids, up to the action (lines at its very instant are the new render's).
    after = [line for line in s.logs(limit=50, record=False).lines if line.t < AT]
    kept = [line for line in before.lines if line.t < AT][:3]
    assert len(kept) == 3 and after[:3] == kept
    assert [e.kind for e in store.events(s.attempt_id)][-1] == "action"
    assert (s.signals.events["kind"] == "restart").any()


def test_the_result_is_the_action_taken_on_a_fresh_synthesis(scenario, cached, store):
    """The engine's path (the cached incident, the physics run alone) gives exactly what taking
    the action on a synthesis made now gives."""
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    s.advance(120)
    s.act(**ACTION)
    tel, st = synth.synthesize_with_state(scenario)
    reference, _ = act(tel, st, {"at": AT, **ACTION})
    frames_equal(s.signals.tel, reference)


# Every kind of change a learner can make (Session.act takes CHANGE_KINDS), with params that do something.
KINDS = [
    ("restart", {}),
    ("scale", {"replicas": 8}),
    ("config_change", {"retries": 0}),
    ("feature_flag", {"shed": 0.5}),
    ("deploy", {}),
]


def changed_scenario(scenario, at: float, kind: str, service: str, params: dict):
    event = TimelineEvent.model_validate({"at": at, "kind": kind, "service": service, "params": params})
    return scenario.model_copy(update={"timeline": [*scenario.timeline, event]})


def test_the_result_equals_a_whole_synthesis_of_the_changed_scenario(scenario, cached, store):
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    s.advance(120)
    s.act(**ACTION)
    frames_equal(s.signals.tel, synth.synthesize(changed_scenario(scenario, AT, **ACTION)))


def test_an_action_mid_bucket_takes_effect_at_the_next_bucket(scenario, cached, store):
    """The bucket under way has been seen: the change lands at the next one, and the incident is
    then a whole synthesis of the scenario with the change there."""
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    s.advance(123.4)
    seen = [line for line in s.logs(limit=200, record=False).lines]
    result = s.act("scale", "checkout", {"replicas": 8})
    assert result.at == AT + 10.0  # the page + 123.4 s, up to the 10 s grid
    assert store.events(s.attempt_id)[-1].data["at"] == AT + 10.0
    frames_equal(
        s.signals.tel, synth.synthesize(changed_scenario(scenario, AT + 10.0, "scale", "checkout", {"replicas": 8}))
    )
    assert s.logs(limit=200, record=False).lines[: len(seen)] == seen


@pytest.mark.slow
@pytest.mark.parametrize("kind,params", KINDS, ids=[k for k, _ in KINDS])
@pytest.mark.parametrize("sid", ["checkout-retry-storm", "orders-pool-exhaustion"])
def test_every_kind_of_action_equals_a_whole_synthesis_on_builtins(sid, kind, params, tmp_path):
    """Each action a learner can take, on two built-in scenarios, through the engine on the
    cached (mapped) incident: the incident as the attempt now sees it is byte for byte a whole
    synthesis of the scenario with that change in its timeline."""
    from dojo.builtin import scenarios_dir
    from dojo.scenario import load_scenario
    from dojo.store import Store

    sc = load_scenario(scenarios_dir() / f"{sid}.yaml")
    cache = Cache(tmp_path / "cache")
    cache.synthesize(sc)
    store = Store.open(tmp_path / "dojo.sqlite3")
    try:
        s = Session.start(sc, store, telemetry=cache.synthesize(sc), clock="manual")
        s.advance(95)
        service = sc.answer.accepted[0].service
        result = s.act(kind, service, params)
        frames_equal(s.signals.tel, synth.synthesize(changed_scenario(sc, result.at, kind, service, params)))
    finally:
        store.close()


def test_a_resumed_attempt_takes_its_actions_again(scenario, cached, store):
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    s.advance(120)
    s.act(**ACTION)
    acted = s.signals.tel
    s.close()
    again = Session.resume(scenario, store, s.attempt_id, telemetry=cached)
    frames_equal(again.signals.tel, acted)


def test_a_bad_action_is_refused_and_not_recorded(scenario, cached, store):
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    with pytest.raises(QueryError, match="no service named 'chekout'"):
        s.act("restart", "chekout")
    with pytest.raises(QueryError, match="a learner's action is one of"):
        s.act("retry_storm", "checkout")
    with pytest.raises(QueryError, match="replica"):
        s.act("scale", "checkout", {"replica": 3})
    with pytest.raises(QueryError, match="payment-provider is a third party's"):
        s.act("restart", "payment-provider")  # an external service: the dialog does not offer it either
    assert "action" not in [e.kind for e in store.events(s.attempt_id)]


def test_an_action_in_the_last_bucket_is_refused_and_not_recorded(scenario, cached, store):
    s = Session.start(scenario, store, telemetry=cached, clock="manual")
    s.advance(scenario.duration - 960.0 - 4.0)  # 4 s before the end: no bucket left to change
    with pytest.raises(QueryError, match="ends before a change made now could take effect"):
        s.act("restart", "checkout")
    assert "action" not in [e.kind for e in store.events(s.attempt_id)]


def test_the_headless_protocol_takes_an_action(scenario, cached, store):
    from dojo.engine.protocol import Protocol

    p = Protocol(Session.start(scenario, store, telemetry=cached, clock="manual"))
    reply = p.handle({"cmd": "act", "kind": "scale", "service": "checkout", "params": {"replicas": 8}})
    assert reply["ok"] and (reply["kind"], reply["at"]) == ("scale", 960.0) and reply["lines"] > 0
    refused = p.handle({"cmd": "act", "kind": "restart", "service": "nowhere"})
    assert not refused["ok"] and "no service named 'nowhere'" in refused["error"]
