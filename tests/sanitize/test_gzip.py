"""Rotated logs come gzip-compressed: they are read as the text inside, by content, not by name."""

from __future__ import annotations

import gzip

from click.testing import CliRunner

from dojo.cli import cli

from . import samples
from .conftest import leaks


def invoke(*args):
    return CliRunner().invoke(cli, ["sanitize", *map(str, args)])


def test_a_gzip_log_is_sanitized_like_its_text_into_a_plain_file(tmp_path, catalog):
    plain = samples.write_plain(tmp_path / "app.log", catalog)
    packed = tmp_path / "rotated" / "app.log.1.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert invoke(plain, "--out", tmp_path / "a", "--secret", "k").exit_code == 0
    res = invoke(packed, "--out", tmp_path / "b", "--secret", "k")
    assert res.exit_code == 0, res.output
    out = tmp_path / "b" / "app.log.1"
    assert out.read_bytes() == (tmp_path / "a" / "app.log").read_bytes()
    assert leaks(out.read_text(), catalog) == []
    assert "decompressed (gzip)" in res.output
    # --check reads the compressed original too, and finds what is in it.
    check = invoke("--check", packed)
    assert check.exit_code == 1 and "app.log.1.gz:1:" in check.output


def test_a_truncated_gzip_is_refused_and_leaves_nothing(tmp_path, catalog):
    plain = samples.write_plain(tmp_path / "app.log", catalog)
    whole = gzip.compress(plain.read_bytes())
    broken = tmp_path / "in" / "broken.log.gz"
    broken.parent.mkdir()
    broken.write_bytes(whole[: len(whole) // 2])
    (tmp_path / "in" / "fine.log").write_text("login from 81.2.69.142\n")
    res = invoke(tmp_path / "in", "--out", tmp_path / "out", "--secret", "k")
    assert res.exit_code == 1
    assert "refused in/broken.log: corrupt or truncated gzip" in res.output and "gzip -t" in res.output
    assert not (tmp_path / "out" / "in" / "broken.log").exists()
    assert not list((tmp_path / "out").rglob("*.part"))
    assert "81.2.69.142" not in (tmp_path / "out" / "in" / "fine.log").read_text()
    check = invoke("--check", broken)
    assert check.exit_code == 1 and "not fully checked, corrupt or truncated gzip" in check.output


def test_a_log_and_its_gzip_twin_in_one_folder_are_refused_up_front(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "app.log").write_text("x\n")
    (tmp_path / "in" / "app.log.gz").write_bytes(gzip.compress(b"y\n"))
    res = invoke(tmp_path / "in", "--out", tmp_path / "out")
    assert res.exit_code == 2 and "has the same name as" in res.output
    assert not (tmp_path / "out").exists()


def test_a_gzip_file_keeps_every_note(tmp_path):
    broken = tmp_path / "otlp.json.gz"
    broken.write_bytes(gzip.compress(b'{"resourceSpans": [{"user": "bob77"'))
    res = invoke(broken, "--out", tmp_path / "out", "--secret", "k")
    assert res.exit_code == 0, res.output
    assert "decompressed (gzip); not valid JSON" in res.output  # neither note hides the other
