"""The words the scenario format, the synthesizer, the engine and the UI share, spelled once.

Each is a Literal (for pydantic and type checkers) and the tuple of its values (for code), the
tuple derived from the Literal so the two cannot drift. No pydantic here: cheap to import.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, get_args

# Where a scenario's clock starts when it does not say (`start:`).
DEFAULT_START = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)

Level = Literal["DEBUG", "INFO", "WARN", "ERROR"]
# Log levels, least to most severe: telemetry stores a level as its index here.
LEVELS: tuple[str, ...] = get_args(Level)

MetricName = Literal[
    "rps",
    "error_rate",
    "latency_p50_ms",
    "latency_p99_ms",
    "cpu_pct",
    "memory_pct",
    "pool_used_pct",
    "queue_depth",
    "disk_used_pct",
    "cache_hit_pct",
    "instances",
    "queue_age_s",
    "replication_lag_s",
    "packet_loss_pct",
    "clock_skew_s",
    "pool_waiters",
]
# Every metric the synthesizer produces for every service, per grid bucket.
METRIC_NAMES: tuple[str, ...] = get_args(MetricName)

# Per-operation figures of a service that declares `operations`: the golden signals again, each
# with an `op` label in the metric's name, as Prometheus writes a labelled series
# (`error_rate{op=write-account}`), so reads and writes that fail or recover apart are seen apart.
OP_METRICS: tuple[str, ...] = ("rps", "error_rate", "latency_p50_ms", "latency_p99_ms")


def op_metric(metric: str, op: str) -> str:
    """The name of one operation's series of `metric`: `rps{op=read}`."""
    return f"{metric}{{op={op}}}"


def split_op_metric(name: str) -> tuple[str, str | None]:
    """(`metric`, `op`) of a labelled series name; (`name`, None) for a plain one."""
    if name.endswith("}") and "{op=" in name:
        base, _, rest = name.partition("{op=")
        return base, rest[:-1]
    return name, None
