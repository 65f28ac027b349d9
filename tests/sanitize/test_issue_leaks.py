"""Every leak and damage reported against the sanitizer, each as a case of leakcases.CASES.

For each case: no original survives a sanitize run, the structure around it is kept, --check
reports the unscrubbed case, and the scrubbed output passes --check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.sanitize.check import Checker

from .conftest import run
from .leakcases import CASES as ISSUE_CASES
from .leakcases import GAP_CASES, PII_CASES

CASES = ISSUE_CASES + PII_CASES + GAP_CASES

NAMES = [c.name for c in CASES]


@pytest.fixture(scope="module")
def scrubbed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    src = tmp_path_factory.mktemp("src")
    for i, case in enumerate(CASES):
        (src / f"case{i:02d}.log").write_text(case.text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    run(sorted(src.iterdir()), out)
    return src, out


def _findings(path: Path) -> list[str]:
    return [str(f) for f in Checker().check(path, lambda msg: None)]


@pytest.mark.parametrize("i", range(len(CASES)), ids=NAMES)
def test_no_original_survives_and_the_rest_is_kept(scrubbed, i):
    case = CASES[i]
    _, out = scrubbed
    text = (out / f"case{i:02d}.log").read_text(encoding="utf-8")
    assert [o for o in case.originals if o in text] == []
    assert [k for k in case.kept if k not in text] == []
    assert text.count("\n") == case.text.count("\n")


@pytest.mark.parametrize("i", range(len(CASES)), ids=NAMES)
def test_check_reports_the_unscrubbed_case(scrubbed, i):
    src, _ = scrubbed
    assert _findings(src / f"case{i:02d}.log"), CASES[i].name


@pytest.mark.parametrize("i", range(len(CASES)), ids=NAMES)
def test_check_passes_the_scrubbed_case(scrubbed, i):
    _, out = scrubbed
    assert _findings(out / f"case{i:02d}.log") == []


def test_check_command_on_the_whole_corpus(scrubbed):
    src, out = scrubbed
    runner = CliRunner()
    before = runner.invoke(cli, ["sanitize", "--check", str(src)])
    after = runner.invoke(cli, ["sanitize", "--check", str(out)])
    assert before.exit_code == 1
    reported = {line.split(":", 1)[0] for line in before.output.splitlines() if ".log:" in line}
    assert len(reported) == len(CASES)  # every case file has a finding
    assert after.exit_code == 0, after.output


def test_a_user_found_in_one_file_is_replaced_in_another(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    # The path comes first, in a file read before the one that says it is a user.
    (src / "a.log").write_text("open /g/g90/tlindgren7/job.sh\n")
    (src / "b.log").write_text("Accepted password for tlindgren7 from 10.1.1.1 port 22 ssh2\n")
    run(sorted(src.iterdir()), tmp_path / "out")
    assert "tlindgren7" not in (tmp_path / "out" / "a.log").read_text()
    assert "/g/g90/" in (tmp_path / "out" / "a.log").read_text()


def test_spreading_leaves_words_and_pseudonyms_alone(tmp_path):
    from dojo.sanitize.propagate import Spreader, worth_spreading

    assert not worth_spreading("deploy") and not worth_spreading("42") and not worth_spreading("al")
    spreader = Spreader({"henry": "kelly12"}, produced=["henry.bryce"])
    text = b"henry ran; henry.bryce logged in; henryk is someone else; /home/henry/x\n"
    assert spreader.chunk(text) == b"kelly12 ran; henry.bryce logged in; henryk is someone else; /home/kelly12/x\n"
