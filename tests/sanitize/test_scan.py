"""The chunk scan (RE2 + pyarrow, distinct candidates) gives what the Python path gives."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dojo.sanitize.finder import END, START, Finder
from dojo.sanitize.keep import Keep
from dojo.sanitize.patterns import coarse_pattern
from dojo.sanitize.pseudonyms import Pseudonymizer
from dojo.sanitize.scrubber import Scrubber

from .conftest import run

FINDER = Finder(coarse_pattern(timestamps=True))
_PIECES = st.sampled_from(
    [
        "10.1.2.3",
        "user=bob",
        " ",
        "\n",
        "x",
        "host=db-1.corp.internal",
        "Mar 10 12:00:01 web-1 sshd[",
        "2026-03-10T12:00:01Z",
        "jane@acme.io",
        "6312f41c-b618-4378-917a-13603c992041",
        "é",
        ",",
        "=",
        "Failed password for invalid user eve from ",
        "token=ab12cd34ef56ab12cd34",
        "",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_scan_cuts_like_the_python_split_and_joins_back(text):
    data = text.encode()
    scan = FINDER.scan(data)
    assert scan is not None
    pieces = FINDER.split(data)
    assert scan.pieces.to_pylist() == pieces
    assert [scan.uniques[i] for i in scan.index] == pieces[1::2]
    assert scan.join(list(scan.uniques)) == data
    assert scan.join([b"<" + u + b">" for u in scan.uniques]) == b"".join(
        p if i % 2 == 0 else b"<" + p + b">" for i, p in enumerate(pieces)
    )


def test_chunks_with_marker_bytes_are_left_to_the_python_path():
    assert FINDER.scan(b"a " + START + b" 10.1.2.3") is None
    assert FINDER.scan(b"a " + END + b" 10.1.2.3") is None
    assert FINDER.split(b"a " + START + b" 10.1.2.3")[1] == b"10.1.2.3"


def _scrubbed_both_ways(data: bytes, shift: timedelta | None):
    by_scan, by_split = (Scrubber(secret=b"k", shift=shift, stateful=Pseudonymizer(b"k", Keep())) for _ in range(2))
    out_scan = by_scan.scrub_scan(by_scan.finder.scan(data))
    out_split = by_split.scrub_bytes(data)
    return (out_scan, by_scan.take_counts()), (out_split, by_split.take_counts())


def test_scan_and_split_scrub_alike_and_count_every_occurrence():
    line = (
        "2026-03-10T12:00:01Z INFO request_id=6312f41c-b618-4378-917a-13603c992041 user=bob client=10.1.2.3\n"
        "Mar 10 12:00:01 web-1 sshd[42]: Failed password for invalid user eve from 203.0.113.9 port 22\n"
    )
    data = (line * 3).encode()
    scan, split = _scrubbed_both_ways(data, timedelta(hours=-2))
    assert scan == split
    out, (replaced, kept, shifted) = scan
    assert b"bob" not in out and b"6312f41c" not in out
    # Three times each line: every occurrence counts, though each distinct value was looked at once.
    assert replaced["uuid"] == 3 and replaced["username"] == 6 and replaced["ipv4"] == 3
    assert kept["hostname"] == 3  # web-1 in the syslog header: a generic name, kept
    assert kept["ipv4"] == 3  # 203.0.113.9 is a documentation address
    assert shifted == 6  # the ISO and the syslog timestamp of each of the three pairs


def test_identical_timestamps_in_a_file_are_each_counted_as_shifted(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("2026-03-10T12:00:01Z started\n" * 5 + "Mar 10 12:00:01 web-1 cron[7]: ok\n" * 4)
    report = run([log], tmp_path / "out", shift=timedelta(days=-1), shift_text="-1d")
    assert report.timestamps_shifted == 9
    assert "2026-03-09T12:00:01Z started" in (tmp_path / "out" / "app.log").read_text()
