"""Imported span attributes and span events reach the engine's trace answer (`SpanNode.attributes`
and `.events`), sanitized like everything else; synthetic spans have none."""

import shutil
from pathlib import Path

from click.testing import CliRunner

from dojo.cli import cli

from .samples import SCENARIO

FORMATS = Path(__file__).parent / "formats"


def _imported(tmp_path, *extra):
    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO)
    for name in ("otlp_traces.json", "jaeger.json"):
        shutil.copy(FORMATS / name, tmp_path / name)
    args = ["import", str(tmp_path / "otlp_traces.json"), str(tmp_path / "jaeger.json"), "--scenario", str(scenario)]
    res = CliRunner().invoke(cli, [*args, "--replace", "traces", *extra])
    assert res.exit_code == 0, res.output
    return scenario


def test_span_attributes_and_events_reach_the_trace_answer(tmp_path):
    from dojo.engine import Session
    from dojo.scenario import load_scenario
    from dojo.store import Store

    sc = load_scenario(_imported(tmp_path, "--no-sanitize"))
    s = Session.start(sc, Store.open(tmp_path / "dojo.sqlite3"), clock="manual")
    try:
        s.advance(1500)
        otlp = s.trace("5b8efff798038103d269b633813fc60c")
        assert otlp.attributes["http.request.method"] == "POST"
        assert otlp.attributes["http.response.status_code"] == 500  # an OTLP intValue is a number again
        (event,) = otlp.events
        assert event.name == "exception" and event.t == 720.2  # scenario seconds, as every time the engine gives
        assert event.attributes == {
            "exception.type": "TimeoutError",
            "exception.message": "payment call timed out after 200 ms",
        }
        jaeger = s.trace("aa11")
        assert jaeger.attributes == {"error": True, "http.status_code": 503}
        assert [(e.name, e.attributes) for e in jaeger.events] == [("error", {"message": "redis timeout"})]
        assert jaeger.to_dict()["events"][0]["t"] == 721.001
    finally:
        s.close()


def test_synthetic_spans_have_no_attributes_or_events(tmp_path):
    from dojo.builtin import scenarios_dir
    from dojo.engine import Session
    from dojo.scenario import load_scenario
    from dojo.store import Store

    sc = load_scenario(scenarios_dir() / "checkout-retry-storm.yaml")
    s = Session.start(sc, Store.open(tmp_path / "dojo.sqlite3"), clock="manual")
    try:
        s.advance(1200)
        tree = s.trace(s.traces(limit=1).traces[0].trace_id)
        assert all(node.attributes == {} and node.events == [] for _, node in tree.walk())
    finally:
        s.close()


def test_headless_trace_shows_sanitized_span_detail(tmp_path):
    from tests.cli.headless import Headless

    scenario = _imported(tmp_path, "--secret", "s")
    play = Headless(tmp_path / "home", "--clock", "manual", scenario=str(scenario))
    try:
        play.send({"cmd": "advance", "seconds": 1500})
        found = play.send({"cmd": "traces", "contains": "timed out"})
        assert found["ok"] and found["count"] == 1, found
        tree = play.send({"cmd": "trace", "trace_id": found["traces"][0]["trace_id"]})["trace"]
        assert tree["attributes"]["http.request.method"] == "POST"
        assert tree["events"][0]["attributes"]["exception.message"] == "payment call timed out after 200 ms"
    finally:
        play.close()
