"""Evidence is scored by the fact it shows: the same fact from another service on the path, the
change that set the incident off, a caller's span on the failing path; the card says why not."""

from __future__ import annotations

import pytest

from dojo.engine.evidence import explain, matches, related, trigger_explain
from dojo.engine.rules import Rules
from dojo.engine.scoring import score
from dojo.scenario.model import Scenario
from dojo.store import Event

# A name lookup for kv-store fails; auth, api and lease-worker all call it. catalog-db sits under
# api, off lease-worker's path.
KV = {
    "id": "kv",
    "title": "kv",
    "difficulty": 3,
    "duration": "40m",
    "briefing": "x",
    "services": [
        {"name": "gateway", "kind": "lb", "calls": ["auth", "api"], "rps": 50},
        {"name": "auth", "kind": "http", "calls": ["kv-store"]},
        {"name": "api", "kind": "http", "calls": ["kv-store", "catalog"]},
        {"name": "catalog", "kind": "http", "calls": ["catalog-db"]},
        {"name": "catalog-db", "kind": "db"},
        {"name": "kv-store", "kind": "db"},
        {"name": "lease-worker", "kind": "worker", "calls": ["kv-store"], "rps": 12},
    ],
    "timeline": [
        {"at": "12m", "kind": "deploy", "service": "api", "version": "v7.3.0", "red_herring": True},
        {"at": "14m", "id": "plan", "kind": "config_change", "service": "kv-store"},
        {"at": "14m", "id": "dns", "kind": "dns_failure", "service": "kv-store", "for": "16m"},
    ],
    "answer": {
        "accepted": [{"service": "kv-store", "fault": "dns_failure", "trigger": "plan"}],
        "evidence": [
            {"logs": {"service": "api", "contains": "lookup kv-store.default.svc.cluster.local"}},
            {"logs": {"service": "lease-worker", "contains": "no such host"}},
            {"metric": {"service": "kv-store", "name": "rps", "falls": "10x"}},
            {"trace": {"service": "auth", "status": "error", "contains": "no such host"}},
        ],
    },
}


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.from_scenario(Scenario.model_validate(KV))


def sel(rules, i):
    return rules.evidence[i]


NO_SUCH_HOST = (
    "call to kv-store failed: dial tcp: lookup kv-store.default.svc.cluster.local on 10.96.0.10:53: no such host "
    "(request_id=1a2b3c4d)"
)


def test_the_same_fact_from_another_caller_of_the_same_dependency_counts(rules):
    api_lookup = sel(rules, 0)  # {logs: {service: api, contains: "lookup kv-store.default.svc.cluster.local"}}
    auth_line = {"service": "auth", "level": "ERROR", "message": NO_SUCH_HOST}
    assert not matches(api_lookup, "log", auth_line)  # without the topology: only api's copy
    assert matches(api_lookup, "log", auth_line, rules.callers)
    assert related(rules.callers, "auth", "api")  # both call kv-store


def test_the_same_words_off_the_failing_path_do_not_count(rules):
    lease = sel(rules, 1)  # {logs: {service: lease-worker, contains: "no such host"}}
    off_path = {"service": "catalog-db", "level": "ERROR", "message": "no such host"}
    why = explain(lease, "log", off_path, rules.callers)
    assert why and "not on lease-worker's failing path" in why
    assert "does not show" in explain(
        lease, "log", {"service": "auth", "level": "ERROR", "message": "ok"}, rules.callers
    )


def test_a_callers_span_on_the_failing_path_counts(rules):
    auth_span = sel(rules, 3)  # {trace: {service: auth, status: error, contains: "no such host"}}
    gateway = {"service": "gateway", "status": "error", "duration_ms": 40, "message": "call to auth failed"}
    assert matches(auth_span, "span", gateway, rules.callers)
    catalog = {"service": "catalog", "status": "error", "duration_ms": 40, "message": "call to catalog-db failed"}
    assert "not on the path to auth" in explain(auth_span, "span", catalog, rules.callers)
    ok = dict(gateway, status="ok")
    assert "status ok" in explain(auth_span, "span", ok, rules.callers)


def test_the_change_that_set_it_off_is_evidence(rules):
    assert rules.triggers == [{"kind": "config_change", "service": "kv-store", "t": 840.0}]
    plan = {"kind": "config_change", "service": "kv-store", "name": "config change on kv-store", "t": 840.0}
    herring = {"kind": "deploy", "service": "api", "name": "deploy api v7.3.0", "t": 720.0}
    assert trigger_explain(rules.triggers, "event", plan) is None
    assert trigger_explain(rules.triggers, "event", herring) == "a change event that did not set the incident off"


def test_the_card_says_what_each_pin_proved_or_why_not(rules):
    started = {
        "rules": rules.dump(),
        "seed": 1,
        "speed": 1.0,
        "mode": "practice",
        "clock": "manual",
        "start_t": 900.0,
        "time_limit": None,
    }

    def pin(item, kind, snap):
        return Event("pin", 10, 0, {"item": item, "kind": kind, "snapshot": snap})

    events = [
        Event("started", 0, 0, started),
        pin("L1", "log", {"service": "auth", "level": "ERROR", "message": NO_SUCH_HOST}),
        pin("E1", "event", {"kind": "config_change", "service": "kv-store", "name": "x", "t": 840.0}),
        pin("E0", "event", {"kind": "deploy", "service": "api", "name": "x", "t": 720.0}),
        pin("M:kv-store:rps:0:60", "metric", {"service": "kv-store", "metric": "rps", "values": [40, 38, 20]}),
        Event("diagnosis", 60, 0, {"service": "kv-store", "fault": "dns_failure", "correct": True}),
    ]
    card = score(events)
    by = {p.pin: p for p in card.pins}
    # auth's line shows both log facts (api's lookup and "no such host"), wherever they were named.
    assert len(by["L1"].proved) == 2 and by["L1"].why_not == ""
    assert by["E1"].proved and by["E1"].proved[0].startswith("change config_change kv-store")
    assert by["E0"].why_not == "a change event that did not set the incident off"
    assert by["M:kv-store:rps:0:60"].why_not == "it falls 2.0x at most; the fact is a 10x fall"
    assert (card.evidence_matched, card.evidence_total) == (3, 5)
