"""Pinned items against the answer key's evidence selectors, judged on the pin's snapshot."""

import pytest

from dojo.engine.evidence import matches, max_fall, max_rise
from dojo.scenario.model import EvidenceSelector

LOG = {"service": "checkout", "level": "WARN", "message": "retrying request to payments (attempt 2/4, no backoff)"}
SPAN = {
    "service": "checkout",
    "status": "error",
    "duration_ms": 3021.5,
    "message": "deadline exceeded calling payments",
}


def window(service="payments", metric="rps", values=(70, 72, 69, 150, 180)):
    return {"service": service, "metric": metric, "values": list(values)}


def sel(**kw) -> EvidenceSelector:
    return EvidenceSelector.model_validate(kw)


@pytest.mark.parametrize(
    "selector, kind, snap, expected",
    [
        # logs: service / contains / regex / level, each must agree
        ({"logs": {"service": "checkout", "contains": "retrying request"}}, "log", LOG, True),
        ({"logs": {"contains": "retrying request"}}, "log", LOG, True),
        ({"logs": {"service": "payments", "contains": "retrying request"}}, "log", LOG, False),
        ({"logs": {"service": "checkout", "contains": "timed out"}}, "log", LOG, False),
        ({"logs": {"regex": r"attempt \d/4"}}, "log", LOG, True),
        ({"logs": {"regex": r"attempt \d/5"}}, "log", LOG, False),
        ({"logs": {"contains": "retrying", "level": "WARN"}}, "log", LOG, True),
        ({"logs": {"contains": "retrying", "level": "ERROR"}}, "log", LOG, False),
        ({"logs": {"contains": "retrying"}}, "span", {**SPAN, "message": "retrying"}, False),  # wrong kind
        # metric windows: the window's own values must show it
        ({"metric": {"service": "payments", "name": "rps", "rises": "2x"}}, "metric", window(), True),
        ({"metric": {"service": "payments", "name": "rps", "rises": "3x"}}, "metric", window(), False),
        (
            {"metric": {"service": "payments", "name": "rps", "rises": "2x"}},
            "metric",
            window(values=(180, 150, 70)),
            False,
        ),
        (
            {"metric": {"service": "payments", "name": "rps", "rises": "2x"}},
            "metric",
            window(values=(150, 170, 180)),
            False,
        ),
        (
            {"metric": {"service": "payments", "name": "rps", "rises": "2x"}},
            "metric",
            window(service="checkout"),
            False,
        ),
        (
            {"metric": {"service": "payments", "name": "rps", "rises": "2x"}},
            "metric",
            window(metric="error_rate"),
            False,
        ),
        (
            {"metric": {"service": "payments", "name": "rps", "falls": "2x"}},
            "metric",
            window(values=(180, 150, 70)),
            True,
        ),
        ({"metric": {"service": "payments", "name": "rps", "falls": "2x"}}, "metric", window(), False),
        ({"metric": {"service": "payments", "name": "rps", "above": 170}}, "metric", window(), True),
        ({"metric": {"service": "payments", "name": "rps", "above": 180}}, "metric", window(), False),
        ({"metric": {"service": "payments", "name": "rps", "below": 70}}, "metric", window(), True),
        ({"metric": {"service": "payments", "name": "rps", "below": 69}}, "metric", window(), False),
        ({"metric": {"service": "payments", "name": "rps", "above": 1}}, "metric", window(values=()), False),
        # spans: service / status / min_ms / contains
        ({"trace": {"service": "checkout"}}, "span", SPAN, True),
        ({"trace": {"service": "checkout", "status": "error", "min_ms": 3000}}, "span", SPAN, True),
        ({"trace": {"service": "checkout", "min_ms": 3500}}, "span", SPAN, False),
        ({"trace": {"service": "checkout", "status": "ok"}}, "span", SPAN, False),
        ({"trace": {"service": "payments"}}, "span", SPAN, False),
        ({"trace": {"service": "checkout", "contains": "deadline exceeded"}}, "span", SPAN, True),
        ({"trace": {"service": "checkout", "contains": "pool"}}, "span", SPAN, False),
        ({"trace": {"service": "checkout"}}, "log", LOG, False),
    ],
)
def test_selector_against_pin(selector, kind, snap, expected):
    assert matches(sel(**selector), kind, snap) is expected


@pytest.mark.parametrize(
    "values, rise, fall",
    [
        ([1, 2, 4], 4.0, 0.0),
        ([4, 2, 1], 0.0, 4.0),
        ([2, 1, 3, 0.5], 3.0, 6.0),
        ([0, 0, 5], 0.0, 0.0),  # a rise from nothing is not a ratio
        ([5, 0], 0.0, float("inf")),  # a fall to nothing is as far as it goes
        ([], 0.0, 0.0),
    ],
)
def test_rise_and_fall_ratios(values, rise, fall):
    assert max_rise(values) == rise
    assert max_fall(values) == fall
