"""Telemetry -> files: logs.jsonl, logs.log, metrics.csv, traces.otlp.json, events.jsonl.

Every file is written to a temporary name and renamed into place, so an interrupted export never
leaves a half-written file under the real name. Output is byte-identical for the same input.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .model import Telemetry
from .text import _decoded, plain_lines, timestamps

FILES = ("logs.jsonl", "logs.log", "metrics.csv", "traces.otlp.json", "events.jsonl")
CHUNK = 200_000


@contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO]:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, mode, encoding=None if "b" in mode else "utf-8", newline=None if "b" in mode else "\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def iso(tel: Telemetry, t: float) -> str:
    return (tel.start + timedelta(seconds=float(t))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def json_string(arr: pa.Array) -> pa.Array:
    """Quote a string column as JSON string literals, column-wise."""
    esc = pc.replace_substring(arr, "\\", "\\\\")
    esc = pc.replace_substring(esc, '"', '\\"')
    esc = pc.replace_substring(esc, "\n", "\\n")
    esc = pc.replace_substring(esc, "\t", "\\t")
    esc = pc.replace_substring(esc, "\r", "\\r")
    return pc.binary_join_element_wise('"', esc, '"', "")


def _write_lines(fh: IO[bytes], lines: pa.Array) -> None:
    """Write a string column, one value a line, straight from Arrow's buffers (no Python str per line)."""
    for start in range(0, len(lines), CHUNK):
        part = pc.binary_join_element_wise(lines.slice(start, CHUNK), pa.scalar("\n"), "")
        part = part.cast(pa.large_string())
        _, offsets_buf, data = part.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[part.offset : part.offset + len(part) + 1]
        fh.write(memoryview(data)[offsets[0] : offsets[-1]])


def write_logs(tel: Telemetry, out: Path) -> None:
    # In slices, so the text of a million lines never sits in memory twice.
    with atomic_write(out / "logs.log", "wb") as fh:
        for start in range(0, tel.logs.num_rows, CHUNK):
            _write_lines(fh, plain_lines(tel.logs.slice(start, CHUNK), tel.start))
    with atomic_write(out / "logs.jsonl", "wb") as fh:
        for start in range(0, tel.logs.num_rows, CHUNK):
            _write_lines(fh, _json_lines(tel.logs.slice(start, CHUNK), tel))


def _json_lines(logs: pa.Table, tel: Telemetry) -> pa.Array:
    parts = [
        '{"ts":"',
        timestamps(tel.start, logs.column("t").to_numpy()),
        '","level":"',
        _decoded(logs.column("level")),
        '","service":"',
        _decoded(logs.column("service")),
        '","host":"',
        _decoded(logs.column("host")),
        '","trace_id":"',
        _decoded(logs.column("trace_id")),
        '","msg":',
        json_string(_decoded(logs.column("message"))),
        "}",
    ]
    return pc.binary_join_element_wise(*[pa.scalar(p) if isinstance(p, str) else p for p in parts], "")


def write_metrics(tel: Telemetry, out: Path) -> None:
    m = tel.metrics
    stamps = {t: iso(tel, t) for t in np.unique(m["t"].to_numpy())}
    frame = m.assign(timestamp=m["t"].map(stamps))[["timestamp", "service", "metric", "value"]]
    with atomic_write(out / "metrics.csv") as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")


def otlp_document(tel: Telemetry) -> dict:
    """OTLP/JSON (ExportTraceServiceRequest) as the OpenTelemetry collector reads it."""
    start_ns = int(tel.start.timestamp()) * 1_000_000_000
    resource_spans = []
    spans = tel.spans
    for service in tel.scenario.service_names:
        own = spans[spans["service"] == service]
        if own.empty:
            continue
        begin = start_ns + np.rint(own["t"].to_numpy() * 1e9).astype(np.int64)
        end = begin + np.rint(own["duration_ms"].to_numpy() * 1e6).astype(np.int64)
        items = []
        for row, b, e in zip(own.itertuples(index=False), begin, end):
            span = {
                "traceId": row.trace_id,
                "spanId": row.span_id,
                "parentSpanId": row.parent_id,
                "name": row.name,
                "kind": 2 if row.parent_id == "" else 3,
                "startTimeUnixNano": str(b),
                "endTimeUnixNano": str(e),
                "status": {"code": 2, "message": row.message} if row.status == "error" else {"code": 1},
            }
            items.append(span)
        resource_spans.append(
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [{"scope": {"name": "debugging-dojo"}, "spans": items}],
            }
        )
    return {"resourceSpans": resource_spans}


def write_traces(tel: Telemetry, out: Path) -> None:
    with atomic_write(out / "traces.otlp.json") as fh:
        json.dump(otlp_document(tel), fh, separators=(",", ":"))
        fh.write("\n")


def write_events(tel: Telemetry, out: Path) -> None:
    with atomic_write(out / "events.jsonl") as fh:
        for row in tel.events.itertuples(index=False):
            rec = {
                "ts": iso(tel, row.t),
                "t": row.t,
                "kind": row.kind,
                "service": row.service,
                "name": row.name,
                "detail": row.detail,
            }
            fh.write(json.dumps(rec) + "\n")


def export(tel: Telemetry, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    write_logs(tel, out)
    write_metrics(tel, out)
    write_traces(tel, out)
    write_events(tel, out)
    return [out / f for f in FILES]
