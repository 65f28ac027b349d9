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
