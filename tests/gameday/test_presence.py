"""Presence: a member whose client dies without a word goes away within a bounded time, comes back
online on rejoin, and heartbeats never become part of a team's story."""

import time

import pytest

from dojo.gameday import presence
from dojo.gameday.game import Facilitator
from dojo.gameday.presence import AWAY_S, HEARTBEAT, HEARTBEAT_S, Presence
from dojo.gameday.report import build, markdown
from dojo.gameday.team import TeamSession
from dojo.gameday.text import status_text

from .pg import wait_until


def test_presence_is_judged_by_the_newest_event_and_the_servers_time():
    p = Presence()
    p.see("joined", "ann", 100.0)
    p.see("joined", "bob", 100.0)
    p.see("hint", "facilitator", 130.0)  # the facilitator's events say nothing about members
    assert p.members == ["ann", "bob"] and "facilitator" not in p.seen
    p.see("query", "bob", 110.0)
    assert p.online(100.0 + AWAY_S) == ["ann", "bob"]
    assert p.online(110.0 + AWAY_S) == ["bob"] and p.away(110.0 + AWAY_S) == ["ann"]
    p.see("left", "bob", 112.0)  # quit: offline, neither online nor away
    assert p.state("bob", 113.0) == "offline" and p.away(200.0) == ["ann"]
    p.see("joined", "ann", 199.0)  # rejoined: online again
    assert p.online(200.0) == ["ann"]


def test_the_bounds_are_sane():
    # a member who misses two heartbeats (a slow poll, a GC pause) is not yet away
    assert 2 * HEARTBEAT_S < AWAY_S <= 15.0


@pytest.fixture
def quick(monkeypatch):
    """Seconds instead of tens of seconds: heartbeats every 0.2 s, away after 1.5 s."""
    monkeypatch.setattr("dojo.gameday.team.HEARTBEAT_S", 0.2)
    monkeypatch.setattr(presence, "AWAY_S", 1.5)


def test_a_killed_member_goes_away_and_comes_back_online_on_rejoin(store, game, telemetry, quick):
    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    code = game.teams[0][1]
    ann = TeamSession.join(store, code, "ann", telemetry=telemetry)
    bob = TeamSession.join(store, code, "bob", telemetry=telemetry)
    ann.add_hypothesis("checkout retries", "checkout")
    team = fac.status()["teams"][0]
    assert team["online"] == ["ann", "bob"] and team["away"] == []
    # ann's client is killed (no 'left'); bob's only watches: its polls carry heartbeats
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        bob.game()
        if fac.status()["teams"][0]["away"] == ["ann"]:
            break
        time.sleep(0.1)
    team = fac.status()["teams"][0]
    assert team["away"] == ["ann"] and team["online"] == ["bob"] and team["members"] == ["ann", "bob"]
    assert "1/2 online, 1 away" in status_text(fac.status())
    assert bob.game()["away"] == ["ann"]  # the team sees it too
    again = TeamSession.join(store, code, "ann", telemetry=telemetry)
    assert fac.status()["teams"][0]["online"] == ["ann", "bob"]
    assert [h.text for h in again.journal.hypotheses.values()] == ["checkout retries"]
    again.close()
    bob.close()
    team = fac.status()["teams"][0]
    assert team["online"] == [] and team["away"] == []  # quit is offline, not away


def test_heartbeats_are_sent_only_by_quiet_clients_and_stay_out_of_the_story(store, game, telemetry, quick):
    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    ann = TeamSession.join(store, game.teams[0][1], "ann", telemetry=telemetry)
    assert not ann.heartbeat()  # just joined: the join said it
    time.sleep(0.25)
    ann.logs(service="checkout", limit=1)  # a query is a sign of life too
    assert not ann.heartbeat()
    time.sleep(0.25)
    assert ann.heartbeat()
    beats = [e for e in store.facilitator_view(game.game_id, game.key)[2] if e.kind == HEARTBEAT]
    assert len(beats) == 1
    assert all(e.kind != HEARTBEAT for e in ann.events)
    view = fac.refresh()
    assert all(e.kind != HEARTBEAT for e in view.teams[1].events + view.teams[1].scored)
    report = markdown(build(view, ann.scenario, fac.server_now))
    assert "heartbeat" not in report
    fac.end()
    time.sleep(0.25)
    ann.sync()
    assert not ann.heartbeat()  # after the game, nobody watches presence


def test_a_waiting_headless_client_stays_online(store, game, telemetry, quick):
    fac = Facilitator(store, game.game_id, game.key)
    ann = TeamSession.join(store, game.teams[0][1], "ann", telemetry=telemetry)
    ann.wait(2.0, until="start")  # nothing happens: it waits the whole time
    assert fac.status()["teams"][0]["online"] == ["ann"]
    assert wait_until(lambda: fac.status()["teams"][0]["away"] == ["ann"], timeout=4.0)


def test_after_the_end_presence_stands_as_it_was_when_the_game_ended(store, game, telemetry, quick):
    """Clients stop their heartbeats when the game is over: the status at the retro shows who was
    there at the end, not everyone turning 'away' 15 s later; quitting still counts."""
    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    ann = TeamSession.join(store, game.teams[0][1], "ann", telemetry=telemetry)
    bob = TeamSession.join(store, game.teams[0][1], "bob", telemetry=telemetry)
    fac.end()
    time.sleep(2.0)  # longer than AWAY_S here
    bob.close()
    team = fac.status()["teams"][0]
    assert team["online"] == ["ann"] and team["away"] == []
    assert ann.game()["online"] == ["ann"]


def test_a_restarted_console_sees_the_same_presence_as_the_running_one(store, game, telemetry, quick):
    running = Facilitator(store, game.game_id, game.key)
    running.start()
    TeamSession.join(store, game.teams[0][1], "ann", telemetry=telemetry)  # then killed: goes away
    bob = TeamSession.join(store, game.teams[1][1], "bob", telemetry=telemetry)
    running.status()
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline and running.status()["teams"][0]["away"] != ["ann"]:
        bob.game()
        time.sleep(0.1)
    bob.game()
    restarted = Facilitator(store, game.game_id, game.key)  # folds everything from the start
    a, b = running.status(), restarted.status()
    assert [(t["online"], t["away"]) for t in a["teams"]] == [(t["online"], t["away"]) for t in b["teams"]]
    assert a["teams"][0]["away"] == ["ann"] and a["teams"][1]["online"] == ["bob"]
