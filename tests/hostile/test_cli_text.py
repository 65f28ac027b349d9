"""Scenario text that tries to drive the terminal reaches the CLI's output spelled out, never raw.

The runner is told the output is a colour terminal, so click strips nothing on its own: whatever
is harmless here is harmless because the dojo made it so."""

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.terminal_text import unsafe_characters, visible, visible_line

from .scenario import MARKUP, SHOWN, write_hostile

RAW = ["\x1b[2J", "\x1b]0;PWNED\x07", "\x1b[5;41m", "\r", "\x08", "\u202e"]


@pytest.mark.parametrize(("raw", "shown"), list(zip(RAW, SHOWN, strict=True)))
def test_each_sequence_is_spelled_out(raw, shown):
    assert visible(f"a{raw}b") == f"a{shown}b"
    assert visible_line(f"a{raw}b") == f"a{shown}b"


def test_layout_characters_and_what_stays():
    assert visible("one\n\ttwo") == "one\n\ttwo"  # multi-line text keeps its shape
    assert visible_line("one\n\ttwo") == r"one\n\ttwo"
    assert (
        visible("\x9b2J \u2066x\u2069 \u200f \U000e0041 \x7f \x00")
        == r"\x9b2J \u2066x\u2069 \u200f \U000e0041 \x7f \x00"
    )
    plain = "Checkout p99 · 1.5 s → «ok» 日本 ✓"
    assert visible(plain) is plain
    assert unsafe_characters("a\x1bb\u202e") == ["U+001B ESCAPE", "U+202E RIGHT-TO-LEFT OVERRIDE"]


def _run(args):
    res = CliRunner().invoke(cli, args, color=True)
    return res, res.stdout_bytes + res.stderr_bytes


def _assert_harmless(out: bytes):
    text = out.decode()
    assert b"\x1b" not in out and b"\r" not in out and b"\x08" not in out and b"\x07" not in out
    assert "\u202e" not in text and "\x9b" not in text
    return text


@pytest.mark.parametrize("command", ["list", "preview", "validate", "lint"])
def test_commands_show_hostile_text_escaped(tmp_path, command):
    path = write_hostile(tmp_path)
    res, out = _run([command, str(path)])
    text = _assert_harmless(out)
    if command in ("list", "preview"):
        assert all(shown in text for shown in SHOWN), text[:400]
        assert MARKUP in text  # printed as written: the CLI interprets no markup


def test_lint_warns_with_file_line_and_key(tmp_path):
    path = write_hostile(tmp_path)
    res, out = _run(["lint", str(path)])
    text = _assert_harmless(out)
    for where in (":5: title:", ":20: services[3].noise[0].text:", ":26: timeline[0].version:", ":39: hints[0].text:"):
        assert f"{path}{where} warning: " in text, text
    assert "U+001B ESCAPE" in text and "U+202E RIGHT-TO-LEFT OVERRIDE" in text
    assert res.exit_code == 0  # a warning; --strict makes it fail
    assert _run(["lint", "--strict", str(path)])[0].exit_code == 1


def test_errors_quoting_input_are_escaped(tmp_path):
    path = write_hostile(tmp_path)
    path.write_text(path.read_text().replace("kind: deploy,", 'kind: "dep\\e]0;X\\aloy",'))
    res, out = _run(["validate", str(path)])
    assert res.exit_code == 1
    _assert_harmless(out)
    res, out = _run(["play", "--headless", str(tmp_path / "no\x1b[2Jsuch.yaml")])
    assert res.exit_code != 0
    _assert_harmless(out)
    res, out = _run(["no\x1b]0;X\x07such"])
    assert res.exit_code == 2
    _assert_harmless(out)


def test_game_day_commands_and_report_show_hostile_names_escaped(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_HOME", str(tmp_path / "home"))
    path = write_hostile(tmp_path)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    res, out = _run(["gameday", "create", str(path), "--team", "red\x1b[2J[b]", "--team", "blue", "--db", db])
    assert res.exit_code == 0, out
    text = _assert_harmless(out)
    assert r"team      red\e[2J[b]" in text and r"Checkout \e[2J\e]0;PWNED\a" in text
    game = next(line.split()[1] for line in text.splitlines() if line.startswith("game "))
    key = next(line.split()[1] for line in text.splitlines() if line.startswith("key "))
    res, out = _run(["gameday", "inject", game, "hi\x1b]0;X\x07\u202e", "--key", key, "--db", db])
    assert res.exit_code == 0, out
    _assert_harmless(out)
    res, out = _run(["gameday", "status", game, "--key", key, "--db", db])
    assert r"red\e[2J[b]" in _assert_harmless(out)
    res, out = _run(["gameday", "report", game, "--key", key, "--db", db, "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, out
    for name in ("report.md", "report.html"):  # read with cat, or in a browser that obeys U+202E
        report = (tmp_path / "rep" / name).read_bytes()
        assert r"red\e[2J[b]".encode() in _assert_harmless(report).encode()
