"""The evidence cases of the scoring rules, played over the headless protocol: the auth copy of
the kv-store lookup error, the change that set it off, a span on the failing path, and a
change that did not; the card says what each pin proved, or why it proved nothing."""

from __future__ import annotations

import json

import pytest

from dojo.engine.protocol import Protocol
from dojo.engine.session import Session
from dojo.scenario.model import Scenario
from dojo.telemetry.synthesize import synthesize
from tests.engine.test_evidence_facts import KV


@pytest.fixture(scope="module")
def kv():
    sc = Scenario.model_validate(KV)
    return sc, synthesize(sc)


def test_a_senior_engineers_pins_score_as_expected(kv, store):
    sc, tel = kv
    proto = Protocol(Session.start(sc, store, telemetry=tel, clock="manual"))

    def send(obj: dict) -> dict:
        reply = proto.handle_line(json.dumps(obj))
        assert reply["ok"], reply
        return reply

    send({"cmd": "advance", "seconds": 600})
    (line,) = send({"cmd": "logs", "service": "auth", "contains": "no such host", "limit": 1})["lines"]
    changes = {e["kind"]: e["id"] for e in send({"cmd": "events", "kind": "changes"})["events"]}
    (trace,) = send({"cmd": "traces", "service": "gateway", "status": "error", "limit": 1})["traces"]
    for item in (line["id"], changes["config_change"], changes["deploy"], trace["match"]):
        send({"cmd": "pin", "item": item})
    send({"cmd": "diagnose", "service": "kv-store", "fault": "dns_failure", "explanation": "lookups fail"})
    card = send({"cmd": "score"})
    pins = {p["pin"]: p for p in card["pins"]}
    # auth's copy of the lookup error proves both log facts (named on api and lease-worker).
    assert len(pins[line["id"]]["proved"]) == 2
    assert pins[changes["config_change"]]["proved"] == ["change config_change kv-store at 840s"]
    assert pins[changes["deploy"]]["why_not"] == "a change event that did not set the incident off"
    # gateway's failing span is on the path to auth: it shows auth's failing call.
    assert pins[trace["match"]]["proved"] == ["trace auth status=error contains='no such host'"]
    assert (card["evidence_matched"], card["evidence_total"]) == (4, 5)
