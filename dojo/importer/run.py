"""`dojo import`: real incident files -> the signal files a scenario's `imports:` points at.

Inputs are sniffed (or told with --format), read into records, sorted by time, and written in the
formats `dojo generate` writes. Everything skipped is counted with its reason in the report.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from dojo.sanitize.readers import GZIP_ERRORS, DecompressionLimit, open_input, plain_name
from dojo.scenario.loader import max_import_bytes
from dojo.scenario.model import SIGNAL_KINDS

from . import structured
from .csvfiles import QuotingError, read_csv
from .logtable import Logs
from .readers import (
    FileReport,
    FormatError,
    Point,
    Span,
    jaeger_traces,
    json_logs,
    otlp_logs,
    otlp_metrics,
    otlp_traces,
    prometheus,
    sniff_document,
)
from .structured import Change
from .textlogs import plain_logs
from .timestamps import iso

# format -> (which records it yields, its reader); "csv" yields whatever its header says.
READERS: dict[str, tuple[str, Any]] = {
    "log": ("logs", plain_logs),
    "jsonl": ("logs", json_logs),
    "otlp-logs": ("logs", otlp_logs),
    "otlp-metrics": ("points", otlp_metrics),
    "prometheus": ("points", prometheus),
    "otlp-traces": ("spans", otlp_traces),
    "jaeger": ("spans", jaeger_traces),
    "prometheus-text": ("points", structured.prometheus_text),
}
# Readers of a parsed JSON document that need the year (for timestamps without one).
DOC_READERS: dict[str, tuple[str, Any]] = {
    "loki": ("logs", structured.loki),
    "cloudwatch": ("logs", structured.cloudwatch),
    "k8s-events": ("changes", structured.k8s_events),
    "changes": ("changes", structured.changes_json),
    "prometheus-remote": ("points", structured.prometheus_remote),
    "cloudtrail": ("logs+changes", structured.cloudtrail),
}
JSON_KINDS = ("otlp-logs", "otlp-metrics", "otlp-traces", "jaeger", "prometheus", *DOC_READERS)
FORMATS = ("auto", "log", "jsonl", "csv", *JSON_KINDS, "prometheus-text")


@dataclass
class ImportResult:
    logs: Logs = field(default_factory=Logs)
    points: list[Point] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)

    def time_range(self) -> tuple[datetime, datetime] | None:
        stamps = list(self.logs.time_range() or ()) + [p.ts for p in self.points]
        stamps += [datetime.fromtimestamp(s.start_ns / 1e9, tz=timezone.utc) for s in self.spans]
        stamps += [c.ts for c in self.changes]
        return (min(stamps), max(stamps)) if stamps else None


def _decode(raw: bytes, rep: FileReport) -> str:
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark is not part of the first record
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad = sum(1 for line in text.splitlines() if "\ufffd" in line)
        rep.notes.append(f"{bad} line(s) held bytes that are not UTF-8; they were replaced with U+FFFD")
        return text


_JSON_ARRAY_START = re.compile(r"^\[\s*(?:[{\[\"\]\d-]|true|false|null|$)")
_PROM_TEXT = re.compile(r"^(?:# (?:HELP|TYPE) [a-zA-Z_:][\w:]* |[a-zA-Z_:][\w:]*(?:\{[^}]*\})? \S+(?: -?\d+)?$)")


def _detect(path: Path, text: str, complete: bool = True) -> tuple[str, object | None]:
    """The format of a file from its head (`text`: the first megabyte, or all of it when
    `complete`). "document" means a JSON document, to be read whole and then told apart."""
    if path.suffix.lower() == ".csv":
        return "csv", None
    stripped = text.lstrip()
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    # "[" opens a JSON array, or an Apache error log's "[Sun Dec 04 04:47:44 2005]": JSON only when
    # what follows the bracket can start a JSON value.
    if stripped.startswith("{") or _json_array_head(first.strip()):
        try:
            one = json.loads(first)
        except (ValueError, RecursionError):
            one = None
        more = len([ln for ln in text.splitlines()[:3] if ln.strip()]) > 1
        if isinstance(one, dict) and more and not (sniff_document(one) or structured.sniff(one)):
            return "jsonl", None  # one object a line: read as a stream
        return "document", None
    head = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if head and sum(1 for ln in head if _PROM_TEXT.match(ln)) == len(head) and any(ln.startswith("# ") for ln in head):
        return "prometheus-text", None
    return "log", None


def _json_array_head(first: str) -> bool:
    """A first line that opens a JSON array: "[", "[{", '["'..., or a whole one-line array. Not
    "[Sun Dec 04 04:47:44 2005] ..." (Apache's error log) nor "[1773151800] ..." (an epoch)."""
    if not _JSON_ARRAY_START.match(first):
        return False
    if first in ("[", "[]") or first.startswith(("[{", '["', "[[")):
        return True
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return True


def _first_line_is_json(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):
        return False


def _document_kind(doc: object, text: str) -> str:
    kind = sniff_document(doc) or structured.sniff(doc)
    if kind:
        return kind
    stripped = text.strip()
    if isinstance(doc, dict) and "\n" not in stripped:
        return "jsonl"  # a single JSON log line
    raise FormatError(
        "a JSON document of a kind not recognised (expected OTLP, Jaeger, Prometheus, Loki, CloudWatch, "
        "CloudTrail, Kubernetes events or a list of changes)"
    )


HEAD_BYTES = 1 << 20  # read first: enough to sniff a format and its timestamps
BLOCK_BYTES = 4 << 20  # then the rest of a line-oriented file, a block at a time
STREAMED = ("log", "jsonl", "csv", "prometheus-text")


def _line_stream(head: bytes, fh, rep: FileReport, progress: Callable[[int], None] | None) -> Iterator[str]:
    """The file's lines with their "\n", decoded block by block (bytes that are not UTF-8 are
    replaced and counted): only a block of the file is in memory at a time. Lines split on "\n"
    alone, as a file reads: a form feed or U+2028 inside a message does not end its line."""
    pending = head
    bad = 0
    while True:
        chunk = fh.read(BLOCK_BYTES) if fh is not None else b""
        if progress is not None and chunk:
            progress(len(chunk))
        data = pending + chunk
        if chunk:
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            block, pending = data[: cut + 1], data[cut + 1 :]
        else:
            block, pending = data, b""
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            text = block.decode("utf-8", errors="replace")
            bad += sum(1 for line in text.split("\n") if "\ufffd" in line)
        parts = text.split("\n")
        last = parts.pop()
        for line in parts:
            yield line + "\n"
        if last:
            yield last
        if not chunk:
            break
    if bad:
        rep.notes.append(f"{bad} line(s) held bytes that are not UTF-8; they were replaced with U+FFFD")


def read_file(
    path: Path,
    result: ImportResult,
    *,
    fmt: str = "auto",
    service: str | None = None,
    year: int | None = None,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Read one file into `result`; `name` is what the report calls it (the original of a scrubbed
    copy). The default service is the file's own name. Line-oriented files (logs, JSON lines, CSV,
    Prometheus text) are read as a stream; a JSON document is read whole. `progress` is told the
    bytes read as they are."""
    rep = FileReport(name or str(path))
    result.reports.append(rep)
    limit = max_import_bytes()  # no bigger than a scenario may import
    try:
        if path.stat().st_size > limit:
            rep.notes.append(
                f"not read: {path.stat().st_size / 1e6:,.0f} MB, over the {limit / 1e6:,.0f} MB limit for an imported "
                f"file (DOJO_MAX_IMPORT_MB); import a shorter window of the incident"
            )
            rep.skip("whole file: too big")
            return
        with open_input(path, max_bytes=limit, max_name="DOJO_MAX_IMPORT_MB") as fh:
            if isinstance(fh, gzip.GzipFile):
                rep.notes.append("decompressed (gzip)")
            _read_open(fh, path, result, rep, fmt, service, year, name, progress)
    except DecompressionLimit as exc:
        _drop_partial(result, rep)
        rep.notes.append(f"not read: {str(exc).removeprefix(f'{path}: ')}")
        rep.skip("whole file: decompression limit")
    except GZIP_ERRORS as exc:
        _drop_partial(result, rep)
        rep.notes.append(f"not read: corrupt or truncated gzip ({exc})")
        rep.skip("whole file: corrupt gzip")
    except OSError as exc:
        _drop_partial(result, rep)
        rep.notes.append(f"not read: {exc.strerror or exc}")
        rep.skip("whole file: cannot read it")


def _drop_partial(result: ImportResult, rep: FileReport) -> None:
    """A file that failed while it was streamed brings nothing: not the records read before."""
    for target, n in getattr(rep, "_added", {}).items():
        items = getattr(result, target)
        if isinstance(items, Logs):
            items.truncate(n)
        else:
            del items[len(items) - n :]
    rep.records = 0


def _read_open(fh, path: Path, result, rep: FileReport, fmt, service, year, name, progress) -> None:
    head = fh.read(HEAD_BYTES)
    if progress is not None:
        progress(len(head))
    if b"\x00" in head[:8192]:
        rep.notes.append("not read: binary content (NUL bytes); give text, JSON or CSV files")
        rep.skip("whole file: binary")
        return
    complete = len(head) < HEAD_BYTES
    if complete and not head.strip():
        rep.notes.append("empty file: nothing to read")
        return
    head = head.removeprefix(b"\xef\xbb\xbf")  # a byte order mark is not part of the first record
    cut = head.rfind(b"\n") if not complete else len(head)
    head_text = head[: cut if cut > 0 else len(head)].decode("utf-8", errors="replace")
    service = service or plain_name(path).stem.split(".")[0]
    year = year or datetime.now(timezone.utc).year
    text: str | None = None
    try:
        kind, doc = _detect(plain_name(path), head_text, complete) if fmt == "auto" else (fmt, None)
        if kind == "document" or (doc is None and kind in JSON_KINDS):
            rest = fh.read()
            if progress is not None:
                progress(len(rest))
            text = _decode(head + rest, rep)
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                if kind == "document" and _first_line_is_json(text):
                    kind = "jsonl"  # JSON lines with a corrupt one among them: read, and counted
                elif kind == "document":
                    raise FormatError("truncated or corrupt JSON document (it does not parse to its end)") from None
                else:
                    raise FormatError(f"not JSON at line {exc.lineno} ({exc.msg})") from None
            except RecursionError:
                raise FormatError("JSON nested too deeply to read") from None
            if kind == "document" and doc is not None:
                kind = _document_kind(doc, text)
        lines = _line_stream(head, fh, rep, progress) if kind in STREAMED else None
        got: dict[str, list] = {}
        if kind == "jsonl" and text is not None:
            lines = iter(text.splitlines(keepends=True))
        if kind == "csv":
            assert lines is not None  # csv is streamed
            got["logs"], got["points"], got["spans"], got["changes"] = read_csv(
                lines, service, year, rep, plain_name(path).name
            )
        elif kind in DOC_READERS:
            target, read = DOC_READERS[kind]
            recs = read(doc, service, year, rep)
            if target == "logs+changes":
                got["logs"], got["changes"] = recs
            else:
                got[target] = recs
        elif kind in READERS:
            target, read = READERS[kind]
            got[target] = read(lines, service, year, rep) if kind in STREAMED else read(doc, service, rep)
        else:
            raise FormatError(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}")
        added = {}
        for target, recs in got.items():
            getattr(result, target).extend(recs)
            added[target] = len(recs)
        rep._added = added  # type: ignore[attr-defined]
    except QuotingError as exc:
        raise QuotingError(f"{name or path}:{str(exc).removeprefix('line ')}") from None
    except FormatError as exc:
        rep.notes.append(f"not imported: {exc}")
        rep.skip("whole file: format not readable")
        return
    except (AttributeError, TypeError, KeyError) as exc:
        # A document of the right kind with the wrong shape inside.
        rep.notes.append(f"not imported: unexpected structure ({type(exc).__name__}: {exc})")
        rep.skip("whole file: unexpected structure")
        return
    rep.records = sum(len(v) for v in got.values())


def write(result: ImportResult, out: Path) -> dict[str, Path]:
    """The normalized files, one per kind that has records."""
    from dojo.telemetry.export import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if result.logs:
        files["logs"] = out / "logs.jsonl"
        with atomic_write(files["logs"], "wb") as fh:
            _write_logs(result, fh)
    if result.points:
        points = sorted(result.points, key=lambda p: (p.service, p.metric, p.ts))
        files["metrics"] = out / "metrics.csv"
        with atomic_write(files["metrics"]) as fh:
            fh.write("timestamp,service,metric,value\n")
            for p in points:
                fh.write(f"{iso(p.ts)},{_csv(p.service)},{_csv(p.metric)},{p.value!r}\n")
    if result.changes:
        files["events"] = out / "events.jsonl"
        with atomic_write(files["events"]) as fh:
            for c in sorted(result.changes, key=lambda c: (c.ts, c.kind, c.service)):
                row = {"ts": iso(c.ts), "kind": c.kind, "service": c.service, "name": c.name, "detail": c.detail}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if result.spans:
        files["traces"] = out / "traces.otlp.json"
        by_service: dict[str, list[Span]] = {}
        for s in sorted(result.spans, key=lambda s: (s.start_ns, s.trace_id, s.span_id)):
            by_service.setdefault(s.service, []).append(s)
        doc = {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
                    "scopeSpans": [
                        {
                            "scope": {"name": "dojo-import"},
                            "spans": [
                                {
                                    "traceId": s.trace_id,
                                    "spanId": s.span_id,
                                    "parentSpanId": s.parent_id,
                                    "name": s.name,
                                    "startTimeUnixNano": str(s.start_ns),
                                    "endTimeUnixNano": str(s.end_ns),
                                    "attributes": s.attributes,
                                    "events": s.events,
                                    "status": {"code": 2, "message": s.message} if s.error else {"code": 1},
                                }
                                for s in spans
                            ],
                        }
                    ],
                }
                for svc, spans in by_service.items()
            ]
        }
        with atomic_write(files["traces"]) as fh:
            json.dump(doc, fh, separators=(",", ":"))
            fh.write("\n")
    return files


WRITE_ROWS = 20_000
_YEAR_1000_MS = -30610224000000  # 1000-01-01T00:00:00Z
_YEAR_10000_MS = 253402300800000  # 10000-01-01T00:00:00Z
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _write_logs(result: ImportResult, fh) -> None:
    """logs.jsonl in time order, its lines built column-wise by Arrow, a slice of rows at a time
    so the lines of every record never sit in memory at once. Lines with control characters
    other than newline, tab and carriage return (ANSI colours, a bell) are written by json.dumps,
    which escapes them all."""
    import numpy as np

    tables = result.logs.tables()
    starts = np.cumsum([0] + [t.num_rows for t in tables])
    stamps = np.concatenate([t.column("ts").to_numpy() for t in tables]) if tables else np.zeros(0, np.int64)
    out_of_order = int((np.diff(stamps) < 0).sum()) if len(stamps) > 1 else 0
    if out_of_order:
        result.reports.append(
            FileReport("logs", format="(all files)", notes=[f"{out_of_order} record(s) were out of time order; sorted"])
        )
    order = np.argsort(stamps, kind="stable")
    del stamps
    for start in range(0, len(order), WRITE_ROWS):
        _write_joined(fh, _log_lines(_gather(tables, starts, order[start : start + WRITE_ROWS])))


def _write_joined(fh, lines) -> None:
    """Write a column of lines that end with their own newline, straight from Arrow's buffers."""
    import numpy as np
    import pyarrow as pa

    lines = lines.cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    if len(offsets) > 1:
        fh.write(memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]])


def _gather(tables: list, starts, rows) -> Any:
    """The rows (positions over all the tables, one after another) as one table, in that order.
    Each table gives its own rows: a take over the chained tables joins them all first, every time."""
    import numpy as np
    import pyarrow as pa

    which = np.searchsorted(starts, rows, side="right") - 1
    parts, placed = [], []
    for k in np.unique(which):
        mine = np.flatnonzero(which == k)
        parts.append(tables[int(k)].take(pa.array(rows[mine] - starts[k])))
        placed.append(mine)
    joined = pa.concat_tables(parts)
    if len(parts) == 1 and np.all(placed[0][1:] > placed[0][:-1]):
        return joined
    return joined.take(pa.array(np.argsort(np.concatenate(placed), kind="stable")))


def _log_lines(rows) -> Any:
    """The JSON lines of these rows, each with its "\n"."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    ms = np.round(rows.column("ts").to_numpy() / 1000).astype("int64")
    if len(ms) and _YEAR_1000_MS <= ms.min() and ms.max() < _YEAR_10000_MS:
        text = pa.array(ms, pa.timestamp("ms")).cast(pa.string())  # "2026-03-10 14:03:12.000"
        ts = pc.replace_substring(text, " ", "T", max_replacements=1)
    else:  # Arrow's text of a time has four-digit years; ISO 8601 and numpy write others otherwise
        ts = pa.array(np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms"), pa.string())
    msg, service, host, trace, level = (
        rows.column(name).combine_chunks() for name in ("msg", "service", "host", "trace_id", "level")
    )
    lines = pc.binary_join_element_wise(
        pa.scalar('{"ts": "'),
        ts,
        pa.scalar('Z", "level": "'),
        level,
        pa.scalar('", "service": "'),
        _escaped(service),
        pa.scalar('", "host": "'),
        _escaped(host),
        pa.scalar('", "trace_id": "'),
        _escaped(trace),
        pa.scalar('", "msg": "'),
        _escaped(msg),
        pa.scalar('"}\n'),
        "",
    )
    # Newlines, tabs and carriage returns are escaped by now: any control character left is odd.
    if not _has_bytes(lines, _CONTROL_BYTES):
        return lines
    odd = pc.match_substring_regex(lines, _CONTROL)
    fixed = lines.to_pylist()
    for k in np.flatnonzero(odd.to_numpy(zero_copy_only=False)):
        i = int(k)
        row = {"ts": ts[i].as_py() + "Z", "level": level[i].as_py(), "service": service[i].as_py()}
        row |= {"host": host[i].as_py(), "trace_id": trace[i].as_py(), "msg": msg[i].as_py()}
        fixed[i] = json.dumps(row, ensure_ascii=False) + "\n"
    return pa.array(fixed, pa.string())


_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r"))


def _bytes(arr) -> bytes:
    """The text of a string column's values, run together (a copy: memchr then finds a byte
    faster than any pass in numpy)."""
    import numpy as np

    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    if data is None or len(offsets) < 2:
        return b""
    return data[int(offsets[0]) : int(offsets[-1])].to_pybytes()


def _has_bytes(arr, values: bytes) -> bool:
    text = _bytes(arr)
    return any(bytes([v]) in text for v in values)


def _escaped(arr) -> Any:
    """A string column's values escaped as the inside of JSON strings: only the characters it
    holds are replaced (each replace copies the whole column)."""
    import pyarrow.compute as pc

    text = _bytes(arr)
    for char, escape in _ESCAPES:
        if char.encode() in text:
            arr = pc.replace_substring(arr, char, escape)
    return arr


def _csv(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def imports_block(files: dict[str, Path], scenario_dir: Path, replace: list[str]) -> str:
    lines = ["imports:  # real signals, written by 'dojo import'"]
    for kind in sorted(files, key=SIGNAL_KINDS.index):
        path = files[kind]
        lines.append(f"  {kind}: {path.resolve().relative_to(scenario_dir.resolve()).as_posix()}")
    lines.append(f"  replace: [{', '.join(replace)}]")
    return "\n".join(lines) + "\n"


def set_imports(scenario_text: str, block: str) -> str:
    """The scenario's YAML with its top-level `imports:` block replaced (or added at the end)."""
    out, skipping = [], False
    for line in scenario_text.splitlines(keepends=True):
        top = line[:1] not in (" ", "\t", "#", "\n", "\r", "-") and line.strip()
        if top:
            skipping = line.startswith("imports:")
            if skipping:
                continue
        if not skipping:
            out.append(line)
    text = "".join(out)
    if text and not text.endswith("\n"):
        text += "\n"
    return text + block
