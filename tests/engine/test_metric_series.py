"""The metric index is built with one sort over the frame; it must equal the per-series groupby."""

import numpy as np
import pandas as pd

from dojo.engine.queries import _metric_series


def reference(metrics: pd.DataFrame) -> dict:
    out = {}
    for (service, metric), g in metrics.groupby(["service", "metric"], sort=False):
        g = g[g["value"].notna()].sort_values("t")
        out[(service, metric)] = (g["t"].to_numpy(dtype=float), g["value"].to_numpy(dtype=float))
    return out


def test_series_match_a_groupby_in_order_and_values():
    rng = np.random.default_rng(3)
    grid = pd.MultiIndex.from_product(
        [["web", "db", "api"], ["rps", "cpu_pct", "latency_p99_ms"], np.arange(60) * 10.0],
        names=["service", "metric", "t"],
    ).to_frame(index=False)
    frame = grid.sample(frac=0.8, random_state=4).reset_index(drop=True)  # shuffled, some buckets missing
    frame["value"] = np.where(rng.random(len(frame)) < 0.2, np.nan, rng.random(len(frame)))
    frame = frame[["t", "service", "metric", "value"]]
    frame.loc[frame["metric"] == "latency_p99_ms", "value"] = np.nan  # a series with no points at all
    want, got = reference(frame), _metric_series(frame)
    assert list(got) == list(want)
    for key in want:
        np.testing.assert_array_equal(got[key][0], want[key][0])
        np.testing.assert_array_equal(got[key][1], want[key][1])
    assert _metric_series(frame.iloc[:0]) == {}
