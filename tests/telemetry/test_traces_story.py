"""Traces tell the metrics' story bucket by bucket: error spans in proportion to each service's
error rate, cancellations on both sides of a timeout, a retry never without its first attempt,
and a load balancer's failures as 502/504 access lines in the numbers its metrics show."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from dojo.telemetry.synthesize import synthesize
from dojo.telemetry.text import _decoded

from .scenarios import shop

SLOW = {"at": "10m", "kind": "dependency_latency", "service": "provider", "params": {"added_ms": 1500}, "for": "10m"}
BROKEN = {"at": "5m", "kind": "code_defect", "service": "payments", "params": {"tenant_share": 0.3}, "for": "15m"}
DNS = {"at": "5m", "kind": "dns_failure", "service": "inventory", "for": "10m"}


def _shop(timeline: list[dict], change: dict[str, dict], **overrides):
    """The shop with some services changed (by name)."""
    base = shop(timeline, **overrides)
    services = [dict(s.model_dump(by_alias=True), **change.get(s.name, {})) for s in base.services]
    return shop(timeline, services=services, **overrides)


@pytest.fixture(scope="module")
def slow():
    return synthesize(shop([SLOW], traces_per_min=120, duration="25m"))


@pytest.fixture(scope="module")
def gateway():
    # web gives up on checkout (800 ms) before checkout gives up on payments (1 s).
    return synthesize(_shop([SLOW], {"web": {"timeout_ms": 800}}, duration="20m"))


@pytest.fixture(scope="module")
def broken():
    return synthesize(shop([BROKEN], traces_per_min=120, duration="25m", log_sample=1.0))


@pytest.fixture(scope="module")
def dns():
    return synthesize(_shop([DNS], {"checkout": {"retries": 2}}, traces_per_min=120, duration="20m"))


def _log_binom_tail(k: int, n: int, p: float, upper: bool) -> float:
    """log P(X >= k) (upper) or log P(X <= k) for X ~ Binomial(n, p)."""
    if p <= 0:
        return 0.0 if (not upper or k == 0) else -math.inf
    if p >= 1:
        return 0.0 if (upper or k == n) else -math.inf
    terms = range(k, n + 1) if upper else range(0, k + 1)
    logs = [
        math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * math.log(p) + (n - j) * math.log1p(-p)
        for j in terms
    ]
    top = max(logs)
    return top + math.log(sum(math.exp(x - top) for x in logs))


def _server_spans(spans: pd.DataFrame) -> pd.DataFrame:
    """One span per request a service served: not a caller's failed connect, not a cancellation
    (that is the caller's timeout, which the callee's error rate does not count)."""
    own = ~spans["name"].str.startswith("connect ") & ~spans["message"].str.startswith("context canceled")
    return spans[own]


@pytest.mark.parametrize("tel_name", ["slow", "broken", "dns"])
def test_error_spans_follow_each_services_error_rate_in_every_bucket(tel_name, request):
    tel = request.getfixturevalue(tel_name)
    grid = tel.grid
    m = tel.metrics.pivot_table(index=["service", "t"], columns="metric", values="value")
    spans = _server_spans(tel.spans)
    spans = spans.assign(b=np.floor(spans["t"] / grid) * grid)
    worst = 0.0
    tested = 0
    for (svc, b), g in spans.groupby(["service", "b"]):
        if (svc, b) not in m.index:
            continue
        rate = float(m.loc[(svc, b), "error_rate"])
        n_req = float(m.loc[(svc, b), "rps"]) * grid
        k, e = len(g), int((g["status"] == "error").sum())
        # The metric is itself a sample: widen its rate by its own counting noise.
        slack = 3.0 * math.sqrt(max(rate * (1 - rate), 1.0 / max(n_req, 1.0)) / max(n_req, 1.0))
        hi, lo = min(rate + slack, 1.0), max(rate - slack, 0.0)
        p_up = _log_binom_tail(e, k, max(hi, 1e-3), upper=True)
        p_down = _log_binom_tail(e, k, lo, upper=False)
        worst = min(worst, p_up, p_down)
        tested += 1
    assert tested > 100
    # Far beyond chance over a few hundred buckets: e.p. errors in traces while the service
    # reports none, or no error trace where a third of its requests fail.
    assert worst > math.log(1e-6), worst


def test_a_failing_service_has_error_traces_whenever_it_fails(broken):
    spans = _server_spans(broken.spans)
    pay = spans[(spans.service == "payments") & (spans.t >= 360) & (spans.t < 1200)]
    assert (pay.status == "error").mean() == pytest.approx(0.3, abs=0.08)


def test_a_call_cut_by_its_callers_timeout_ends_in_error_on_both_sides(slow):
    spans = slow.spans
    by_id = spans.set_index("span_id")
    cut = spans[spans.message.str.startswith("context canceled: checkout gave up after 1000ms")]
    assert len(cut) > 20
    assert (cut.status == "error").all()
    parents = by_id.loc[cut.parent_id]
    assert (parents.status == "error").all()
    assert parents.message.str.contains("deadline exceeded calling payments").mean() > 0.9  # or an earlier failure
    # Never a success slower than its caller waited.
    caller = spans.parent_id.map(by_id["service"])
    ok = spans[(spans.status == "ok") & (caller == "checkout")]
    assert (ok.duration_ms <= 1000).all()


def test_the_callees_side_of_a_timeout_is_logged_as_cancelled_with_the_callers_request_id(slow):
    msg = slow.logs.column("message").to_pylist()
    svc = _decoded(slow.logs.column("service")).to_pylist()
    timeouts = {
        m.group(1): s
        for s, line in zip(svc, msg, strict=True)
        if (m := re.search(r"call to payments timed out after 1000ms \(request_id=(\w+)\)", line))
    }
    cancelled = {
        m.group(1): s
        for s, line in zip(svc, msg, strict=True)
        if (m := re.search(r" 499 \d+ms client closed request: checkout gave up after 1000ms request_id=(\w+)", line))
    }
    assert len(timeouts) > 10
    assert set(timeouts) <= set(cancelled)
    assert set(cancelled.values()) == {"payments"}


def test_a_retry_span_always_has_its_first_attempt(dns):
    spans = dns.spans
    retries = spans[spans.name.str.endswith("(retry)")]
    assert len(retries) > 20
    first = spans[~spans.name.str.endswith("(retry)")]
    # The first attempt: the callee's span, or (when the connect failed) the caller's client span.
    callee_first = set(zip(first.parent_id, first.service, strict=True))
    connect_first = set(zip(first.parent_id, first.name, strict=True))
    for parent, service, name in zip(retries.parent_id, retries.service, retries.name, strict=True):
        target = name.removeprefix("connect ").removesuffix(" (retry)") if name.startswith("connect ") else service
        assert (parent, target) in callee_first or (parent, f"connect {target}") in connect_first, (name, service)
    connects = spans[spans.name.str.startswith("connect inventory")]
    assert len(connects) and (connects.service == "checkout").all() and (connects.status == "error").all()
    assert connects.message.str.contains("no such host").all()


def test_a_load_balancers_failures_are_502_and_504_access_lines_in_its_error_numbers(broken, gateway):
    for tel in (broken, gateway):
        grid = tel.grid
        svc = np.asarray(_decoded(tel.logs.column("service")).to_pylist(), dtype=object)
        level = np.asarray(_decoded(tel.logs.column("level")).to_pylist(), dtype=object)
        msg = np.asarray(tel.logs.column("message").to_pylist(), dtype=object)
        plain = np.asarray(tel.logs.column("trace_id").to_pylist(), dtype=object) == ""
        web_err = msg[(svc == "web") & (level == "ERROR") & plain]
        assert len(web_err) > 20
        access = re.compile(r'^\S+ "(GET|POST|PUT|PATCH|DELETE) /api/v1/checkout\S* HTTP/1.1" (50[0234]) 0 rt=')
        codes = [access.match(x) for x in web_err]
        assert all(codes), [x for x, c in zip(web_err, codes, strict=True) if not c][:3]
        m = tel.metrics[(tel.metrics.service == "web")].pivot_table(index="t", columns="metric", values="value")
        failed = float((m["rps"] * grid * m["error_rate"]).sum())
        sample = tel.scenario.log_sample
        # Every failed request the metrics count is a line with chance log_sample.
        expected = failed * sample
        assert abs(len(web_err) - expected) < 4 * math.sqrt(expected * (1 - sample)) + 2, (len(web_err), expected)
    slow_codes = {access.match(x).group(2) for x in web_err}
    assert "504" in slow_codes


def test_a_retry_cut_by_its_callers_cancellation_ends_cancelled_not_failed():
    """edge (3 s) -> api (1 s, 2 retries) -> db, made slow: api's third attempt is still running
    when edge gives up on api. That attempt ends cancelled, as the first two do (they outlived
    api's own timeout), never as a failure of db's own, which db's error rate does not count (the
    property test found "attempt 3 failed" spans making db's traces all-error at a 9% error rate)."""
    from dojo.scenario.model import Scenario

    def svc(name, kind="http", calls=(), **extra):
        return {"name": name, "kind": kind, "calls": list(calls), **extra}

    sc = Scenario.model_validate(
        {
            "id": "cut-retry", "title": "cut retry", "difficulty": 2, "duration": "10m", "seed": 1,
            "traces_per_min": 60, "briefing": "x",
            "services": [
                svc("edge", "lb", ["api"], rps=5, timeout_ms=3000),
                svc("api", calls=["db"], timeout_ms=1000, retries=2),
                svc("db", timeout_ms=300),
            ],
            "timeline": [{"at": "3m", "kind": "dependency_latency", "service": "db", "for": "4m"}],
            "answer": {"accepted": [{"service": "db", "fault": "dependency_latency"}]},
        }
    )  # fmt: skip
    spans = synthesize(sc).spans
    ends = (spans["t"] + spans["duration_ms"] / 1000.0).round(3)
    parent_end = spans["parent_id"].map(pd.Series(ends.values, index=spans["span_id"]))
    retries = spans[(spans["service"] == "db") & spans["name"].str.endswith("(retry)")]
    at_callers_end = ends[retries.index] >= parent_end[retries.index] - 0.002
    cut_short = retries[(retries["duration_ms"] < 1000 - 1e-6) & at_callers_end]
    assert len(cut_short) >= 5  # the case is there
    assert cut_short["message"].str.startswith("context canceled").all(), cut_short["message"].value_counts()
    assert (cut_short["status"] == "error").all()
