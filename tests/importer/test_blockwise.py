"""Plain-text logs are read a block of lines at a time with Arrow's regular expressions; the
per-line reader stays the reference. Both must give the same records, counts and format on every
kind of line: mixed conventions, continuations across blocks, odd dates, levels anywhere."""

from pathlib import Path

import pytest

from dojo.importer import textlogs
from dojo.importer.readers import FileReport
from dojo.importer.run import ImportResult, read_file, write

FORMATS = Path(__file__).parent / "formats"

TRICKY = """\
2026-03-10T14:00:00.123Z INFO  checkout started
2026-03-10T14:00:01Z ERROR: payment failed for order 7
2026-03-10 14:00:02,5 WARN - pool almost full
2026-03-10T14:00:03.1234567+01:00 error] odd fraction and an offset
2026-03-10T14:00:04-0530 [WARNING] offset without a colon
2026-13-45T14:00:05Z INFO a date that does not exist
2026-02-29T14:00:05Z INFO not a leap year
2024-02-29T14:00:06Z INFO a leap year
    at com.example.Checkout.pay(Checkout.java:42)
\tat com.example.Retry.run(Retry.java:7) 2026-03-10T14:00:07Z quoted in a frame
2026-03-10T14:00:08Z ERRORS is not a level, but later an ERROR is
2026-03-10T14:00:09Z xERROR and ERROR_CODE are not levels; FATAL is
2026-03-10T14:00:10Z ERROR-x cut at the head
2026-03-10T14:00:11Z	a tab after the stamp ERROR
2026-03-10T14:00:12Z INFO ünïcödé message with an ERROR
10.1.2.3 - alice [10/Mar/2026:14:00:13 +0000] "GET /api HTTP/1.1" 503 12 "-" "curl/8"
10.1.2.3 - - [10/Mar/2026:14:00:14 +0200] "POST /login HTTP/1.1" 404 0 "-" "Mozilla/5.0 (2026-03-10T00:00:00Z)"
Mar 10 14:00:15 edge-1 sshd[42]: Failed password for root from 10.0.0.1
Mar  9 14:00:16 - kernel: a host written as a dash
Mar 10 14:00:17 lonely
<34>Mar 10 14:00:18 edge-1 su[311]: a syslog priority
<165>1 2026-03-10T14:00:19Z edge-2 app 42 ID47 - RFC 5424
https 2026-03-10T14:00:20.000Z app/lb/1 1.2.3.4:5 10.0.0.1:80 0.001 0.002 0.000 502 - 10 20 "GET / HTTP/1.1"
2026-03-10T14:00:21.000Z app/lb/1 1.2.3.4:5 10.0.0.1:80 0.001 0.002 0.000 - 504 10 20 "GET / HTTP/1.1"
some prefix text that is quite long before the stamp here, 2026-03-10T14:00:22Z deep in the line
short 2026-03-10T14:00:23Z near the head
[1773151224] an epoch at the head
2026-03-10T14:00:25.123456789012345678901234567890Z a fraction far too long
no stamp at all, continues the record above

2026-03-10T14:00:26Z TRACE a trace line
2026-03-10T14:00:27Z NOTICE a notice
1999-03-10T14:00:28Z INFO an old year
2026-03-10T25:00:29Z INFO an hour that does not exist
2026-03-10T14:00:30+25:00 INFO an offset that does not exist
10.1.2.3 - - [10/Mar/2026:14:00:31 +2500] "GET / HTTP/1.1" 200 1 "-" "x"
"""


def both(text: str, **kw) -> tuple:
    out = []
    for blockwise in (True, False):
        rep = FileReport("x")
        logs = textlogs.plain_logs(text, kw.get("service", "web"), 2026, rep, blockwise=blockwise)
        out.append(([(r.ts, r.level, r.service, r.host, r.trace_id, r.msg) for r in logs], rep.skipped, rep.format))
    return out[0], out[1]


@pytest.mark.parametrize("block", [3, 7, 4096])
def test_blockwise_reads_tricky_lines_as_the_per_line_reader(block, monkeypatch):
    monkeypatch.setattr(textlogs, "BLOCK_LINES", block)
    for first in ("", "2026-03-10T13:59:59Z INFO ISO first\n" * 3, "Mar 10 13:59:59 h a: syslog first\n" * 20):
        fast, slow = both(first + TRICKY)
        assert fast == slow
        assert len(fast[0]) > 20


@pytest.mark.parametrize("name", ["access.log", "alb.log", "syslog.log", "syslog5424.log", "apache_error.log"])
def test_blockwise_reads_the_format_samples_as_the_per_line_reader(name):
    fast, slow = both((FORMATS / name).read_text())
    assert fast == slow and fast[0]


def test_blockwise_reads_a_realistic_mixed_log_as_the_per_line_reader(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    from bench_sanitize import write_log

    log = tmp_path / "app.log"
    write_log(log, 1)
    monkeypatch.setattr(textlogs, "BLOCK_LINES", 1000)
    fast, slow = both(log.read_text())
    assert fast == slow and len(fast[0]) > 5000


def test_ordinary_lines_never_reach_the_per_line_reader(monkeypatch):
    # The point of the block-wise reader: ordinary lines are read without a Python call each.
    calls = []
    real = textlogs._one_line
    monkeypatch.setattr(textlogs, "_one_line", lambda *a: calls.append(a[0]) or real(*a))
    text = "".join(f"2026-03-10T14:00:{i % 60:02d}Z INFO line {i}\n" for i in range(2000))
    text += '10.1.2.3 - - [10/Mar/2026:14:00:13 +0000] "GET / HTTP/1.1" 500 1 "-" "x"\n'
    text += "    a continuation\n"
    logs = textlogs.plain_logs(text, "web", 2026, FileReport("x"))
    assert len(logs) == 2001 and logs[2000].level == "ERROR" and logs[2000].msg.endswith("| a continuation")
    assert calls == ["    a continuation"]


def test_written_logs_are_in_time_order_across_files_and_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(textlogs, "BLOCK_LINES", 5)
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("".join(f"2026-03-10T14:00:{s:02d}Z INFO a{s}\n" for s in range(0, 60, 2)))
    b.write_text("".join(f"2026-03-10T14:00:{s:02d}Z ERROR b{s}\n" for s in range(59, 0, -2)))
    result = ImportResult()
    read_file(a, result)
    read_file(b, result)
    files = write(result, tmp_path / "out")
    import json

    rows = [json.loads(line) for line in files["logs"].read_text().splitlines()]
    assert [r["ts"][17:19] for r in rows] == [f"{s:02d}" for s in range(60)]
    assert rows[1] == {"ts": "2026-03-10T14:00:01.000Z", "level": "ERROR", "service": "b", "host": "", "trace_id": "",
                       "msg": "b1"}  # fmt: skip
