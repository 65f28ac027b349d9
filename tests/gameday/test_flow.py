"""The issue's acceptance flow, on SQLite and on a real PostgreSQL: create a game with three
teams, three headless teams join, the facilitator starts it from the command line, the teams
investigate and diagnose (one right, one wrong then right, one never), end, status and report
agree with what happened."""

import json

from click.testing import CliRunner

from dojo.cli import cli
from dojo.gameday.protocol import TeamProtocol
from dojo.gameday.team import TeamSession

from .pg import wait_until


def run(*args, ok=True):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def ask(proto, **cmd):
    reply = proto.handle(cmd)
    assert reply["ok"], reply
    return reply


def test_create_join_start_play_end_status_report(db_url, telemetry, tmp_path):
    created = json.loads(
        run("gameday", "create", "checkout-retry-storm", "--team", "red", "--team", "blue", "--team", "green",
            "--speed", "10", "--time-limit", "30m", "--inject", "0s=Support: EU customers report failed checkouts",
            "--db", db_url, "--json").output
    )  # fmt: skip
    gid, key = created["game"], created["key"]
    codes = {t["team"]: t["code"] for t in created["teams"]}
    assert len(set(codes.values())) == 3 and all(len(c.split("-")) == 5 for c in codes.values())

    from dojo.store.games import GameStore

    store = GameStore(db_url)
    teams = {name: TeamProtocol(TeamSession.join(store, code, f"{name}-1", telemetry=telemetry))
             for name, code in codes.items()}  # fmt: skip
    early = teams["red"].handle({"cmd": "logs", "contains": "retry"})
    assert not early["ok"] and "not started" in early["error"]

    run("gameday", "start", gid, "--key", key, "--db", db_url)
    for name, proto in teams.items():
        # The start reaches members by notification, within the 2 s the issue allows, not at once.
        assert wait_until(lambda proto=proto: ask(proto, cmd="game")["phase"] == "running", timeout=2.0)
        st = ask(proto, cmd="status")
        assert (st["phase"], st["team"], st["outcome"]) == ("running", name, "in_progress")
        assert st["injects"][0]["text"] == "Support: EU customers report failed checkouts"
        assert ask(proto, cmd="logs", contains="retrying", limit=1)["count"] >= 0

    red, blue = teams["red"], teams["blue"]
    h = ask(red, cmd="hypothesis", text="checkout retries amplify load", service="checkout", fault="retry_storm")
    line = ask(red, cmd="logs", service="checkout", contains="retrying", limit=1)["lines"]
    if line:
        ask(red, cmd="pin", item=line[0]["id"], hypothesis=h["hypothesis"]["id"])
    right = ask(red, cmd="diagnose", service="checkout", fault="retry_storm", explanation="retries multiply load")
    assert right["correct"]
    wrong = ask(blue, cmd="diagnose", service="payments", fault="dependency_latency", explanation="payments slow")
    assert not wrong["correct"]
    assert ask(blue, cmd="diagnose", service="checkout", fault="retry_storm", explanation="it was retries")["correct"]
    ask(teams["green"], cmd="hypothesis", text="inventory deploy?", service="inventory")

    run("gameday", "end", gid, "--key", key, "--db", db_url)
    late = teams["green"].handle({"cmd": "diagnose", "service": "checkout", "fault": "retry_storm", "explanation": "x"})
    assert not late["ok"] and "over" in late["error"]

    status = json.loads(run("gameday", "status", gid, "--key", key, "--db", db_url, "--json").output)
    by = {t["team"]: t for t in status["teams"]}
    assert status["phase"] == "over"
    assert by["red"]["solved"] and by["red"]["wrong_diagnoses"] == 0 and by["red"]["hypotheses"] == 1
    assert by["blue"]["solved"] and by["blue"]["wrong_diagnoses"] == 1
    assert not by["green"]["solved"] and by["green"]["ttcd_s"] is None and by["green"]["points"] == 0
    assert by["red"]["members"] == ["red-1"] and by["red"]["points"] > by["blue"]["points"] > 0
    assert "rank" not in status  # ranking is off unless the facilitator switches it on
    assert [i["text"] for i in status["injects"]] == ["Support: EU customers report failed checkouts"]
    bad = run("gameday", "create", "checkout-retry-storm", "--team", "x", "--inject", "soon=hello", "--db", db_url,
              ok=False)  # fmt: skip
    assert bad.exit_code == 2 and "soon=hello" in bad.output

    out = tmp_path / "report"
    run("gameday", "report", gid, "--key", key, "--db", db_url, "--out", str(out))
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for name in ("red", "blue", "green"):
        assert name in md and name in html
    assert "retries multiply load" in md and "payments slow" in md  # the explanations teams wrote
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    for proto in teams.values():
        proto.session.close()
    store.close()


def test_wrong_key_or_code_on_the_command_line_is_one_line_and_exit_1(db_url):
    created = json.loads(run("gameday", "create", "checkout-retry-storm", "--team", "a", "--db", db_url,
                             "--json").output)  # fmt: skip
    for args in (
        ("gameday", "start", created["game"], "--key", "nope", "--db", db_url),
        ("gameday", "status", "g-12345678", "--key", created["key"], "--db", db_url),
        ("play", "--headless", "--join", "amber amber amber amber amber", "--db", db_url),
    ):
        result = run(*args, ok=False)
        assert result.exit_code == 1
        assert result.output.strip().count("\n") == 0 and "not valid here" in result.output
        assert "Traceback" not in result.output
