"""Timestamps as real logs write them: which convention a file uses, and each line's instant.

A file is sniffed once (the convention most of its first lines match), then every line is parsed
with that one pattern; a line without it continues the record above (a stack trace) or, at the
top of a file, is skipped and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}


@dataclass(frozen=True)
class Convention:
    name: str
    pattern: re.Pattern[str]
    parse: Callable[[re.Match[str], int], datetime | None]


def _iso(m: re.Match[str], year: int) -> datetime | None:
    text = m.group(1).replace(" ", "T").replace(",", ".")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _clf(m: re.Match[str], year: int) -> datetime | None:
    # 10/Mar/2026:14:03:12 +0000 by its fixed columns: strptime costs 18 us a line.
    text = m.group(1)
    month = _MONTHS.get(text[3:6].lower())
    try:
        if month is None:
            raise ValueError(text)
        sign = -1 if text[21] == "-" else 1
        offset = timedelta(hours=int(text[22:24]), minutes=int(text[24:26])) * sign
        local = datetime(int(text[7:11]), month, int(text[0:2]), int(text[12:14]), int(text[15:17]), int(text[18:20]))
    except (ValueError, IndexError):
        return None
    return (local - offset).replace(tzinfo=timezone.utc)


def _syslog(m: re.Match[str], year: int) -> datetime | None:
    month = _MONTHS.get(m.group(1).lower())
    if month is None:
        return None
    try:
        h, mi, s = (int(x) for x in m.group(3).split(":"))
        return datetime(year, month, int(m.group(2)), h, mi, s, tzinfo=timezone.utc)
    except ValueError:
        return None


def _epoch(m: re.Match[str], year: int) -> datetime | None:
    value = float(m.group(1))
    if value > 1e14:  # microseconds or nanoseconds
        value /= 1e6 if value < 1e17 else 1e9
    elif value > 1e11:  # milliseconds
        value /= 1e3
    try:
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=value)
    except OverflowError:
        return None


def _apache_error(m: re.Match[str], year: int) -> datetime | None:
    # Sun Dec 04 04:47:44 2005, or 2.4's Wed Oct 11 14:32:52.123456 2000 (local time, taken as UTC)
    _, mon, day, clock, yr = m.group(1).split()
    month = _MONTHS.get(mon.lower())
    try:
        h, mi, s = clock.split(":")
        if month is None:
            raise ValueError(mon)
        sec = float(s)
        return datetime(
            int(yr), month, int(day), int(h), int(mi), int(sec), round((sec % 1) * 1e6), tzinfo=timezone.utc
        )
    except ValueError:
        return None


def _hdfs(m: re.Match[str], year: int) -> datetime | None:
    # 081109 203615: yymmdd hhmmss
    d, t = m.group(1), m.group(2)
    try:
        return datetime(
            2000 + int(d[:2]), int(d[2:4]), int(d[4:6]), int(t[:2]), int(t[2:4]), int(t[4:6]), tzinfo=timezone.utc
        )
    except ValueError:
        return None


def _slashed(m: re.Match[str], year: int) -> datetime | None:
    # nginx's error log: 2026/03/10 14:03:12; Spark/Hadoop: 17/06/09 20:10:40 (two-digit year)
    date, clock = m.group(1).split(" ")
    y, mo, d = date.split("/")
    try:
        h, mi, s = (int(x) for x in clock.split(":"))
        return datetime(int(y) + (2000 if len(y) == 2 else 0), int(mo), int(d), h, mi, s, tzinfo=timezone.utc)
    except ValueError:
        return None


CONVENTIONS = (
    Convention(
        "ISO 8601", re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"), _iso
    ),
    Convention("Apache/nginx", re.compile(r"\[(\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]"), _clf),
    Convention("syslog", re.compile(r"^(?:<\d+>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2})\b"), _syslog),
    Convention("epoch", re.compile(r"^\s*\[?(\d{10}(?:\.\d+)?|\d{13}|\d{16}|\d{19})\b"), _epoch),
    Convention(
        "Apache error log",
        re.compile(r"^\[((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})\]"),
        _apache_error,
    ),
    # BGL and Thunderbird (loghub): an alert tag, then the epoch seconds in column 2 (the true
    # instant: the readable stamp further on is local time).
    Convention("BGL", re.compile(r"^\S+ (\d{10}) \d{4}\.\d{2}\.\d{2} "), _epoch),
    Convention("HDFS", re.compile(r"^(\d{6}) (\d{6})\b"), _hdfs),
    Convention("nginx error log", re.compile(r"^((?:\d{4}|\d{2})/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\b"), _slashed),
)


def sniff(lines: list[str]) -> Convention | None:
    """The convention most of these lines match, or None when none matches any."""
    best, hits = None, 0
    for conv in CONVENTIONS:
        n = sum(1 for line in lines if conv.pattern.search(line))
        if n > hits:
            best, hits = conv, n
    return best


def parse_value(value: object, year: int) -> datetime | None:
    """A timestamp held in a structured field: ISO text, or epoch seconds/ms/us/ns."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _epoch(re.match(r"(.*)", str(value)), year)  # type: ignore[arg-type]
    text = str(value).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return _epoch(re.match(r"(.*)", text), year)  # type: ignore[arg-type]
    for conv in CONVENTIONS[:3]:
        m = conv.pattern.search(text)
        if m:
            return conv.parse(m, year)
    return None


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
