"""CSV files read by their headers: logs, spans, change records, metrics in long form (the
timestamp,service,metric,value that `dojo generate` writes) or wide (a time column, one column
per series, text columns such as a pod name saying whose row it is).

Quoting is read strictly: a stray quote that would swallow the rows after it stops the import
naming the line where the quote opened, rather than keeping a handful of rows and saying nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import datetime, timezone
from typing import Iterable, Iterator

from .readers import FileReport, FormatError, LogRecord, Point, Span, _cut, finite, json_record, level_of
from .structured import Change, change_records, json_object
from .timestamps import parse_value


class QuotingError(ValueError):
    """A CSV whose quoting cannot be read without losing rows; the whole import stops on it."""


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


TIME = ("timestamp", "time", "ts", "datetime", "date", "timeunixnano", "eventtime", "when", "at")
MESSAGE = ("log", "message", "msg", "content", "body", "line", "text")
LOG_ONLY = ("log", "msg", "content", "body", "line")
LEVEL = ("level", "severity", "loglevel", "lvl", "severitytext")
WHO = ("service", "servicename", "app", "application", "podname", "pod", "container", "containername", "host")
HOST = ("podname", "pod", "host", "hostname", "node", "instance")
TRACE = ("traceid", "trace")
SPAN = ("spanid", "span")
PARENT = ("parentid", "parentspanid", "parent", "parentspan")
START = ("starttime", "start", "starttimeunixnano", "startts", "begin")
END = ("endtime", "end", "endtimeunixnano", "endts", "finish")
DURATION = ("duration", "durationms", "durationus", "durationns", "elapsed")
OPERATION = ("operationname", "operation", "name", "spanname", "endpoint")
STATUS = ("status", "statuscode", "error", "iserror", "httpstatus")
STATUS_MESSAGE = ("statusmessage", "errormessage", "message", "error.message")
KIND_OR_VERSION = ("kind", "type", "change", "changetype", "action", "event", "version", "revision", "image", "commit")


def _col(header: list[str], names: tuple[str, ...]) -> int | None:
    normed = [_norm(h) for h in header]
    for name in names:
        if name in normed:
            return normed.index(name)
    return None


def rows(text: str | Iterable[str], rep: FileReport) -> Iterator[tuple[int, list[str]]]:
    """(line, row) of a CSV after its header, strictly quoted. A row that ran over several lines
    and still does not have the header's columns was swallowed by a stray quote."""
    reader = csv.reader(io.StringIO(text) if isinstance(text, str) else text, strict=True)
    end = 0
    width = None
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise QuotingError(
                f"line {start}: the CSV quoting cannot be read ({exc}); a field with a quote in it must be quoted "
                'whole with the quote doubled ("a ""b"" c"), or remove the stray quote'
            ) from None
        end = reader.line_num
        if width is None:
            width = len(row)
        elif end > start and len(row) != width:
            raise QuotingError(
                f"line {start}: a quote opened here runs over {end - start + 1} lines and swallows them as one field; "
                'quote the field whole with the quote doubled ("a ""b"" c"), or remove the stray quote'
            )
        if row:
            yield start, row


def kind_of(header: list[str], filename: str) -> str:
    """What a CSV holds, by its header (and, for a list of changes, its name)."""
    if _col(header, TRACE) is not None and _col(header, SPAN) is not None and _col(header, START) is not None:
        return "spans"
    normed = {_norm(h) for h in header}
    if {"metric", "value"} <= normed:
        return "long-metrics"
    has_time = _col(header, TIME) is not None
    low = filename.lower()
    if has_time and (
        any(w in low for w in ("deploy", "change", "release", "rollout"))
        or (_col(header, KIND_OR_VERSION) is not None and not normed & set(LOG_ONLY))
    ):
        return "changes"
    if has_time and normed & set(MESSAGE):
        return "logs"
    return "wide-metrics"


def read_csv(
    text: str | Iterable[str], service: str, year: int, rep: FileReport, filename: str = ""
) -> tuple[list[LogRecord], list[Point], list[Span], list[Change]]:
    it = rows(text, rep)
    first = next(it, None)
    if first is None:
        raise FormatError("the CSV file is empty")
    header = first[1]
    kind = kind_of(header, filename)
    logs: list[LogRecord] = []
    points: list[Point] = []
    spans: list[Span] = []
    changes: list[Change] = []
    if kind == "spans":
        spans = _spans(header, it, service, year, rep)
    elif kind == "long-metrics":
        points = _long(header, it, service, year, rep)
    elif kind == "changes":
        rep.format = "change records (CSV)"
        changes = change_records([dict(zip(header, r)) for _, r in it], service, year, rep, "rows")
    elif kind == "logs":
        logs = _logs(header, it, service, year, rep)
    else:
        points = _wide(header, it, service, year, rep)
    return logs, points, spans, changes


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def _width(row: list[str], header: list[str], rep: FileReport) -> bool:
    if len(row) != len(header):
        rep.skip(f"rows without the header's {len(header)} columns")
        return False
    return True


def _timed(header, it, t_i, year, rep) -> Iterator[tuple[datetime, list[str]]]:
    """The rows as wide as the header, with their time; the others counted as skipped."""
    for _, row in it:
        if not _width(row, header, rep):
            continue
        ts = parse_value(_cell(row, t_i), year)
        if ts is None:
            rep.skip("rows with no readable time")
            continue
        yield ts, row


def _logs(header, it, service, year, rep) -> list[LogRecord]:
    rep.format = "CSV logs (by header)"
    normed = [_norm(h) for h in header]
    t_i = _col(header, TIME)
    m_i = next(i for i, h in enumerate(normed) if h in MESSAGE)
    lv_i, who_i, host_i, tr_i = _col(header, LEVEL), _col(header, WHO), _col(header, HOST), _col(header, TRACE)
    out = []
    for ts, row in _timed(header, it, t_i, year, rep):
        msg = row[m_i]
        svc = _cell(row, who_i) or service
        host = _cell(row, host_i)
        rec = json_object(msg)
        if rec is not None:
            # A structured line inside the column (a JSON log): its level and message, the row's time.
            got = json_record({**rec, "ts": _cell(row, t_i)}, svc, year, rep)
            if got is None:
                continue
            got.ts, got.host = ts, got.host or host
            got.service = svc if who_i is not None else got.service
            got.trace_id = got.trace_id or _cell(row, tr_i)
            got.msg = _cut(got.msg, rep)
            out.append(got)
            continue
        level = level_of(_cell(row, lv_i) or None, msg) or "INFO"
        out.append(LogRecord(ts, level, svc, host, _cell(row, tr_i), _cut(msg, rep)))
    return out


def _long(header, it, service, year, rep) -> list[Point]:
    rep.format = "CSV metrics (timestamp, service, metric, value)"
    t_i, who_i = _col(header, TIME), _col(header, WHO)
    m_i, v_i = _col(header, ("metric",)), _col(header, ("value",))
    out = []
    for ts, row in _timed(header, it, t_i, year, rep):
        number = finite(_cell(row, v_i))
        if number is None:
            rep.skip("cells that are not numbers (NaN, Inf or text)")
            continue
        out.append(Point(ts, _cell(row, who_i) or service, _cell(row, m_i), number))
    return out


def _wide(header, it, service, year, rep) -> list[Point]:
    """A time column (by name, else the first), then one column per series named `metric`,
    `service:metric` or `service/metric`; a text column such as PodName says whose row it is."""
    rep.format = "CSV metrics (a time column, one column per series)"
    t_i = _col(header, TIME)
    t_i = 0 if t_i is None else t_i
    who_i = _col(header, WHO)
    buffered = list(itertools.islice(it, 50))  # enough to tell text columns from numbers
    text_cols = {who_i} if who_i is not None else set()
    for i in range(len(header)):
        if i == t_i or i in text_cols:
            continue
        sample = [r[i] for _, r in buffered if i < len(r) and r[i].strip()]
        if sample and all(finite(v) is None for v in sample):
            text_cols.add(i)
    if text_cols - {who_i}:
        rep.notes.append(
            f"text column(s) not read as metrics: {', '.join(header[i] for i in sorted(text_cols - {who_i}))}"
        )
    series = []
    for i, col in enumerate(header):
        if i == t_i or i in text_cols:
            continue
        svc, sep, metric = col.replace("/", ":").partition(":")
        series.append((i, svc if sep else None, metric if sep else col))
    out = []
    for _, row in itertools.chain(buffered, it):
        ts = parse_value(_cell(row, t_i), year)
        if ts is None:
            rep.skip("rows with no readable time")
            continue
        row_service = _cell(row, who_i) or service
        for i, svc, metric in series:
            cell = _cell(row, i)
            if cell == "":
                continue
            number = finite(cell)
            if number is None:
                rep.skip("cells that are not numbers (NaN, Inf or text)")
                continue
            out.append(Point(ts, svc or row_service, metric, number))
    return out


def _ns(value: str, year: int) -> int | None:
    """Nanoseconds since the epoch from ISO text or epoch seconds/ms/us/ns."""
    if re.fullmatch(r"\d{16,19}", value):
        n = int(value)
        return n if n > 1e17 else n * 1000
    ts = parse_value(value, year)
    if ts is None:
        return None
    return int((ts - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1e6) * 1000


_DURATION_NS = {"durationms": 10**6, "durationus": 10**3, "durationns": 1}


def _spans(header, it, service, year, rep) -> list[Span]:
    rep.format = "CSV spans (by header)"
    tr, sp, pa = _col(header, TRACE), _col(header, SPAN), _col(header, PARENT)
    st, en, du = _col(header, START), _col(header, END), _col(header, DURATION)
    who, op = _col(header, WHO), _col(header, OPERATION)
    status_i, msg_i = _col(header, STATUS), _col(header, STATUS_MESSAGE)
    unit = _DURATION_NS.get(_norm(header[du]), 0) if du is not None else 0
    out = []
    for _, row in it:
        if not _width(row, header, rep):
            continue
        begin = _ns(_cell(row, st), year)
        if begin is None:
            rep.skip("spans with no readable start")
            continue
        end = _ns(_cell(row, en), year) if en is not None else None
        if end is None and du is not None:
            length = finite(_cell(row, du))
            if length is not None:
                # A bare "duration" is in the start column's unit when that is a number, else ms.
                raw = _cell(row, st)
                per = unit or (
                    1
                    if re.fullmatch(r"\d{19}", raw)
                    else 1000
                    if re.fullmatch(r"\d{16}", raw)
                    else 10**6
                    if re.fullmatch(r"\d{13}|\d{10}(\.\d+)?", raw)
                    else 10**6
                )
                end = begin + int(length * per)
        if end is None:
            rep.skip("spans with no readable end or duration")
            continue
        status = _cell(row, status_i).lower()
        if status.isdigit() and len(status) == 3:
            error = int(status) >= 500  # an HTTP status
        elif status_i is not None and _norm(header[status_i]) in ("error", "iserror"):
            error = status in ("1", "true", "yes")
        else:
            error = status in ("error", "2", "status_code_error", "true")
        out.append(
            Span(
                _cell(row, tr),
                _cell(row, sp),
                "" if _cell(row, pa) in ("", "0", "-", "0000000000000000", "root") else _cell(row, pa),
                _cell(row, who) or service,
                _cell(row, op),
                begin,
                end,
                error,
                _cell(row, msg_i) if error else "",
            )
        )
    return out
