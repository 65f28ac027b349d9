"""Team play on SQLite and PostgreSQL: one shared journal, the facilitator's controls reaching
every member, crashes and late joins losing nothing."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from dojo.engine.errors import AttemptOver, ClockError, EngineError
from dojo.gameday.errors import GameError
from dojo.gameday.game import Facilitator
from dojo.gameday.report import build, html_report, markdown
from dojo.gameday.team import TeamSession
from dojo.store.games import Denied, GameStore

from .pg import wait_until


@pytest.fixture
def started(store, game):
    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    return fac


def join(store, game, member, team=0, telemetry=None):
    return TeamSession.join(store, game.teams[team][1], member, telemetry=telemetry)


def test_a_team_member_cannot_change_the_system(store, game, started, telemetry):
    """Every team plays the game's one incident: an action is refused, says why, and writes nothing."""
    ann = join(store, game, "ann", telemetry=telemetry)
    assert "every team plays the same incident" in (ann.action_refusal() or "")
    written = len(store.team_view(game.teams[0][1])[2])
    with pytest.raises(GameError, match="every team plays the same incident"):
        ann.act("restart", "checkout")
    assert len(store.team_view(game.teams[0][1])[2]) == written
    assert ann.signals.tel is telemetry


def test_members_share_one_journal_marked_with_who_wrote_it(store, game, started, telemetry):
    ann, bob = join(store, game, "ann", telemetry=telemetry), join(store, game, "bob", telemetry=telemetry)
    h = ann.add_hypothesis("checkout retries", "checkout")
    line = ann.logs(service="checkout", limit=1).lines[0]
    bob.pin(line.id, h.id, "seen by bob")
    bob.update_hypothesis(h.id, status="confirmed")
    seen = ann.team_journal()
    assert [(x["id"], x["by"], x["status"]) for x in seen["hypotheses"]] == [("H1", "ann", "confirmed")]
    assert [(p["item"], p["by"]) for p in seen["pins"]] == [(line.id, "bob")]
    assert ann.game()["members"] == ["ann", "bob"]


def test_two_members_creating_at_once_never_make_two_h1s(store, game, started, telemetry):
    members = [join(store, game, f"m{i}", telemetry=telemetry) for i in range(3)]
    errors = []

    def write(s, n):
        try:
            for k in range(4):
                s.add_hypothesis(f"{s.member} idea {k}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, i)) for i, s in enumerate(members)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    journal = members[0].team_journal()
    ids = [h["id"] for h in journal["hypotheses"]]
    assert ids == [f"H{i}" for i in range(1, 13)]
    expected = sorted(f"m{i} idea {k}" for i in range(3) for k in range(4))
    assert sorted(h["text"] for h in journal["hypotheses"]) == expected


def test_a_team_cannot_act_for_another(store, game, started, telemetry):
    red = join(store, game, "ann", team=0, telemetry=telemetry)
    blue = join(store, game, "bob", team=1, telemetry=telemetry)
    red.add_hypothesis("red only")
    assert blue.team_journal()["hypotheses"] == []
    with pytest.raises(EngineError):
        blue.update_hypothesis("H1", status="ruled_out")  # red's H1 does not exist for blue
    assert red.team_journal()["hypotheses"][0]["status"] == "open"


def test_late_joiner_and_rejoin_see_everything_so_far(store, game, started, telemetry):
    ann = join(store, game, "ann", telemetry=telemetry)
    ann.add_hypothesis("first idea")
    ann.diagnose("payments", "dependency_latency", "guess")
    late = join(store, game, "carol", telemetry=telemetry)
    assert [h["text"] for h in late.team_journal()["hypotheses"]] == ["first idea"]
    assert late.attempt.wrong_diagnoses == 1
    assert abs(late.clock.wall() - ann.clock.wall()) < 1.0


def test_pause_resume_and_end_reach_every_member(store, game, started, telemetry):
    ann = join(store, game, "ann", telemetry=telemetry)
    other = Facilitator(store, game.game_id, game.key)  # a second console
    started.pause()
    with pytest.raises(GameError, match="paused"):
        other.pause()  # conflicting commands are ordered: the second one is told why
    assert wait_until(lambda: ann.game()["phase"] == "paused", timeout=2.0)
    frozen = ann.now()
    time.sleep(0.3)
    assert ann.now() == pytest.approx(frozen, abs=1e-6)
    other.resume()
    assert wait_until(lambda: ann.game()["phase"] == "running", timeout=2.0)
    with pytest.raises(ClockError, match="facilitator"):
        ann.pause()
    started.end()
    with pytest.raises(AttemptOver, match="over"):
        ann.add_hypothesis("too late")


def test_hints_and_injects_go_where_they_are_sent(store, game, started, telemetry):
    red = join(store, game, "ann", team=0, telemetry=telemetry)
    blue = join(store, game, "bob", team=1, telemetry=telemetry)
    started.hint("red")
    started.inject("Support: EU customers report failed checkouts")
    started.inject("only for blue", team="blue")
    assert [h["index"] for h in red.game()["hints"]] == [1] and blue.game()["hints"] == []
    assert [i["text"] for i in red.game()["injects"]] == ["Support: EU customers report failed checkouts"]
    assert [i["text"] for i in blue.game()["injects"]][-1] == "only for blue"
    assert red.score().hints_used == 1
    with pytest.raises(GameError, match="facilitator"):
        red.hint()
    status = started.status()
    assert [t["hints"] for t in status["teams"]] == [1, 0, 0]


def test_extend_and_ranking(store, game, started):
    with pytest.raises(GameError, match="no time limit"):
        started.extend(600)
    assert "rank" not in started.status()
    assert started.ranking(True)["rank"] == ["red", "blue", "green"]


def test_report_anonymized_hides_team_and_member_names(store, scenario, telemetry):
    from dojo.gameday.game import create_game
    from dojo.gameday.team import load_game_scenario

    g = create_game(store, scenario[0], scenario[1], ["Night Owls", "Krakens"], telemetry=telemetry)
    fac = Facilitator(store, g.game_id, g.key)
    fac.start()
    ann = TeamSession.join(store, g.teams[0][1], "annabelle", telemetry=telemetry)
    ann.diagnose("checkout", "retry_storm", "retries everywhere")
    fac.end()
    view = fac.refresh()
    rep = build(view, load_game_scenario(view.settings, view.game_id), fac.server_now, anonymize=True)
    text = markdown(rep) + html_report(rep)
    for secret in ("annabelle", "Night Owls", "Krakens"):
        assert secret not in text
    assert "Team A" in text and "Team B" in text and "Member 1" in text and "retries everywhere" in text


def _client(db_url, code, env_home):
    env = {**os.environ, "DOJO_HOME": str(env_home), "DOJO_MEMBER": "kim"}
    return subprocess.Popen(
        [sys.executable, "-m", "dojo", "play", "--headless", "--join", code, "--db", db_url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def _ask(proc, **cmd):
    proc.stdin.write(json.dumps(cmd) + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


@pytest.mark.slow
def test_kill_9_a_client_and_join_again_loses_nothing(store, game, started, db_url, tmp_path):
    code = game.teams[2][1]
    proc = _client(db_url, code, tmp_path)
    assert _ask(proc, cmd="hypothesis", text="cache stampede?")["ok"]
    acked = _ask(proc, cmd="hypothesis", text="retry storm in checkout", service="checkout")
    assert acked["ok"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    again = _client(db_url, code, tmp_path)
    journal = _ask(again, cmd="journal")
    assert [h["text"] for h in journal["hypotheses"]] == ["cache stampede?", "retry storm in checkout"]
    assert _ask(again, cmd="game")["phase"] == "running"
    _ask(again, cmd="quit")
    again.wait(timeout=10)


@pytest.mark.slow
def test_postgresql_restart_mid_game_loses_nothing(pg_server, scenario, telemetry):
    from dojo.gameday.game import create_game
    from dojo.store.games import Unavailable

    store = GameStore(pg_server.url)
    g = create_game(store, scenario[0], scenario[1], ["a"], telemetry=telemetry)
    Facilitator(store, g.game_id, g.key).start()
    s = TeamSession.join(store, g.teams[0][1], "ann", telemetry=telemetry)
    s.add_hypothesis("before the restart")
    pg_server.stop()
    try:
        with pytest.raises(Unavailable, match="unavailable"):
            s.add_hypothesis("while it is down")
    finally:
        pg_server.start()
    assert wait_until(lambda: _works(s), timeout=10.0)
    texts = [h["text"] for h in s.team_journal()["hypotheses"]]
    assert texts[0] == "before the restart" and "while it is down" not in texts
    store.close()


def _works(s):
    try:
        s.add_hypothesis("after the restart")
        return True
    except Exception:
        return False


def test_a_scenarios_own_injects_are_released_by_the_game_clock(store, scenario, telemetry):
    """`injects:` in the scenario (scenario time) become the game's scheduled injects (game time:
    from the page, at the game's speed), beside the facilitator's own."""
    from dojo.engine.clock import page_time
    from dojo.gameday.clock import due
    from dojo.gameday.game import create_game

    sc, source = scenario
    assert sc.injects, "the built-in checkout-retry-storm carries injects"
    created = create_game(store, sc, source, ["red"], speed=10.0, telemetry=telemetry, scheduled=[(5.0, "mine")])
    game, _, _, _ = store.team_view(created.teams[0][1])
    plan = game.settings["scheduled"]
    start = page_time(sc, telemetry.events)
    expected = [("mine", 5.0)] + [(x.text, max(0.0, (x.at - start) / 10.0)) for x in sc.injects]
    assert [(x["text"], x["at_s"]) for x in plan] == expected
    first = min(x["at_s"] for x in plan if x["text"] != "mine")
    assert sc.injects[0].text not in [x["text"] for x in due(plan, first - 0.1)]
    assert sc.injects[0].text in [x["text"] for x in due(plan, first)]


def test_the_team_session_extends_the_engine_only_through_its_public_hooks():
    """TeamSession may override Session's public extension points (record, check_time,
    check_open), never its private methods: those may change under it without notice."""
    from dojo.engine.session import Session
    from dojo.gameday.team import TeamSession

    private = [n for n in vars(TeamSession) if n.startswith("_") and not n.startswith("__") and hasattr(Session, n)]
    assert private == []
    assert {"record", "check_time", "check_open"} <= set(vars(TeamSession))


def test_a_scenario_with_imported_signals_plays_the_same_files_on_every_machine(store, scenario, tmp_path, monkeypatch):
    """The game keeps a copy of the imported files: a team on a machine without the scenario's
    folder (here: deleted, and another data folder) replays the very same imported lines."""
    import json
    import shutil

    from dojo.gameday.game import Facilitator, create_game
    from dojo.gameday.team import TeamSession
    from dojo.scenario import load_scenario

    folder = tmp_path / "authored"
    (folder / "x.signals").mkdir(parents=True)
    line = {"ts": "2026-03-10T14:05:00Z", "level": "ERROR", "service": "checkout", "host": "h1", "trace_id": "",
            "msg": "zebra-imported: card vault handshake refused"}  # fmt: skip
    (folder / "x.signals" / "logs.jsonl").write_text(json.dumps(line) + "\n")
    source = scenario[1] + "\nimports:\n  logs: x.signals/logs.jsonl\n"
    (folder / "x.yaml").write_text(source)
    sc = load_scenario(folder / "x.yaml")
    created = create_game(store, sc, source, ["red", "blue"], speed=10.0)
    Facilitator(store, created.game_id, created.key).start()
    shutil.rmtree(folder)
    monkeypatch.setenv("DOJO_HOME", str(tmp_path / "another-machine"))
    for _, code in created.teams:
        team = TeamSession.join(store, code, "ann")
        page = team.logs(contains="zebra-imported", limit=5)
        assert [x.message for x in page.lines] == [line["msg"]]
    with pytest.raises(Denied):
        store.game_files(created.game_id, code="amber amber amber amber amber")


def _count_statements(store):
    import sqlalchemy as sa

    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0]))
    return seen


def test_on_postgresql_a_member_reads_only_when_notified_of_news(pg_server, scenario, telemetry):
    """LISTEN/NOTIFY: a query while nothing moved is one statement (its own append, which brings
    the news back); an idle member polls nothing; a teammate's hypothesis or the facilitator's
    pause makes the next action read first, so it acts on the current journal and clock."""
    from dojo.gameday.game import create_game

    sc, source = scenario
    with GameStore(pg_server.url) as fs, GameStore(pg_server.url) as astore, GameStore(pg_server.url) as bstore:
        game = create_game(fs, sc, source, ["red", "blue"], speed=10.0, telemetry=telemetry)
        fac = Facilitator(fs, game.game_id, game.key)
        fac.start()
        ann, bob = join(astore, game, "ann", telemetry=telemetry), join(bstore, game, "bob", telemetry=telemetry)
        assert wait_until(lambda: astore.marks(game.game_id, 1) is not None, 10)
        settled = [astore.marks(game.game_id, 1)]

        def quiet():  # every notification of the joins (already read) has arrived
            time.sleep(0.3)
            settled.append(astore.marks(game.game_id, 1))
            return settled[-1] == settled[-2]

        assert wait_until(quiet, 10)
        ann.sync()
        seen = _count_statements(astore)
        ann.logs(service="checkout", limit=1)
        ann.sync_if_news()
        assert seen == ["SELECT"]  # the append; no poll before it, none while idle after it
        bob.add_hypothesis("pool exhausted", "checkout")
        assert wait_until(lambda: astore.marks(game.game_id, 1).team_guarded != ann._marks.team_guarded, 5)
        seen.clear()
        ann.logs(service="checkout", limit=1)
        assert len(seen) == 2 and list(ann.journal.hypotheses) == ["H1"]
        # A notification still in flight: ann acts on a journal without bob's H2, and the engine's
        # refusal ("no H2") is believed only after a fresh read, which finds it.
        bob.add_hypothesis("payments pool", "payments")
        assert wait_until(lambda: astore.marks(game.game_id, 1).team_guarded != ann._marks.team_guarded, 5)
        ann._marks = astore.marks(game.game_id, 1)
        assert "H2" not in ann.journal.hypotheses
        ann.update_hypothesis("H2", status="ruled_out")
        assert ann.journal.hypotheses["H2"].status == "ruled_out"
        fac.pause()
        assert wait_until(lambda: astore.marks(game.game_id, 1).game != ann._marks.game, 5)
        seen.clear()
        ann.logs(service="checkout", limit=1)
        assert len(seen) == 2 and ann.phase() == "paused"  # read before acting: the query ran on the paused clock


def test_without_notifications_a_member_polls_as_before(store, game, started, telemetry):
    """SQLite (no LISTEN): an action reads first when the last read is older than FRESH_S."""
    from dojo.gameday.team import FRESH_S

    if store.dialect == "postgresql":
        pytest.skip("PostgreSQL has notifications: see the test above")
    ann = join(store, game, "ann", telemetry=telemetry)
    seen = _count_statements(store)
    ann.logs(service="checkout", limit=1)
    assert len(seen) == 2  # the append and the re-read of news, no poll: the join just read
    time.sleep(FRESH_S)
    seen.clear()
    ann.logs(service="checkout", limit=1)
    assert len(seen) == 3


def test_after_pause_and_resume_under_load_game_time_excludes_exactly_the_paused_span(store, game, started, telemetry):
    """Members querying from threads while the facilitator pauses and resumes: every member's
    clock leaves out exactly the span between the pause's and the resume's commits (server
    time), the events they wrote while paused carry the frozen scenario time, and after the
    resume their game time runs on from where it stopped, never ahead of the server's."""
    members = [join(store, game, f"m{i}", team=i % 3, telemetry=telemetry) for i in range(6)]
    stop = threading.Event()

    def busy(s):
        while not stop.is_set():
            s.logs(service="checkout", limit=5)
            time.sleep(0.02)

    threads = [threading.Thread(target=busy, args=(s,)) for s in members]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        started.pause()
        time.sleep(0.8)
        started.resume()
        time.sleep(0.8)
    finally:
        stop.set()
        for t in threads:
            t.join()
    game_evs = {g.kind: g for g in started.refresh().game_events}
    began, paused, resumed = (game_evs[k].server_t for k in ("started", "paused", "resumed"))
    span = resumed - paused
    speed, start_t = 10.0, members[0].clock.state.start_t
    for s in members:
        s.sync()
        state = s.clock.state
        assert (state.started_at, state.paused_at, state.paused_s) == (began, None, span)
        t = resumed + 12.5
        assert state.running_s(t) == pytest.approx(t - began - span, abs=1e-9)
        now = s.clock.server()
        # the member's carried-forward server time is the server's, to within a sync's round trip
        assert s.clock.state.running_s(now) == pytest.approx(store.server_now() - began - span, abs=0.5)
    written_while_paused = 0
    for g in started.refresh().teams.values():
        queries = [e for e in g.events if e.kind == "query"]
        during = [e for e in queries if paused < e.server_t < resumed]
        after = [e for e in queries if e.server_t > resumed + 0.2]
        assert after, "members kept querying after the resume"
        frozen = start_t + (paused - began) * speed
        written_while_paused += len(during)
        for e in during:  # written while paused (the member may have read the pause late: 2 s)
            assert e.scenario_t <= frozen + 2.0 * speed + 1e-6
        for e in after:  # game time runs on from the pause, the paused span left out: never ahead of
            # the true game time, never back before the pause (a member may learn of the resume late)
            # (+ the member's estimate of the server's clock: within a sync's round trip)
            exact = start_t + (e.server_t - began - span) * speed
            assert frozen - 1e-3 <= e.scenario_t <= exact + 0.3 * speed
    assert written_while_paused, "members kept querying while paused"


def test_on_postgresql_a_teammates_query_wakes_no_one_but_a_hypothesis_does(pg_server, scenario, telemetry):
    """Queries are most of a game's events and no member shows a teammate's: they are appended
    without a notification, so the others' clients stay asleep; journal events still wake them."""
    from dojo.gameday.game import create_game

    sc, source = scenario
    with GameStore(pg_server.url) as fs, GameStore(pg_server.url) as astore, GameStore(pg_server.url) as bstore:
        game = create_game(fs, sc, source, ["red"], speed=10.0, telemetry=telemetry)
        Facilitator(fs, game.game_id, game.key).start()
        ann, bob = join(astore, game, "ann", telemetry=telemetry), join(bstore, game, "bob", telemetry=telemetry)
        assert wait_until(lambda: astore.marks(game.game_id, 1) is not None, 10)
        time.sleep(0.5)  # the joins' notifications arrive
        before = astore.marks(game.game_id, 1)
        for _ in range(3):
            bob.logs(service="checkout", limit=1)
        time.sleep(0.5)
        assert astore.marks(game.game_id, 1) == before
        bob.add_hypothesis("pool exhausted", "checkout")
        assert wait_until(lambda: astore.marks(game.game_id, 1).team == before.team + 1, 5)
        ann.sync_if_news()
        assert list(ann.journal.hypotheses) == ["H1"]


def test_a_correct_diagnosis_and_its_card_need_no_second_read(store, game, started, telemetry):
    """The card a correct diagnosis returns is folded from what its own (guarded) append brought
    back: no read after it. A journal action reads first (the end may be on its way); then
    PostgreSQL: one statement; SQLite: the write and its read of the news."""
    ann = join(store, game, "ann", telemetry=telemetry)
    if store.dialect == "postgresql":
        assert wait_until(lambda: store.marks(game.game_id, 1) is not None, 10)
        time.sleep(0.5)  # the join's own notifications arrive
    ann.sync()
    seen = _count_statements(store)
    result = ann.diagnose("checkout", "retry_storm", "retries multiplied the load")
    assert result.correct and result.card["solved"]
    assert len(seen) == (2 if store.dialect == "postgresql" else 3), seen
    assert ann.score().to_dict() == result.card  # the explicit card (a fresh read) agrees


def test_a_diagnosis_written_after_the_end_by_a_member_who_had_not_heard_counts_nowhere(store, game, telemetry):
    """On PostgreSQL a member trusts notifications: one that diagnoses while the end's is still
    in flight writes after the end. The write brings the end back with it: the member is told the
    game ended, and no fold (status, report, the team's own card) counts the late event."""
    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    ann = join(store, game, "ann", telemetry=telemetry)
    ann.sync()
    fac.end()
    ann.sync = lambda: None  # the end's notification has not arrived: no read before acting
    ann._sync_if_stale = lambda: None
    with pytest.raises(AttemptOver, match="ended before|game is over"):  # PostgreSQL: said on its retry
        ann.diagnose("checkout", "retry_storm", "retries")
    assert ann.attempt.solved is None
    team = fac.status()["teams"][0]
    assert not team["solved"] and team["points"] == 0 and team["wrong_diagnoses"] == 0
    stored = [e.kind for e in store.facilitator_view(game.game_id, game.key)[2] if e.stream == 1]
    assert "diagnosis" in stored  # the log is append-only: the event is there, and ignored
    view = fac.refresh()
    assert "diagnosis" not in markdown(build(view, ann.scenario, fac.server_now)).lower().split("## what really")[0]
    del ann.sync, ann._sync_if_stale
    assert ann.score().outcome != "solved"
