"""Alert rules evaluated on the synthesized metrics, as a monitoring system would."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dojo.scenario.model import Alert

# Buckets whose points never reached the monitoring system, by service, on the run's grid: the
# metrics pipeline was down (blank dashboards) or its cache served the last value (stale ones).
Unseen = tuple[np.ndarray, dict[str, np.ndarray]]


def evaluate(
    alert: Alert, t: np.ndarray, values: np.ndarray, grid: float, seen: np.ndarray | None = None
) -> list[tuple[float, str, float]]:
    """(time, 'alert_firing'|'alert_resolved', value) transitions of one rule over one series.

    A data point is known at the end of its bucket (`grid` after its time) and holds until the
    next one. The rule fires once the condition has held for `for` of elapsed time (at least one
    bucket), counted from the first point that met it, and resolves at the first point where it no
    longer holds. Elapsed time, not points: real samples a minute apart must page 30 s after onset
    for `for: 30s`, and not miss a three-minute episode for `for: 1m`. On the synthetic grid this
    is the same as counting ceil(for / grid) buckets.

    `seen` (with `t` the whole grid) marks the points the monitoring system received. Without
    a point the rule cannot be evaluated: a firing alert keeps firing (it does not resolve on
    missing data), a pending one starts over, and nothing new can fire until points return.
    """
    cond = values > alert.above if alert.above is not None else values < alert.below
    wait = max(1, math.ceil(alert.for_ / grid - 1e-9)) * grid
    out: list[tuple[float, str, float]] = []
    firing, since = False, None
    n = len(cond)
    for i, ok in enumerate(cond):
        if seen is not None and not seen[i]:
            since = None  # no data: nothing is known, nothing changes
            continue
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


def no_data(alert: Alert, t: np.ndarray, unseen: np.ndarray, grid: float) -> list[tuple[float, str]]:
    """(time, 'alert_firing'|'alert_resolved') of the rule's no-data alert: it fires once no point
    has arrived for the rule's `for` (at least one bucket), and resolves with the first point
    received, as Grafana's NoData state or a Prometheus `absent()` rule would."""
    wait = max(1, math.ceil(alert.for_ / grid - 1e-9)) * grid
    out: list[tuple[float, str]] = []
    k, n = 0, len(unseen)
    while k < n:
        if not unseen[k]:
            k += 1
            continue
        end = k
        while end + 1 < n and unseen[end + 1]:
            end += 1
        since = float(t[k])
        if since + wait <= float(t[end]) + grid:
            out.append((since + wait, "alert_firing"))
            if end + 1 < n:
                out.append((float(t[end + 1]) + grid, "alert_resolved"))
        k = end + 1
    return out


def alert_events(alerts: list[Alert], metrics: pd.DataFrame, grid: float, unseen: Unseen | None = None) -> list[dict]:
    """Alert transitions from the metric series. With `unseen`, the buckets whose points never
    arrived are not evaluated (see `evaluate`), and each rule on them has a no-data alert,
    `<name> (no data)`, so dashboards that went blank page someone rather than go quiet."""
    events = []
    for alert in alerts:
        series = metrics[(metrics["service"] == alert.service) & (metrics["metric"] == alert.metric)]
        op = f"> {alert.above:g}" if alert.above is not None else f"< {alert.below:g}"
        missing = None if unseen is None else unseen[1].get(alert.service)
        if unseen is not None and missing is not None and missing.any():
            t = unseen[0]
            values = np.full(len(t), np.nan)
            times = series["t"].to_numpy()
            at = np.minimum(np.searchsorted(t, times), len(t) - 1)
            ok = t[at] == times
            values[at[ok]] = series["value"].to_numpy()[ok]
            transitions = evaluate(alert, t, values, grid, seen=~missing)
            for when, kind in no_data(alert, t, missing, grid):
                events.append(
                    {
                        "t": when,
                        "kind": kind,
                        "service": alert.service,
                        "name": f"{alert.name} (no data)",
                        "detail": f"no data for {alert.metric} on {alert.service}: no points received, "
                        f"{alert.name} cannot be evaluated; severity {alert.severity}",
                    }
                )
        elif series.empty:
            continue
        else:
            transitions = evaluate(alert, series["t"].to_numpy(), series["value"].to_numpy(), grid)
        for when, kind, value in transitions:
            events.append(
                {
                    "t": when,
                    "kind": kind,
                    "service": alert.service,
                    "name": alert.name,
                    "detail": f"{alert.metric} {op} (value {value:.4g}); severity {alert.severity}",
                }
            )
    return events
