"""The size budget sees what faults do to load and what traces cost, and refuses in one line,
quickly, at validate and at play, before anything big is allocated."""

import time

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.scenario import load_scenario
from dojo.telemetry.budget import estimate_scenario

BASE = """\
id: big
title: Big
difficulty: 2
duration: {duration}
log_sample: {sample}
traces_per_min: {tpm}
briefing: test
services:
{services}
timeline:
{timeline}
answer:
  accepted:
    - {{service: web, fault: traffic_surge}}
"""


def scenario(tmp_path, *, duration="2h", sample=0.5, tpm=6, rps=400, n=2, surge=None, name="big.yaml"):
    names = ["web"] + [f"s{i}" for i in range(1, n)]
    services = []
    for i, svc in enumerate(names):  # a tree, three callees each (calls are capped at 12)
        calls = ", ".join(names[c] for c in range(3 * i + 1, min(3 * i + 4, n)))
        kind, entry = ("lb", f", rps: {rps}") if i == 0 else ("http", "")
        services.append(f"  - {{name: {svc}, kind: {kind}, calls: [{calls}]{entry}}}")
    timeline = f"  - {{at: 10m, kind: traffic_surge, service: web, params: {{factor: {surge}}}}}" if surge else "  []"
    text = BASE.format(duration=duration, sample=sample, tpm=tpm, services="\n".join(services), timeline=timeline)
    if not surge:
        text = text.replace("timeline:\n  []", "timeline: []").replace("fault: traffic_surge", "fault: no_fault")
    path = tmp_path / name
    path.write_text(text)
    return path


CASES = {
    "10x surge": dict(surge=10),
    "100x surge": dict(surge=100),
    "40 services 24h 600 traces/min": dict(duration="24h", tpm=600, rps=1, sample=0.001, n=40),
    "19.8M lines": dict(duration="66m", sample=1, rps=2500, n=2),
}


def test_the_base_fits_and_its_estimate_is_close_to_what_synthesis_writes(tmp_path):
    from dojo.telemetry.synthesize import synthesize

    sc = load_scenario(scenario(tmp_path, duration="10m", rps=100))
    est = estimate_scenario(sc)
    tel = synthesize(sc)
    assert 0.8 < est.log_lines / tel.logs.num_rows < 1.25
    assert 0.8 < len(tel.spans) / est.spans < 1.25  # the trace nodes of this graph are all called


@pytest.mark.parametrize("case", list(CASES))
def test_refused_quickly_at_validate_and_play_with_one_line(tmp_path, case):
    path = scenario(tmp_path, **CASES[case])
    assert "valid" in CliRunner().invoke(cli, ["validate", str(scenario(tmp_path, name="ok.yaml"))]).output
    start = time.perf_counter()
    res = CliRunner().invoke(cli, ["validate", str(path)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{path}:") and "(limit " in lines[0], res.output
    res = CliRunner().invoke(cli, ["play", "--headless", str(path)], env={"DOJO_HOME": str(tmp_path / "home")})
    assert res.exit_code == 1
    assert len(res.stderr.splitlines()) == 1 and "(limit " in res.stderr and res.stdout == ""
    assert time.perf_counter() - start < 10


def test_the_limit_can_be_raised(tmp_path, monkeypatch):
    path = scenario(tmp_path, surge=10)
    monkeypatch.setenv("DOJO_MAX_LOG_LINES", str(10**9))
    monkeypatch.setenv("DOJO_MAX_LOG_MB", str(10**5))
    res = CliRunner().invoke(cli, ["validate", str(path)])
    assert res.exit_code == 0, res.output


def test_synthesis_itself_refuses_without_drawing(tmp_path, monkeypatch):
    from dojo.scenario import ScenarioErrors
    from dojo.telemetry import logs
    from dojo.telemetry.synthesize import synthesize

    monkeypatch.setattr(logs.LogBuilder, "build", lambda self: pytest.fail("rendered an over-budget scenario"))
    with pytest.raises(ScenarioErrors, match=r"big\.yaml: duration: this scenario would write about"):
        synthesize(load_scenario(scenario(tmp_path, surge=100)))
