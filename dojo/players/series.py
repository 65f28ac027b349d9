"""When did a metric leave its normal range, and which way? Pure numpy on one series.

"Normal" is the series' own history before a baseline cut (the quiet start of the scenario, well
before the page). A departure is the first bucket from which the series stays beyond a threshold
for a few buckets in a row *and* spends most of the rest of the time there: a single spike (a
flapping alert on a service with almost no traffic) is not a departure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .signatures import DOWN, UP

RUN = 3  # consecutive buckets beyond the threshold
MIN_SINCE = 6  # buckets since the departure before it counts (three lucky buckets at the end do not)
HOLD = 0.6  # share of the buckets since the departure that must stay beyond it
MAD_K = 6.0  # how many robust standard deviations count as "beyond"
MIN_BASELINE = 6  # buckets; fewer and there is no normal to compare with

# Per metric: (smallest absolute change, smallest relative change) that matters to a responder.
# Error rates move in points, latencies and rates by ratios, saturation in points of a percent.
FLOORS: dict[str, tuple[float, float]] = {
    "error_rate": (0.02, 0.0),
    "latency_p50_ms": (5.0, 0.5),
    "latency_p99_ms": (20.0, 0.5),
    "rps": (0.5, 0.3),
    "cpu_pct": (12.0, 0.0),
    "memory_pct": (10.0, 0.0),
    "pool_used_pct": (12.0, 0.0),
    "queue_depth": (30.0, 1.0),
    "disk_used_pct": (10.0, 0.0),
    "cache_hit_pct": (10.0, 0.0),
}


@dataclass(frozen=True)
class Departure:
    metric: str
    direction: int  # UP or DOWN
    at: float  # start of the first bucket of the departure
    baseline: float  # median before the cut
    level: float  # median since the departure
    peak: float  # the most extreme value since the departure

    @property
    def ratio(self) -> float:
        """How many times the baseline the level is (or the baseline the level, going down)."""
        lo, hi = sorted((abs(self.baseline), abs(self.level)))
        return hi / max(lo, 1e-9)


def threshold(metric: str, base: np.ndarray) -> float:
    med = float(np.median(base))
    mad = float(np.median(np.abs(base - med))) * 1.4826
    floor_abs, floor_rel = FLOORS.get(metric, (0.0, 0.5))
    return max(MAD_K * mad, floor_abs, floor_rel * abs(med))


def departures(metric: str, t: np.ndarray, v: np.ndarray, cut: float, grid: float) -> list[Departure]:
    """Sustained departures of one series after `cut`, up and down (usually none or one)."""
    base_mask = t + grid <= cut + 1e-9
    if base_mask.sum() < MIN_BASELINE:
        return []
    base = v[base_mask]
    med = float(np.median(base))
    thr = threshold(metric, base)
    after = ~base_mask
    out = []
    for direction in (UP, DOWN):
        beyond = (v - med > thr) if direction == UP else (med - v > thr)
        beyond &= after
        at = _sustained(beyond)
        if at is None:
            continue
        since = v[at:]
        peak = float(since.max() if direction == UP else since.min())
        out.append(Departure(metric, direction, float(t[at]), med, float(np.median(since)), peak))
    return out


def _sustained(beyond: np.ndarray) -> int | None:
    n = len(beyond)
    if n < RUN:
        return None
    runs = np.convolve(beyond.astype(int), np.ones(RUN, dtype=int), mode="valid") == RUN
    for i in np.flatnonzero(runs):
        if n - i >= MIN_SINCE and beyond[i:].mean() >= HOLD:
            return int(i)
    return None
