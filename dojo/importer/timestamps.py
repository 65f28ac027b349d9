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


CONVENTIONS = (
    Convention(
        "ISO 8601", re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"), _iso
    ),
    Convention("Apache/nginx", re.compile(r"\[(\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]"), _clf),
    Convention("syslog", re.compile(r"^(?:<\d+>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2})\b"), _syslog),
    Convention("epoch", re.compile(r"^\s*\[?(\d{10}(?:\.\d+)?|\d{13}|\d{16}|\d{19})\b"), _epoch),
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
