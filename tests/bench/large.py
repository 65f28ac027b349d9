"""The large benchmark scenario: 20 services, 2 hours, about 1,000,000 log lines."""

from __future__ import annotations

from dojo.scenario.model import Scenario

SERVICES = [
    {"name": "edge", "kind": "lb", "calls": ["gateway"], "rps": 180},
    {"name": "gateway", "kind": "http", "calls": ["auth", "catalog", "cart", "checkout", "search", "profile"]},
    {"name": "auth", "kind": "http", "calls": ["auth-cache", "users-db"]},
    {"name": "auth-cache", "kind": "cache"},
    {"name": "users-db", "kind": "db"},
    {"name": "catalog", "kind": "http", "calls": ["catalog-cache", "catalog-db"]},
    {"name": "catalog-cache", "kind": "cache"},
    {"name": "catalog-db", "kind": "db"},
    {"name": "cart", "kind": "http", "calls": ["cart-db"]},
    {"name": "cart-db", "kind": "db"},
    {"name": "checkout", "kind": "http", "calls": ["payments", "inventory", "orders-queue"], "timeout_ms": 1500},
    {"name": "payments", "kind": "http", "calls": ["payment-provider"]},
    {"name": "payment-provider", "kind": "external"},
    {"name": "inventory", "kind": "http", "calls": ["inventory-db"]},
    {"name": "inventory-db", "kind": "db"},
    {"name": "orders-queue", "kind": "queue"},
    {"name": "fulfilment", "kind": "worker", "calls": ["orders-queue"], "rps": 20},
    {"name": "search", "kind": "http", "calls": ["search-index"]},
    {"name": "search-index", "kind": "db"},
    {"name": "profile", "kind": "http", "calls": ["users-db"]},
]


def large_scenario(log_sample: float = 0.05) -> Scenario:
    return Scenario.model_validate(large_document(log_sample))


def large_document(log_sample: float = 0.05) -> dict:
    """The scenario as its YAML would say it (what a `dojo play FILE` reads)."""
    return dict(
        {
            "id": "bench-large",
            "title": "Benchmark: twenty services for two hours",
            "difficulty": 3,
            "duration": "2h",
            "seed": 11,
            "log_sample": log_sample,
            "traces_per_min": 12,
            "briefing": "benchmark",
            "services": SERVICES,
            "timeline": [
                {"at": "30m", "kind": "deploy", "service": "search", "version": "v9"},
                {"at": "40m", "kind": "dependency_latency", "service": "payment-provider", "for": "10m"},
                {"at": "40m", "kind": "retry_storm", "service": "checkout", "params": {"factor": 3}},
                {"at": "70m", "kind": "memory_leak", "service": "catalog", "params": {"pct_per_min": 3}},
            ],
            "alerts": [
                {"name": "CheckoutP99", "service": "checkout", "metric": "latency_p99_ms", "above": 1500, "for": "1m"}
            ],
            "answer": {"accepted": [{"service": "checkout", "fault": "retry_storm"}]},
        }
    )
