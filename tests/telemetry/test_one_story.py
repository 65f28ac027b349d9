"""Property: on random small systems, logs, metrics and traces tell one story in every bucket."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dojo.authoring.realism import check
from dojo.scenario.model import Scenario
from dojo.telemetry.synthesize import synthesize
from dojo.telemetry.text import _decoded

from .test_traces_story import _log_binom_tail, _server_spans

FAULTS = [
    "dependency_latency",
    "dns_failure",
    "traffic_surge",
    "code_defect",
    "cpu_saturation",
    "certificate_expiry",
    "connection_pool_exhaustion",
    "retry_storm",
]
KINDS = ["http", "http", "db", "cache", "worker"]
REQUEST_ID = re.compile(r"(?:request_id=|job )([0-9a-f]{12})\b")
UPSTREAM = re.compile(r"upstream=(\S+)")


@st.composite
def systems(draw) -> Scenario:
    n = draw(st.integers(2, 5))
    entry_kind = draw(st.sampled_from(["lb", "http"]))
    services = [{"name": "edge", "kind": entry_kind, "rps": draw(st.sampled_from([5, 30, 120])), "calls": []}]
    for i in range(1, n):
        kind = draw(st.sampled_from(KINDS))
        parent = draw(st.integers(0, i - 1))
        # Leaves that cannot call (a db, a cache) hang off the nearest service that can.
        while services[parent]["kind"] in ("db", "cache"):
            parent -= 1
        services.append(
            {
                "name": f"svc{i}",
                "kind": kind,
                "calls": [],
                "timeout_ms": draw(st.sampled_from([300, 1000, 3000])),
                "retries": draw(st.integers(0, 2)),
            }
        )
        services[parent]["calls"].append(f"svc{i}")
    target = draw(st.integers(0, n - 1))
    fault = draw(st.sampled_from(FAULTS))
    timeline = [{"at": "3m", "kind": fault, "service": services[target]["name"], "for": "4m"}]
    return Scenario.model_validate(
        {
            "id": "prop",
            "title": "random",
            "difficulty": 2,
            "duration": "10m",
            "seed": draw(st.integers(0, 10_000)),
            "log_sample": draw(st.sampled_from([0.05, 0.3, 1.0])),
            "traces_per_min": 20,
            "briefing": "x",
            "services": services,
            "timeline": timeline,
            "answer": {"accepted": [{"service": services[target]["name"], "fault": fault}]},
        }
    )


def _worst_error_span_bucket(tel) -> float:
    """The least likely (log probability) share of error spans of any service in any bucket,
    given that service's error-rate metric in that bucket."""
    grid = tel.grid
    m = tel.metrics.pivot_table(index=["service", "t"], columns="metric", values="value")
    spans = _server_spans(tel.spans)
    spans = spans.assign(b=np.floor(spans["t"] / grid) * grid, err=spans["status"] == "error")
    per = spans.groupby(["service", "b"])["err"].agg(["size", "sum"])
    worst = 0.0
    for (svc, b), (k, e) in per.iterrows():
        if (svc, b) not in m.index or not np.isfinite(m.loc[(svc, b), "error_rate"]):
            continue
        rate = float(m.loc[(svc, b), "error_rate"])
        n_req = float(m.loc[(svc, b), "rps"]) * grid
        # The metric is itself a sample: widen its rate by its own counting noise.
        slack = 3.0 * math.sqrt(max(rate * (1 - rate), 1.0 / max(n_req, 1.0)) / max(n_req, 1.0))
        hi, lo = min(rate + slack, 1.0), max(rate - slack, 0.0)
        worst = min(
            worst,
            _log_binom_tail(int(e), int(k), max(hi, 1e-3), upper=True),
            _log_binom_tail(int(e), int(k), lo, upper=False),
        )
    return worst


def _per_bucket(tel, mask: np.ndarray, service: np.ndarray, grid: float) -> pd.Series:
    t = tel.logs.column("t").to_numpy()[mask]
    return (
        pd.Series(1, index=pd.MultiIndex.from_arrays([service[mask], np.floor(t / grid) * grid]))
        .groupby(level=[0, 1])
        .sum()
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_logs_metrics_and_traces_never_contradict(sc: Scenario) -> None:
    tel = synthesize(sc)
    grid = sc.grid
    m = tel.metrics.pivot_table(index=["service", "t"], columns="metric", values="value", dropna=False)
    requests = np.rint(m["rps"] * grid)
    errors = np.rint(m["error_rate"] * requests)

    # No numbers without traffic, and traffic means numbers.
    assert m.loc[requests == 0, "latency_p99_ms"].isna().all()
    assert m.loc[requests > 0, "latency_p99_ms"].notna().all()

    # A bucket's request lines never outnumber the requests the metrics counted, nor its error
    # lines the failures (span lines are the sampled traces, counted apart).
    service = np.asarray(_decoded(tel.logs.column("service")).to_pylist(), dtype=object)
    level = np.asarray(_decoded(tel.logs.column("level")).to_pylist(), dtype=object)
    msg = np.asarray(tel.logs.column("message").to_pylist(), dtype=object)
    plain = np.asarray(tel.logs.column("trace_id").to_pylist(), dtype=object) == ""
    probe = np.array(["/healthz" in x for x in msg])
    err_lines = _per_bucket(tel, plain & (level == "ERROR"), service, grid)
    for key, n in err_lines.items():
        assert n <= errors.get(key, 0) + 0, (key, n, errors.get(key))
    ok_lines = _per_bucket(tel, plain & (level == "INFO") & ~probe, service, grid)
    for key, n in ok_lines.items():
        assert n <= requests.get(key, 0) - errors.get(key, 0), (key, n)

    # Timeouts are timeouts everywhere: no call outlasts the timeout of the caller waiting on it.
    spans = tel.spans
    if len(spans):
        timeout = {s.name: s.timeout_ms for s in sc.services}
        parent = spans.set_index("span_id")["service"]
        callers = spans["parent_id"].map(parent)
        has = callers.notna()
        limit = callers[has].map(timeout)
        assert (spans.loc[has, "duration_ms"] <= limit + 1e-6).all()
        # A call its caller gave up on is no success on either side.
        cut = has & (spans["duration_ms"] >= callers.map(timeout).fillna(np.inf) - 1e-6)
        assert (spans.loc[cut, "status"] == "error").all()
        parent_status = spans["parent_id"].map(spans.set_index("span_id")["status"])
        no_retry = callers.map({s.name: s.retries == 0 for s in sc.services}).fillna(False).astype(bool)
        assert (parent_status[cut & no_retry] == "error").all()  # (a retry may still succeed)

    # Error traces in proportion to errors, per service and per bucket, within sampling noise
    # (both the traces and the metric are samples): never error spans where the metric shows no
    # failures, never all-ok traces where a service fails a third of its requests.
    assert _worst_error_span_bucket(tel) > math.log(1e-7)

    # One request, one story: an id is on one line per service, only on services that call each
    # other, within a second; and a caller's failed call to an HTTP service names a request
    # the callee logged too.
    t = tel.logs.column("t").to_numpy()
    seen: dict[str, list[tuple[str, float]]] = {}
    by_line: dict[str, list[int]] = {}
    for k, m_ in enumerate(msg):
        for x in REQUEST_ID.findall(m_):
            seen.setdefault(x, []).append((service[k], float(t[k])))
            by_line.setdefault(x, []).append(k)
    calls = {s.name: set(s.calls) for s in sc.services}
    for x, where in seen.items():
        names = [w[0] for w in where]
        assert len(names) == len(set(names)), (x, where)
        assert max(w[1] for w in where) - min(w[1] for w in where) < 1.0, (x, where)
        for a in names:
            assert any(a in calls[b] or b in calls[a] for b in names if b != a) or len(names) == 1, (x, where)
    kinds = {s.name: s.kind for s in sc.services}
    # No success after a timeout for the same request: the callee's line of a request its caller
    # timed out on is a cancellation (499, WARN), never a 200.
    route = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE) /\S*")
    for rows in by_line.values():
        # A proxy's line and its upstream's own name the same request line.
        for k in rows:
            up = UPSTREAM.search(msg[k])
            if kinds[service[k]] == "lb" and up and (m_ := route.search(msg[k])):
                theirs = [route.search(msg[j]) for j in rows if service[j] == up.group(1)]
                assert all(r is None or r.group(0) == m_.group(0) for r in theirs), [msg[j] for j in rows]
        if any("timed out after" in msg[k] for k in rows):
            callee = [k for k in rows if "timed out after" not in msg[k] and "504" not in msg[k]]
            assert all(level[k] != "INFO" and " 200 " not in msg[k] for k in callee), [msg[k] for k in rows]
    caller_side = re.compile(r"call to (\S+) (?:timed out after|failed: 503 Service).*request_id=([0-9a-f]+)")
    lb_side = re.compile(r'" 50[24] 0 .* upstream=(\S+) request_id=([0-9a-f]+)')
    for m_ in msg:
        hit = caller_side.search(m_) or lb_side.search(m_)
        if hit and kinds[hit.group(1)] in ("http", "worker", "lb") and " 502 " not in m_:
            assert hit.group(1) in [w[0] for w in seen[hit.group(2)]], m_

    # And every line holds up to the realism linter.
    assert [f.line() for f in check(sc, tel)] == []
