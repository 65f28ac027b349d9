"""Departure detection on one metric series."""

from __future__ import annotations

import numpy as np

from dojo.players.series import departures

GRID = 10.0
T = np.arange(180) * GRID  # 30 minutes


def noisy(level: float, seed: int = 0, sigma: float = 0.02) -> np.ndarray:
    return level * (1 + sigma * np.random.default_rng(seed).standard_normal(len(T)))


def test_a_step_is_found_where_it_starts():
    v = noisy(100.0)
    v[T >= 600] *= 3
    (d,) = departures("rps", T, v, cut=300.0, grid=GRID)
    assert d.direction == 1 and d.at == 600.0 and 2.5 < d.ratio < 3.5


def test_a_fall_to_zero_is_a_departure_down():
    v = noisy(80.0)
    v[T >= 900] = 0.0
    (d,) = departures("rps", T, v, cut=300.0, grid=GRID)
    assert d.direction == -1 and d.at == 900.0 and d.level == 0.0


def test_noise_and_lone_spikes_are_not_departures():
    v = noisy(0.01, sigma=0.3)
    v[[70, 120, 150]] = 0.25  # a flapping error rate: single buckets
    assert departures("error_rate", T, v, cut=300.0, grid=GRID) == []


def test_three_lucky_buckets_at_the_end_are_not_yet_a_departure():
    v = noisy(50.0)
    v[-3:] = 95.0
    assert departures("cpu_pct", T, v, cut=300.0, grid=GRID) == []


def test_without_a_baseline_nothing_is_judged():
    v = noisy(1.0)
    assert departures("rps", T[:20], v[:20], cut=30.0, grid=GRID) == []
