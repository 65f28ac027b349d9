"""CSV rows scrubbed in place read back as the csv module's path writes them, with the same counts."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dojo.sanitize import formats
from dojo.sanitize.keep import Keep
from dojo.sanitize.pseudonyms import Pseudonymizer
from dojo.sanitize.scrubber import Scrubber

from .conftest import run

COLUMNS = ["timestamp", "user", "host", "password", "message", "client", "level", "remote_user", "note"]
CELLS = [
    "bob77",
    "root",
    "-",
    "",
    "web-1",
    "db-prod-7.corp.internal",
    "10.1.2.3",
    "jane@acme.io",
    "6312f41c-b618-4378-917a-13603c992041",
    "hunter2",
    "Bearer abcdef1234567890",
    "checkout ok",
    "Failed password for invalid user eve from 10.0.0.5 port 22 ssh2",
    "Mar 10 12:00:01 db-prod-7 sshd[42]: session opened for user carol",
    'say "hi" to bob@acme.io, then 10.9.8.7',
    "a,b",
    "x",
    "caf\u00e9 user=dave",
    "2026-03-10T12:00:01Z",
]


def _context(text: str, s: Scrubber) -> formats.CsvContext:
    return formats.csv_context(s, __import__("pathlib").Path("t.csv"), text.encode())


@st.composite
def tables(draw) -> str:
    cols = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(cols)
    for _ in range(draw(st.integers(1, 12))):
        width = len(cols) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        row = [draw(st.sampled_from(CELLS)) for _ in range(max(width, 1))]
        if draw(st.integers(0, 9)) == 0:
            writer.writerow(row)
            out.write(draw(st.sampled_from(['odd "quote here\n', "\n", '"multi\nline",x\n', 'a,"b"c\n'])))
        else:
            writer.writerow(row)
    return out.getvalue()


def _scrubber() -> Scrubber:
    return Scrubber(secret=b"k", stateful=Pseudonymizer(b"k", Keep()))


@settings(max_examples=200, deadline=None)
@given(tables())
@example('user,host,message\nbob77,db-prod-7,"from 10.1.2.3, ok"\n')
def test_rows_scrubbed_in_place_read_as_the_csv_path_writes_them(text):
    fast, slow = _scrubber(), _scrubber()
    ctx = _context(text, fast)
    chunk = text.encode()
    by_flat = formats.csv_chunk(fast, chunk, ctx)
    by_module = formats._csv_parsed(slow, chunk, ctx)

    def rows(data: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(data.decode(), newline="")))

    assert rows(by_flat.data) == rows(by_module.data)
    assert by_flat.lines == by_module.lines
    assert fast.take_counts() == slow.take_counts()


@pytest.mark.slow
def test_a_big_csv_through_the_flat_way_leaks_nothing(tmp_path, catalog):
    from .conftest import leaks

    users, ips = catalog.originals()["users"], catalog.originals()["ipv4_public"]
    src = tmp_path / "logins.csv"
    with open(src, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["n", "user", "message"])
        for i in range(60_000):
            writer.writerow([i, users[i % len(users)], f"login from {ips[i % 7]}" + (', "ok"' if i % 2 else "")])
    report = run([src], tmp_path / "out")
    out = (tmp_path / "out" / "logins.csv").read_text()
    assert not leaks(out, catalog)
    assert report.replaced["username"] == 60_000 and report.replaced["ipv4"] == 60_000
    assert [r[0] for r in csv.reader(io.StringIO(out))][1:] == [str(i) for i in range(60_000)]
