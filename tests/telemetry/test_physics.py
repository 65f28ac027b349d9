"""The incident physics: faults change the state, the call graph carries the damage, and every
signal tells the same story."""

import numpy as np
import pyarrow.compute as pc
import pytest

from dojo.telemetry.synthesize import synthesize

from .scenarios import shop, window

SLOW = {"at": "10m", "kind": "dependency_latency", "service": "provider", "params": {"added_ms": 1500}, "for": "10m"}
STORM = {"at": "10m", "kind": "retry_storm", "service": "checkout", "params": {"factor": 4}}


@pytest.fixture(scope="module")
def control():
    return synthesize(shop())


@pytest.fixture(scope="module")
def slow():
    return synthesize(shop([SLOW]))


@pytest.fixture(scope="module")
def storm():
    return synthesize(shop([SLOW, STORM]))


def test_dependency_latency_raises_callers_p99(control, slow):
    # payments waits for the provider in full (its timeout is 5 s)...
    before = window(slow.metrics, "payments", "latency_p99_ms", 0, 600)
    during = window(slow.metrics, "payments", "latency_p99_ms", 660, 1200)
    assert during > 3 * before
    assert during > 3 * window(control.metrics, "payments", "latency_p99_ms", 660, 1200)
    # ...and checkout, one hop further up, sees it too, capped by its own 1 s timeout.
    before = window(slow.metrics, "checkout", "latency_p99_ms", 0, 600)
    during = window(slow.metrics, "checkout", "latency_p99_ms", 660, 1200)
    assert during > 1.4 * before
    assert during > 1.4 * window(control.metrics, "checkout", "latency_p99_ms", 660, 1200)


def test_timeouts_cap_latency_and_become_errors(slow):
    # checkout waits at most its 1000 ms timeout for payments, then fails the request.
    p50 = window(slow.metrics, "checkout", "latency_p50_ms", 660, 1200)
    assert p50 < 1000 + 200
    assert window(slow.metrics, "checkout", "error_rate", 660, 1200) > 0.3
    assert window(slow.metrics, "checkout", "error_rate", 0, 600) < 0.05


def test_retry_storm_raises_downstream_request_rate(slow, storm):
    base = window(storm.metrics, "payments", "rps", 0, 600)
    during = window(storm.metrics, "payments", "rps", 660, 1200)
    assert during > 3 * base
    # Without the retries the same slowdown does not multiply the load.
    assert window(slow.metrics, "payments", "rps", 660, 1200) < 1.3 * base
    # The callers' own traffic is unchanged: the extra load is made downstream.
    assert window(storm.metrics, "checkout", "rps", 660, 1200) == pytest.approx(base, rel=0.3)


def test_recovery_after_the_fault_ends(slow):
    assert window(slow.metrics, "checkout", "latency_p99_ms", 1320, 1800) < 1500


def _error_lines(tel, service, sampled_only=True):
    """ERROR lines of a service; by default only those sampled from requests (not the one
    line each sampled trace adds)."""
    logs = tel.logs
    mask = pc.and_(
        pc.equal(logs["service"].combine_chunks().dictionary_decode(), service),
        pc.equal(logs["level"].combine_chunks().dictionary_decode(), "ERROR"),
    )
    if sampled_only:
        mask = pc.and_(mask, pc.equal(logs["trace_id"], ""))
    return logs.filter(mask)


@pytest.mark.parametrize("service", ["checkout", "payments", "web"])
def test_error_logs_metric_and_spans_agree(storm, service):
    sc = storm.scenario
    m = storm.metrics
    rps = m[(m.service == service) & (m.metric == "rps")]["value"].to_numpy()
    err = m[(m.service == service) & (m.metric == "error_rate")]["value"].to_numpy()
    expected_errors = float((rps * err).sum() * sc.grid)
    logged = _error_lines(storm, service).num_rows / sc.log_sample
    assert logged == pytest.approx(expected_errors, rel=0.15)

    spans = storm.spans[storm.spans.service == service]
    spans = spans[~spans.name.str.endswith("(retry)")]
    # A span cancelled by its caller's timeout is the caller's failure, not one the callee counts.
    spans = spans[~spans.message.str.startswith("context canceled")]
    metric_rate = float((rps * err).sum() / rps.sum())
    span_rate = float((spans.status == "error").mean())
    assert span_rate == pytest.approx(metric_rate, abs=0.05)


def test_error_lines_follow_the_fault_in_time(storm):
    onset = 600
    lines = _error_lines(storm, "checkout")
    t = lines["t"].to_numpy()
    assert (t >= onset).mean() > 0.9
    timed_out = pc.match_substring(lines["message"], "timed out after 1000ms")
    assert pc.sum(timed_out).as_py() > 50


def test_retry_warnings_only_while_retrying(storm):
    msgs = storm.logs.filter(pc.match_substring(storm.logs["message"], "retrying request to payments"))
    assert msgs.num_rows > 20
    assert float(np.min(msgs["t"].to_numpy())) >= 600


def test_retry_spans_in_traces(storm):
    retries = storm.spans[storm.spans.name.str.endswith("(retry)")]
    # checkout retries every failed call, but it is payments that keeps failing.
    assert (retries.service == "payments").mean() > 0.9
    assert (retries[retries.service == "payments"].t >= 600).all()
    assert (storm.spans[storm.spans.t < 600].name.str.endswith("(retry)")).sum() == 0


def test_external_services_write_no_logs(storm):
    services = set(storm.logs["service"].combine_chunks().dictionary_decode().unique().to_pylist())
    assert "provider" not in services
    assert {"web", "checkout", "payments", "inventory", "inventory-db"} <= services


def test_page_alert_fires_after_onset_only(storm, control):
    fired = storm.events[storm.events.kind == "alert_firing"]
    assert len(fired) >= 1 and fired.t.min() > 600
    assert (control.events.kind == "alert_firing").sum() == 0


def test_traces_are_trees(storm):
    spans = storm.spans
    timeouts = {s.name: s.timeout_ms for s in storm.scenario.services}
    for _trace_id, group in list(spans.groupby("trace_id"))[:150]:
        roots = group[group.parent_id == ""]
        assert len(roots) == 1
        ids = set(group.span_id)
        assert set(group.parent_id[group.parent_id != ""]) <= ids
        by_id = group.set_index("span_id")
        for span in group[group.parent_id != ""].itertuples():
            parent = by_id.loc[span.parent_id]
            assert span.t >= parent.t - 1e-9
            # A caller that gave up on a call (timeout) may end before that callee; otherwise it waited.
            if span.duration_ms <= timeouts[parent.service]:
                assert span.t + span.duration_ms / 1000 <= parent.t + parent.duration_ms / 1000 + 1e-6


def test_every_sampled_span_has_a_log_line_with_its_trace_id(storm):
    # Every span of a service that knows the trace context (not an external API's, a cache's or
    # a broker's: their spans are their callers' client spans).
    kinds = {s.name: s.kind for s in storm.scenario.services}
    spans = storm.spans[storm.spans.service.map(kinds).isin(["http", "lb", "worker", "db"])]
    linked = storm.logs.filter(pc.not_equal(storm.logs["trace_id"], ""))
    assert linked.num_rows == len(spans)
    errors = linked.filter(pc.equal(linked["level"].combine_chunks().dictionary_decode(), "ERROR"))
    cancelled = spans.message.str.startswith("context canceled")  # a WARN: its caller gave up
    assert errors.num_rows == int(((spans.status == "error") & ~cancelled).sum())
    some = spans[spans.status == "error"].iloc[0]
    rows = linked.filter(pc.equal(linked["trace_id"], some.trace_id))
    assert any(some.message in m for m in rows["message"].to_pylist())
