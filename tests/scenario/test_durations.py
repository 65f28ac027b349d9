"""Durations: what parses, and what an error suggests instead."""

import pytest

from dojo.scenario.durations import DurationError, format_duration, parse_duration, suggest_duration


@pytest.mark.parametrize(
    "text,seconds",
    [("90s", 90), ("10m", 600), ("1h30m", 5400), ("250ms", 0.25), ("1h 30m", 5400), (45, 45), (1.5, 1.5)],
)
def test_parses(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text,fix",
    [
        ("10 minutes", "10m"),
        ("1 hour 30 minutes", "1h30m"),
        ("2 hrs, 5 min", "2h5m"),
        ("10M", "10m"),
        ("10", "10s"),
        ("1:30", "1m30s"),
        ("1:00:00", "1h"),
    ],
)
def test_error_suggests_the_fix(text, fix):
    assert suggest_duration(text) == fix
    with pytest.raises(DurationError, match=f"is not a duration; write {fix}$"):
        parse_duration(text)


@pytest.mark.parametrize("value", ["soon", "-5m", "", True, [1], float("nan"), float("inf"), -1])
def test_refuses(value):
    with pytest.raises(DurationError, match="duration"):
        parse_duration(value)


def test_format_round_trips():
    assert [format_duration(s) for s in (0, 0.25, 90, 5430)] == ["0s", "250ms", "1m30s", "1h30m30s"]
    assert parse_duration(format_duration(5430)) == 5430
