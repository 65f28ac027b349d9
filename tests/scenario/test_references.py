"""Cross-field checks: each names the exact key (so the line) and says how to fix it."""

from __future__ import annotations

import pytest

from dojo.scenario import ScenarioErrors, parse_scenario
from dojo.scenario.references import MAX_LOG_LINES, check_references, estimate_log_lines

from .conftest import FAKE_FAULTS
from .test_loader import edit, errors_of

EDITS = {
    "duplicate service": ("  - {name: payments, kind: external}",
        "  - {name: payments, kind: external}\n  - {name: payments, kind: db}",
        "x.yaml:20: services[3].name: service 'payments' is already defined at services[2]; rename one"),
    "unknown callee": ("calls: [payments]", "calls: [paymnts]",
        "x.yaml:17: services[1].calls[0]: no service named 'paymnts'; did you mean 'payments'?"),
    "self call": ("calls: [payments]", "calls: [payments, checkout]",
        "x.yaml:17: services[1].calls[1]: a service cannot call itself; remove it"),
    "call twice": ("calls: [payments]", "calls: [payments, payments]",
        "x.yaml:17: services[1].calls[1]: 'payments' is listed twice; remove one"),
    "cycle": ("{name: payments, kind: external}", "{name: payments, kind: external, calls: [web]}",
        "x.yaml:19: services[2].calls[0]: call cycle web -> checkout -> payments -> web; the call graph must not loop"),
    "no traffic": ("calls: [checkout], rps: 40", "calls: [payments], rps: 40",
        "x.yaml:15: services[1]: nobody calls 'checkout', so it needs entry traffic: add rps"),
    "timeline service": ("service: payments, params", "service: paymnt, params",
        "x.yaml:22: timeline[1].service: no service named 'paymnt'; did you mean 'payments'?"),
    "timeline kind": ("kind: dependency_latency", "kind: dependency_latncy",
        "x.yaml:22: timeline[1].kind: no fault or change kind named 'dependency_latncy'; "
        "did you mean 'dependency_latency'?"),
    "change kind misspelt": ("kind: deploy", "kind: deplyo",
        "x.yaml:21: timeline[0].kind: no fault or change kind named 'deplyo'; did you mean 'deploy'?"),
    "unknown param": ("params: {added_ms: 1200}", "params: {add_ms: 1200}",
        "x.yaml:22: timeline[1].params.add_ms: unknown parameter; did you mean 'added_ms'?"),
    "param nothing close": ("params: {added_ms: 1200}", "params: {zzz: 1200}",
        "x.yaml:22: timeline[1].params.zzz: unknown parameter; dependency_latency takes added_ms"),
    "param out of range": ("params: {added_ms: 1200}", "params: {added_ms: 0}",
        "x.yaml:22: timeline[1].params.added_ms: must be at least 1, not 0"),
    "param wrong type": ("params: {added_ms: 1200}", "params: {added_ms: slow}",
        "x.yaml:22: timeline[1].params.added_ms: must be a number, not 'slow'"),
    "duplicate id": ("{at: 8m, kind: deploy,", "{at: 8m, id: slow, kind: deploy,",
        "x.yaml:22: timeline[1].id: id 'slow' is already used by timeline[0]; ids must be unique"),
    "at after end": ("{at: 8m,", "{at: 31m,",
        "x.yaml:21: timeline[0].at: 31m is not before the end of the scenario (30m); "
        "make it earlier or raise duration"),
    "for past end": ("for: 12m}", "for: 25m}",
        "x.yaml:22: timeline[1].for: ends at 35m, after the scenario (30m); write at most 20m, or leave 'for' out"),
    "alert service": ("service: checkout, metric", "service: chekout, metric",
        "x.yaml:24: alerts[0].service: no service named 'chekout'; did you mean 'checkout'?"),
    "duplicate alert": ("above: 1500, for: 1m}",
        "above: 1500, for: 1m}\n  - {name: CheckoutP99High, service: web, metric: rps, below: 1}",
        "x.yaml:25: alerts[1].name: alert 'CheckoutP99High' is already defined at alerts[0]; rename one"),
    "page": ("page: CheckoutP99High", "page: CheckoutP99",
        "x.yaml:25: page: no alert named 'CheckoutP99'; did you mean 'CheckoutP99High'?"),
    "accepted service": ("{service: payments, fault:", "{service: pay, fault:",
        "x.yaml:28: answer.accepted[0].service: no service named 'pay'; known: web, checkout, payments"),
    "accepted fault": ("fault: dependency_latency", "fault: retry_strom",
        "x.yaml:28: answer.accepted[0].fault: no fault kind named 'retry_strom'; did you mean 'retry_storm'?"),
    "trigger": ("trigger: slow", "trigger: slo",
        "x.yaml:28: answer.accepted[0].trigger: no timeline id named 'slo'; did you mean 'slow'?"),
    "require trigger": ("trigger: slow}", "}\n  require_trigger: true",
        "x.yaml:29: answer.require_trigger: true, but no accepted answer names a trigger"),
    "evidence service": ("{logs: {service: checkout,", "{logs: {service: checkou,",
        "x.yaml:31: answer.evidence[1].logs.service: no service named 'checkou'; did you mean 'checkout'?"),
    "change param": ("{at: 8m, kind: deploy,", "{at: 8m, kind: scale, params: {replica: 2},",
        "x.yaml:21: timeline[0].params.replica: unknown parameter; did you mean 'replicas'?"),
    "change param range": ("{at: 8m, kind: deploy,", "{at: 8m, kind: scale, params: {shed: 2},",
        "x.yaml:21: timeline[0].params.shed: must be at most 1, not 2"),
    "change carries a fault": ("{at: 8m, kind: deploy,", "{at: 8m, kind: config_change, params: {fault: retry_strom},",
        "x.yaml:21: timeline[0].params.fault: no fault kind named 'retry_strom'; did you mean 'retry_storm'?"),
    "carried fault param": ("{at: 8m, kind: deploy,",
        "{at: 8m, kind: config_change, params: {fault: retry_storm, factor: 99},",
        "x.yaml:21: timeline[0].params.factor: must be at most 10, not 99"),
    "operation callee": ("    timeout_ms: 2000\n",
        "    timeout_ms: 2000\n    operations: [{name: pay, share: 0.5, calls: [payment]}]\n",
        "x.yaml:19: services[1].operations[0].calls[0]: no callee of 'checkout' named 'payment'; "
        "did you mean 'payments'?"),
    "operation shares": ("    timeout_ms: 2000\n",
        "    timeout_ms: 2000\n    operations: [{name: a, share: 0.7}, {name: b, share: 0.6}]\n",
        "x.yaml:19: services[1].operations: the shares add up to 1.3 (0.7 + 0.6); they split the service's traffic"),
    "operation twice": ("    timeout_ms: 2000\n",
        "    timeout_ms: 2000\n    operations: [{name: a, share: 0.3}, {name: a, share: 0.3}]\n",
        "x.yaml:19: services[1].operations[1].name: operation 'a' is already defined at operations[0]"),
    "event operation": ("service: payments, params", "service: checkout, operation: pay, params",
        "x.yaml:22: timeline[1].operation: no operation of 'checkout' named 'pay'; checkout declares no operations"),
    "absurd size": ("rps: 40", "rps: 5000", "x.yaml:15: services[0].rps: this scenario would write about"),
}  # fmt: skip


@pytest.mark.parametrize("old,new,expected", EDITS.values(), ids=EDITS.keys())
def test_reference_names_line_and_fix(shop_text, old, new, expected):
    text = edit(shop_text, old, new)
    if "would write" in expected:
        text = edit(text, "duration: 30m", "duration: 24h")
        text = edit(text, "seed: 11", "seed: 11\nlog_sample: 1")
    lines = errors_of(text)
    assert any(line.startswith(expected) for line in lines), lines


def test_size_message_says_how_to_fix(shop_text):
    text = edit(
        edit(edit(shop_text, "rps: 40", "rps: 5000"), "duration: 30m", "duration: 24h"),
        "seed: 11",
        "seed: 11\nlog_sample: 1",
    )
    [line] = errors_of(text)
    assert f"(limit {MAX_LOG_LINES:,}); lower rps or log_sample" in line


def test_estimate_follows_the_call_graph(shop_text):
    sc = parse_scenario(shop_text, "x.yaml", faults=FAKE_FAULTS)
    lines, busiest = estimate_log_lines(sc)
    # 40 rps reaches web, checkout and payments: 120 requests/s, 5% logged, for 30 minutes.
    assert lines == pytest.approx(120 * 0.05 * 1800)
    assert busiest == 0


def test_without_a_fault_library_kinds_are_not_judged(shop_text):
    """Until a fault library is registered, unknown kinds cannot be told from new ones."""
    text = edit(
        edit(shop_text, "kind: dependency_latency", "kind: brand_new"),
        "params: {added_ms: 1200}",
        "params: {anything: 1}",
    )
    text = edit(text, "fault: dependency_latency", "fault: brand_new")
    assert parse_scenario(text, "x.yaml", faults={}).timeline[1].kind == "brand_new"
    with pytest.raises(ScenarioErrors):
        parse_scenario(text, "x.yaml", faults=FAKE_FAULTS)


def test_checks_default_to_the_real_library(shop_text):
    sc = parse_scenario(shop_text, "x.yaml", faults={})
    assert isinstance(check_references(sc), list)  # whatever the library holds, it runs


def test_change_kinds_take_any_params(shop_text):
    text = edit(shop_text, "version: v1.4.0,", "version: v1.4.0, params: {replicas: 6},")
    assert parse_scenario(text, "x.yaml", faults=FAKE_FAULTS).timeline[0].params == {"replicas": 6}
