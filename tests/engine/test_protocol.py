"""The headless protocol in-process: every bad input is a reply, never a crash."""

import json
import subprocess
import sys

import pytest

from dojo.engine.protocol import COMMANDS, Protocol, encode
from tests.engine.conftest import ROOT


@pytest.fixture
def proto(make_session):
    return Protocol(make_session(speed=10))


def send(proto, obj) -> dict:
    line = obj if isinstance(obj, str) else json.dumps(obj)
    reply = proto.handle_line(line)
    json.loads(encode(reply))  # every reply encodes
    return reply


@pytest.mark.parametrize(
    "line, error",
    [
        ("{not json", "malformed JSON"),
        ('{"cmd": "status"', "malformed JSON"),
        ('{"cmd": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),  # a hostile client
        ("[1, 2]", "a command is a JSON object"),
        ('"status"', "a command is a JSON object"),
        ("42", "a command is a JSON object"),
        ('{"limit": 5}', 'missing "cmd"'),
        ('{"cmd": 5}', 'missing "cmd"'),
        ('{"cmd": "frobnicate"}', "unknown command 'frobnicate'"),
        ('{"cmd": "logs", "limit": "ten"}', "limit: Input should be a valid integer"),
        ('{"cmd": "logs", "limit": 10.0}', "limit: Input should be a valid integer"),
        ('{"cmd": "logs", "limit": -1}', "limit: Input should be greater than or equal to 0"),
        ('{"cmd": "logs", "limit": 5000}', "limit: Input should be less than or equal to 1000"),
        ('{"cmd": "logs", "level": "LOUD"}', "level"),
        ('{"cmd": "logs", "service": 3}', "service"),
        ('{"cmd": "logs", "contains": ""}', "contains: String should have at least 1 character"),
        ('{"cmd": "logs", "since": NaN}', "NaN is not valid JSON"),
        ('{"cmd": "logs", "until": Infinity}', "Infinity is not valid JSON"),
        ('{"cmd": "logs", "colour": "red"}', "colour: Extra inputs are not permitted"),
        ('{"cmd": "logs", "regex": "(a"}', "invalid regex '(a'"),
        ('{"cmd": "logs", "service": "nope"}', "no service 'nope'"),
        ('{"cmd": "metrics", "service": "payments", "metric": "happiness"}', "has no metric 'happiness'"),
        ('{"cmd": "traces", "status": "broken"}', "status"),
        ('{"cmd": "trace"}', "trace_id: Field required"),
        ('{"cmd": "trace", "trace_id": "abc"}', "no trace 'abc'"),
        ('{"cmd": "show", "item": "L999999999"}', "no log line"),
        ('{"cmd": "pin", "item": "L999999999"}', "no log line L999999999"),
        ('{"cmd": "pin", "item": "Sdead:beef"}', "no span Sdead:beef"),
        ('{"cmd": "pin", "item": "M:payments:rps:0:2000"}', "not happened yet"),
        ('{"cmd": "pin", "item": "nonsense"}', "is not an id"),
        ('{"cmd": "pin"}', "item: required"),
        ('{"cmd": "pin", "item": "L1", "hypothesis": "H5"}', "no hypothesis 'H5'"),
        ('{"cmd": "hypothesis"}', "needs 'text'"),
        ('{"cmd": "hypothesis", "text": "x", "status": "confirmed"}', "starts open"),
        ('{"cmd": "hypothesis", "hypothesis": "H9", "status": "confirmed"}', "no hypothesis 'H9'"),
        ('{"cmd": "hypothesis", "text": "x", "fault": "gremlins"}', "no fault kind 'gremlins'"),
        ('{"cmd": "hypothesis", "hypothesis": "H1", "status": "maybe"}', "status"),
        ('{"cmd": "diagnose", "service": "nope", "fault": "retry_storm", "explanation": "x"}', "no service 'nope'"),
        (
            '{"cmd": "diagnose", "service": "checkout", "fault": "gremlins", "explanation": "x"}',
            "no fault kind 'gremlins'",
        ),
        ('{"cmd": "diagnose", "service": "checkout", "fault": "retry_storm"}', "explanation: Field required"),
        (
            '{"cmd": "diagnose", "service": ["checkout"], "fault": "retry_storm", "explanation": "x"}',
            "service: Input should be a valid string",
        ),
        ('{"cmd": "advance"}', "seconds: Field required"),
        ('{"cmd": "advance", "seconds": "60"}', "seconds: Input should be a valid number"),
        ('{"cmd": "advance", "seconds": 0}', "seconds: Input should be greater than 0"),
        ('{"cmd": "speed", "speed": 100}', "speed: Input should be less than or equal to 60"),
        ('{"cmd": "status", "verbose": true}', "verbose: Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_a_reply_and_the_session_goes_on(proto, line, error):
    reply = send(proto, line)
    assert reply["ok"] is False
    assert error in reply["error"], reply["error"]
    assert "\n" not in reply["error"]
    assert send(proto, {"cmd": "status"})["ok"] is True
    assert proto.session.status().wrong_diagnoses == 0


def test_help_lists_every_command_with_its_arguments(proto):
    reply = send(proto, {"cmd": "help"})
    listed = {c["cmd"]: c for c in reply["commands"]}
    assert set(listed) == set(COMMANDS)
    assert {
        "status",
        "logs",
        "metrics",
        "traces",
        "trace",
        "events",
        "hypothesis",
        "pin",
        "hint",
        "advance",
        "diagnose",
        "score",
        "quit",
    } <= set(listed)
    assert listed["logs"]["args"]["limit"] == "integer (default 50)"
    assert listed["diagnose"]["args"]["service"] == "string (required)"
    assert listed["logs"]["args"]["order"] == '"newest"|"oldest" (default "newest")'


def test_ids_are_echoed_and_blank_lines_ignored(proto):
    assert send(proto, {"cmd": "status", "id": "abc"})["id"] == "abc"
    assert send(proto, {"cmd": "nope", "id": 7})["id"] == 7
    assert proto.handle_line("   \n") is None


def test_duplicate_keys_are_a_protocol_error_and_record_nothing(proto):
    before = len(proto.session._events)
    for line in ('{"cmd": "hint", "cmd": "status"}', '{"cmd": "logs", "limit": 1, "limit": 500}',
                 '{"cmd": "status", "id": {"a": 1, "a": 2}}'):  # fmt: skip
        reply = json.loads(encode(proto.handle_line(line)))
        assert reply["ok"] is False and reply["error"].startswith("protocol error: key "), reply
        assert "appears twice" in reply["error"]
    assert len(proto.session._events) == before
    assert proto.handle_line('{"cmd": "status", "x": {"a": 1}, "y": {"a": 2}}')["ok"] is False  # unknown keys


def test_a_play_through(proto):
    assert (
        send(proto, {"cmd": "hypothesis", "text": "storm", "service": "checkout", "fault": "retry_storm"})[
            "hypothesis"
        ]["id"]
        == "H1"
    )
    line = send(proto, {"cmd": "logs", "contains": "retrying request to payments", "limit": 1})["lines"][0]
    assert send(proto, {"cmd": "pin", "item": line["id"], "hypothesis": "H1"})["pin"]["item"] == line["id"]
    assert send(proto, {"cmd": "show", "item": line["id"]})["item"]["kind"] == "log"
    assert (
        send(proto, {"cmd": "hypothesis", "hypothesis": "H1", "status": "confirmed"})["hypothesis"]["status"]
        == "confirmed"
    )
    assert send(proto, {"cmd": "journal"})["pins"][0]["hypothesis"] == "H1"
    assert send(proto, {"cmd": "advance", "seconds": 300})["now"] == 1260.0
    metrics = send(proto, {"cmd": "metrics", "service": "payments", "metric": "rps", "since": 600})
    assert send(proto, {"cmd": "pin", "item": metrics["window"]["id"]})["ok"]
    assert send(proto, {"cmd": "events", "kind": "changes"})["events"][0]["kind"] == "deploy"
    trace = send(proto, {"cmd": "traces", "status": "error", "limit": 1})["traces"][0]
    assert send(proto, {"cmd": "trace", "trace_id": trace["trace_id"]})["trace"]["children"]
    assert send(proto, {"cmd": "hint"})["index"] == 1
    wrong = send(
        proto, {"cmd": "diagnose", "service": "payments", "fault": "dependency_latency", "explanation": "slow"}
    )
    assert wrong["ok"] and wrong["correct"] is False
    right = send(proto, {"cmd": "diagnose", "service": "checkout", "fault": "retry_storm", "explanation": "retries"})
    assert right["correct"] is True
    card = send(proto, {"cmd": "score"})
    assert (
        card["ttcd_s"] == 30.0 and card["penalty_s"] == 180.0 and card["evidence_matched"] == 2 and card["points"] > 0
    )
    assert send(proto, {"cmd": "quit"}) == {"ok": True, "cmd": "quit", "bye": True, "attempt": proto.session.attempt_id}
    assert proto.done


def test_a_bug_in_a_handler_is_a_reply_too(proto, monkeypatch):
    monkeypatch.setattr(proto.session, "status", lambda: 1 / 0)
    reply = send(proto, {"cmd": "status"})
    assert reply["ok"] is False and "internal error: ZeroDivisionError" in reply["error"]


def test_the_engine_and_store_never_import_textual():
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import dojo.engine, dojo.engine.session, dojo.engine.protocol, dojo.engine.scoring, dojo.store, "
        "dojo.commands.play, dojo.commands.history\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pin_without_item_explains_the_id_confusion():
    from pydantic import ValidationError

    from dojo.engine.protocol import PinArgs
    from dojo.engine.session import format_validation

    try:
        PinArgs.model_validate({})
    except ValidationError as exc:
        message = format_validation(exc)
    assert message.startswith("item: required") and '"id" is the request\'s own id' in message


def test_status_and_logs_say_that_request_lines_are_a_sample(proto, scenario):
    """Counting lines is counting requests times the sample: the replies say how big it is."""
    assert send(proto, {"cmd": "status"})["log_sample"] == scenario.log_sample < 1
    send(proto, {"cmd": "advance", "seconds": 600})
    reply = send(proto, {"cmd": "logs", "limit": 1})
    assert reply["log_sample"] == scenario.log_sample and reply["count"] > 0


def test_the_sample_reads_as_one_line_in_n():
    from dojo.telemetry.logs import sample_note

    assert sample_note(0.05) == "1 in 20 requests logged"
    assert sample_note(1.0) == "every request logged"


def test_a_line_with_no_end_is_refused_in_bounded_memory_and_the_session_goes_on(proto):
    import io
    import tracemalloc

    from dojo.commands.play import serve
    from dojo.engine.protocol import MAX_COMMAND_CHARS

    junk = "x" * (MAX_COMMAND_CHARS * 20)  # 20 MB with no newline, then a real command
    inp, out = io.StringIO(junk + "\n" + json.dumps({"cmd": "status", "id": 2}) + "\n"), io.StringIO()
    tracemalloc.start()
    serve(proto, inp, out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {"ok": False, "error": f"protocol error: a command longer than {MAX_COMMAND_CHARS:,} characters"}
    assert second["ok"] is True and second["id"] == 2
    assert peak < 8 * MAX_COMMAND_CHARS  # a few reads of the cap, never the whole line


def test_a_scenario_regex_that_backtracks_forever_in_python_is_checked_in_linear_time():
    """Evidence selectors are the author's: `(a+)+$` validates (it is RE2) and would hang Python's
    `re` on a pinned line of a's. Run in a child with a deadline, so a regression fails, not hangs."""
    code = (
        "from dojo.engine.evidence import _text_ok\n"
        "from dojo.scenario.model import LogSelector\n"
        "sel = LogSelector(regex='(a+)+$')\n"
        "print(_text_ok(sel, 'a' * 60 + 'b'), _text_ok(sel, 'a' * 60))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "True"], done.stderr
