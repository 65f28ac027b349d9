"""Alert rules evaluated on the synthesized metrics, as a monitoring system would."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dojo.scenario.model import Alert


def evaluate(alert: Alert, t: np.ndarray, values: np.ndarray, grid: float) -> list[tuple[float, str, float]]:
    """(time, 'alert_firing'|'alert_resolved', value) transitions of one rule over one series.

    A data point is known at the end of its bucket; the rule fires once the condition has held
    for `for` (at least one bucket), and resolves at the first point where it no longer holds.
    """
    cond = values > alert.above if alert.above is not None else values < alert.below
    need = max(1, math.ceil(alert.for_ / grid))
    out, run, firing = [], 0, False
    for i, ok in enumerate(cond):
        run = run + 1 if ok else 0
        at = float(t[i] + grid)
        if not firing and run >= need:
            firing = True
            out.append((at, "alert_firing", float(values[i])))
        elif firing and not ok:
            firing = False
            out.append((at, "alert_resolved", float(values[i])))
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
