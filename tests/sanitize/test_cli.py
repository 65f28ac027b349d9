"""dojo sanitize from the command line: exit codes, one-line errors, report, mapping, --check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.cli import cli

from . import samples
from .conftest import leaks


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["sanitize", *args], env=env)


@pytest.fixture
def log(tmp_path, catalog) -> Path:
    return samples.write_plain(tmp_path / "app.log", catalog)


def test_sanitize_writes_outputs_report_and_pseudonyms(tmp_path, log, catalog):
    res = invoke(str(log), "--out", str(tmp_path / "out"), "--secret", "k")
    assert res.exit_code == 0, res.output
    assert "replaced" in res.output and "ipv4" in res.output
    assert leaks((tmp_path / "out" / "app.log").read_text(), catalog) == []
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["secret"] == "given" and report["replaced"]["username"] > 0
    assert report["files"][0]["name"] == "app.log" and report["files"][0]["format"] == "plain"
    assert (tmp_path / "out" / "pseudonyms.txt").is_file()


def test_secret_from_the_environment_and_random_without_one(tmp_path, log):
    a = invoke(str(log), "--out", str(tmp_path / "a"), env={"DOJO_SANITIZE_SECRET": "k"})
    b = invoke(str(log), "--out", str(tmp_path / "b"), "--secret", "k")
    assert a.exit_code == b.exit_code == 0
    assert (tmp_path / "a" / "app.log").read_bytes() == (tmp_path / "b" / "app.log").read_bytes()
    c = invoke(str(log), "--out", str(tmp_path / "c"), env={"DOJO_SANITIZE_SECRET": ""})
    assert c.exit_code == 0 and "no --secret" in c.output
    assert (tmp_path / "c" / "app.log").read_bytes() != (tmp_path / "a" / "app.log").read_bytes()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["missing.log", "--out", "OUT"], "missing.log: no such file or directory"),
        (["LOG"], "missing --out DIR"),
        (["LOG", "--out", "OUT", "--shift", "3 days"], "--shift '3 days' is not a duration"),
        (["--out", "OUT"], "no input files"),
        (["LOG", "--out", "LOG"], "--out must be a folder"),
        (["LOG", "--out", "OUT", "--mapping", "OUT/map.json"], "keep it outside"),
        (["--check", "LOG", "--out", "OUT"], "--out does not go with --check"),
    ],
)
def test_bad_command_lines_exit_2_with_one_line(tmp_path, log, args, needle):
    args = [a.replace("LOG", str(log)).replace("OUT", str(tmp_path / "out")) for a in args]
    res = CliRunner().invoke(cli, ["sanitize", *args])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dojo sanitize: ") and needle in lines[0]


def test_two_inputs_with_one_name_are_refused_before_anything_is_written(tmp_path, log):
    other = tmp_path / "sub"
    other.mkdir()
    (other / "app.log").write_text("x\n")
    res = invoke(str(log), str(other / "app.log"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "same name" in res.output
    assert not (tmp_path / "out").exists()


def test_binary_input_is_refused_exit_1_with_counts(tmp_path, log):
    blob = tmp_path / "dump.bin"
    blob.write_bytes(b"\x7fELF" + bytes(200))
    res = invoke(str(log), str(blob), "--out", str(tmp_path / "out"), "--secret", "k")
    assert res.exit_code == 1
    assert "refused dump.bin: binary file (an executable)" in res.output
    assert "Traceback" not in res.output
    assert json.loads((tmp_path / "out" / "report.json").read_text())["refused"] == 1


def test_mapping_on_request_with_a_warning(tmp_path, log, catalog):
    mapping = tmp_path / "private" / "mapping.json"
    res = invoke(str(log), "--out", str(tmp_path / "out"), "--secret", "k", "--mapping", str(mapping))
    assert res.exit_code == 0
    assert "warning:" in res.output and "ORIGINAL values" in res.output
    doc = json.loads(mapping.read_text())
    assert catalog.users[0] in doc["mapping"]["username"]
    assert catalog.uuids[0] in doc["mapping"]["uuid"]
    out = (tmp_path / "out" / "app.log").read_text()
    assert doc["mapping"]["username"][catalog.users[0]] in out


def test_no_mapping_unless_asked(tmp_path, log):
    invoke(str(log), "--out", str(tmp_path / "out"), "--secret", "k")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["app.log", "pseudonyms.txt", "report.json"]


def test_check_exit_codes_and_masked_findings(tmp_path, log, catalog):
    res = invoke("--check", str(log))
    assert res.exit_code == 1
    findings = [line for line in res.output.splitlines() if line.startswith(str(log))]
    assert findings and all(": " in f for f in findings)
    first = findings[0]
    assert first.startswith(f"{log}:1: ")
    assert not any(v in res.output for v in catalog.ipv4_public + catalog.users + catalog.emails)  # masked

    invoke(str(log), "--out", str(tmp_path / "out"), "--secret", "k")
    clean = invoke("--check", str(tmp_path / "out"))
    assert clean.exit_code == 0, clean.output


def test_check_needs_the_pseudonym_list_for_stateful_kinds(tmp_path, log):
    invoke(str(log), "--out", str(tmp_path / "out"), "--secret", "k")
    moved = tmp_path / "elsewhere.log"
    moved.write_bytes((tmp_path / "out" / "app.log").read_bytes())
    assert invoke("--check", str(moved)).exit_code == 1  # IPs and names: unknown without the list
    allowed = invoke("--check", str(moved), "--allow", str(tmp_path / "out" / "pseudonyms.txt"))
    assert allowed.exit_code == 0, allowed.output


def test_keep_option_leaves_values_alone(tmp_path):
    src = tmp_path / "a.log"
    src.write_text("host=checkout-7.acme.io user=svc-billing from 44.12.9.1\n")
    invoke(str(src), "--out", str(tmp_path / "out"), "--keep", "svc-billing", "--keep", "44.12.9.1")
    out = (tmp_path / "out" / "a.log").read_text()
    assert "user=svc-billing" in out and "44.12.9.1" in out and "acme" not in out


def test_folders_are_walked_and_mirrored(tmp_path, catalog):
    src = tmp_path / "incident"
    (src / "logs").mkdir(parents=True)
    samples.write_plain(src / "logs" / "app.log", catalog)
    samples.write_jsonl(src / "events.jsonl", catalog)
    res = invoke(str(src), "--out", str(tmp_path / "out"), "--secret", "k")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "incident" / "logs" / "app.log").is_file()
    assert (tmp_path / "out" / "incident" / "events.jsonl").is_file()


def test_help_lists_the_command_without_importing_it():
    # In a fresh interpreter: this one has imported the sanitizer for the other tests.
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from dojo.cli import cli\n"
        "res = CliRunner().invoke(cli, ['--help'])\n"
        "assert res.exit_code == 0 and 'sanitize' in res.output, res.output\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('dojo.sanitize', 'dojo.commands.sanitize'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []  # the lazy table is what --help reads
    sub = CliRunner().invoke(cli, ["sanitize", "--help"])
    assert sub.exit_code == 0 and "--check" in sub.output and "--shift" in sub.output


def test_the_package_never_imports_textual(tmp_path):
    code = (
        "import sys, dojo.sanitize.run, dojo.sanitize.check, dojo.commands.sanitize; "
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_check_fails_closed_on_a_file_it_cannot_read(tmp_path):
    blob = tmp_path / "x.bin"
    blob.write_bytes(b"PK\x03\x04" + bytes(100))
    res = invoke("--check", str(blob))
    assert res.exit_code == 1 and "not checked" in res.output and "zip archive" in res.output
