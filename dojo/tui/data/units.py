"""How times, durations and metric values read on screen."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from dojo.scenario.vocabulary import split_op_metric


def offset(t: float) -> str:
    """Scenario time as an offset from the start: T+15:02, T+1:05:02."""
    if not math.isfinite(t):
        return "T+--:--"
    s = int(max(t, 0))
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"T+{h}:{m:02d}:{sec:02d}" if h else f"T+{m:02d}:{sec:02d}"


def clock(start: datetime, t: float) -> str:
    """Wall-clock time of scenario time `t`, as the logs print it (UTC)."""
    return (start + timedelta(seconds=t)).strftime("%H:%M:%S")


def span(seconds: float) -> str:
    """A length of time: 45s, 12:30, 1:02:03. Rounded to the nearest second, as `dojo history`
    and the card round learner time (a point in scenario time, `offset`, is cut like a clock's)."""
    s = int(round(max(seconds, 0)))
    if s < 60:
        return f"{s}s"
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def duration_ms(ms: float) -> str:
    return f"{ms / 1000:.2f}s" if ms >= 1000 else f"{ms:.0f}ms" if ms >= 10 else f"{ms:.1f}ms"


def metric_value(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    metric = split_op_metric(metric)[0]  # one operation's series reads like the service's
    if metric.endswith("_ms"):
        return duration_ms(value)
    if metric == "error_rate":
        return f"{value * 100:.1f}%" if value < 0.1 else f"{value * 100:.0f}%"
    if metric.endswith("_s"):
        return f"{value:.0f}s" if abs(value) >= 10 else f"{value:.1f}s"
    if metric.endswith("_pct"):
        return f"{value:.0f}%"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"


METRIC_LABELS = {
    "rps": "requests/s",
    "error_rate": "error rate",
    "latency_p50_ms": "latency p50",
    "latency_p99_ms": "latency p99",
    "cpu_pct": "cpu",
    "memory_pct": "memory",
    "pool_used_pct": "connection pool",
    "queue_depth": "queue depth",
    "disk_used_pct": "disk",
    "cache_hit_pct": "cache hits",
    "instances": "instances",
    "queue_age_s": "oldest message age",
    "replication_lag_s": "replication lag",
    "packet_loss_pct": "packet loss",
    "clock_skew_s": "clock skew",
    "pool_waiters": "waiting for a connection",
}


def metric_label(metric: str) -> str:
    """What a learner reads for a metric: `error rate`, or `error rate · op write` for one
    operation's series."""
    base, op = split_op_metric(metric)
    label = METRIC_LABELS.get(base, base)
    return label if op is None else f"{label} · op {op}"
