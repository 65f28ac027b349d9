"""The progress bar of a long import: on a terminal only, wiped when done."""

import io

from click.testing import CliRunner

from dojo.cli import cli
from dojo.importer.progress import LONG, Progress
from dojo.importer.run import ImportResult, read_file

from .samples import SCENARIO


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_on_a_terminal_for_a_long_import_and_wiped_at_the_end():
    term = Terminal()
    bar = Progress(LONG * 2, "reading", stream=term)
    bar(LONG * 2)
    assert "reading [" in term.getvalue() and "100%" in term.getvalue()
    bar.close()
    assert term.getvalue().endswith("\r\x1b[K")


def test_no_bar_when_not_a_terminal_or_short():
    pipe = io.StringIO()
    bar = Progress(LONG * 2, "reading", stream=pipe)
    bar(LONG * 2)
    bar.close()
    assert pipe.getvalue() == ""
    short = Terminal()
    Progress(1000, "reading", stream=short)(1000)
    assert short.getvalue() == ""


def test_reading_a_file_reports_every_byte(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("".join(f"2026-03-10T14:00:{i % 60:02d}Z INFO line {i}\n" for i in range(50_000)))
    seen = []
    read_file(log, ImportResult(), progress=seen.append)
    assert sum(seen) == log.stat().st_size and len(seen) > 1


def test_the_cli_writes_no_bar_into_a_pipe(tmp_path):
    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO)
    log = tmp_path / "web.log"
    log.write_text("2026-03-10T14:05:00Z ERROR web upstream overloaded\n")
    res = CliRunner().invoke(cli, ["import", str(log), "--scenario", str(scenario), "--secret", "s"])
    assert res.exit_code == 0 and "reading [" not in res.output and "\r" not in res.output
