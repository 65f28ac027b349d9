"""`dojo play --headless` and `dojo history`, as a learner or an agent runs them."""

import json
import signal
import sqlite3

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.store import Store

from .headless import FIXTURES, Headless, run_dojo


def invoke(home, *args, input=None, **env):
    """In-process, for what needs no separate process (start-up costs a second or two each)."""
    env = {"DOJO_HOME": str(home), "DOJO_SCENARIOS": str(FIXTURES), **env}
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def history(home) -> list[dict]:
    res = invoke(home, "history", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def test_a_full_attempt_wrong_guess_hint_then_right(home):
    play = Headless(home, "--clock", "manual", "--speed", "2")
    try:
        assert play.send({"cmd": "status"})["now"] == 960.0
        line = play.send(
            {"cmd": "logs", "contains": "retrying request to payments", "service": "checkout", "limit": 1}
        )["lines"][0]
        assert play.send({"cmd": "pin", "item": line["id"]})["ok"]
        assert play.send({"cmd": "advance", "seconds": 240})["wall_s"] == 120.0
        wrong = play.send(
            {
                "cmd": "diagnose",
                "service": "payment-provider",
                "fault": "dependency_latency",
                "explanation": "the provider is slow",
            }
        )
        assert wrong == {
            "ok": True,
            "cmd": "diagnose",
            "correct": False,
            "message": "wrong diagnosis: the service and the fault kind are not right",
            "service_ok": False,
            "fault_ok": False,
            "penalty_s": 120.0,
        }
        hint = play.send({"cmd": "hint"})
        assert hint["index"] == 1 and hint["cost_s"] == 60.0
        window = play.send({"cmd": "metrics", "service": "payments", "metric": "rps", "since": 600, "points": False})[
            "window"
        ]
        assert play.send({"cmd": "pin", "item": window["id"]})["ok"]
        play.send({"cmd": "advance", "seconds": 120})
        right = play.send(
            {
                "cmd": "diagnose",
                "service": "checkout",
                "fault": "retry_storm",
                "explanation": "checkout retries with no backoff",
            }
        )
        assert right["correct"] is True
        card = play.send({"cmd": "score"})
        assert card["outcome"] == "solved"
        assert card["ttcd_s"] == 180.0
        assert card["penalty_s"] == 180.0 and card["wrong_s"] == 120.0 and card["hints_s"] == 60.0
        assert card["evidence_matched"] == 2 and card["evidence_points"] == 300.0
        assert card["points"] == round(300 * 900 / (900 + 180 + 180) + 300)
        assert play.send({"cmd": "quit"})["bye"] is True
        assert play.proc.wait(timeout=30) == 0
    finally:
        play.proc.kill()
    (row,) = history(home)
    assert (row["status"], row["ttcd_s"], row["points"], row["resumable"]) == ("solved", 180.0, card["points"], False)
    text = invoke(home, "history").stdout
    assert "checkout-retry-storm" in text and "solved" in text and "3m" in text


def test_a_killed_session_loses_nothing_acknowledged_and_resumes(home):
    play = Headless(home, "--clock", "manual")
    acked = [
        play.send(
            {"cmd": "hypothesis", "text": "payments overloaded", "service": "payments", "fault": "traffic_surge"}
        ),
        play.send({"cmd": "pin", "item": "L12", "hypothesis": "H1"}),
        play.send({"cmd": "advance", "seconds": 90}),
        play.send({"cmd": "hint"}),
        play.send({"cmd": "diagnose", "service": "payments", "fault": "traffic_surge", "explanation": "more traffic"}),
        play.send({"cmd": "hypothesis", "hypothesis": "H1", "status": "ruled_out"}),
    ]
    assert all(r["ok"] for r in acked)
    attempt = play.send({"cmd": "status"})["attempt"]
    play.proc.send_signal(signal.SIGKILL)
    assert play.proc.wait(timeout=30) == -signal.SIGKILL

    with Store.open(home / "dojo.sqlite3") as store:
        kinds = [e.kind for e in store.events(attempt)]
        assert kinds == ["started", "hypothesis", "pin", "clock", "hint", "diagnosis", "hypothesis_update"]
        assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    (row,) = history(home)
    assert (row["status"], row["resumable"], row["penalty_s"]) == ("abandoned", True, 180.0)

    again = Headless(home, "--resume")
    try:
        st = again.send({"cmd": "status"})
        assert (st["attempt"], st["now"], st["wall_s"], st["hints_used"], st["wrong_diagnoses"]) == (
            attempt,
            1050.0,
            90.0,
            1,
            1,
        )
        journal = again.send({"cmd": "journal"})
        assert journal["hypotheses"][0]["status"] == "ruled_out" and journal["pins"][0]["item"] == "L12"
        assert again.send({"cmd": "hint"})["index"] == 2
    finally:
        assert again.close() == 0


def test_end_of_input_ends_the_session_cleanly(home):
    res = invoke(home, "play", "checkout-retry-storm", "--headless", input='{"cmd": "status"}\n\n{"cmd": "hint"}\n')
    assert res.exit_code == 0, res.output
    replies = [json.loads(x) for x in res.stdout.splitlines()]
    assert [r["cmd"] for r in replies] == ["status", "hint"]
    with Store.open(home / "dojo.sqlite3") as store:
        events = store.events(1)
    assert events[-1].kind == "ended" and events[-1].data == {"reason": "eof"}
    assert history(home)[0]["status"] == "abandoned"


def test_without_a_terminal_the_tui_points_to_headless(home):
    res = invoke(home, "play", "checkout-retry-storm")  # CliRunner's streams are not terminals
    assert res.exit_code == 2
    assert "needs a terminal" in res.stderr and "--headless" in res.stderr


def test_dojo_alone_lists_the_library_when_not_in_a_terminal(home):
    res = invoke(home)
    assert res.exit_code == 0 and res.stdout.startswith("checkout-retry-storm")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--resume", "--speed", "5"], "drop --speed"),
        (["--resume"], "no unfinished attempt of checkout-retry-storm"),
        (["--resume", "7"], "no attempt #7"),
        (["--resume", "seven"], "attempt number"),
        (["--time-limit", "soon"], "is not a duration"),
        (["--mode", "challenge", "--clock", "manual"], "manual clock"),
    ],
)
def test_play_option_errors(home, args, message):
    res = invoke(home, "play", "checkout-retry-storm", "--headless", *args, input="")
    assert res.exit_code in (1, 2)
    assert message in res.stderr and "Traceback" not in res.stderr


def test_history_with_no_attempts(home):
    res = invoke(home, "history")
    assert res.exit_code == 0 and "no attempts yet" in res.stdout
    assert history(home) == []


@pytest.mark.parametrize("argv", [["history"], ["play", "checkout-retry-storm", "--headless"]])
def test_a_corrupt_store_is_named_and_kept(home, argv):
    home.mkdir()
    path = home / "dojo.sqlite3"
    garbage = b"definitely not sqlite " * 500
    path.write_bytes(garbage)
    res = run_dojo(home, *argv, input="")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert str(path) in lines[0] and "not a readable dojo store" in lines[0] and "move it aside" in lines[0]
    assert path.read_bytes() == garbage
    assert [p.name for p in home.iterdir()] == ["dojo.sqlite3"]


@pytest.mark.parametrize("argv", [["history"], ["play", "checkout-retry-storm", "--headless"]])
def test_a_locked_store_says_so(home, argv):
    Store.open(home / "dojo.sqlite3").close()
    holder = sqlite3.connect(home / "dojo.sqlite3", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO attempts (scenario_id, title, created_at) VALUES ('x', 'x', 'x')")
    try:
        res = run_dojo(home, *argv, input="", DOJO_BUSY_TIMEOUT="0.2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert str(home / "dojo.sqlite3") in lines[0] and "locked by another process" in lines[0]
