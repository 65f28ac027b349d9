"""`dojo generate`, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dojo.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_generate_builtin_twice_identical(tmp_path):
    runner = CliRunner()
    for out in ("a", "b"):
        res = runner.invoke(cli, ["generate", "checkout-retry-storm", "--out", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
        assert "log lines" in res.output
    for name in ("logs.jsonl", "logs.log", "metrics.csv", "traces.otlp.json", "events.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_generate_files_parse(tmp_path):
    res = CliRunner().invoke(
        cli, ["generate", str(ROOT / "scenarios" / "checkout-retry-storm.yaml"), "--out", str(tmp_path), "--seed", "5"]
    )
    assert res.exit_code == 0, res.output
    first = json.loads((tmp_path / "logs.jsonl").read_text().splitlines()[0])
    assert set(first) == {"ts", "level", "service", "host", "trace_id", "msg"}
    assert first["ts"].endswith("Z")
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert header == "timestamp,service,metric,value"
    doc = json.loads((tmp_path / "traces.otlp.json").read_text())
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
    assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"])
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert {"deploy", "alert_firing"} <= {e["kind"] for e in events}
    lines = (tmp_path / "logs.log").read_text().splitlines()
    assert len(lines) == len((tmp_path / "logs.jsonl").read_text().splitlines())


def test_generate_unknown_scenario_is_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "dojo", "generate", "no-such-scenario", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "no-such-scenario" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_generate_unwritable_out(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "dojo", "generate", "checkout-retry-storm", "--out", str(blocker / "sub")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode in (1, 2)
    assert "Traceback" not in proc.stderr
    assert str(blocker) in proc.stderr
