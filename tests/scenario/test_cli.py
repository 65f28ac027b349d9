"""`dojo validate`, `dojo list`, `dojo schema`, `dojo faults` as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.cli import cli

from .conftest import FAKE_FAULTS, FIXTURES, SHOP

ROOT = Path(__file__).resolve().parents[2]
ERROR_LINE = re.compile(r"^\S+:\d+: \S.*$")


@pytest.fixture(autouse=True)
def fake_library(monkeypatch):
    # The commands read the real registry; give them a known one.
    import dojo.telemetry.faults as faults

    monkeypatch.setattr(faults, "FAULTS", FAKE_FAULTS)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A folder with the valid fixture and two broken scenarios."""
    text = SHOP.read_text()
    (tmp_path / "good.yaml").write_text(text)
    (tmp_path / "words.yaml").write_text(
        text.replace("id: shop-slow-payments", "id: words").replace("duration: 30m", "duration: 10 minutes")
    )
    (tmp_path / "binary.yml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "notes.txt").write_text("not a scenario")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_validate_valid_file():
    res = run("validate", str(SHOP))
    assert res.exit_code == 0, res.output
    assert res.output == "1 file valid\n"


def test_validate_folder_reports_every_problem(folder):
    res = run("validate", str(folder))
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[:-1] == [
        f"{folder / 'binary.yml'}:3: binary data (a NUL byte at offset 8); a scenario is a UTF-8 text file",
        f"{folder / 'words.yaml'}:7: duration: '10 minutes' is not a duration; write 10m",
    ]
    assert lines[-1] == "2 problems in 2 of 3 files"


def test_validate_missing_and_empty_paths(tmp_path):
    (tmp_path / "empty").mkdir()
    res = run("validate", str(tmp_path / "nope.yaml"), str(tmp_path / "empty"))
    assert res.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: no such file" in res.output
    assert f"{tmp_path / 'empty'}: no .yaml or .yml files in this folder" in res.output
    assert "Traceback" not in res.output


def test_validate_duplicate_ids(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(SHOP.read_text())
    res = run("validate", str(tmp_path))
    assert res.exit_code == 1
    assert (
        f"{tmp_path / 'b.yaml'}:3: id: 'shop-slow-payments' is already the id of {tmp_path / 'a.yaml'}; ids must be "
        "unique" in res.output
    )


def test_validate_counts_a_file_named_twice_once(folder):
    res = run("validate", str(folder / "good.yaml"), str(folder), str(folder / "good.yaml"))
    assert res.output.splitlines()[-1] == "2 problems in 2 of 3 files"
    assert "already the id" not in res.output


def test_validate_defaults_to_builtin(monkeypatch, tmp_path):
    monkeypatch.setenv("DOJO_SCENARIOS", str(FIXTURES))
    assert run("validate").exit_code == 0
    monkeypatch.setenv("DOJO_SCENARIOS", str(tmp_path / "gone"))
    res = run("validate")
    assert res.exit_code == 1 and "no built-in scenarios folder here" in res.output


def test_list_shows_valid_and_reports_invalid(folder):
    res = run("list", str(folder))
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [
        "shop-slow-payments  **        30m  Slow checkout after a payments deploy  [latency,red-herring]"
    ]
    errors = res.stderr.splitlines()
    assert len(errors) == 2 and all(ERROR_LINE.match(line) for line in errors)


def test_list_json(folder):
    res = run("list", "--json", str(folder / "good.yaml"))
    assert res.exit_code == 0
    [row] = json.loads(res.stdout)
    assert row == {
        "id": "shop-slow-payments",
        "title": "Slow checkout after a payments deploy",
        "difficulty": 2,
        "tags": ["latency", "red-herring"],
        "duration": 1800.0,
        "path": str(folder / "good.yaml"),
        "source": None,
    }


def test_bare_dojo_lists_the_library(monkeypatch):
    monkeypatch.setenv("DOJO_SCENARIOS", str(FIXTURES))
    res = run()
    assert res.exit_code == 0 and res.stdout.startswith("shop-slow-payments")


def test_schema_stdout_and_file(tmp_path):
    res = run("schema")
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["$schema"].startswith("https://json-schema.org/") and doc["title"]
    out = tmp_path / "s.json"
    res = run("schema", "--out", str(out))
    assert res.exit_code == 0 and json.loads(out.read_text()) == doc
    res = run("schema", "--out", str(tmp_path / "no" / "such" / "dir.json"))
    assert res.exit_code == 1 and "cannot write" in res.output


def test_faults_lists_kinds_and_params():
    res = run("faults")
    assert res.exit_code == 0
    assert "dependency_latency  test fault dependency_latency" in res.stdout
    assert "    factor: int = 4  [1..10]  retries per failed call" in res.stdout
    assert "changes (harmless without params): deploy" in res.stdout
    assert "    replicas: int" in res.stdout
    doc = json.loads(run("faults", "--json").stdout)
    retry = next(f for f in doc["faults"] if f["name"] == "retry_storm")
    assert retry["params"] == [
        {"name": "factor", "type": "int", "default": 4, "min": 1, "max": 10, "help": "retries per failed call"}
    ]
    assert "deploy" in doc["changes"]


def _dojo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dojo", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_real_process_exit_codes(folder):
    ok = _dojo("validate", str(SHOP))
    assert ok.returncode == 0, ok.stderr
    bad = _dojo("validate", str(folder), str(folder / "missing.yaml"))
    assert bad.returncode == 1
    assert "Traceback" not in bad.stdout + bad.stderr
    assert f"{folder / 'missing.yaml'}: no such file" in bad.stdout
