"""Small scenarios built in code for physics tests."""

from __future__ import annotations

from dojo.scenario.model import Scenario


def shop(timeline: list[dict] | None = None, **overrides) -> Scenario:
    data = {
        "id": "shop",
        "title": "A small shop",
        "difficulty": 2,
        "duration": "30m",
        "seed": 3,
        "log_sample": 0.2,
        "traces_per_min": 30,
        "briefing": "test",
        "services": [
            {"name": "web", "kind": "lb", "calls": ["checkout"], "rps": 40},
            {"name": "checkout", "kind": "http", "calls": ["payments", "inventory"], "timeout_ms": 1000},
            {"name": "payments", "kind": "http", "calls": ["provider"], "timeout_ms": 5000, "capacity_rps": 400},
            {"name": "provider", "kind": "external"},
            {"name": "inventory", "kind": "http", "calls": ["inventory-db"]},
            {"name": "inventory-db", "kind": "db"},
        ],
        "timeline": timeline or [],
        "alerts": [
            {"name": "CheckoutP99High", "service": "checkout", "metric": "latency_p99_ms", "above": 1500, "for": "1m"}
        ],
        "answer": {"accepted": [{"service": "checkout", "fault": "retry_storm"}]},
    }
    data.update(overrides)
    return Scenario.model_validate(data)


def window(metrics, service: str, metric: str, t0: float, t1: float) -> float:
    m = metrics[(metrics.service == service) & (metrics.metric == metric) & (metrics.t >= t0) & (metrics.t < t1)]
    return float(m["value"].mean())
