"""Progress of a long sanitize: the bytes read, reported to the caller (the command draws a bar on a tty)."""

from __future__ import annotations

from click.testing import CliRunner

from dojo.cli import cli
from dojo.sanitize.run import Options, sanitize


def test_advance_reports_bytes_read_up_to_the_total(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.log").write_text("user=bob7 from 10.0.0.1\n" * 20_000)
    (src / "b.log").write_text("host=db1.acme.com\n" * 10_000)
    calls: list[tuple[int, int]] = []
    sanitize(
        [src], Options(out=tmp_path / "out", secret=b"s", secret_given=True), advance=lambda d, t: calls.append((d, t))
    )
    total = (src / "a.log").stat().st_size + (src / "b.log").stat().st_size
    assert calls and all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1][0] == total


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path):
    (tmp_path / "a.log").write_text("user=bob7 from 10.0.0.1\n" * 1000)
    result = CliRunner().invoke(cli, ["sanitize", str(tmp_path / "a.log"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output


def test_a_symlink_in_a_folder_is_named_not_skipped_silently(tmp_path):
    import json

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.log").write_text("user=bob7\n")
    secret = tmp_path / "elsewhere.log"
    secret.write_text("password=hunter2hunter2\n")
    (src / "link.log").symlink_to(secret)
    result = CliRunner().invoke(cli, ["sanitize", str(src), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "link.log is a symbolic link" in result.output
    assert not (tmp_path / "out" / "src" / "link.log").exists()
    assert json.loads((tmp_path / "out" / "report.json").read_text())["symlinks_not_followed"] == [
        str(src / "link.log")
    ]


def _on_a_terminal(args: list[str], cwd) -> str:
    """Run dojo with stderr on a pseudo-terminal, as a person at a terminal would; what it drew.
    Its bar's size threshold is lowered so that a small input shows it."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    code = "import dojo.importer.progress as p; p.LONG = 0; from dojo.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    drawn = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        drawn += data
    stdout, _ = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0, drawn
    return drawn.decode() + stdout.decode()


def test_the_bar_is_dojo_imports_on_stderr_when_it_is_a_terminal(tmp_path):
    (tmp_path / "a.log").write_text("user=bob7 from 10.0.0.1\n" * 20_000)
    shown = _on_a_terminal(["sanitize", "a.log", "--out", "out"], tmp_path)
    assert "\rsanitizing [" in shown and " MB/s" in shown  # dojo import's bar, its label ours
    assert "\r\x1b[K" in shown  # wiped when done: the report is what stays
    assert "username" in shown and "ipv4" in shown  # the report of what was replaced, by kind


def test_the_library_call_reports_bytes_read_to_a_bar(tmp_path):
    from dojo.sanitize.api import sanitize_files

    (tmp_path / "a.log").write_text("user=bob7 from 10.0.0.1\n" * 20_000)
    (tmp_path / "b.log").write_text("host=db1.acme.com\n" * 10_000)
    told: list[int] = []
    sanitize_files([tmp_path / "a.log", tmp_path / "b.log"], tmp_path / "out", progress=told.append)
    assert told and all(n > 0 for n in told)
    assert sum(told) == (tmp_path / "a.log").stat().st_size + (tmp_path / "b.log").stat().st_size
