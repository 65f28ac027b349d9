"""Nasty inputs a user can hand the dojo, each ending in one clear line, never a hang or a traceback."""

import os

import pytest
from click.testing import CliRunner

from dojo.cli import cli


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_check_refuses_what_would_be_read_forever(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.log"
        os.mkfifo(path)
    else:
        path = "/dev/zero"
    res = CliRunner().invoke(cli, ["sanitize", "--check", str(path)])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [f"dojo sanitize: {path}: not a regular file or folder"]


def test_history_on_an_empty_store_file_lists_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dojo.sqlite3").write_bytes(b"")  # created, never written (a crash, a touch)
    res = CliRunner().invoke(cli, ["history"], env={"DOJO_HOME": str(home)})
    assert res.exit_code == 0 and "no attempts yet" in res.output
    assert (home / "dojo.sqlite3").read_bytes() == b""


def test_history_on_a_file_that_is_no_store_says_so_and_leaves_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dojo.sqlite3").write_bytes(b"not sqlite at all\n" * 300)
    res = CliRunner().invoke(cli, ["history"], env={"DOJO_HOME": str(home)})
    assert res.exit_code == 1 and "not a readable dojo store" in res.stderr
    assert len(res.stderr.splitlines()) == 1
    assert (home / "dojo.sqlite3").read_bytes() == b"not sqlite at all\n" * 300


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("id: x\ntitle: [1, 2\n", "YAML syntax error"),
        ("\x00\x01\x02binary", "binary data"),
        ("id: 5\ntitle: 7\n", "id: expected text, got the number 5"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "lint", "preview"])
def test_bad_scenario_files_are_one_line_each(tmp_path, text, needle, command):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    res = CliRunner().invoke(cli, [command, str(path)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output and needle in res.output
    assert res.output.splitlines()[0].startswith(f"{path}:")
