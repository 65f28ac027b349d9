"""Durations as scenario authors write them: 90s, 10m, 1h30m, 2h, or a bare number of seconds."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class DurationError(ValueError):
    pass


def parse_duration(value: object) -> float:
    """Seconds from '90s', '10m', '1h30m', '250ms' or a number of seconds."""
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration; write 90s, 10m or 1h30m")
    if isinstance(value, (int, float)):
        if value < 0 or value != value or value in (float("inf"),):
            raise DurationError(f"{value!r} is not a duration; write a positive value like 90s")
        return float(value)
    if not isinstance(value, str):
        raise DurationError(f"{type(value).__name__} is not a duration; write 90s, 10m or 1h30m")
    text = value.strip().replace(" ", "")
    if not text:
        raise DurationError("empty duration; write 90s, 10m or 1h30m")
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise DurationError(f"{value!r} is not a duration; write 90s, 10m or 1h30m")
    return total


def format_duration(seconds: float) -> str:
    """The inverse of parse_duration, for messages: 5430 -> '1h30m30s'."""
    seconds = round(seconds)
    if seconds == 0:
        return "0s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v)
