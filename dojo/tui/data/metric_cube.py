"""Metrics as a dense [service, metric, bucket] array, so a pane asks for a series or a value
at "now" by index instead of filtering the long frame on every clock tick."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


class MetricCube:
    def __init__(self, metrics: pd.DataFrame, grid: float):
        self.grid = grid
        self.t = np.sort(metrics["t"].unique()).astype(float) if len(metrics) else np.zeros(0)
        si, services = pd.factorize(metrics["service"])  # in order of appearance, vectorized
        mi, names = pd.factorize(metrics["metric"])
        self.services: list[str] = list(services)
        self.metrics: list[str] = list(names)
        self.values = np.full((len(self.services), len(self.metrics), len(self.t)), np.nan)
        if len(metrics):
            ti = np.searchsorted(self.t, metrics["t"].to_numpy(dtype=float))
            self.values[si, mi, ti] = metrics["value"].to_numpy(dtype=float)

    def known(self, now: float) -> int:
        """Buckets whose value is known by `now`: a bucket reports at its end, as in alerts.py."""
        return int(np.searchsorted(self.t + self.grid, now, side="right"))

    def has(self, service: str, metric: str) -> bool:
        return service in self.services and metric in self.metrics and not np.isnan(self._row(service, metric)).all()

    def metrics_of(self, service: str) -> list[str]:
        return [m for m in self.metrics if self.has(service, m)]

    def series(self, service: str, metric: str, now: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """(bucket start times, values) of the buckets known by `now`."""
        if service not in self.services or metric not in self.metrics:
            return np.zeros(0), np.zeros(0)
        n = self.known(now)
        return self.t[:n], self._row(service, metric)[:n]

    def latest(self, metric: str, now: float) -> np.ndarray:
        """The last known value of `metric` for every service (NaN where unknown)."""
        n = self.known(now)
        if n == 0 or metric not in self.metrics:
            return np.full(len(self.services), np.nan)
        return self.values[:, self.metrics.index(metric), n - 1]

    def baseline(self, metric: str, now: float, buckets: int = 30) -> np.ndarray:
        """Each service's median over the first known buckets: its normal, before anything broke."""
        n = min(self.known(now), buckets)
        if n == 0 or metric not in self.metrics:
            return np.full(len(self.services), np.nan)
        with warnings.catch_warnings():  # a service with no data at all has a NaN baseline
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(self.values[:, self.metrics.index(metric), :n], axis=1)

    def _row(self, service: str, metric: str) -> np.ndarray:
        return self.values[self.services.index(service), self.metrics.index(metric)]
