"""The replay clock with an injected time source, and where the learner is paged."""

import pandas as pd
import pytest

from dojo.engine.clock import ManualTime, ReplayClock, page_time
from dojo.engine.errors import ClockError
from tests.telemetry.scenarios import shop


def clock(**kw):
    src = kw.pop("source", ManualTime(100.0))
    return src, ReplayClock(kw.pop("start", 960.0), kw.pop("end", 2700.0), source=src, **kw)


def test_scenario_time_runs_with_wall_time_at_speed():
    src, c = clock(speed=10)
    assert c.now() == 960.0 and c.wall() == 0.0
    src.advance(3)
    assert c.now() == 990.0
    assert c.wall() == 3.0


def test_the_clock_stops_at_the_end():
    src, c = clock(speed=60)
    src.advance(10_000)
    assert c.now() == 2700.0 and c.finished


def test_pause_stops_the_replay_but_not_the_learners_time():
    src, c = clock(speed=2)
    src.advance(5)
    c.pause()
    src.advance(100)
    assert c.now() == 970.0 and c.paused
    assert c.wall() == 105.0  # thinking time counts
    c.resume()
    src.advance(1)
    assert c.now() == 972.0


def test_speed_change_keeps_now_continuous():
    src, c = clock(speed=1)
    src.advance(10)
    c.set_speed(30)
    assert c.now() == 970.0
    src.advance(1)
    assert c.now() == 1000.0


@pytest.mark.parametrize("speed", [0.5, 61, 0])
def test_speed_is_bounded(speed):
    with pytest.raises(ClockError, match="between 1x and 60x"):
        clock(speed=speed)


def test_advance_with_a_real_source_jumps_for_free():
    t = [0.0]
    c = ReplayClock(960, 2700, source=lambda: t[0], speed=5)
    c.advance(120)
    assert c.now() == 1080.0 and c.wall() == 0.0
    t[0] = 2.0
    assert c.now() == 1090.0 and c.wall() == 2.0


def test_advance_with_a_manual_source_costs_seconds_over_speed():
    src, c = clock(speed=4)
    c.advance(120)
    assert c.now() == 1080.0 and c.wall() == 30.0
    c.pause()
    c.advance(40)  # paused: the replay still moves when told to
    assert c.now() == 1120.0 and c.wall() == 40.0


def test_advance_refuses_nonsense_and_the_end():
    src, c = clock()
    with pytest.raises(ClockError):
        c.advance(0)
    c.advance(10_000)
    with pytest.raises(ClockError, match="at its end"):
        c.advance(1)


@pytest.mark.parametrize(
    "action", [lambda c: c.pause(), lambda c: c.resume(), lambda c: c.set_speed(2), lambda c: c.advance(5)]
)
def test_a_challenge_clock_just_runs(action):
    src, c = clock(practice=False)
    with pytest.raises(ClockError, match="practice mode"):
        action(c)


def test_wall_time_continues_from_earlier_sessions():
    src, c = clock(wall_offset=42.0, start=1500)
    src.advance(8)
    assert c.wall() == 50.0 and c.now() == 1508.0


def events(*rows):
    return pd.DataFrame(rows, columns=["t", "kind", "service", "name", "detail"])


ALERTS = [
    {"name": "Early", "service": "checkout", "metric": "error_rate", "above": 0.1, "severity": "ticket"},
    {"name": "Paging", "service": "checkout", "metric": "latency_p99_ms", "above": 1500},
    {"name": "Named", "service": "checkout", "metric": "rps", "above": 1},
]
FAULT = [{"at": "10m", "kind": "retry_storm", "service": "checkout"}]
FIRED = events(
    (100.0, "alert_firing", "checkout", "Early", ""),
    (200.0, "alert_firing", "checkout", "Paging", ""),
    (300.0, "alert_firing", "checkout", "Named", ""),
    (150.0, "deploy", "checkout", "deploy", ""),
)


@pytest.mark.parametrize(
    "overrides, fired, expected",
    [
        ({"page": "Named"}, FIRED, 300.0),  # the scenario's page alert
        ({}, FIRED, 200.0),  # else the first alert of severity page ("Named" is a page too, but later)
        ({"alerts": ALERTS[:1]}, FIRED, 100.0),  # else the first alert of any severity
        ({"alerts": ALERTS[:1]}, events((150.0, "deploy", "checkout", "deploy", "")), 600.0),  # else the fault onset
        ({"alerts": []}, events(), 600.0),
    ],
)
def test_page_time(overrides, fired, expected):
    sc = shop(FAULT, **({"alerts": ALERTS} | overrides))
    assert page_time(sc, fired) == expected


def test_page_time_without_faults_or_alerts_is_the_start():
    sc = shop([], alerts=[])
    assert page_time(sc, events()) == 0.0


def test_page_time_skips_red_herring_faults():
    timeline = [{"at": "2m", "kind": "traffic_surge", "service": "web", "red_herring": True}] + FAULT
    assert page_time(shop(timeline, alerts=[]), events()) == 600.0
