"""Every sample file kept under tests/ (the importer's format samples, the scenario fixtures),
sanitized in one run, passes `dojo sanitize --check`; and --check does find their originals."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dojo.cli import cli

TESTS = Path(__file__).resolve().parents[1]


def _sample_folders() -> list[Path]:
    folders = sorted(
        {
            p.parent
            for p in TESTS.rglob("*")
            if p.is_file()
            and p.suffix not in (".py", ".pyc", ".svg", ".ambr", ".sqlite3")
            and "__pycache__" not in p.parts
            and "__snapshots__" not in p.parts
        }
    )
    return folders


def test_every_sample_under_tests_sanitizes_to_a_clean_check(tmp_path):
    folders = _sample_folders()
    assert TESTS / "importer" / "formats" in folders  # the real-format samples are among them
    runner = CliRunner()
    out = tmp_path / "out"
    # One output folder per sample folder: several are called "fixtures".
    for i, folder in enumerate(folders):
        done = runner.invoke(cli, ["sanitize", str(folder), "--out", str(out / str(i)), "--secret", "s", "-q"])
        assert done.exit_code == 0, (folder, done.output)
    checked = runner.invoke(cli, ["sanitize", "--check", str(out)])
    assert checked.exit_code == 0, checked.output
    before = runner.invoke(cli, ["sanitize", "--check", str(TESTS / "importer" / "formats")])
    assert before.exit_code == 1 and " pod " in before.output and " ipv4 " in before.output
