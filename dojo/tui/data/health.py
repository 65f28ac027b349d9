"""A service's health at "now", from what its metrics say: the colour the service map paints.

The rules are deliberately plain (an on-call engineer's rule of thumb, not the answer key):
errors and latency against the service's own early baseline (an edge that always shows 1.5%
errors is not degraded at 1.5%), with a floor, and saturation of any resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - annotations only: the pane is drawn before these load
    from .metric_cube import MetricCube


OK, DEGRADED, FAILING, UNKNOWN = "ok", "degraded", "failing", "unknown"

ERROR_DEGRADED, ERROR_FAILING = 0.02, 0.05  # floors; and 2x / 4x the baseline
LATENCY_DEGRADED, LATENCY_FAILING = 2.0, 4.0  # times the baseline p99
SATURATION_DEGRADED, SATURATION_FAILING = 85.0, 97.0  # percent of cpu, memory or pool
SATURATION_METRICS = ("cpu_pct", "memory_pct", "pool_used_pct")


@dataclass(frozen=True)
class Health:
    state: str
    rps: float
    error_rate: float
    p99_ms: float
    saturation: float  # the fullest of cpu, memory, pool (percent)


def health_at(cube: MetricCube, now: float) -> dict[str, Health]:
    rps = cube.latest("rps", now)
    err = cube.latest("error_rate", now)
    p99 = cube.latest("latency_p99_ms", now)
    base = cube.baseline("latency_p99_ms", now)
    base_err = np.nan_to_num(cube.baseline("error_rate", now))
    err_degraded = np.maximum(ERROR_DEGRADED, 2 * base_err)
    err_failing = np.maximum(ERROR_FAILING, 4 * base_err)
    sat = np.nanmax(
        np.vstack([cube.latest(m, now) for m in SATURATION_METRICS] + [np.full(len(cube.services), -1.0)]), axis=0
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        slow = np.where(base > 0, p99 / base, 1.0)
    out = {}
    for i, name in enumerate(cube.services):
        if np.isnan(rps[i]) and np.isnan(err[i]):
            state = UNKNOWN
        elif err[i] >= err_failing[i] or slow[i] >= LATENCY_FAILING or sat[i] >= SATURATION_FAILING:
            state = FAILING
        elif err[i] >= err_degraded[i] or slow[i] >= LATENCY_DEGRADED or sat[i] >= SATURATION_DEGRADED:
            state = DEGRADED
        else:
            state = OK
        out[name] = Health(state, float(rps[i]), float(err[i]), float(p99[i]), float(sat[i]))
    return out
