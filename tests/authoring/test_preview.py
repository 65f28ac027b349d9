"""`dojo preview` shows every section, in plain text and in Markdown, for built-in and new files."""

import re

import numpy as np
import pytest
from click.testing import CliRunner

from dojo.authoring.preview import SECTIONS, SPARK, sparkline
from dojo.cli import cli

SMALL = """\
id: small-pool
title: A small pool exhaustion
difficulty: 2
duration: 20m
seed: 4
briefing: api errors
services:
  - {name: web, kind: lb, calls: [api], rps: 30}
  - {name: api, kind: http, calls: [db, provider]}
  - {name: db, kind: db}
  - {name: provider, kind: external}
timeline:
  - {at: 5m, kind: deploy, service: web, version: v2, red_herring: true}
  - {at: 8m, kind: connection_pool_exhaustion, service: api}
alerts:
  - {name: ApiErrors, service: api, metric: error_rate, above: 0.1, for: 1m}
answer:
  accepted:
    - {service: api, fault: connection_pool_exhaustion}
  evidence:
    - {logs: {service: api, contains: "could not acquire connection"}}
    - {metric: {service: api, name: pool_used_pct, rises: 2x}}
"""


def preview(*args: str):
    return CliRunner().invoke(cli, ["preview", *args])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("preview") / "small.yaml"
    path.write_text(SMALL)
    return str(path)


@pytest.fixture(scope="module", params=["builtin", "small"])
def outputs(request, small):
    ref = "checkout-retry-storm" if request.param == "builtin" else small
    text, md = preview(ref), preview(ref, "--markdown")
    assert text.exit_code == 0, text.output
    assert md.exit_code == 0, md.output
    services = 8 if request.param == "builtin" else 4
    return text.output, md.output, services


def section(text: str, title: str) -> list[str]:
    """The lines of one section of the plain-text preview."""
    lines = text.splitlines()
    start = lines.index(title) + 2
    end = next(
        (
            i
            for i in range(start, len(lines))
            if i + 1 < len(lines) and lines[i + 1] and set(lines[i + 1]) == {"-"} and lines[i] in SECTIONS
        ),
        len(lines),
    )
    return lines[start:end]


def test_plain_text_has_every_section(outputs):
    text, _, _ = outputs
    for title in SECTIONS:
        assert f"\n{title}\n{'-' * len(title)}\n" in text, title
    assert "RED HERRING" in section(text, "Timeline")[2]
    assert "Traceback" not in text


def test_one_sparkline_row_per_service_with_the_onset_marked(outputs):
    text, _, services = outputs
    rows = [line for line in section(text, "Metrics") if any(c in line for c in SPARK)]
    assert len(rows) == services
    assert all("│" in row for row in rows)


def test_evidence_shows_counts_before_and_after(outputs):
    text, _, _ = outputs
    rows = [line for line in section(text, "Evidence") if re.match(r"\s+\d+\s", line)]
    assert rows
    for row in rows:
        before, after = re.findall(r"(\d+) (?:lines|buckets|spans)", row)[:2]
        assert int(after) > 0 and int(before) < int(after)


def test_samples_show_the_fault_in_plain_lines_and_a_trace(outputs):
    text, _, _ = outputs
    samples = "\n".join(section(text, "Fault samples"))
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (WARN |ERROR) ", samples)
    assert "trace " in samples and "<- this span" in samples


def test_markdown_has_headings_tables_and_fences(outputs):
    _, md, services = outputs
    assert md.startswith("# Preview: ")
    for title in SECTIONS:
        assert f"\n## {title}\n" in md, title
    assert md.count("| --- |") >= 5
    assert md.count("```text") >= 2 and md.count("```") % 2 == 0
    metrics = md.split("\n## Metrics\n")[1].split("\n## ")[0]
    assert (
        len([line for line in metrics.splitlines() if line.startswith("| ") and any(c in line for c in SPARK)])
        == services
    )


def test_seed_override(small):
    res = preview(small, "--seed", "9")
    assert res.exit_code == 0 and "seed 9" in res.output


def test_a_control_scenario_previews(tmp_path):
    path = tmp_path / "calm.yaml"
    path.write_text(
        SMALL.replace("  - {at: 8m, kind: connection_pool_exhaustion, service: api}\n", "").replace(
            "fault: connection_pool_exhaustion", "fault: no_fault"
        )
    )
    res = preview(str(path))
    assert res.exit_code == 0, res.output
    assert "no fault" in res.output and "No faults: nothing to sample." in res.output


@pytest.mark.parametrize(
    "content", ["id: Bad Id\ntitle: x\n", "- just\n- a list\n", "id: x\ntitle: t\ndifficulty: 9\n"]
)
def test_a_bad_file_gets_the_loaders_lines_and_exit_1(tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    res = preview(str(path))
    assert res.exit_code == 1
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    assert all("bad.yaml" in line for line in res.output.strip().splitlines())


def test_an_unknown_scenario_exits_1():
    res = preview("no-such-scenario")
    assert res.exit_code == 1 and "no-such-scenario" in res.output


def test_sparkline_marks_the_onset_and_scales():
    t = np.array([0, 60, 120, 180])
    line = sparkline(t, np.array([1.0, 1.0, 5.0, 9.0]), 240, 120, width=4)
    assert line == "▁▁│▅█"
    flat = sparkline(t, np.array([3.0, 3.0, 3.0, 3.0]), 240, None, width=4)
    assert flat == "▁▁▁▁"
