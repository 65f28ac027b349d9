"""The SQLite store: durable, append-only, migrated, safe with two writers, and it never
overwrites a file it cannot read."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dojo.store import Event, Store, StoreCorrupt, StoreError, StoreLocked, data_dir, store_path
from dojo.store.games import HEAD
from dojo.store.sqlite import SOLO_VERSION

ROOT = Path(__file__).resolve().parents[2]


def started(**data) -> Event:
    return Event("started", 0.0, 960.0, {"scenario_id": "s", **data})


def test_data_dir_follows_dojo_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home"
    assert store_path() == tmp_path / "home" / "dojo.sqlite3"


def test_data_dir_defaults_to_platform_user_data_dir(monkeypatch):
    from platformdirs import user_data_dir

    monkeypatch.delenv("DOJO_HOME", raising=False)
    assert data_dir() == Path(user_data_dir("debugging-dojo", appauthor=False))


def test_open_creates_the_folder_and_uses_wal_with_full_sync(tmp_path):
    path = tmp_path / "deep" / "er" / "dojo.sqlite3"
    with Store.open(path) as store:
        db = store._conn()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.schema_version == SOLO_VERSION
        assert db.execute("SELECT version_num FROM game_alembic_version").fetchone()[0] == HEAD


def test_events_round_trip_in_order(tmp_path):
    with Store.open(tmp_path / "d.db") as store:
        aid, first = store.create_attempt("s", "Title", started(x=[1, 2]))
        assert first.seq == 1
        second = store.append(aid, Event("query", 1.5, 961.0, {"what": "logs", "count": 3}))
        assert second.seq == 2
        events = store.events(aid)
        assert [e.kind for e in events] == ["started", "query"]
        assert events[0].data == {"scenario_id": "s", "x": [1, 2]}
        assert events[1].wall_s == 1.5 and events[1].scenario_t == 961.0
        assert events[1].at.endswith("Z")
        assert [a.scenario_id for a in store.attempts()] == ["s"]
        assert store.attempt(aid).title == "Title"
        assert store.all_events()[aid] == events


def test_attempt_numbers_are_separate_logs(tmp_path):
    with Store.open(tmp_path / "d.db") as store:
        a, _ = store.create_attempt("s", "T", started())
        b, _ = store.create_attempt("t", "T", started())
        store.append(a, Event("hint", 1, 1, {}))
        assert [e.seq for e in store.events(a)] == [1, 2]
        assert [e.seq for e in store.events(b)] == [1]
        assert [r.id for r in store.attempts("t")] == [b]


def test_unknown_attempt_is_an_error(tmp_path):
    with Store.open(tmp_path / "d.db") as store:
        with pytest.raises(StoreError, match="no attempt #9"):
            store.append(9, Event("hint", 0, 0, {}))
        with pytest.raises(StoreError, match="no attempt #9"):
            store.attempt(9)


@pytest.mark.parametrize("sql", ["UPDATE events SET kind = 'x'", "DELETE FROM events"])
def test_events_are_append_only(tmp_path, sql):
    with Store.open(tmp_path / "d.db") as store:
        store.create_attempt("s", "T", started())
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store._conn().execute(sql)


# The solo store's first schema, as its own migration list made it (v1: no triggers, no index).
V1 = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (1)",
    "CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, scenario_id TEXT NOT NULL, title TEXT NOT NULL,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE events (attempt_id INTEGER NOT NULL REFERENCES attempts(id), seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL, at TEXT NOT NULL, wall_s REAL NOT NULL, scenario_t REAL NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (attempt_id, seq))",
]


def test_migrates_an_old_store_and_keeps_its_events(tmp_path):
    path = tmp_path / "d.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    for sql in V1:
        db.execute(sql)
    db.execute("INSERT INTO attempts (scenario_id, title, created_at) VALUES ('s', 'T', '2026-01-01T00:00:00Z')")
    db.execute("INSERT INTO events VALUES (1, 1, 'started', '2026-01-01T00:00:00Z', 0, 0, '{}')")
    db.execute("COMMIT")
    db.close()
    with Store.open(path) as store:
        assert store.schema_version == SOLO_VERSION
        assert [e.kind for e in store.events(1)] == ["started"]
        with pytest.raises(sqlite3.IntegrityError):
            store._conn().execute("DELETE FROM events")  # v2's guard is in place


def test_a_store_from_a_newer_dojo_is_refused_untouched(tmp_path):
    path = tmp_path / "d.db"
    Store.open(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"UPDATE schema_version SET version = {SOLO_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer dojo"):
        Store.open(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"this is not a database at all\n" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_corrupt_file_is_named_and_kept(tmp_path, content):
    path = tmp_path / "dojo.sqlite3"
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt) as err:
        Store.open(path)
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg
    assert "move it aside" in msg
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dojo.sqlite3"]


def _hold_exclusive_lock(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO attempts (scenario_id, title, created_at) VALUES ('x', 'x', 'x')")
    return holder


def test_a_locked_store_says_so(tmp_path):
    path = tmp_path / "d.db"
    Store.open(path).close()
    holder = _hold_exclusive_lock(path)
    try:
        with pytest.raises(StoreLocked) as err:
            Store.open(path, busy_s=0.1)
        assert str(path) in str(err.value) and "locked by another process" in str(err.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    Store.open(path).close()  # and it opens fine once the lock is gone


def test_a_writer_waits_for_another_writer(tmp_path):
    path = tmp_path / "d.db"
    with Store.open(path, busy_s=0.1) as store:
        aid, _ = store.create_attempt("s", "T", started())
        other = Store.open(path, busy_s=0.1)
        with other._write():  # holds the write lock
            with pytest.raises(StoreLocked):
                store.append(aid, Event("hint", 1, 1, {}))
        other.close()
        store.append(aid, Event("hint", 1, 1, {}))  # nothing half-written in between
        assert [e.seq for e in store.events(aid)] == [1, 2]


WRITER = """
import os, sys, time
sys.path.insert(0, {root!r})
from dojo.store import Event, Store
store = Store.open(__import__("pathlib").Path({path!r}), busy_s=30)
aid = int(sys.argv[1])
while not os.path.exists({go!r}):  # start together, so the writes really overlap
    time.sleep(0.005)
for i in range({n}):
    store.append(aid, Event("query", i, i, {{"writer": sys.argv[2], "i": i}}))
    if i % 7 == 0:
        store.create_attempt("other", "T", Event("started", 0, 0, {{}}))
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "d.db"
    with Store.open(path) as store:
        a, _ = store.create_attempt("s", "T", started())
    n = 100
    go = tmp_path / "go"
    code = WRITER.format(root=str(ROOT), path=str(path), n=n, go=str(go))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(a), w]) for w in ("x", "y")]
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Store.open(path) as store:
        events = store.events(a)
        assert [e.seq for e in events] == list(range(1, 2 * n + 2))
        for w in ("x", "y"):
            assert [e.data["i"] for e in events if e.data.get("writer") == w] == list(range(n))
        assert len(store.attempts("other")) == 2 * len(range(0, n, 7))
        assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_event_data_is_stored_as_json(tmp_path):
    path = tmp_path / "d.db"
    with Store.open(path) as store:
        aid, _ = store.create_attempt("s", "T", started(text='ünïcode "quoted"'))
    raw = sqlite3.connect(path).execute("SELECT data FROM events").fetchone()[0]
    assert json.loads(raw)["text"] == 'ünïcode "quoted"'


def test_a_store_written_by_the_dojo_before_the_one_schema_reads_resumes_and_upgrades(tmp_path):
    """data/solo-v2.sqlite3 was written by the dojo whose solo store had its own migrations
    (schema_version 2, no game tables): attempt 1 solved, attempt 2 a wrong diagnosis then left.
    `dojo history` reads it read-only, as it stands; the first writable open adopts it into the
    one schema (revisions up to HEAD) in place; `play --resume` carries on attempt 2 to a solve."""
    import shutil

    from click.testing import CliRunner

    from dojo.cli import cli

    home = tmp_path / "home"
    home.mkdir()
    path = home / "dojo.sqlite3"
    shutil.copy(ROOT / "tests" / "store" / "data" / "solo-v2.sqlite3", path)
    env = {"DOJO_HOME": str(home), "DOJO_SCENARIOS": ""}

    def history() -> list[dict]:
        res = CliRunner().invoke(cli, ["history", "--json"], env=env, catch_exceptions=False)
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    before = history()
    assert [(r["attempt"], r["status"]) for r in before] == [(1, "solved"), (2, "abandoned")]
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'game_alembic_version'").fetchall() == []
    raw.close()

    with Store.open(path) as store:
        assert [e.kind for e in store.events(1)][:3] == ["started", "hypothesis", "pin"]
        assert "diagnosis" in [e.kind for e in store.events(2)]
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT version_num FROM game_alembic_version").fetchone()[0] == HEAD
    assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SOLO_VERSION,)]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM events WHERE attempt_id = 1")
    raw.close()

    res = CliRunner().invoke(
        cli, ["play", "checkout-retry-storm", "--headless", "--resume", "2"], env=env, catch_exceptions=False,
        input='{"cmd": "diagnose", "service": "checkout", "fault": "retry_storm", "explanation": "retries"}\n',
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    reply = json.loads(res.stdout.splitlines()[0])
    assert reply["correct"] and reply["card"]["wrong_diagnoses"] == 1
    after = history()
    assert [(r["attempt"], r["status"]) for r in after] == [(1, "solved"), (2, "solved")]
    assert after[0] == before[0]  # the solved attempt reads exactly as it did
