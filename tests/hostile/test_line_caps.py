"""A line with no end (a 1.4 GB one-line log) is refused in one line naming the file and the line,
by sanitize (plain and parallel), sanitize --check and import, with nothing half-written left and
without holding the line; a JSON document too big to parse whole likewise. The limit is
DOJO_MAX_LINE_MB; the tests set it to 1 MB so a few MB show the rule."""

import io

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.sanitize import readers, run

from .scenario import FIXTURE

LINE = b"2026-03-10T14:20:00Z INFO checkout GET /api/v1/cart 200\n"


@pytest.fixture
def long_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_MAX_LINE_MB", "1")
    path = tmp_path / "one.log"
    path.write_bytes(LINE * 3 + b"x" * (9 << 20) + b"\n" + LINE)  # past a 4 MB read and the limit
    return path


def test_chunks_stop_one_chunk_past_the_limit_and_name_the_line(monkeypatch):
    monkeypatch.setenv("DOJO_MAX_LINE_MB", "1")
    data = io.BytesIO(LINE * 3 + b"x" * (64 << 20))
    with pytest.raises(readers.TooLong, match=r"^line 4 is longer than 1 MB \(DOJO_MAX_LINE_MB\): refused"):
        for _ in readers.iter_chunks(data, 1 << 18):
            pass
    assert data.tell() <= 2 << 20  # read a little past the limit, never the 64 MB to the end
    assert list(readers.iter_chunks(io.BytesIO(LINE * 3 + b"x" * 1000), 1 << 18))  # under it: read as ever


@pytest.mark.parametrize("parallel", [False, True])
def test_sanitize_refuses_the_file_and_keeps_the_rest(long_line, tmp_path, monkeypatch, parallel):
    if parallel:
        monkeypatch.setattr(run, "PARALLEL_MIN_BYTES", 1)
    fine = tmp_path / "fine.log"
    fine.write_bytes(LINE * 100)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["sanitize", str(long_line), str(fine), "-o", str(out)])
    assert res.exit_code == 1
    refused = [line.strip() for line in res.output.splitlines() if "refused" in line]
    assert refused == [
        "refused one.log: line 4 is longer than 1 MB (DOJO_MAX_LINE_MB): refused; a log line is a few kB, so this "
        "file lost its newlines or is not a log"
    ], res.output
    assert sorted(p.name for p in out.iterdir()) == ["fine.log", "pseudonyms.txt", "report.json"]


def test_check_says_not_fully_checked(long_line):
    res = CliRunner().invoke(cli, ["sanitize", "--check", str(long_line)])
    assert res.exit_code == 1
    assert f"dojo sanitize: {long_line}: not fully checked, line 4 is longer than 1 MB" in res.output


def test_a_json_document_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_MAX_LINE_MB", "1")
    doc = tmp_path / "export.json"
    doc.write_text('{"resourceSpans": [' + ",".join(['{"a": "' + "y" * 1000 + '"}'] * 2000) + "]}")
    res = CliRunner().invoke(cli, ["sanitize", str(doc), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "refused export.json: a JSON document over 1 MB (DOJO_MAX_LINE_MB) is read whole: refused" in res.output


def test_import_refuses_and_writes_nothing(long_line, tmp_path):
    scenario = tmp_path / "sc.yaml"
    scenario.write_text(FIXTURE.read_text())
    before = scenario.read_bytes()
    res = CliRunner().invoke(cli, ["import", "--scenario", str(scenario), str(long_line)])
    assert res.exit_code == 1
    assert "line 4 is longer than 1 MB (DOJO_MAX_LINE_MB)" in res.output
    assert scenario.read_bytes() == before and not (tmp_path / "sc.signals").exists()
