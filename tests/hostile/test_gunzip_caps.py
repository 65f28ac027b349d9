"""A small gzip that decompresses to a lot is refused in one line naming the file and the limit,
by sanitize, sanitize --check and import, with nothing half-written left; the limit can be raised."""

import gzip

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.sanitize import readers

from .scenario import FIXTURE

LINE = b"2026-03-10T14:20:00Z INFO checkout GET /api/v1/cart 200\n"


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "GUNZIP_FLOOR", 1 << 20)  # so a 4 MB bomb shows the rule quickly
    bomb = tmp_path / "bomb.log.gz"
    bomb.write_bytes(gzip.compress(b"a" * (4 << 20)))  # about 4 kB of gzip
    fine = tmp_path / "fine.log.gz"
    fine.write_bytes(gzip.compress(LINE * 200))
    return bomb, fine


def test_capped_reader_stops_at_the_cap_whatever_reads_it(files):
    bomb, _ = files
    for how in ("read", "readline", "chunks"):
        with readers.open_input(bomb) as fh:
            with pytest.raises(readers.DecompressionLimit, match="100x its compressed"):
                if how == "read":
                    fh.read()
                elif how == "readline":
                    fh.readline()
                else:
                    while fh.read(1 << 16):
                        pass
            assert fh.tell() <= 2 << 20  # one step past the cap at most, never the 4 MB to the end


def test_sanitize_refuses_the_bomb_and_keeps_the_rest(files, tmp_path):
    bomb, fine = files
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["sanitize", str(bomb), str(fine), "-o", str(out)])
    assert res.exit_code == 1
    refused = [line for line in res.output.splitlines() if "refused" in line]
    assert refused == [
        "  refused bomb.log: decompresses to more than 100x its compressed size (DOJO_MAX_GUNZIP_RATIO): refused "
        "(a decompression bomb, or a file to split first); raise the limit with the environment variable named if "
        "it is real"
    ], res.output
    assert sorted(p.name for p in out.iterdir()) == ["fine.log", "pseudonyms.txt", "report.json"]


def test_the_limit_can_be_raised(files, tmp_path, monkeypatch):
    bomb, _ = files
    monkeypatch.setenv("DOJO_MAX_GUNZIP_RATIO", "100000")
    res = CliRunner().invoke(cli, ["sanitize", str(bomb), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "bomb.log").stat().st_size == 4 << 20


def test_check_says_not_checked(files):
    bomb, _ = files
    res = CliRunner().invoke(cli, ["sanitize", "--check", str(bomb)])
    assert res.exit_code == 1
    assert f"dojo sanitize: not fully checked: {bomb}: decompresses to more than 100x" in res.output


@pytest.mark.parametrize("sanitized", [True, False])
def test_import_refuses_and_writes_nothing(files, tmp_path, sanitized):
    bomb, _ = files
    scenario = tmp_path / "sc.yaml"
    scenario.write_text(FIXTURE.read_text())
    before = scenario.read_bytes()
    args = ["import", "--scenario", str(scenario), str(bomb)] + ([] if sanitized else ["--no-sanitize"])
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1
    assert "decompresses to more than 100x its compressed size (DOJO_MAX_GUNZIP_RATIO)" in res.output
    assert scenario.read_bytes() == before and not (tmp_path / "sc.signals").exists()
