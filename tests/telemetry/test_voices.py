"""Every line in its service's voice, on routes and tables the topology has; the realism linter
catches each class of give-away."""

from __future__ import annotations

import dataclasses
import ipaddress
import re

import numpy as np
import pyarrow as pa
import pytest

from dojo.authoring.realism import HTTP_LINE, check, sql_problem
from dojo.telemetry.routes import service_api, tables
from dojo.telemetry.synthesize import synthesize
from dojo.telemetry.text import _decoded
from tests.telemetry.scenarios import shop


def _lines(tel, service: str) -> list[str]:
    svc = np.asarray(_decoded(tel.logs.column("service")).to_pylist())
    msg = np.asarray(tel.logs.column("message").to_pylist(), dtype=object)
    return list(msg[svc == service])


@pytest.fixture(scope="module")
def tel():
    return synthesize(shop(duration="20m"))


def test_sql_parser_rejects_the_impossible_and_foreign_tables():
    owned = ("inventory", "inventory_db")
    assert sql_problem("INSERT carts WHERE id = 438673", owned)
    assert sql_problem("UPDATE accounts WHERE id = 192834", owned)
    assert "payments" in sql_problem("SELECT * FROM payments", owned)
    assert sql_problem("SELECT id, status FROM inventory WHERE id = 3", owned) is None
    assert sql_problem("UPDATE inventory SET status = 'x' WHERE id = 3", owned) is None


def test_statements_equal_up_to_their_literals_share_a_verdict_but_not_a_blind_spot():
    """The parser runs once per statement shape (literals and a closing comment set aside): what
    differs in more than a literal is judged on its own, and a problem is worded from itself."""
    owned = ("inventory",)
    ctx = " /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/"
    assert sql_problem("SELECT id FROM inventory WHERE id = 3" + ctx, owned) is None
    assert sql_problem("SELECT id FROM inventory WHERE id = 98765 AND s = 'y'" + ctx, owned) is None
    assert sql_problem("SELECT id FROM inventory WHERE id = 98765 )" + ctx, owned).startswith("SQL does not parse")
    assert sql_problem("SELECT id FROM inventory WHERE id = 4x" + ctx, owned)
    assert sql_problem("SELECT id FROM inventory WHERE id = 'abc", owned).startswith("SQL does not parse")  # no crash
    assert "payments" in sql_problem('SELECT id FROM "payments" WHERE id = 3', owned)  # quoted: parsed as it is
    assert "payments" in sql_problem("SELECT id FROM payments WHERE id = 3" + ctx, owned)
    assert sql_problem("SELECT id FROM inventory WHERE id = 3 /* open", owned)


def test_a_database_owns_a_table_per_service_that_uses_it():
    assert tables(shop()) == {"inventory-db": ("inventory",)}  # its own name and its one user agree
    sc = shop(
        services=[
            *shop().model_dump(by_alias=True, exclude_none=True)["services"],
            {"name": "auth", "kind": "http", "calls": ["inventory-db"]},
        ]
    )
    assert tables(sc) == {"inventory-db": ("inventory", "sessions")}


def test_database_lines_are_statements_on_its_tables_never_requests(tel):
    lines = _lines(tel, "inventory-db")
    assert lines
    assert not [m for m in lines if HTTP_LINE.search(m)]
    stmts = [m.split("statement: ", 1)[1] for m in lines if "statement: " in m]
    assert stmts
    owned = tables(tel.scenario)["inventory-db"]
    assert [s for s in set(stmts) if sql_problem(s, owned)] == []


def test_a_proxy_serves_only_what_it_forwards(tel):
    routes = service_api(tel.scenario)
    assert {r.upstream for r in routes["web"]} == {"checkout"}
    assert {r.path for r in routes["web"]} == {r.path for r in routes["checkout"]}
    access = [m for m in _lines(tel, "web") if "HTTP/1.1" in m]
    assert access
    assert all(
        re.match(r'^\d+\.\d+\.\d+\.\d+ "(GET|POST) /api/v1/checkout\S* HTTP/1.1" \d{3} \d+ rt=\d+\.\d{3} ', m)
        for m in access
    )


def test_internal_services_never_log_public_client_addresses(tel):
    for service in ("checkout", "payments", "inventory", "inventory-db"):
        for m in _lines(tel, service):
            for ip in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", m):
                assert not ipaddress.ip_address(ip).is_global, m


def test_unreachable_services_log_no_successful_probes_and_no_traffic_noise():
    sc = shop(
        [{"at": "5m", "kind": "dns_failure", "service": "inventory-db", "for": "10m"}],
        duration="20m",
    )
    services = [s.model_dump(by_alias=True, exclude_none=True) for s in sc.services]
    services[5]["noise"] = [{"text": "throttled {n} requests: capacity exceeded", "per_min": 30}]
    services.append({"name": "orphan", "kind": "http"})  # nothing calls it, nobody sends it traffic
    sc = shop(sc.model_dump(by_alias=True, exclude_none=True)["timeline"], duration="20m", services=services)
    tel = synthesize(sc)
    t = tel.logs.column("t").to_numpy()
    svc = np.asarray(_decoded(tel.logs.column("service")).to_pylist())
    msg = np.asarray(tel.logs.column("message").to_pylist(), dtype=object)
    during = (t >= 320) & (t < 880)
    throttled = np.char.find(msg.astype(str), "throttled") >= 0
    assert throttled[(svc == "inventory-db") & ~during].any()
    assert not throttled[(svc == "inventory-db") & during].any()
    assert not (svc == "orphan").any()
    assert check(sc, tel) == []


def _with_line(tel, service: str, message: str, level: str = "INFO"):
    """The telemetry with the first line of `service` rewritten."""
    svc = _decoded(tel.logs.column("service")).to_pylist()
    row = svc.index(service)
    msg = tel.logs.column("message").to_pylist()
    msg[row] = message
    logs = tel.logs.set_column(tel.logs.schema.get_field_index("message"), "message", pa.array(msg, pa.string()))
    return dataclasses.replace(tel, logs=logs)


@pytest.mark.parametrize(
    "service, message, rule",
    [
        ("inventory-db", "slow request POST /api/v1/invoices/68622 took 4056ms", "voice"),
        ("inventory-db", "duration: 4 ms statement: INSERT carts WHERE id = 438673", "sql"),
        ("inventory-db", "duration: 4 ms statement: SELECT * FROM payments WHERE id = 1", "sql"),
        ("checkout", "DELETE /api/v1/payments/3810 200 12ms client=10.2.3.4", "route"),
        ("checkout", "GET /api/v1/checkout/1 200 12ms client=81.2.69.142", "client-ip"),
        ("checkout", "GET /api/v1/checkout/1 200 5291ms client=10.2.3.4", "timeout"),
    ],
)
def test_the_linter_flags_each_class_of_give_away(tel, service, message, rule):
    assert check(tel.scenario, tel) == []
    found = check(tel.scenario, _with_line(tel, service, message))
    assert [(f.rule, f.service) for f in found] == [(rule, service)], [f.line() for f in found]


def test_the_linter_flags_latency_without_traffic(tel):
    m = tel.metrics.copy()
    rps = (m.metric == "rps") & (m.service == "inventory") & (m.t == 60.0)
    m.loc[rps, "value"] = 0.0
    p99 = (m.metric == "latency_p99_ms") & (m.service == "inventory") & (m.t == 60.0)
    assert m.loc[p99, "value"].notna().all()
    found = check(tel.scenario, dataclasses.replace(tel, metrics=m))
    assert ("metric", "inventory") in [(f.rule, f.service) for f in found]


def test_no_latency_is_reported_for_a_bucket_without_requests():
    sc = shop([{"at": "5m", "kind": "dns_failure", "service": "inventory-db", "for": "10m"}], duration="20m")
    m = synthesize(sc).metrics
    db = m[m.service == "inventory-db"].pivot(index="t", columns="metric", values="value")
    idle = db["rps"] == 0
    assert idle.any()
    assert db.loc[idle, "latency_p99_ms"].isna().all()
    assert db.loc[~idle, "latency_p99_ms"].notna().all()
