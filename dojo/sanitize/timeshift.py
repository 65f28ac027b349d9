"""--shift: move every recognised timestamp by one duration, keeping how it was written.

Real incidents carry their date, which can identify them; shifting keeps every interval intact
(what matters for debugging) while the calendar moves. Texts keep their exact format (separator,
fraction digits, zone, the space-padded syslog day); epoch numbers keep their unit and type.

Shifting is on the hot path (a timestamp per line), so when the shift is a whole number of
minutes (the usual -3d, 2h) only the date-to-minute prefix changes and it is cached: lines in the
same minute cost one dictionary look-up.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_DURATION = re.compile(r"([+-])?((?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+)\Z")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUM = {m: i + 1 for i, m in enumerate(MONTHS)}

_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d)(?::(\d\d)(?:([.,])(\d{1,9}))?)?(.*)\Z")
_NGINX = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d)( .*)\Z")
_SYSLOG = re.compile(r"([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)\Z")
_SYSLOG_YEAR = 2024  # syslog has no year; a leap year so that Feb 29 exists

# Plausible epoch ranges (about 1973 to 2286) by unit; anything else is not a timestamp.
_EPOCH_UNITS = ((1e8, 1e10, 1), (1e11, 1e13, 10**3), (1e14, 1e16, 10**6), (1e17, 1e19, 10**9))


class ShiftError(ValueError):
    pass


def parse_shift(text: str) -> timedelta:
    """'-3d', '2h', '+1h30m', '-90s' -> timedelta."""
    m = _DURATION.match(text.strip().replace(" ", ""))
    if not m:
        raise ShiftError(f"--shift {text!r} is not a duration; write -3d, 2h or +1h30m")
    seconds = sum(float(n) * _UNIT_S[u] for n, u in _PART.findall(m.group(2)))
    return timedelta(seconds=-seconds if m.group(1) == "-" else seconds)


class TimeShifter:
    def __init__(self, delta: timedelta) -> None:
        self.delta = delta
        self.whole_minutes = delta % timedelta(minutes=1) == timedelta(0)
        self._prefix: dict[str, str] = {}
        self.shifted = 0

    def shift_text(self, ts: str) -> str:
        """Shift one timestamp found in text (ISO 8601, nginx, or syslog), and count it."""
        self.shifted += 1
        return self.shift(ts)

    def shift(self, ts: str) -> str:
        """shift_text without the count, for callers that count occurrences themselves."""
        first = ts[0]
        if first.isalpha():
            cut = 12  # "Mar 10 14:03"
            build = self._syslog
        elif ts[2] == "/":
            cut = 17  # "10/Mar/2026:14:03"
            build = self._nginx
        else:
            cut = 16  # "2026-03-10T14:03"
            build = self._iso
        if self.whole_minutes and len(ts) >= cut:
            head = ts[:cut]
            new = self._prefix.get(head)
            if new is None:
                if len(self._prefix) > 100_000:
                    self._prefix.clear()
                new = self._prefix[head] = build(head + ts[cut:])[:cut]
            return new + ts[cut:]
        return build(ts)

    def _iso(self, ts: str) -> str:
        m = _ISO.match(ts)
        if not m:
            return ts
        y, mo, d, sep, h, mi, s, fsep, frac, tail = m.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        try:
            t = datetime(int(y), int(mo), int(d), int(h), int(mi), min(int(s or 0), 59), micro) + self.delta
        except ValueError:
            return ts
        out = f"{t.year:04d}-{t.month:02d}-{t.day:02d}{sep}{t.hour:02d}:{t.minute:02d}"
        if s is not None:
            out += f":{t.second:02d}" if s != "60" else ":60"
            if frac is not None:
                digits = f"{t.microsecond:06d}"
                out += fsep + (digits[: len(frac)] if len(frac) <= 6 else digits + frac[6:])
        return out + tail

    def _nginx(self, ts: str) -> str:
        m = _NGINX.match(ts)
        if not m or m.group(2) not in _MONTH_NUM:
            return ts
        d, mon, y, h, mi, s, tail = m.groups()
        try:
            t = datetime(int(y), _MONTH_NUM[mon], int(d), int(h), int(mi), min(int(s), 59)) + self.delta
        except ValueError:
            return ts
        return f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year:04d}:{t.hour:02d}:{t.minute:02d}:{t.second:02d}{tail}"

    def _syslog(self, ts: str) -> str:
        m = _SYSLOG.match(ts)
        if not m or m.group(1) not in _MONTH_NUM:
            return ts
        mon, d, h, mi, s = m.groups()
        try:
            t = datetime(_SYSLOG_YEAR, _MONTH_NUM[mon], int(d), int(h), int(mi), min(int(s), 59)) + self.delta
        except ValueError:
            return ts
        return f"{MONTHS[t.month - 1]} {t.day:>2} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"

    def shift_epoch(self, value: object) -> object:
        """Shift an epoch number (int, float or numeric string) if it is one; else None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            text = value.strip()
            if not text or not text.replace(".", "", 1).isdigit():
                return None
            number = float(text) if "." in text else int(text)
        elif isinstance(value, (int, float)):
            number = value
        else:
            return None
        per_second = next((unit for low, high, unit in _EPOCH_UNITS if low <= number < high), None)
        if per_second is None:
            return None
        self.shifted += 1
        if isinstance(number, int):
            # Integer arithmetic: nanosecond epochs do not fit a float exactly.
            delta = self.delta.days * 86400 * per_second + self.delta.seconds * per_second
            delta += self.delta.microseconds * per_second // 10**6
            shifted: object = number + delta
        else:
            shifted = number + self.delta.total_seconds() * per_second
        if isinstance(value, str):
            if isinstance(shifted, float):
                decimals = len(text.split(".", 1)[1])
                return f"{shifted:.{decimals}f}"
            return str(shifted)
        return shifted
