"""The game clock is a pure fold of the game's events on the server's time."""

import pytest

from dojo.engine.errors import ClockError
from dojo.gameday.clock import GameClock, GameClockState, ServerTime


def state(limit=None):
    return GameClockState.from_created({"start_t": 100.0, "end_t": 3000.0, "speed": 10.0, "time_limit": limit})


def test_waiting_then_running_then_paused_and_resumed():
    s = state()
    assert s.phase(50.0) == "waiting" and s.scenario_t(50.0) == 100.0
    s.apply("started", 1000.0, {})
    assert s.running_s(1005.0) == 5.0 and s.scenario_t(1005.0) == 150.0
    s.apply("paused", 1010.0, {})
    assert s.phase(1030.0) == "paused" and s.running_s(1030.0) == 10.0
    s.apply("paused", 1020.0, {})  # a second console's pause: ignored, the first one counts
    s.apply("resumed", 1040.0, {})
    assert s.phase(1041.0) == "running" and s.running_s(1045.0) == 15.0


def test_time_limit_extension_and_end():
    s = state(limit=60.0)
    s.apply("started", 0.0, {})
    assert s.phase(59.0) == "running" and s.left_s(59.0) == 1.0
    assert s.phase(61.0) == "over" and s.running_s(500.0) == 60.0
    s.apply("extended", 10.0, {"seconds": 30.0})
    assert s.phase(61.0) == "running" and s.left_s(61.0) == 29.0
    s.apply("ended", 70.0, {})
    assert s.phase(71.0) == "over" and s.running_s(1000.0) == 70.0
    s.apply("resumed", 80.0, {})  # nothing moves a game that is over
    assert s.running_s(1000.0) == 70.0


def test_scenario_time_stops_at_the_scenarios_end():
    s = state()
    s.apply("started", 0.0, {})
    assert s.scenario_t(10_000.0) == 3000.0


def test_a_client_with_a_skewed_clock_sees_the_servers_time():
    """ServerTime keeps the server's reading and measures only intervals locally, so a client
    whose wall clock is an hour off still agrees with everyone."""
    local = [5_000_000.0]  # a monotonic clock with an arbitrary origin
    server = ServerTime(1000.0, monotonic=lambda: local[0])
    s = state()
    s.apply("started", 990.0, {})
    clock = GameClock(s, server)
    assert clock.wall() == pytest.approx(10.0)
    local[0] += 5.0
    assert clock.wall() == pytest.approx(15.0) and clock.now() == pytest.approx(250.0)
    server.sync(1100.0)  # a resync corrects any drift
    assert clock.wall() == pytest.approx(110.0)


def test_members_cannot_touch_the_game_clock():
    clock = GameClock(state(), ServerTime(0.0))
    for action in (clock.pause, clock.resume):
        with pytest.raises(ClockError, match="facilitator"):
            action()


def test_the_game_layer_never_imports_textual():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r})\n"
        "import dojo.gameday.game, dojo.gameday.team, dojo.gameday.protocol, dojo.gameday.report, "
        "dojo.store.games, dojo.commands.gameday\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_scheduled_injects_are_released_by_game_time_alone():
    from dojo.gameday.clock import due

    plan = [{"at_s": 600.0, "text": "Support: EU customers report failed checkouts"}, {"at_s": 60.0, "text": "first"}]
    assert due(plan, 59.0) == []
    assert [x["text"] for x in due(plan, 600.0)] == ["first", "Support: EU customers report failed checkouts"]


def test_a_teams_clock_says_paused_whenever_it_stands_still():
    """`paused` (a team's headless status, the clock bar) agrees with the phase: only a running
    game's clock moves; one that is over is not shown running."""
    local = [0.0]
    s = state(limit=60.0)
    clock = GameClock(s, ServerTime(0.0, monotonic=lambda: local[0]))
    assert clock.phase() == "waiting" and clock.paused
    s.apply("started", 0.0, {})
    assert clock.phase() == "running" and not clock.paused
    s.apply("paused", 0.0, {})
    assert clock.phase() == "paused" and clock.paused
    s.apply("resumed", 0.0, {})
    local[0] = 61.0  # the time limit ran out
    assert clock.phase() == "over" and clock.paused


def test_over_at_is_when_the_game_ended_by_command_or_limit():
    s = state(limit=60.0)
    assert s.over_at(10.0) is None
    s.apply("started", 100.0, {})
    s.apply("paused", 110.0, {})
    s.apply("resumed", 120.0, {})
    assert s.over_at(150.0) is None
    assert s.over_at(500.0) == 170.0  # 60 s of game time, 10 s of it paused
    t = state()
    t.apply("started", 100.0, {})
    t.apply("ended", 130.0, {})
    assert t.over_at(900.0) == 130.0


def test_after_end_is_strictly_after_the_end_by_command_or_limit():
    s = state(limit=60.0)
    s.apply("started", 100.0, {})
    assert not s.after_end(160.0) and s.after_end(160.5)  # the limit ran out at 160
    t = state()
    t.apply("started", 100.0, {})
    assert not t.after_end(1e9)  # no limit, not ended: never late
    t.apply("ended", 130.0, {})
    assert not t.after_end(129.9) and not t.after_end(130.0) and t.after_end(130.1)
