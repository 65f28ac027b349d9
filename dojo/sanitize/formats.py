"""The formats: which one a file is, and how one chunk of it is scrubbed.

plain  any text: scrubbed as bytes, byte for byte outside the replaced values.
jsonl  one JSON value per line: each parsed, scrubbed (structured.py), written back; a line that
       does not parse is scrubbed as plain text and reported, never dropped.
csv    rows through the csv module, so quoting and column counts survive; a header names columns.
json   one document (OTLP JSON, Jaeger JSON, anything): parsed whole, scrubbed, written back with
       the same indentation; if it does not parse, it is scrubbed as plain text and reported.

A chunk processor is a plain function of (scrubber, chunk, context) so that worker processes can
run it (parallel.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import flatcsv, flatjson
from .finder import Scan
from .readers import UnbalancedChunk, decode, invalid_utf8_lines
from .scrubber import Scrubber
from .structured import JsonScrubber

PLAIN, JSONL, CSV, JSON = "plain", "jsonl", "csv", "json"
FORMATS = (PLAIN, JSONL, CSV, JSON)
_SUFFIX = {".jsonl": JSONL, ".ndjson": JSONL, ".csv": CSV, ".tsv": CSV, ".json": JSON}
_HEADER_CELL = re.compile(r"[A-Za-z_@][\w .@/()%\[\]-]{0,63}\Z")  # CpuUsage(m), latency[ms]
csv.field_size_limit(1 << 30)  # lines of 10 MB and more are allowed


@dataclass
class ChunkResult:
    data: bytes
    lines: int = 0
    invalid_utf8: int = 0
    fallback_lines: list[int] = field(default_factory=list)  # 1-based, within the chunk
    replaced: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    shifted: int = 0
    deferred: bool = False  # data holds placeholders for the main process to resolve
    unclosed_quote: bool = False  # a CSV chunk scrubbed as text: its quotes do not pair up


@dataclass(frozen=True)
class CsvContext:
    dialect: str  # "excel" or "excel-tab" or a delimiter character
    lineterminator: str
    columns: tuple[str | None, ...]  # key context per column, from the header
    header: tuple[str, ...]  # the header row itself (empty if none): not scrubbed by context


def detect_format(path: Path, head: bytes) -> str:
    fmt = _SUFFIX.get(path.suffix.lower())
    first, second = _first_lines(head)
    if fmt == JSON:
        # Many tools write JSON lines into .json files (the OpenTelemetry file exporter does).
        return JSONL if second is not None and _is_json(first) else JSON
    if fmt is not None:
        return fmt
    if first is not None and first.lstrip().startswith(b"{") and _is_json(first):
        return JSONL
    return PLAIN


def _first_lines(head: bytes) -> tuple[bytes | None, bytes | None]:
    head = head.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    lines = [line for line in head.split(b"\n")[:-1] if line.strip()]
    return (lines[0] if lines else None), (lines[1] if len(lines) > 1 else None)


def _is_json(line: bytes | None) -> bool:
    if line is None:
        return False
    try:
        json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        return False
    return True


# -- plain ----------------------------------------------------------------------------------------


def plain_chunk(s: Scrubber, chunk: bytes, ctx: object = None) -> ChunkResult:
    """ctx: the chunk's Scan if a thread has made it already (see Engine), or None to scan here."""
    scan = ctx if isinstance(ctx, Scan) else s.finder.scan(chunk)
    data = s.scrub_scan(scan) if scan is not None else s.scrub_bytes(chunk)
    return ChunkResult(data, chunk.count(b"\n"), invalid_utf8_lines(chunk))


# -- JSON lines -----------------------------------------------------------------------------------


def jsonl_chunk(s: Scrubber, chunk: bytes, ctx: object = None) -> ChunkResult:
    """ctx: the chunk's flatjson.Prepared if a thread has made it already, False if that found
    no flat line, or None to look here."""
    # Flat lines without escapes are scrubbed in place (flatjson.py); the others parsed, below.
    prepared = ctx if isinstance(ctx, flatjson.Prepared) else None if ctx is False else flatjson.prepare(s, chunk)
    if prepared is not None:
        data, fallback = flatjson.finish(s, prepared, _jsonl_parsed_bytes)
        return ChunkResult(data, _line_count(chunk), 0, fallback)
    return _jsonl_parsed(s, chunk)


def _line_count(chunk: bytes) -> int:
    return chunk.count(b"\n") + (0 if chunk.endswith(b"\n") or not chunk else 1)


def _jsonl_parsed_bytes(s: Scrubber, chunk: bytes) -> tuple[bytes, list[int]]:
    result = _jsonl_parsed(s, chunk)
    return result.data, result.fallback_lines


def _jsonl_parsed(s: Scrubber, chunk: bytes) -> ChunkResult:
    text, bad = decode(chunk)
    # Split on \n only: str.splitlines would also cut at U+2028 and friends, which JSON strings
    # may hold raw.
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    docs: list[Any] = []
    where: list[int] = []  # index in lines of each parsed doc
    out: list[str] = list(lines)
    fallback: list[int] = []
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if not body.strip():
            continue
        try:
            docs.append(json.loads(body.lstrip("\ufeff")))
        except (ValueError, RecursionError):
            # Truncated or not JSON: never dropped, scrubbed as text and reported.
            fallback.append(i + 1)
            out[i] = s.scrub_bytes(line.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
            continue
        where.append(i)
    for i, doc in zip(where, JsonScrubber(s).scrub(docs)):
        line = lines[i]
        body = line.rstrip("\r\n")
        compact = '": ' not in body and '", ' not in body
        bom = "\ufeff" if body.startswith("\ufeff") else ""
        out[i] = bom + _dumps(doc, (",", ":") if compact else (", ", ": "), None) + line[len(body) :]
    return ChunkResult(_encode("".join(out)), len(lines), bad, fallback)


def _dumps(doc: Any, separators: tuple[str, str], indent: int | str | None) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=separators, indent=indent)


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # A lone surrogate that came from a \\ud800 escape, not from a raw byte: escape it again.
        return text.encode("utf-8", "backslashreplace")


# -- CSV ------------------------------------------------------------------------------------------


def csv_context(s: Scrubber, path: Path, head: bytes) -> CsvContext:
    text, _ = decode(head[: head.rfind(b"\n") + 1] or head)
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    if dialect == "excel":
        try:
            dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
        except csv.Error:
            pass
    first = text.split("\n", 1)[0]
    terminator = "\r\n" if first.endswith("\r") else "\n"
    rows = list(csv.reader(io.StringIO(first + "\n"), **_dialect(dialect)))
    cells = rows[0] if rows else []
    header = bool(cells) and all(_HEADER_CELL.match(c.strip()) for c in cells)
    columns = tuple(s.context(c.strip()) for c in cells) if header else ()
    return CsvContext(dialect, terminator, columns, tuple(cells) if header else ())


def _dialect(name: str) -> dict[str, Any]:
    if name in ("excel", "excel-tab"):
        return {"dialect": name}
    return {"delimiter": name}


@dataclass(frozen=True)
class CsvAhead:
    """A CSV chunk's context with what a thread has already prepared of it."""

    context: CsvContext
    prepared: flatcsv.Prepared | None


def prepare_csv(s: Scrubber, chunk: bytes, ctx: CsvContext) -> CsvAhead:
    delimiter = {"excel": ",", "excel-tab": "\t"}.get(ctx.dialect, ctx.dialect)
    header = delimiter.join(ctx.header).encode("utf-8", "surrogateescape")
    return CsvAhead(ctx, flatcsv.prepare(s, chunk, delimiter, ctx.columns, header))


def csv_chunk(s: Scrubber, chunk: bytes, ctx: CsvContext | CsvAhead) -> ChunkResult:
    """ctx: the file's CsvContext, or a CsvAhead a thread has made of this chunk."""
    if isinstance(chunk, UnbalancedChunk):
        # A quote that never closes (readers.iter_chunks): as CSV, the rest of the file would be
        # one field, rewritten with a closing quote it never had. As text, every byte stays.
        result = plain_chunk(s, chunk)
        result.unclosed_quote = True
        return result
    # Rows on one line are scrubbed in place (flatcsv.py); the others through the csv module.
    ahead = ctx if isinstance(ctx, CsvAhead) else prepare_csv(s, chunk, ctx)
    if ahead.prepared is not None:
        data = flatcsv.finish(s, ahead.prepared, lambda rows: (_csv_parsed(s, rows, ahead.context).data, []))
        return ChunkResult(data, chunk.count(b"\n"), 0)
    return _csv_parsed(s, chunk, ahead.context)


def _csv_parsed(s: Scrubber, chunk: bytes, ctx: CsvContext) -> ChunkResult:
    text, bad = decode(chunk)
    rows = list(csv.reader(io.StringIO(text, newline=""), **_dialect(ctx.dialect)))
    slots: list[tuple[list[str], int]] = []
    for row in rows:
        is_header = bool(ctx.header) and tuple(row) == ctx.header
        for i, cell in enumerate(row):
            col = ctx.columns[i] if i < len(ctx.columns) and not is_header else None
            if col is not None:
                new = s.scrub_in_context(col, cell) if col != "time" else _epoch(s, cell)
                if new is not None:
                    row[i] = new
                    continue
            if len(cell) >= 4:
                slots.append((row, i))
    if slots:
        scrubbed = s.scrub_strings([r[i] for r, i in slots])
        for (r, i), value in zip(slots, scrubbed):
            r[i] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator=ctx.lineterminator, **_dialect(ctx.dialect)).writerows(rows)
    return ChunkResult(_encode(buf.getvalue()), chunk.count(b"\n"), bad)


def _epoch(s: Scrubber, cell: str) -> str | None:
    shifted = s.shift_epoch(cell)
    return shifted if isinstance(shifted, str) else None


# -- one JSON document ----------------------------------------------------------------------------


def json_document(s: Scrubber, data: bytes) -> tuple[bytes | None, str | None]:
    """The scrubbed document, or None and why it does not parse (then it goes as plain text)."""
    text, _ = decode(data)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom) :]
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"
    except RecursionError:
        return None, "JSON nested too deeply to parse"
    indent = _indent(text)
    [doc] = JsonScrubber(s).scrub([doc])
    separators = (",", ": ") if indent is not None else ((", ", ": ") if '": ' in text[:4096] else (",", ":"))
    out = _dumps(doc, separators, indent)
    return _encode(bom + out + ("\n" if text.endswith("\n") else "")), None


def _indent(text: str) -> int | str | None:
    m = re.search(r"\n([ \t]+)\S", text[:65536])
    if m is None:
        return None
    ws = m.group(1)
    return "\t" if ws.startswith("\t") else len(ws)


CHUNK_FUNCS: dict[str, Callable[[Scrubber, bytes, Any], ChunkResult]] = {
    PLAIN: plain_chunk,
    JSONL: jsonl_chunk,
    CSV: csv_chunk,
}


def process_chunk(s: Scrubber, fmt: str, chunk: bytes, ctx: object) -> ChunkResult:
    """One chunk through its format, with the scrubber's counts for it (the counters restart)."""
    result = CHUNK_FUNCS[fmt](s, chunk, ctx)
    result.replaced, result.kept, result.shifted = s.take_counts()
    return result
