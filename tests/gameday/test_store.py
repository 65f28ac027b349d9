"""The game store's guarantees, on SQLite and on a real PostgreSQL: capabilities, isolation
between teams, server time, ordering, append-only, and old attempt data left readable."""

import sqlite3
import time

import pytest
import sqlalchemy as sa

from dojo.store import Event, Store
from dojo.store.games import (
    DENIED,
    HEAD,
    LATEST,
    REVISIONS,
    Conflict,
    Denied,
    GameStore,
    normalize_code,
    resolve_url,
)


def test_wrong_key_or_code_is_one_answer_that_says_nothing(store, game):
    with pytest.raises(Denied) as wrong_key:
        store.facilitator_view(game.game_id, "not-the-key")
    with pytest.raises(Denied) as no_game:
        store.facilitator_view("g-00000000", game.key)
    with pytest.raises(Denied) as wrong_code:
        store.team_view("amber amber amber amber amber")
    with pytest.raises(Denied):
        store.team_append("amber amber amber amber amber", "query", "eve", {}, wall_s=0, scenario_t=0)
    with pytest.raises(Denied):
        store.facilitator_append(game.game_id, game.teams[0][1], "started", {})  # a team code is no key
    assert str(wrong_key.value) == str(no_game.value) == str(wrong_code.value) == DENIED


def test_a_team_reads_and_writes_only_its_own_stream(store, game):
    (_, red), (_, blue), _ = game.teams
    store.team_append(red, "hypothesis", "ann", {"id": "H1", "text": "red's secret idea"}, wall_s=1, scenario_t=1)
    store.facilitator_append(game.game_id, game.key, "inject", {"text": "to everyone"})
    _, team, evs, _ = store.team_view(blue)
    assert team.name == "blue"
    assert {e.stream for e in evs} == {0, 2}
    assert not any("secret" in str(e.data) for e in evs)
    stored = store.team_append(blue, "query", "bob", {}, wall_s=1, scenario_t=1)
    assert stored.stream == 2  # the code decides the team, whatever the caller wants


def test_codes_and_keys_are_stored_hashed(store, game, db_url):
    engine = sa.create_engine(store.url)
    with engine.connect() as c:
        dump = str(c.execute(sa.text("SELECT * FROM games")).all()) + str(
            c.execute(sa.text("SELECT * FROM game_teams")).all()
        )
    engine.dispose()
    assert game.key not in dump
    for _, code in game.teams:
        assert code not in dump and normalize_code(code) not in dump


def test_codes_read_aloud_are_accepted_in_any_spelling(store, game):
    code = game.teams[0][1]
    loud = "  " + code.upper().replace("-", "  ") + " "
    assert store.team_view(loud)[1].name == "red"


def test_events_carry_the_servers_time_and_a_stream_order(store, game):
    before = store.server_now()
    a = store.team_append(game.teams[0][1], "query", "ann", {}, wall_s=0, scenario_t=0)
    b = store.team_append(game.teams[0][1], "query", "bob", {}, wall_s=0, scenario_t=0)
    after = store.server_now()
    assert before - 1 <= a.server_t <= b.server_t <= after + 1
    assert (a.seq, b.seq) == (2, 3)  # seq 1 is the team's 'started'
    assert b.id > a.id


def test_a_stale_writer_gets_a_conflict_not_a_fork(store, game):
    code = game.teams[0][1]
    store.team_append(code, "query", "ann", {}, wall_s=0, scenario_t=0, expect=1)
    with pytest.raises(Conflict):
        store.team_append(code, "hypothesis", "bob", {"id": "H1", "text": "x"}, wall_s=0, scenario_t=0, expect=1)


def test_game_events_are_append_only(store, game):
    engine = sa.create_engine(store.url)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with engine.begin() as c:
            c.execute(sa.text("UPDATE game_events SET kind = 'x'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM game_events"))
    engine.dispose()


def test_schema_is_migrated_once_and_reopening_is_harmless(db_url):
    with GameStore(db_url) as a:
        assert a.schema_version == LATEST
    with GameStore(db_url) as b:
        assert b.schema_version == LATEST


def test_attempts_written_by_the_solo_store_stay_readable_beside_games(tmp_path, scenario, telemetry):
    """The default game store is the learner's own file: adding the game tables must leave the
    attempts table, its triggers and its data exactly as they were."""
    path = tmp_path / "dojo.sqlite3"
    with Store.open(path) as solo:
        aid, _ = solo.create_attempt("x", "X", Event("started", 0.0, 1.0, {"k": 1}))
        solo.append(aid, Event("query", 1.0, 2.0, {"what": "logs"}))
    from dojo.gameday.game import create_game

    with GameStore(f"sqlite:///{path}") as games:
        create_game(games, scenario[0], scenario[1], ["red"], telemetry=telemetry)
    with Store.open(path) as solo:
        assert [e.kind for e in solo.events(aid)] == ["started", "query"]
        assert solo.schema_version == 2
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()


def test_a_guarded_write_ignores_kinds_it_does_not_depend_on(store, game):
    code = game.teams[0][1]
    store.team_append(code, "query", "ann", {}, wall_s=0, scenario_t=0)  # seq 2: not a journal change
    guard = ("hypothesis", "started")
    h = store.team_append(code, "hypothesis", "bob", {"id": "H1", "text": "x"}, wall_s=0, scenario_t=0, expect=1,
                          guard=guard)  # fmt: skip
    assert h.seq == 3
    with pytest.raises(Conflict):  # but a hypothesis in between is
        store.team_append(code, "hypothesis", "cy", {"id": "H1", "text": "y"}, wall_s=0, scenario_t=0, expect=1,
                          guard=guard)  # fmt: skip


def _statements(store):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_a):
        seen.append(statement.split()[0].upper())

    sa.event.listen(store.engine, "before_cursor_execute", count)
    return seen


def test_a_member_action_is_one_statement_on_postgresql_and_a_poll_one_read(store, game):
    """The latency budget rests on this: no BEGIN/COMMIT round trips on PostgreSQL, no lock held
    across client round trips, and a poll is a single statement. PostgreSQL: the append and the
    re-read are one statement (dojo_team_write); SQLite: one write, one read."""
    code = game.teams[0][1]
    store.team_view(code)  # the first read (game row, team) is cached from here on
    other, _, _ = store.team_write(game.teams[1][1], "query", "zed", {}, wall_s=1, scenario_t=1)
    seen = _statements(store)
    stored, news, _ = store.team_write(code, "query", "ann", {}, wall_s=1, scenario_t=1, after=1)
    assert [e.id for e in news][-1] == stored.id
    assert other.id not in [e.id for e in news]  # another team's event is not this team's news
    assert [e.kind for e in news if e.stream == stored.stream] == ["started", "query"]
    assert len(seen) == (1 if store.dialect == "postgresql" else 2), seen
    seen.clear()
    store.team_view(code, stored.id)
    assert len(seen) == 1, seen


def test_concurrent_writers_commit_in_id_order_so_a_cursor_never_skips(store, game):
    """Readers poll 'everything after id N': an event committed after a reader passed its id
    would never be seen. Many writers at once, one reader polling: it must see every event."""
    import threading

    codes = [c for _, c in game.teams]
    written: list[int] = []
    lock = threading.Lock()

    def writer(i: int) -> None:
        for _ in range(15):
            e = store.team_append(codes[i % 3], "query", f"m{i}", {}, wall_s=1, scenario_t=1)
            with lock:
                written.append(e.id)

    seen: set[int] = set()
    cursor = 0
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        _, _, evs, _ = store.facilitator_view(game.game_id, game.key, cursor)
        for e in evs:
            seen.add(e.id)
            cursor = max(cursor, e.id)
    for t in threads:
        t.join()
    _, _, evs, _ = store.facilitator_view(game.game_id, game.key, cursor)
    seen |= {e.id for e in evs}
    assert set(written) <= seen


DATA = __import__("pathlib").Path(__file__).parent / "data"


def test_a_store_made_before_alembic_upgrades_in_place_with_its_games_intact(tmp_path):
    """games-v2.sqlite3 was written by the dojo before the Alembic revisions (game_schema_version 2,
    one solo attempt, a game with two teams, a hypothesis and an inject)."""
    import shutil

    path = tmp_path / "old.sqlite3"
    shutil.copy(DATA / "games-v2.sqlite3", path)
    with GameStore(f"sqlite:///{path}") as store:
        assert store.schema_version == LATEST
        game, rows, evs, _ = store.facilitator_view("g-b8ad6e86", "tMQbkKkENyEa3Fwvf29yfw")
        assert [r.name for r in rows] == ["red", "blue"]
        assert [e.kind for e in evs if e.stream == 0] == ["created", "started", "inject"]
        assert any(e.kind == "hypothesis" and e.actor == "ann" for e in evs)
        stored = store.team_append("canyon agent breeze cider arrow", "query", "bob", {}, wall_s=1, scenario_t=1)
        assert stored.seq == max(e.seq for e in evs if e.stream == 1) + 1
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT version_num FROM game_alembic_version").fetchall() == [(HEAD,)]
    raw.close()
    with Store.open(path) as solo:
        assert [e.kind for e in solo.events(1)] == ["started"]


def _empty_database(request, tmp_path, backend: str, name: str) -> str:
    """A database of its own (an old schema must not meet the shared test server's tables)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    server = request.getfixturevalue("pg_server")
    engine = sa.create_engine(resolve_url(server.url), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.url.rsplit("/", 1)[0] + "/" + name


def _schema_at(url: str, revision: str) -> sa.Engine:
    """The schema exactly as the shipped revisions up to `revision` made it (Alembic, as the store
    runs it), with nothing of the later ones."""
    from alembic import command
    from alembic.config import Config

    from dojo.store.games import MIGRATIONS_DIR

    engine = sa.create_engine(resolve_url(url))
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return engine


def _old_rows(conn, code: str) -> None:
    """A game with one team, written as a dojo at the first revision wrote its rows."""
    from dojo.store.games import digest

    conn.execute(sa.text(
        "INSERT INTO games (id, scenario_id, title, key_hash, settings, created_t) "
        "VALUES ('g-old', 'sc', 'Old game', :k, '{}', 1.0)"
    ), {"k": digest("the-key")})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO game_teams (game_id, number, name, code_hash) VALUES ('g-old', 1, 'red', :h)"
    ), {"h": digest(normalize_code(code))})  # fmt: skip
    for stream, seq, kind, actor, data in [
        (0, 1, "created", "facilitator", "{}"),
        (1, 1, "started", "system", "{}"),
        (1, 2, "hypothesis", "ann", '{"id":"H1","text":"the pool"}'),
        (0, 2, "started", "facilitator", "{}"),
    ]:
        conn.execute(sa.text(
            "INSERT INTO game_events (game_id, stream, seq, kind, actor, server_t, wall_s, scenario_t, data) "
            "VALUES ('g-old', :st, :seq, :kind, :actor, 2.0, 0.0, 0.0, :data)"
        ), {"st": stream, "seq": seq, "kind": kind, "actor": actor, "data": data})  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_at_the_first_revision_with_games_upgrades_to_head(request, tmp_path, backend):
    """The schema the first migration made (g0001 only, no triggers, no append function, no
    files table), rows written into it, then opened by this dojo: upgraded to HEAD in place, the
    old game readable and playable (the append function and the new indexes in use)."""
    code = "canyon agent breeze cider arrow"
    url = _empty_database(request, tmp_path, backend, "dojo_first_rev")
    engine = _schema_at(url, REVISIONS[0])
    with engine.begin() as c:
        _old_rows(c, code)
        assert not sa.inspect(c).has_table("game_files")
    with GameStore(url) as store:
        assert store.schema_version == LATEST
        _, team, evs, _ = store.team_view(code)
        assert (team.name, [e.kind for e in evs]) == ("red", ["created", "started", "hypothesis", "started"])
        e = store.team_append(code, "query", "bob", {}, wall_s=1, scenario_t=1)
        assert (e.stream, e.seq) == (1, 3)
        stored, news, _ = store.team_write(code, "query", "bob", {}, wall_s=2, scenario_t=2, after=e.id)
        assert [n.id for n in news] == [stored.id]
        game, _, all_evs, _ = store.facilitator_view("g-old", "the-key")
        assert game.title == "Old game" and len(all_evs) == 6
    with engine.begin() as c:
        assert c.execute(sa.text("SELECT version_num FROM game_alembic_version")).scalar() == HEAD
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):  # g0002's triggers now guard the old rows
            c.execute(sa.text("DELETE FROM game_events WHERE game_id = 'g-old'"))
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_made_before_alembic_is_stamped_and_upgraded(request, tmp_path, backend):
    """A store as the dojo before Alembic left it: the first two revisions' schema, game_schema_version
    2, no revision table. It is stamped at g0002 (not re-created) and upgraded to HEAD."""
    code = "canyon agent breeze cider arrow"
    url = _empty_database(request, tmp_path, backend, "dojo_pre_alembic")
    engine = _schema_at(url, REVISIONS[1])
    with engine.begin() as c:
        _old_rows(c, code)
        c.execute(sa.text("DROP TABLE game_alembic_version"))
        c.execute(sa.text("CREATE TABLE game_schema_version (version INTEGER NOT NULL)"))
        c.execute(sa.text("INSERT INTO game_schema_version (version) VALUES (2)"))
    with GameStore(url) as store:
        assert store.schema_version == LATEST
        e = store.team_append(code, "query", "ann", {}, wall_s=1, scenario_t=1)  # uses the function
        assert e.seq == 3
    with engine.begin() as c:
        assert c.execute(sa.text("SELECT version_num FROM game_alembic_version")).scalar() == HEAD
    engine.dispose()


def test_a_store_from_a_newer_dojo_is_refused_with_a_clear_line(tmp_path):
    from dojo.store.errors import StoreError

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    GameStore(url).close()
    raw = sqlite3.connect(tmp_path / "x.sqlite3")
    raw.execute("UPDATE game_alembic_version SET version_num = 'g9999'")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="unknown here; upgrade dojo"):
        GameStore(url)


def test_the_store_knows_every_shipped_revision_in_order():
    """HEAD and REVISIONS let an up-to-date store open without importing Alembic: they must be
    exactly the chain in game_migrations/versions."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from dojo.store import games

    config = Config()
    config.set_main_option("script_location", str(games.MIGRATIONS_DIR))
    chain = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()][::-1]
    assert chain == games.REVISIONS and games.HEAD == chain[-1]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_at_the_previous_head_upgrades_and_keeps_one_append_function(request, tmp_path, backend):
    """g0007 replaces the append functions (a notify flag, a channel per stream): a store at
    g0006 with a game in it upgrades in place, members and the facilitator append through the new
    functions, and no overload of the old ones is left behind to be called by mistake."""
    code = "canyon agent breeze cider arrow"
    url = _empty_database(request, tmp_path, backend, "dojo_prev_head")
    engine = _schema_at(url, "g0006")
    with engine.begin() as c:
        _old_rows(c, code)
    with GameStore(url) as store:
        stored, news, _ = store.team_write(code, "query", "bob", {}, wall_s=1, scenario_t=1, after=4, notify=False)
        assert (stored.stream, stored.seq) == (1, 3) and [n.id for n in news] == [stored.id]
        hinted = store.facilitator_append("g-old", "the-key", "hint", {"index": 0}, stream=1)
        assert hinted.seq == 4
    if backend == "postgresql":
        with engine.connect() as c:
            found = c.execute(sa.text(
                "SELECT proname, pronargs FROM pg_proc WHERE proname IN ('dojo_team_write', 'dojo_game_append') "
                "ORDER BY proname"
            )).all()  # fmt: skip
        assert [tuple(r) for r in found] == [("dojo_game_append", 10), ("dojo_team_write", 10)]
    engine.dispose()


def test_opening_a_store_at_head_waits_for_no_schema_lock(pg_server):
    """A game's members open the store at once: at HEAD nobody queues behind the migration lock
    (which only a first-time opener or an upgrade needs)."""
    import threading

    GameStore(pg_server.url).close()  # at HEAD
    holder = sa.create_engine(resolve_url(pg_server.url))
    with holder.connect() as c, c.begin():
        c.execute(sa.text("SELECT pg_advisory_xact_lock(7406551)"))  # an upgrader mid-migration
        opened = threading.Event()

        def open_store() -> None:
            GameStore(pg_server.url).close()
            opened.set()

        threading.Thread(target=open_store, daemon=True).start()
        assert opened.wait(10)
    holder.dispose()


def test_notifications_reach_only_the_listeners_of_their_stream(pg_server, scenario, telemetry):
    """A channel per (game, stream): a member listening to the game's stream and its team's hears
    its teammates and the facilitator, never another team; an append with notify=False wakes no
    one, and wait() on a team's streams is not woken by another team's events."""
    from dojo.gameday.game import create_game

    from .pg import wait_until

    sc, source = scenario
    with GameStore(pg_server.url) as fs, GameStore(pg_server.url) as red:
        game = create_game(fs, sc, source, ["red", "blue"], speed=10.0, telemetry=telemetry)
        red_code, blue_code = game.teams[0][1], game.teams[1][1]
        assert wait_until(lambda: red.marks(game.game_id, 1) is not None, 10)
        before = red.marks(game.game_id, 1)
        fs.team_append(blue_code, "hypothesis", "zed", {}, wall_s=1, scenario_t=1)
        fs.team_write(red_code, "query", "bob", {}, wall_s=1, scenario_t=1, notify=False)
        fs.team_write(red_code, "hypothesis", "bob", {}, wall_s=1, scenario_t=1, guard=("hypothesis",))
        assert wait_until(lambda: red.marks(game.game_id, 1).team != before.team, 5)
        time.sleep(0.3)  # anything else in flight arrives meanwhile
        after = red.marks(game.game_id, 1)
        assert (after.team - before.team, after.team_guarded - before.team_guarded, after.game) == (1, 1, before.game)
        listener = red._listen()
        assert (game.game_id, 2) not in listener.counts  # blue's channel: never heard
        cursor = red.latest_id(game.game_id, (0, 1))
        fs.team_append(blue_code, "query", "zed", {}, wall_s=1, scenario_t=1)
        t = time.monotonic()
        assert red.wait(game.game_id, cursor, 0.6, (0, 1)) is False and time.monotonic() - t >= 0.5
        fs.facilitator_append(game.game_id, game.key, "paused", {})
        assert red.wait(game.game_id, cursor, 5, (0, 1)) is True
        assert wait_until(lambda: red.marks(game.game_id, 1).game == before.game + 1, 5)


def test_on_postgresql_teams_append_without_waiting_for_each_other(pg_server, scenario, telemetry):
    """An append to one team that has not committed yet (its server process descheduled, say)
    holds up its own team and the facilitator's read of every stream, never another team: the
    facilitator's read waits for it, so the event cannot commit below a cursor already passed."""
    import threading

    from dojo.gameday.game import create_game

    sc, source = scenario
    with GameStore(pg_server.url) as store:
        game = create_game(store, sc, source, ["red", "blue"], speed=10.0, telemetry=telemetry)
        stalled = sa.create_engine(resolve_url(pg_server.url))
        with stalled.connect() as c:
            tx = c.begin()
            c.execute(sa.text(
                "SELECT * FROM dojo_game_append(:g, 2, 'query', 'zed', '{}', 1, 1, NULL, NULL, false)"
            ), {"g": game.game_id})  # fmt: skip
            appended: list = []
            red_code = game.teams[0][1]
            writer = threading.Thread(
                target=lambda: appended.append(store.team_append(red_code, "query", "ann", {}, wall_s=1, scenario_t=1))
            )
            writer.start()
            writer.join(3)
            done = bool(appended)  # asserted after the commit, so that a failure cannot hang
            got: list = []
            reader = threading.Thread(target=lambda: got.append(store.facilitator_view(game.game_id, game.key)))
            reader.start()
            time.sleep(0.5)
            assert not got  # waiting for blue's append to commit
            tx.commit()
            reader.join(10)
            writer.join(10)
        stalled.dispose()
        assert done, "red's append waited for blue's"
        red = appended[0]
        evs = got[0][2]
        assert [(e.stream, e.kind) for e in evs if e.kind == "query"] == [(2, "query"), (1, "query")]
        assert red.id in [e.id for e in evs]


def test_a_team_reader_never_skips_its_streams_under_concurrent_writers(store, game):
    """A team polls 'its stream and the game's after id N' while its members, another team and
    the facilitator all append at once: it must see every event of its two streams."""
    import threading

    red, blue = game.teams[0][1], game.teams[1][1]
    written: list[int] = []
    lock = threading.Lock()

    def member(code: str, i: int) -> None:
        for _ in range(12):
            e = store.team_append(code, "query", f"m{i}", {}, wall_s=1, scenario_t=1)
            if code == red:
                with lock:
                    written.append(e.id)

    def facilitator() -> None:
        for _ in range(12):
            e = store.facilitator_append(game.game_id, game.key, "inject", {"text": "x"})
            with lock:
                written.append(e.id)

    threads = [threading.Thread(target=member, args=(c, i)) for i, c in enumerate([red, red, blue, blue])]
    threads.append(threading.Thread(target=facilitator))
    seen: set[int] = set()
    cursor = store.team_view(red)[2][-1].id
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        evs = store.team_view(red, cursor)[2]
        seen |= {e.id for e in evs}
        cursor = max([cursor, *(e.id for e in evs)])
    for t in threads:
        t.join()
    seen |= {e.id for e in store.team_view(red, cursor)[2]}
    assert set(written) <= seen


def test_the_listener_sleeps_until_woken_and_takes_new_channels_at_once(pg_server, scenario, telemetry):
    """The listener blocks in the server's socket (no polling); a new stream to listen to wakes it
    at once, and so does closing the store."""
    from dojo.gameday.game import create_game

    from .pg import wait_until

    sc, source = scenario
    store = GameStore(pg_server.url)
    game = create_game(store, sc, source, ["red", "blue"], speed=10.0, telemetry=telemetry)
    assert wait_until(lambda: store.marks(game.game_id, 1) is not None, 10)
    t = time.monotonic()
    assert wait_until(lambda: store.marks(game.game_id, 2) is not None, 10)
    assert time.monotonic() - t < 1.0  # woken, not at its next 5 s timeout
    thread = store._listen().thread
    store.close()
    thread.join(2.0)
    assert not thread.is_alive()
