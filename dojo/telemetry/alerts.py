"""Alert rules evaluated on the synthesized metrics, as a monitoring system would."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dojo.scenario.model import Alert


def evaluate(alert: Alert, t: np.ndarray, values: np.ndarray, grid: float) -> list[tuple[float, str, float]]:
    """(time, 'alert_firing'|'alert_resolved', value) transitions of one rule over one series.

    A data point is known at the end of its bucket (`grid` after its time) and holds until the
    next one. The rule fires once the condition has held for `for` of elapsed time (at least one
    bucket), counted from the first point that met it, and resolves at the first point where it no
    longer holds. Elapsed time, not points: real samples a minute apart must page 30 s after onset
    for `for: 30s`, and not miss a three-minute episode for `for: 1m`. On the synthetic grid this
    is the same as counting ceil(for / grid) buckets.
    """
    cond = values > alert.above if alert.above is not None else values < alert.below
    wait = max(1, math.ceil(alert.for_ / grid - 1e-9)) * grid
    out: list[tuple[float, str, float]] = []
    firing, since = False, None
    n = len(cond)
    for i, ok in enumerate(cond):
        if firing:
            if not ok:
                firing, since = False, None
                out.append((float(t[i] + grid), "alert_resolved", float(values[i])))
            continue
        if not ok:
            since = None
            continue
        if since is None:
            since = float(t[i])
        fire_at = since + wait
        # The condition holds from `since` until the next point is known to break it (or the data ends).
        until = float(t[i + 1]) if i + 1 < n else float(t[i]) + grid
        if fire_at <= until:
            firing = True
            out.append((max(fire_at, float(t[i]) + grid), "alert_firing", float(values[i])))
    return out


def alert_events(alerts: list[Alert], metrics: pd.DataFrame, grid: float) -> list[dict]:
    events = []
    for alert in alerts:
        series = metrics[(metrics["service"] == alert.service) & (metrics["metric"] == alert.metric)]
        if series.empty:
            continue
        op = f"> {alert.above:g}" if alert.above is not None else f"< {alert.below:g}"
        for at, kind, value in evaluate(alert, series["t"].to_numpy(), series["value"].to_numpy(), grid):
            events.append(
                {
                    "t": at,
                    "kind": kind,
                    "service": alert.service,
                    "name": alert.name,
                    "detail": f"{alert.metric} {op} (value {value:.4g}); severity {alert.severity}",
                }
            )
    return events
