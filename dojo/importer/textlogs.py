"""Plain-text logs read a block of lines at a time.

Per-line Python work was most of an import's time (about 15 us a line). Each block of lines is
matched with Arrow's regular expressions (RE2) over the whole block: the timestamp of the
file's convention (or of ISO 8601, Apache/nginx or syslog at a line's head, for a file of
mixed logs), the level word, an access log's status. Lines that block-wise rules cannot read
exactly as the per-line reader would (not printable ASCII, indented, a syslog <PRI>, a
timestamp deep in the line, an odd date, a continuation of the record above) go through the
per-line reader, `_one_line`, which stays the reference: a test holds the two to the same
records.
"""

from __future__ import annotations

import itertools
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.vocabulary import LEVELS

from .logtable import COLUMNS, Logs, table_of
from .readers import (
    _ELB,
    _HOST_FIRST,
    _HTTP_STATUS,
    _LEVEL_MAP,
    _LEVEL_WORDS,
    _PRI,
    _SYSLOG_SEVERITY,
    MAX_MESSAGE,
    NEAR_START,
    SEARCH_TO,
    FileReport,
    LogRecord,
    _cut,
    _inside_continuation,
    _other_convention,
    find_level,
    normalize_level,
)
from .timestamps import CONVENTIONS, Convention, sniff

BLOCK_LINES = 8_192  # lines matched at a time: big enough to amortize, small enough to keep memory flat

_RE2_STAMP = {
    "ISO 8601": (
        r"(?P<Y>\d{4})-(?P<M>\d{2})-(?P<D>\d{2})[T ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
        r"(?:[.,](?P<f>\d+))?(?P<tz>Z|[+-]\d{2}:?\d{2})?"
    ),
    "Apache/nginx": (
        r"\[(?P<D>\d{2})/(?P<Mon>[A-Za-z]{3})/(?P<Y>\d{4}):(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2}) "
        r"(?P<tz>[+-]\d{4})\]"
    ),
    "syslog": r"(?P<Mon>[A-Z][a-z]{2}) {1,2}(?P<D>\d{1,2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})\b",
}
FAST = tuple(c for c in CONVENTIONS if c.name in _RE2_STAMP)
_ANCHORED = {"syslog"}  # its pattern is anchored at the line's start
# Printable ASCII (and tabs), not starting with a blank or "<" (a syslog priority): the lines whose
# matching is the same in RE2 as in Python's re, and which cannot continue the record above.
_ELIGIBLE = r"^[\x21-\x3b\x3d-\x7e][\t\x20-\x7e]*$"
_MONTH_NAMES = pa.array(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
_WORDS = pa.array(list(_LEVEL_WORDS), pa.string())
_WORD_LEVEL = pa.array(
    [_LEVEL_MAP.get(w, w) if _LEVEL_MAP.get(w, w) in LEVELS else "INFO" for w in _LEVEL_WORDS], pa.string()
)
_LEVEL_SEARCH = r"^(?P<before>(?:.*?[^A-Z0-9_])?)(?P<w>" + "|".join(_LEVEL_WORDS) + r")(?:[^A-Z0-9_]|$)"
_STRIP = " -|[]:"


def plain_logs(text: str | Iterable[str], service: str, year: int, rep: FileReport, *, blockwise: bool = True) -> Logs:
    """Records of a plain-text log: a whole text, or a stream of lines (with their ends).
    `blockwise=False` reads every line with the per-line reader (the reference)."""
    lines: Iterable[str] = text.splitlines() if isinstance(text, str) else text
    it = iter(lines)
    head = list(itertools.islice(it, 500))
    conv = sniff([s for s in (ln.rstrip("\r\n") for ln in head) if s.strip()])
    out = Logs()
    if conv is None:
        rep.skip(
            "lines with no timestamp anywhere in the file", sum(1 for ln in itertools.chain(head, it) if ln.strip())
        )
        rep.notes.append(
            "no timestamps found: expected ISO 8601, syslog, Apache/nginx access or error, BGL, HDFS or epoch "
            "seconds/ms"
        )
        return out
    rep.format = f"plain text log ({conv.name} timestamps)"
    reader = _Reader(conv, service, year, rep, out, blockwise and conv in FAST)
    rest = iter(lambda: list(itertools.islice(it, BLOCK_LINES)), [])
    for block in itertools.chain([head], rest):
        if block:
            reader.block(block)
    if reader.elb:
        rep.format = "ALB/ELB access log (ISO 8601 timestamps)"
    return out


class _Reader:
    def __init__(self, conv: Convention, service: str, year: int, rep: FileReport, out: Logs, fast: bool) -> None:
        self.conv, self.service, self.year, self.rep, self.out, self.fast = conv, service, year, rep, out, fast
        self.elb = False

    def block(self, raw: list[str]) -> None:
        if not self.fast:
            self._slow([ln.rstrip("\r\n") for ln in raw])
            return
        lines = pc.utf8_rtrim(pa.array(raw, pa.string()), characters="\r\n")
        table, index = _fast_block(lines, self.conv, self.year, self.service)
        if table.num_rows == len(raw):
            self._elb_seen(table)
            self.out.add_table(table.drop_columns(["elb"]))
            return
        # Some lines need the per-line reader: walk them in order beside the block-wise records,
        # so a continuation line joins whichever record is above it.
        slow_at = np.setdiff1d(np.arange(len(raw)), index, assume_unique=True)
        msgs: dict[int, str] = {}  # fast record (by its row) -> its message, grown by continuations
        slow_records: list[tuple[int, LogRecord]] = []
        before = len(self.out)
        for i in slow_at:
            i = int(i)
            k = int(np.searchsorted(index, i))  # fast records above this line
            last_fast = index[k - 1] if k else -1
            last_slow = slow_records[-1][0] if slow_records else -1
            have_prev = k > 0 or bool(slow_records) or before > 0
            got = _one_line(raw[i].rstrip("\r\n"), self.conv, self.year, self.service, have_prev, self.rep)
            if isinstance(got, tuple):
                slow_records.append((i, got[0]))
                self.elb = self.elb or got[1]
            elif got == "continue":
                extra = " | " + raw[i].strip()
                if last_slow > last_fast:
                    rec = slow_records[-1][1]
                    rec.msg = _cut(rec.msg + extra, self.rep)
                elif last_fast >= 0:
                    row = k - 1
                    msgs[row] = _cut(msgs.get(row, table.column("msg")[row].as_py()) + extra, self.rep)
                else:
                    self.out.set_last_message(_cut((self.out.last_message() or "") + extra, self.rep))
        self._elb_seen(table)
        table = table.drop_columns(["elb"])
        if msgs:
            column = table.column("msg").to_pylist()
            for row, msg in msgs.items():
                column[row] = msg
            table = table.set_column(COLUMNS.index("msg"), "msg", pa.array(column, pa.string()))
        if not slow_records:
            self.out.add_table(table)
            return
        slow = table_of([r for _, r in slow_records])
        merged = pa.concat_tables([table, slow])
        order = np.argsort(np.concatenate([index, np.array([i for i, _ in slow_records])]), kind="stable")
        self.out.add_table(merged.take(pa.array(order)))

    def _elb_seen(self, table: pa.Table) -> None:
        if not self.elb and pc.any(table.column("elb")).as_py():
            self.elb = True

    def _slow(self, lines: list[str]) -> None:
        for line in lines:
            got = _one_line(line, self.conv, self.year, self.service, len(self.out) > 0, self.rep)
            if isinstance(got, tuple):
                self.elb = self.elb or got[1]
                self.out.append(got[0])
            elif got == "continue":
                self.out.set_last_message(_cut((self.out.last_message() or "") + " | " + line.strip(), self.rep))


def _one_line(line: str, conv: Convention, year: int, service: str, have_prev: bool, rep: FileReport):
    """The per-line reader: (a LogRecord, whether the line is an ALB/ELB access log's), "continue"
    (the line continues the record above), or None (skipped and counted)."""
    if not line.strip():
        return None
    line_conv = conv
    # Most lines start with their stamp: an anchored match costs a fiftieth of a search.
    m = conv.pattern.match(line) or conv.pattern.search(line, 0, SEARCH_TO)
    if m is not None and m.start() > NEAR_START:
        # Deep in the line: another convention's stamp at its head is the record's time (a
        # user agent or a message may quote a date further on).
        other, om = _other_convention(line, conv)
        if om is not None:
            line_conv, m = other, om
    if m is not None and line_conv is conv and have_prev and _inside_continuation(line, m):
        m = None
    elif m is None:
        line_conv, m = _other_convention(line, conv)
    ts = line_conv.parse(m, year) if m else None
    if ts is None:
        if have_prev and m is None:
            # A line without a timestamp continues the record above (a stack trace, a dump).
            rep.skip("continuation lines joined to the line above")
            return "continue"
        rep.skip("lines before the first timestamp, or with an unreadable one")
        return None
    assert m is not None  # a time was parsed from it
    rest = (line[: m.start()] + line[m.end() :]).strip(_STRIP)
    level_at = find_level(rest)
    level = normalize_level(level_at[2]) if level_at else "INFO"
    if level_at and level_at[0] == 0:
        rest = rest[level_at[1] :].lstrip(_STRIP)  # the record's level column says it already
    code = None
    elb = False
    if line_conv.name == "Apache/nginx":
        status = _HTTP_STATUS.search(line)
        code = status.group(1) if status else None
    elif line_conv.name == "ISO 8601" and line[:1] in "hgw0123456789":
        got = _ELB.match(line)
        code = got.group(1) if got and got.group(1) != "-" else got.group(2) if got else None
        elb = got is not None
    if code and code.isdigit():
        level = "ERROR" if int(code) >= 500 else "WARN" if int(code) >= 400 else "INFO"
    host = ""
    pri = _PRI.match(line)
    if pri:
        level = _SYSLOG_SEVERITY[int(pri.group(1)) % 8]
        rest = _PRI.sub("", rest)
        if line_conv.name == "ISO 8601":  # RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID ...
            host, _, rest = rest.strip().partition(" ")
    if line_conv.name in _HOST_FIRST:
        host, _, rest = rest.partition(" ")
    return LogRecord(ts, level, service, "" if host == "-" else host, "", _cut(rest, rep)), elb


# ---- block-wise reading ---------------------------------------------------------------------

_ELB_RE2 = (
    r"^(?:(?:https?|h2|grpcs?|wss?) )?\d{4}-\d{2}-\d{2}T\S+Z \S+ \S+ \S+ "
    r"-?[\d.]+ -?[\d.]+ -?[\d.]+ (?P<a>\d{3}|-) (?P<b>\d{3}|-) "
)
_ANY_LEVEL = r"(?:^|[^A-Z0-9_])(?:" + "|".join(_LEVEL_WORDS) + r")(?:[^A-Z0-9_]|$)"
_FIRST_LEVEL = r"(?P<b>^|[^A-Z0-9_])(?P<w>" + "|".join(_LEVEL_WORDS) + r")(?:[^A-Z0-9_]|$)"


def _np(arr) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _ints(arr: pa.Array) -> np.ndarray:
    """Digits (or null, or "") as int64, 0 where there are none."""
    arr = pc.if_else(pc.equal(arr, ""), "0", arr)
    return _np(pc.cast(arr, pa.int64()).fill_null(0))


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _stamp_micros(name: str, got: pa.StructArray, year: int) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds since the epoch, valid) of the timestamps one convention's pattern matched;
    not valid where the per-line reader would refuse the date (or might read it otherwise)."""
    field = got.field
    y = np.full(len(got), year, dtype=np.int64) if name == "syslog" else _ints(field("Y"))
    if name == "ISO 8601":
        mo = _ints(field("M"))
    else:
        found = pc.index_in(pc.ascii_lower(field("Mon")), value_set=_MONTH_NAMES)
        mo = _np(found.fill_null(-1)).astype(np.int64) + 1
    d, h, mi, s = (_ints(field(k)) for k in ("D", "h", "mi", "s"))
    valid = (y >= 1900) & (y <= 2200) & (mo >= 1) & (mo <= 12) & (d >= 1) & (h < 24) & (mi < 60) & (s < 60)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    valid &= d <= _MONTH_DAYS[np.clip(mo, 0, 12)] + ((mo == 2) & leap)
    us = (_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1_000_000
    if name == "ISO 8601":
        us += _ints(pc.utf8_rpad(pc.utf8_slice_codeunits(field("f").fill_null(""), 0, 6), width=6, padding="0"))
    if name != "syslog":
        tz = pc.replace_substring(field("tz").fill_null(""), ":", "")
        sign = np.where(_np(pc.starts_with(tz, "-")), -1, 1)
        th, tm = _ints(pc.utf8_slice_codeunits(tz, 1, 3)), _ints(pc.utf8_slice_codeunits(tz, 3, 5))
        valid &= (th < 24) & (tm < 60)
        us -= sign * (th * 3600 + tm * 60) * 1_000_000
    return us, valid


def _drop(arr: pa.Array, start: np.ndarray, stop: np.ndarray) -> pa.Array:
    """Each string without its bytes [start, stop) (per row; start == stop keeps it whole), by
    moving the bytes and offsets in numpy: Arrow's slicing takes one start for the whole array."""
    arr = pa.concat_arrays([arr.cast(pa.string())]) if arr.offset else arr.cast(pa.string())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1).astype(np.int64)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(0, np.uint8)
    first, last = offsets[0], offsets[-1]
    base = offsets[:-1] - first
    size = int(last - first)
    # +1 where a dropped range starts, -1 where it stops: the running sum is 1 inside one. Empty
    # ranges are left out, so no two rows mark the same byte.
    some = stop > start
    mark = np.zeros(size + 1, dtype=np.int8)
    mark[(base + start)[some]] += 1
    mark[(base + stop)[some]] -= 1
    keep = np.cumsum(mark[:size], dtype=np.int8) == 0
    lengths = np.diff(offsets) - (stop - start)
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(new_offsets), pa.py_buffer(data[first:last][keep]))


def _fast_block(lines: pa.Array, conv: Convention, year: int, service: str) -> tuple[pa.Table, np.ndarray]:
    """The lines of a block that block-wise rules read exactly as `_one_line` would, as a table
    (with an `elb` column), and their indices in the block, in order."""
    n = len(lines)
    open_ = _np(pc.match_substring_regex(lines, _ELIGIBLE))
    open_ &= _np(pc.less_equal(pc.binary_length(lines), MAX_MESSAGE))
    tables, indices = [], []
    # The file's own convention first, then the others at a line's head, in the per-line reader's
    # order: each takes the open lines where its stamp is near the start.
    for c in [conv, *(c for c in FAST if c is not conv)]:
        at = np.flatnonzero(open_)
        if not len(at):
            break
        part = lines if len(at) == n else lines.filter(pa.array(open_))
        stamp = _RE2_STAMP[c.name]
        anchored = c.name in _ANCHORED
        pos = _np(pc.find_substring_regex(part, ("^" if anchored else "") + stamp))
        mine = (pos >= 0) & (pos <= NEAR_START)
        if not mine.any():
            continue
        # Lines decided by this convention; those that block-wise rules cannot read exactly are
        # left to the per-line reader (a stamp that runs past its bounded search, an odd date).
        open_[at[mine]] = False
        at, pos, part = at[mine], pos[mine], part.filter(pa.array(mine))
        got = pc.extract_regex(part, f"(?P<stamp>{stamp})")
        length = _np(pc.binary_length(got.field("stamp")))
        us, ok = _stamp_micros(c.name, got, year)
        if not anchored:
            ok &= pos + length <= (SEARCH_TO if c is conv else NEAR_START + 40)
        rest = _drop(part, pos, pos + length)
        rest = pc.utf8_trim(rest, characters=_STRIP)
        # A record that starts with a tab after its stamp: the per-line reader's level cut is odd there.
        ok &= ~_np(pc.starts_with(rest, "\t"))
        if not ok.all():
            keep = pa.array(ok)
            at, us, part, rest = at[ok], us[ok], part.filter(keep), rest.filter(keep)
        if len(at):
            tables.append(_build(c, part, rest, us, service))
            indices.append(at)
    if not tables:
        return _build(conv, pa.array([], pa.string()), pa.array([], pa.string()), np.zeros(0, np.int64), ""), np.zeros(
            0, np.int64
        )
    index = np.concatenate(indices)
    table = pa.concat_tables(tables)
    if len(tables) > 1:
        order = np.argsort(index, kind="stable")
        index, table = index[order], table.take(pa.array(order))
    return table, index


def _build(conv: Convention, lines: pa.Array, rest: pa.Array, us: np.ndarray, service: str) -> pa.Table:
    """The records of lines whose timestamp was read: level, host and message as `_one_line` gives them."""
    n = len(lines)
    # The level: the record's first word when it is one, else the first level word in its head.
    token = pc.extract_regex(pc.utf8_slice_codeunits(rest, 0, 12), r"^[\t ]*(?P<t>[^\t ]+)").field("t")
    word = pc.ascii_upper(pc.utf8_rtrim(token, characters="]:|,"))
    at_head = _np(pc.is_in(word, value_set=_WORDS).fill_null(False))
    level_word = pc.if_else(pa.array(at_head), word, pa.nulls(n, pa.string()))
    cut = np.where(at_head, _np(pc.binary_length(word).fill_null(0)), 0)
    up = pc.ascii_upper(pc.utf8_slice_codeunits(rest, 0, 160))
    search = ~at_head & _np(pc.match_substring_regex(up, _ANY_LEVEL))
    if search.any():
        where = np.flatnonzero(search)
        found = pc.extract_regex(up.filter(pa.array(search)), _FIRST_LEVEL)
        w = found.field("w")
        words = level_word.to_pylist()
        for i, value in zip(where, w.to_pylist()):
            words[i] = value
        level_word = pa.array(words, pa.string())
        at_start = _np(pc.equal(found.field("b"), ""))
        cut[where[at_start]] = _np(pc.binary_length(w))[at_start]
    level = pc.take(_WORD_LEVEL, pc.index_in(level_word, value_set=_WORDS)).fill_null("INFO")
    if cut.any():
        # A level in the record's first column is cut from its message.
        rest = _drop(rest, np.zeros(n, np.int64), cut)
        rest = pc.if_else(pa.array(cut > 0), pc.utf8_ltrim(rest, characters=_STRIP), rest)
    # An access log's status code says the level.
    code = None
    elb = np.zeros(n, dtype=bool)
    if conv.name == "Apache/nginx":
        code = pc.extract_regex(lines, _HTTP_STATUS.pattern.replace("(", "(?P<c>", 1)).field("c")
    elif conv.name == "ISO 8601":
        maybe = pc.is_in(pc.utf8_slice_codeunits(lines, 0, 1), value_set=pa.array(list("hgw0123456789")))
        if pc.any(maybe).as_py():
            got = pc.extract_regex(lines, _ELB_RE2)
            hit = pc.and_(maybe, pc.is_valid(got))
            elb = _np(hit)
            code = pc.if_else(hit, pc.if_else(pc.not_equal(got.field("a"), "-"), got.field("a"), got.field("b")), None)
    if code is not None:
        digits = pc.match_substring_regex(code, r"^\d{3}$").fill_null(False)
        number = pc.cast(pc.if_else(digits, code, "0"), pa.int64())
        by_code = pc.if_else(
            pc.greater_equal(number, 500), "ERROR", pc.if_else(pc.greater_equal(number, 400), "WARN", "INFO")
        )
        level = pc.if_else(digits, by_code, level)
    empty = pa.array([""] * n, pa.string())
    host = empty
    if conv.name in _HOST_FIRST:
        # Syslog's host is the word after the stamp.
        space = _np(pc.find_substring(rest, " "))
        size = _np(pc.binary_length(rest))
        has = space >= 0
        host = _drop(rest, np.where(has, space, size), size)
        host = pc.if_else(pc.equal(host, "-"), "", host)
        rest = _drop(rest, np.zeros(n, np.int64), np.where(has, space + 1, size))
    return pa.table(
        {
            "ts": pa.array(us, pa.int64()),
            "level": level.cast(pa.string()),
            "service": pa.array([service] * n, pa.string()),
            "host": host,
            "trace_id": empty,
            "msg": rest,
            "elb": pa.array(elb),
        }
    )
