"""An alert's `for:` is elapsed time: real samples a minute apart page when the condition has held
that long, not after that many 10-second buckets' worth of samples."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dojo.scenario.model import Alert
from dojo.telemetry.alerts import evaluate

GRID = 10.0


def rule(for_: float) -> Alert:
    return Alert.model_validate({"name": "hot", "service": "api", "metric": "cpu_pct", "above": 90, "for": for_})


def minutes(values):
    return np.arange(len(values), dtype=float) * 60.0, np.array(values, dtype=float)


def test_for_30s_on_minute_samples_fires_30s_after_onset():
    t, v = minutes([10, 10, 95, 95, 95, 95, 10])
    fired = [at for at, kind, _ in evaluate(rule(30), t, v, GRID) if kind == "alert_firing"]
    assert fired == [120 + 30]


def test_for_1m_does_not_miss_a_three_minute_episode():
    t, v = minutes([10, 95, 95, 95, 10, 10])
    events = evaluate(rule(60), t, v, GRID)
    assert [(at, kind) for at, kind, _ in events] == [(120.0, "alert_firing"), (250.0, "alert_resolved")]


def test_an_episode_shorter_than_for_does_not_fire():
    t, v = minutes([10, 95, 95, 10])
    assert evaluate(rule(180), t, v, GRID) == []


def _old(alert, t, values, grid):
    """The bucket-counting rule as it was: the reference on the regular synthetic grid."""
    cond = values > alert.above
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


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=60), st.sampled_from([0, 5, 10, 15, 30, 60, 95, 120]))
def test_on_the_synthetic_grid_nothing_changes(hot, for_):
    values = np.where(np.array(hot), 95.0, 10.0)
    t = np.arange(len(values), dtype=float) * GRID
    assert evaluate(rule(for_), t, values, GRID) == _old(rule(for_), t, values, GRID)
