"""Durations as scenario authors write them: 90s, 10m, 1h30m, 2h, or a bare number of seconds."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

# A JSON Schema pattern for the string form, so editors accept what parse_duration accepts.
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$"

# Spellings people reach for first ("10 minutes", "2 hrs"), mapped to the unit we want, so an
# error can say exactly what to write instead.
_UNIT_WORDS = {
    "ms": "ms", "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
}  # fmt: skip
_WORD_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_FILLER = re.compile(r"[\s,]+|\band\b")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{2})$")


class DurationError(ValueError):
    pass


def _fail(value: object) -> DurationError:
    hint = suggest_duration(value) if isinstance(value, str) else None
    return DurationError(f"{value!r} is not a duration; write {hint or '90s, 10m or 1h30m'}")


def parse_duration(value: object) -> float:
    """Seconds from '90s', '10m', '1h30m', '250ms' or a number of seconds."""
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration; write 90s, 10m or 1h30m")
    if isinstance(value, (int, float)):
        if value < 0 or not math.isfinite(value):
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
        raise _fail(value)
    return total


def suggest_duration(text: str) -> str | None:
    """What the author probably meant, in our syntax: '10 minutes' -> '10m', '1:30' -> '1m30s'."""
    low = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", low):
        return f"{low}s"
    clock = _CLOCK.match(low)
    if clock:
        h, m, s = (int(g or 0) for g in clock.groups())
        return format_duration(h * 3600 + m * 60 + s)
    parts, pos = [], 0
    for word in _WORD_PART.finditer(low):
        if _FILLER.sub("", low[pos : word.start()]):
            return None
        unit = _UNIT_WORDS.get(word.group(2))
        if unit is None:
            return None
        parts.append(word.group(1) + unit)
        pos = word.end()
    if not parts or _FILLER.sub("", low[pos:]):
        return None
    return "".join(parts)


def format_duration(seconds: float) -> str:
    """The inverse of parse_duration, for messages: 5430 -> '1h30m30s'."""
    if 0 < seconds < 1:
        return f"{round(seconds * 1000)}ms"
    seconds = round(seconds)
    if seconds == 0:
        return "0s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v)
