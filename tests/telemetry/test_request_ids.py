"""A failed request can be followed into every callee that saw it, in that callee's own words, and
every hop tells the status it really got: a database's statement log carries the request id in
the statement's comment, a cache's line the key the caller asked for, a broker's the message id;
an app that got a 500 says 500 and answers 500; a balancer passes the upstream's status on and
answers 502/503/504 for what it could not get."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pytest

from dojo.scenario.model import Scenario
from dojo.telemetry.synthesize import synthesize
from dojo.telemetry.text import _decoded


def _system(timeline: list[dict], **more) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "ids",
            "title": "ids",
            "difficulty": 2,
            "duration": "20m",
            "seed": 11,
            "log_sample": 1.0,
            "traces_per_min": 30,
            "briefing": "x",
            "services": [
                {"name": "web", "kind": "lb", "calls": ["api"], "rps": 30, "timeout_ms": 5000},
                {
                    "name": "api",
                    "kind": "http",
                    "calls": ["api-db", "api-cache", "jobs", "payments"],
                    "timeout_ms": 1000,
                },
                {"name": "api-db", "kind": "db", "error_rate": 0.03},
                {"name": "api-cache", "kind": "cache", "error_rate": 0.03},
                {"name": "jobs", "kind": "queue", "error_rate": 0.03},
                {"name": "payments", "kind": "http", "error_rate": 0.03, "capacity_rps": 60},
            ],
            "timeline": timeline,
            "answer": {"accepted": [{"service": "api-db", "fault": "dependency_latency"}]},
            **more,
        }
    )


SLOW_DB = {"at": "5m", "kind": "dependency_latency", "service": "api-db", "params": {"added_ms": 1500}, "for": "4m"}
SURGE = {"at": "12m", "kind": "traffic_surge", "service": "web", "params": {"factor": 3}, "for": "4m"}


@pytest.fixture(scope="module")
def lines():
    tel = synthesize(_system([SLOW_DB, SURGE]))
    svc = np.asarray(_decoded(tel.logs.column("service")).to_pylist(), dtype=object)
    msg = np.asarray(tel.logs.column("message").to_pylist(), dtype=object)
    t = tel.logs.column("t").to_numpy()
    return list(zip(svc.tolist(), msg.tolist(), t.tolist(), strict=True))


def _callee_lines(lines, service: str) -> list[tuple[str, float]]:
    return [(m, t) for s, m, t in lines if s == service]


def test_a_failed_query_is_in_the_databases_statement_log_with_the_request_id(lines):
    db = {m_.group(1): m for m, _ in _callee_lines(lines, "api-db") if (m_ := re.search(r"request_id='(\w+)'", m))}
    failed = [
        (m_.group(1), m_.group(2), m)
        for s, m, _ in lines
        if s == "api" and (m_ := re.search(r"query on api-db (failed|canceled).*\(request_id=(\w+)\)", m))
    ]
    failed = [(ids, how, m) for how, ids, m in failed]
    assert len([f for f in failed if f[1] == "failed"]) > 10 and len([f for f in failed if f[1] == "canceled"]) > 10
    for rid, how, m in failed:
        if "too many clients" in m:
            continue  # a refused connection never ran a statement
        assert rid in db, m
        theirs = db[rid]
        if how == "canceled":  # the driver's timeout sends a cancel request: PostgreSQL's words
            assert "canceling statement due to user request" in theirs, theirs
        else:
            assert "could not serialize access" in theirs and "could not serialize access" in m, (m, theirs)


def test_a_failed_cache_call_names_the_key_the_cache_logged(lines):
    cache = defaultdict(list)
    for m, t in _callee_lines(lines, "api-cache"):
        if k := re.search(r"GET (\S+)", m):
            cache[k.group(1)].append((m, t))
    failed = [
        (k.group(1), m, t)
        for s, m, t in lines
        if s == "api" and (k := re.search(r"cache GET (\S+) on api-cache (?:failed|timed out)", m))
    ]
    assert len(failed) > 10
    for key, m, t in failed:
        theirs = [x for x, tc in cache.get(key, ()) if abs(tc - t) < 1.0]
        assert theirs, m
        if "timed out" in m:
            assert any("slowlog" in x for x in theirs), (m, theirs)
        else:
            assert any("ERR internal error executing GET" in x for x in theirs), (m, theirs)


def test_a_failed_publish_names_the_message_the_broker_logged(lines):
    broker = {u.group(0) for m, _ in _callee_lines(lines, "jobs") if (u := re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}", m))}
    failed = [
        (u.group(1), m)
        for s, m, _ in lines
        if s == "api" and (u := re.search(r"publish of message (\S+) to jobs (?:failed|rejected)", m))
    ]
    assert len(failed) > 10
    assert all(u in broker for u, _ in failed), [m for u, m in failed if u not in broker][:3]


def _answer(service: str, kind: str, msg: str) -> str | None:
    """The status a service answered for a request, read from its own line of it."""
    if kind == "lb":
        m = re.search(r'HTTP/1\.1" (\d{3}) ', msg)
        return m.group(1) if m else None
    if re.search(r" 499 |client closed request", msg):
        return None  # cancelled: its caller gave up, nobody got an answer
    m = re.match(r"(?:GET|POST|PUT|PATCH|DELETE) \S+ (\d{3}) ", msg)
    if m:
        return m.group(1)
    if msg.startswith(("call to ", "query on ", "cache ", "publish of ", "connect to ")):
        return "500"  # an app whose call failed fails the request: 500
    return None


def test_every_hop_tells_the_status_it_got_and_answers_per_its_voice(lines):
    kinds = {"web": "lb", "api": "http", "payments": "http"}
    by_id: dict[str, dict[str, str]] = defaultdict(dict)
    for s, m, _ in lines:
        if s in kinds and (r := re.search(r"request_id=(\w{12})\b", m)):
            by_id[r.group(1)][s] = m
    checked = defaultdict(int)
    for rid, hop in by_id.items():
        # api's line about payments says the status payments' own line of the request answered.
        if "payments" in hop and (said := re.search(r"call to payments failed: (\d{3}) ", hop.get("api", ""))):
            got = _answer("payments", "http", hop["payments"])
            assert said.group(1) == got, (rid, hop)
            checked[f"app sees {got}"] += 1
        # web passes api's status on; 504 when its own timeout ran out, 502 when it could not connect.
        if "web" in hop and "api" in hop:
            web = _answer("web", "lb", hop["web"])
            api = _answer("api", "http", hop["api"])
            if web == "504":
                assert api is None, (rid, hop)  # api's side of it is a cancellation
            else:
                assert web == api, (rid, hop)
            checked[f"lb passes {web}"] += 1
    assert checked["app sees 500"] > 10 and checked["app sees 503"] > 10, dict(checked)
    assert checked["lb passes 500"] > 10, dict(checked)
    # Nobody reports a 503 for a request its callee logged as a 500, anywhere.
    for rid, hop in by_id.items():
        statuses = {s: _answer(s, kinds[s], m) for s, m in hop.items()}
        if statuses.get("payments") == "500":
            assert "failed: 503 " not in hop.get("api", "") and statuses.get("web") in ("500", "504", None), (rid, hop)


def test_a_balancer_answers_503_when_no_instance_of_its_upstream_is_left():
    crash = {"at": "4m", "kind": "crash_loop", "service": "api", "for": "6m"}
    tel = synthesize(_system([crash], duration="12m"))
    svc = np.asarray(_decoded(tel.logs.column("service")).to_pylist(), dtype=object)
    msg = np.asarray(tel.logs.column("message").to_pylist(), dtype=object)
    web = [
        m
        for s, m in zip(svc, msg, strict=True)
        if s == "web" and re.search(r'HTTP/1\.1" 50[23] ', m) and "trace_id=" not in m
    ]
    assert any('" 503 ' in m and "no healthy upstream" in m for m in web), web[:5]
    assert all("request_id=" in m for m in web)
