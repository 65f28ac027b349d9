"""Per-operation figures reach the signals: a write path that fails beside reads that do not is
seen apart in the metrics (`error_rate{op=put}`), the log lines (the route of each failed
request) and the spans (the operation's name)."""

import numpy as np
import pyarrow.compute as pc
import pytest

from dojo.scenario.vocabulary import op_metric, split_op_metric
from dojo.telemetry.synthesize import synthesize

from .test_physics_state import tiny

API = {
    "name": "api",
    "kind": "http",
    "calls": ["db"],
    "operations": [
        {"name": "get", "route": "GET /api/v1/items/{id}", "share": 0.7, "latency_ms": 20},
        {"name": "put", "route": "PUT /api/v1/items/{id}", "share": 0.3, "writes": True, "latency_ms": 40},
    ],
}
SERVICES = [{"name": "edge", "kind": "lb", "calls": ["api"], "rps": 60}, API, {"name": "db", "kind": "db"}]
# Writes fail (every one of them), reads do not.
WRITES_FAIL = {
    "at": "5m",
    "kind": "code_defect",
    "service": "api",
    "operation": "put",
    "for": "10m",
    "params": {"tenant_share": 1.0},
}
FAULT = (330.0, 900.0)


@pytest.fixture(scope="module")
def tel():
    return synthesize(tiny(SERVICES, [WRITES_FAIL]))


def series(tel, service, metric):
    m = tel.metrics
    return m[(m["service"] == service) & (m["metric"] == metric)].set_index("t")["value"]


def during(s):
    return s[(s.index >= FAULT[0]) & (s.index < FAULT[1])]


def test_vocabulary_names_one_operations_series():
    assert op_metric("error_rate", "put") == "error_rate{op=put}"
    assert split_op_metric("error_rate{op=put}") == ("error_rate", "put")
    assert split_op_metric("error_rate") == ("error_rate", None)


def test_the_write_operations_errors_are_high_and_the_reads_zero(tel):
    put = during(series(tel, "api", op_metric("error_rate", "put")))
    get = during(series(tel, "api", op_metric("error_rate", "get")))
    assert put.mean() > 0.9
    assert get.mean() < 0.01
    # Before the fault both are healthy.
    assert series(tel, "api", op_metric("error_rate", "put"))[lambda s: s.index < 290].mean() < 0.02


def test_operations_add_up_to_the_service(tel):
    rps = series(tel, "api", "rps")
    parts = series(tel, "api", op_metric("rps", "get")) + series(tel, "api", op_metric("rps", "put"))
    assert np.allclose(parts.to_numpy(), rps.to_numpy())
    # The service's error rate is its operations' failures over its requests.
    err = series(tel, "api", "error_rate")
    failed = sum(
        series(tel, "api", op_metric("error_rate", o)) * series(tel, "api", op_metric("rps", o)) for o in ("get", "put")
    )
    assert np.allclose((err * rps).to_numpy(), failed.to_numpy(), atol=0.02)  # 4 decimals each
    share = during(series(tel, "api", op_metric("rps", "put"))) / during(rps)
    assert abs(share.mean() - 0.3) < 0.05


def _lines(tel, service, level=None):
    logs = tel.logs
    t = logs.column("t").to_numpy()
    keep = pc.equal(logs.column("service").cast("string"), service).to_numpy(zero_copy_only=False)
    if level is not None:
        keep &= pc.equal(logs.column("level").cast("string"), level).to_numpy(zero_copy_only=False)
    keep &= (t >= FAULT[0]) & (t < FAULT[1])
    return [m for m, k in zip(logs.column("message").to_pylist(), keep) if k]


def test_failed_requests_are_logged_on_the_write_route(tel):
    errors = [m for m in _lines(tel, "api", "ERROR") if "/api/v1/items" in m and "completed" not in m]
    assert len(errors) > 20
    puts = sum("PUT /api/v1/items" in m for m in errors)
    assert puts / len(errors) > 0.95
    # The load balancer's lines about the same requests name the same route.
    edge = [m for m in _lines(tel, "edge", "ERROR") if "upstream=api" in m]
    assert len(edge) > 10 and sum("PUT /api/v1/items" in m for m in edge) / len(edge) > 0.95
    # Successful requests are the reads.
    ok = [m for m in _lines(tel, "api", "INFO") if m.startswith(("GET /api", "PUT /api")) and " 200 " in m]
    assert len(ok) > 20 and sum(m.startswith("GET") for m in ok) / len(ok) > 0.95


def test_spans_carry_the_operation_and_its_outcome(tel):
    sp = tel.spans
    sp = sp[(sp["service"] == "api") & (sp["t"] >= FAULT[0]) & (sp["t"] < FAULT[1])]
    put = sp[sp["name"] == "PUT /api/v1/items/:id"]
    get = sp[sp["name"] == "GET /api/v1/items/:id"]
    assert len(put) > 10 and len(get) > 20
    assert (put["status"] == "error").mean() > 0.9
    assert (get["status"] == "error").mean() < 0.05
    # Reads are cheaper than writes in the spans too.
    before = tel.spans[(tel.spans["service"] == "api") & (tel.spans["t"] < 290)]
    assert (
        before[before["name"].str.startswith("PUT")]["duration_ms"].median()
        > before[before["name"].str.startswith("GET")]["duration_ms"].median()
    )


def test_a_proxy_in_front_logs_the_failing_writes_as_failures_not_successes(tel):
    ok = [m for m in _lines(tel, "edge", "INFO") if "upstream=api" in m and '" 200 ' in m]
    assert len(ok) > 20 and sum('"PUT ' in m for m in ok) / len(ok) < 0.03


def test_headless_metrics_select_an_operations_series(tel):
    from dojo.engine.api import MetricQuery
    from dojo.engine.queries import Signals

    sig = Signals(tel)
    catalog = sig.metrics(MetricQuery(), 1200.0)
    assert op_metric("error_rate", "put") in catalog.services["api"]
    res = sig.metrics(MetricQuery(service="api", metric=op_metric("error_rate", "put"), since=330, until=900), 1200.0)
    assert res.window.mean > 0.9
    res = sig.metrics(MetricQuery(service="api", metric=op_metric("error_rate", "get"), since=330, until=900), 1200.0)
    assert res.window.max < 0.05
