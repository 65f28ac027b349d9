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
from typing import Any

from dojo.sanitize.readers import GZIP_ERRORS, DecompressionLimit, open_input, plain_name
from dojo.scenario.loader import max_import_bytes
from dojo.scenario.model import SIGNAL_KINDS

from . import structured
from .csvfiles import QuotingError, read_csv
from .readers import (
    FileReport,
    FormatError,
    LogRecord,
    Point,
    Span,
    jaeger_traces,
    json_logs,
    otlp_logs,
    otlp_metrics,
    otlp_traces,
    plain_logs,
    prometheus,
    sniff_document,
)
from .structured import Change
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
    logs: list[LogRecord] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)

    def time_range(self) -> tuple[datetime, datetime] | None:
        stamps = [r.ts for r in self.logs] + [p.ts for p in self.points]
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


def _detect(path: Path, text: str) -> tuple[str, object | None]:
    if path.suffix.lower() == ".csv":
        return "csv", None
    stripped = text.lstrip()
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    # "[" opens a JSON array, or an Apache error log's "[Sun Dec 04 04:47:44 2005]": JSON only when
    # what follows the bracket can start a JSON value.
    if stripped.startswith("{") or _JSON_ARRAY_START.match(first.strip()):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        except RecursionError:
            raise FormatError("JSON nested too deeply to read") from None
        if doc is not None:
            kind = sniff_document(doc) or structured.sniff(doc)
            if kind:
                return kind, doc
            if isinstance(doc, dict) and first.strip() == stripped.strip():
                return "jsonl", None
            raise FormatError(
                "a JSON document of a kind not recognised (expected OTLP, Jaeger, Prometheus, Loki, CloudWatch, "
                "CloudTrail, Kubernetes events or a list of changes)"
            )
        try:
            json.loads(first)
            return "jsonl", None
        except (ValueError, RecursionError):
            raise FormatError("truncated or corrupt JSON document (it does not parse to its end)") from None
    head = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if head and sum(1 for ln in head if _PROM_TEXT.match(ln)) == len(head) and any(ln.startswith("# ") for ln in head):
        return "prometheus-text", None
    return "log", None


def read_file(
    path: Path,
    result: ImportResult,
    *,
    fmt: str = "auto",
    service: str | None = None,
    year: int | None = None,
    name: str | None = None,
) -> None:
    """Read one file into `result`; `name` is what the report calls it (the original of a scrubbed
    copy). The default service is the file's own name."""
    rep = FileReport(name or str(path))
    result.reports.append(rep)
    limit = max_import_bytes()  # the file is held whole: no bigger than a scenario may import
    try:
        if path.stat().st_size > limit:
            rep.notes.append(
                f"not read: {path.stat().st_size / 1e6:,.0f} MB, over the {limit / 1e6:,.0f} MB limit for an imported "
                f"file (DOJO_MAX_IMPORT_MB); import a shorter window of the incident"
            )
            rep.skip("whole file: too big")
            return
        with open_input(path, max_bytes=limit, max_name="DOJO_MAX_IMPORT_MB") as fh:
            raw = fh.read()
            if isinstance(fh, gzip.GzipFile):
                rep.notes.append("decompressed (gzip)")
    except DecompressionLimit as exc:
        rep.notes.append(f"not read: {str(exc).removeprefix(f'{path}: ')}")
        rep.skip("whole file: decompression limit")
        return
    except GZIP_ERRORS as exc:
        rep.notes.append(f"not read: corrupt or truncated gzip ({exc})")
        rep.skip("whole file: corrupt gzip")
        return
    except OSError as exc:
        rep.notes.append(f"not read: {exc.strerror or exc}")
        rep.skip("whole file: cannot read it")
        return
    if b"\x00" in raw[:8192]:
        rep.notes.append("not read: binary content (NUL bytes); give text, JSON or CSV files")
        rep.skip("whole file: binary")
        return
    if not raw.strip():
        rep.notes.append("empty file: nothing to read")
        return
    text = _decode(raw, rep)
    service = service or plain_name(path).stem.split(".")[0]
    year = year or datetime.now(timezone.utc).year
    try:
        kind, doc = _detect(plain_name(path), text) if fmt == "auto" else (fmt, None)
        if doc is None and kind in JSON_KINDS:
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                raise FormatError(f"not JSON at line {exc.lineno} ({exc.msg})") from None
            except RecursionError:
                raise FormatError("JSON nested too deeply to read") from None
        got: dict[str, list] = {}
        if kind == "csv":
            got["logs"], got["points"], got["spans"], got["changes"] = read_csv(
                text, service, year, rep, plain_name(path).name
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
            got[target] = read(text, service, year, rep) if doc is None else read(doc, service, rep)
        else:
            raise FormatError(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}")
        for target, recs in got.items():
            getattr(result, target).extend(recs)
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


def _sorted(items: list, key, rep_name: str, result: ImportResult) -> list:
    out_of_order = sum(1 for a, b in zip(items, items[1:]) if key(b) < key(a))
    if out_of_order:
        result.reports.append(
            FileReport(
                rep_name,
                format="(all files)",
                skipped={},
                notes=[f"{out_of_order} record(s) were out of time order; sorted"],
            )
        )
    return sorted(items, key=key)


def write(result: ImportResult, out: Path) -> dict[str, Path]:
    """The normalized files, one per kind that has records."""
    from dojo.telemetry.export import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if result.logs:
        logs = _sorted(result.logs, lambda r: r.ts, "logs", result)
        files["logs"] = out / "logs.jsonl"
        with atomic_write(files["logs"]) as fh:
            for r in logs:
                fh.write(
                    json.dumps(
                        {
                            "ts": iso(r.ts),
                            "level": r.level,
                            "service": r.service,
                            "host": r.host,
                            "trace_id": r.trace_id,
                            "msg": r.msg,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
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
