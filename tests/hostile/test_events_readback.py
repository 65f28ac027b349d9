"""A store with malformed attempts: each is named in one line (attempt and event), every other
attempt still shows, `--resume` refuses in one line, and a read-only store can be read."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from tests.cli.headless import FIXTURES


def invoke(home, *args, input=None):
    env = {"DOJO_HOME": str(home), "DOJO_SCENARIOS": str(FIXTURES)}
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def _insert(db, attempt, seq, kind, data: str):
    db.execute(
        "INSERT INTO events (attempt_id, seq, kind, at, wall_s, scenario_t, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (attempt, seq, kind, "2026-01-01T00:00:00Z", 1.0, 1.0, data),
    )


@pytest.fixture
def home(tmp_path):
    """Six attempts: #1 good; #2 a hint without its index; #3 with no 'started'; #4 an unknown
    kind; #5 data that is not JSON; #6 good. The store's own append-only rule is lifted to edit."""
    home = tmp_path / "home"
    for _ in range(6):
        res = invoke(home, "play", "checkout-retry-storm", "--headless", "--clock", "manual", input='{"cmd": "quit"}\n')
        assert res.exit_code == 0, res.output
    db = sqlite3.connect(home / "dojo.sqlite3", isolation_level=None)
    db.execute("DROP TRIGGER events_no_delete")
    _insert(db, 2, 99, "hint", json.dumps({"x": 1}))
    db.execute("DELETE FROM events WHERE attempt_id = 3 AND kind = 'started'")
    _insert(db, 4, 99, "teleport", "{}")
    _insert(db, 5, 99, "pin", "{not json")
    db.close()
    return home


EXPECTED = [
    "dojo: attempt #2: event #99 (hint): its data has no 'index'",
    "dojo: attempt #3: event #2 (ended) comes first, but an attempt begins with 'started'; "
    "it cannot be shown or resumed",
    "dojo: attempt #4: event #99 (teleport): an event kind this dojo does not know",
    "dojo: attempt #5: event #99 (pin): its data is not JSON",
]


def test_history_names_each_malformed_attempt_and_shows_the_rest(home):
    res = invoke(home, "history")
    assert res.exit_code == 1
    assert res.stderr.splitlines() == EXPECTED
    shown = [line.split()[0] for line in res.stdout.splitlines()[1:] if line.split()[0].isdigit()]
    assert shown == ["1", "6"]
    res = invoke(home, "history", "--json")
    assert [a["attempt"] for a in json.loads(res.stdout)] == [1, 6] and res.stderr.splitlines() == EXPECTED


@pytest.mark.parametrize("attempt", [2, 3, 4, 5])
def test_resume_refuses_in_one_line(home, attempt):
    res = invoke(home, "play", "checkout-retry-storm", "--headless", "--resume", str(attempt), input="")
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [EXPECTED[attempt - 2].replace("dojo: ", "dojo: ", 1)], res.stderr


def test_resume_latest_skips_the_unreadable(home):
    res = invoke(home, "play", "checkout-retry-storm", "--headless", "--resume", input='{"cmd": "status"}\n')
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.splitlines()[0])["ok"]


def test_history_reads_a_store_it_may_not_write(home, monkeypatch):
    """Every connection history opens is made to refuse writes, as a read-only disk or a store
    owned by someone else would; history still reads (it opens read-only and writes nothing)."""
    real = sqlite3.connect

    def read_only(*args, **kwargs):
        db = real(*args, **kwargs)
        if "dojo.sqlite3" not in str(args[0]):
            return db
        writes = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_CREATE_TABLE}

        def deny(action, arg1, arg2, dbname, source):
            if action in writes or (action == sqlite3.SQLITE_PRAGMA and arg2 is not None):
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK

        db.set_authorizer(deny)
        return db

    monkeypatch.setattr(sqlite3, "connect", read_only)
    res = invoke(home, "history")
    assert res.stderr.splitlines() == EXPECTED
    assert "checkout-retry-storm" in res.stdout
    res = invoke(home.parent / "nowhere", "history")  # no store at all: nothing is created
    assert res.exit_code == 0 and "no attempts yet" in res.stdout
    assert not (home.parent / "nowhere").exists()
