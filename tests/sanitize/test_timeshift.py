"""--shift moves every recognised timestamp by the same duration and keeps how it was written."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest

from dojo.sanitize.keep import Keep
from dojo.sanitize.pseudonyms import Pseudonymizer
from dojo.sanitize.scrubber import Scrubber
from dojo.sanitize.timeshift import ShiftError, TimeShifter, parse_shift

from . import samples
from .conftest import run


@pytest.mark.parametrize(
    "text, seconds",
    [("-3d", -259200), ("2h", 7200), ("+1h30m", 5400), ("-90s", -90), ("1w", 604800), ("250ms", 0.25)],
)
def test_parse_shift(text, seconds):
    assert parse_shift(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["", "3 days", "-", "1x", "h2"])
def test_parse_shift_rejects(bad):
    with pytest.raises(ShiftError):
        parse_shift(bad)


@pytest.mark.parametrize(
    "before, after",
    [
        ("2026-03-10T14:03:12.123Z", "2026-03-07T14:03:12.123Z"),
        ("2026-03-01 00:30:00,5+01:00", "2026-02-26 00:30:00,5+01:00"),
        ("Mar  1 00:10:00", "Feb 27 00:10:00"),  # syslog has no year: reckoned in a leap year
        ("Mar 10 14:03:12", "Mar  7 14:03:12"),
        ("02/Mar/2026:14:03:12 +0000", "27/Feb/2026:14:03:12 +0000"),
    ],
)
def test_shift_text_keeps_the_format(before, after):
    assert TimeShifter(timedelta(days=-3)).shift_text(before) == after


def test_shift_by_seconds_carries_into_minutes():
    assert TimeShifter(timedelta(seconds=50)).shift_text("2026-03-10T14:03:12.5Z") == "2026-03-10T14:04:02.5Z"


@pytest.mark.parametrize(
    "value, shifted",
    [
        (1773151392, 1773151392 - 3600),
        (1773151392000, 1773151392000 - 3_600_000),
        ("1773151392000000000", str(1773151392000000000 - 3_600_000_000_000)),
        (1773151392.25, 1773151392.25 - 3600),
        (42, None),  # not an epoch
        (True, None),
    ],
)
def test_shift_epoch_keeps_unit_and_type(value, shifted):
    assert TimeShifter(timedelta(hours=-1)).shift_epoch(value) == shifted


def test_shift_in_plain_lines():
    s = Scrubber(secret=b"s", shift=timedelta(hours=2), stateful=Pseudonymizer(b"s", Keep()))
    out = s.scrub_bytes(
        b"Mar 10 23:59:59 web01 sshd[1]: ok\n2026-03-10T23:30:00Z x\n"
        b'10.1.1.1 - - [10/Mar/2026:23:00:00 +0000] "GET / HTTP/1.1" 200 1\n'
    ).decode()
    assert out.startswith("Mar 11 01:59:59 web01 sshd[1]: ok\n2026-03-11T01:30:00Z x\n")
    assert "[11/Mar/2026:01:00:00 +0000]" in out


def test_shift_in_json_and_csv_fields(tmp_path, catalog):
    otlp = samples.write_otlp(tmp_path / "t.otlp.json", catalog)
    jaeger = samples.write_jaeger(tmp_path / "j.json", catalog)
    events = samples.write_jsonl(tmp_path / "e.jsonl", catalog)
    table = samples.write_csv(tmp_path / "p.csv", catalog)
    report = run([otlp, jaeger, events, table], tmp_path / "out", shift=timedelta(days=-1), shift_text="-1d")
    span = json.loads((tmp_path / "out" / "t.otlp.json").read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["startTimeUnixNano"] == str(1_773_151_392_000_000_000 - 86_400 * 10**9)
    jspan = json.loads((tmp_path / "out" / "j.json").read_text())["data"][0]["spans"][0]
    assert jspan["startTime"] == 1_773_151_392_000_000 - 86_400 * 10**6 and jspan["duration"] == 523
    assert jspan["logs"][0]["timestamp"] == jspan["startTime"] + 10
    first = json.loads((tmp_path / "out" / "e.jsonl").read_text().splitlines()[0])
    assert first["ts"] == "2026-03-09T14:05:00.123Z"
    rows = list(csv.reader((tmp_path / "out" / "p.csv").open(newline="")))
    assert rows[1][0] == "2026-03-09 14:05:00"
    assert report.timestamps_shifted > 0
