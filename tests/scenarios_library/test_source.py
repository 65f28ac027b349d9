"""A retold incident says whose it is and what the retelling changed, wherever a learner meets it:
the library (CLI and screen), the preview and the debrief; lint refuses a postmortem without it."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.authoring.credit import credit_lines, debrief_markdown, from_mapping, retold_from
from dojo.authoring.lint import source_findings
from dojo.cli import cli as main
from dojo.scenario import load_scenario
from dojo.tui.data.library import read_card
from tests.telemetry.scenarios import shop

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
WAF = LIBRARY / "edge-waf-cpu.yaml"
SOURCE = {
    "url": "https://example.com/postmortem",
    "org": "Example Corp",
    "date": "2021-10-04",
    "changes": ["the services are renamed", "the times are invented"],
}


def test_the_credit_line_names_the_org_and_the_date():
    assert retold_from("Cloudflare", date(2019, 7, 2)) == "Retold from Cloudflare's report of 2 July 2019"
    lines = credit_lines("https://x.test/pm", "Acme", date(2021, 1, 5), ["one", "two"])
    assert lines == [
        "Retold from Acme's report of 5 January 2021: https://x.test/pm",
        "What this retelling changed or invented:",
        "- one",
        "- two",
    ]


def test_changes_written_as_one_paragraph_are_one_change():
    sc = shop(source={"url": "https://x.test", "changes": "all of it"})
    assert sc.source.changes == ["all of it"]


@pytest.mark.parametrize(
    ("source", "keypath", "words"),
    [
        (None, "tags", "has no source"),
        ({"url": "https://x.test", "changes": ["a"]}, "source", "source.org, source.date"),
        ({**SOURCE, "changes": []}, "source", "source.changes"),
        ({**SOURCE, "url": "somewhere"}, "source.url", "not a web address"),
    ],
)
def test_lint_requires_a_full_source_for_a_postmortem(source, keypath, words):
    sc = shop(tags=["postmortem"], source=source)
    found = {f.keypath: f.message for f in source_findings(sc)}
    assert keypath in found and words in found[keypath], found


def test_lint_is_content_with_a_full_source_or_no_postmortem_tag():
    assert source_findings(shop(tags=["postmortem"], source=SOURCE)) == []
    assert source_findings(shop(tags=["synthetic"])) == []


def test_every_postmortem_in_the_library_names_its_source():
    for path in sorted(LIBRARY.glob("*.yaml")):
        sc = load_scenario(path)
        assert source_findings(sc) == [], sc.id
        if sc.source is not None:
            assert "postmortem" in sc.tags, f"{sc.id} has a source but is not tagged postmortem"


def test_dojo_list_credits_the_retold_incident():
    out = CliRunner().invoke(main, ["list", str(WAF)]).output
    assert "Retold from Cloudflare's report of 2 July 2019: https://blog.cloudflare.com/" in out
    assert "What this retelling changed" not in out
    verbose = CliRunner().invoke(main, ["list", "-v", str(WAF)]).output
    sc = load_scenario(WAF)
    assert all(c[:60] in verbose.replace("\n", " ") or c[:30] in verbose for c in sc.source.changes)
    doc = json.loads(CliRunner().invoke(main, ["list", "--json", str(WAF)]).output)
    assert doc[0]["source"]["org"] == "Cloudflare" and doc[0]["source"]["date"] == "2019-07-02"


def test_the_library_card_carries_the_credit(tmp_path):
    card = read_card(WAF)
    assert card.credit[0].startswith("Retold from Cloudflare's report of 2 July 2019: https://")
    assert len(card.credit) > 2
    plain = tmp_path / "plain.yaml"
    plain.write_text("id: plain\ntitle: x\nsource: [not, a, mapping]\n")
    assert read_card(plain).credit == ()
    assert from_mapping({"url": "https://x.test", "changes": 7}) == ["Retold from a public report: https://x.test"]


def test_the_debrief_ends_with_the_source():
    sc = load_scenario(WAF)
    text = debrief_markdown(sc)
    assert text.startswith(sc.debrief.rstrip()[:40])
    tail = text.split("## Source", 1)[1]
    assert "Retold from Cloudflare's report of 2 July 2019" in tail and sc.source.url in tail
    assert all(f"- {c.strip()}" in tail for c in sc.source.changes)
    assert "## Source" not in debrief_markdown(shop(debrief="## Summary\nx"))


def test_the_preview_credits_the_retold_incident(tmp_path):
    path = tmp_path / "retold.yaml"
    path.write_text(
        WAF.read_text().replace("duration: 35m", "duration: 21m").replace("log_sample: 0.06", "log_sample: 0.01")
    )
    out = CliRunner().invoke(main, ["preview", str(path)]).output
    assert "Retold from Cloudflare's report of 2 July 2019: https://blog.cloudflare.com/" in out
    assert "What this retelling changed or invented:" in out


def test_a_postmortem_without_source_fails_dojo_lint(tmp_path):
    text = WAF.read_text()
    path = tmp_path / "anon.yaml"
    path.write_text(text[: text.index("source:")])
    result = CliRunner().invoke(main, ["lint", str(path)])
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if "has no source" in ln)
    assert line.startswith(f"{path}:") and ": tags: " in line
    assert textwrap.dedent(line) == line
