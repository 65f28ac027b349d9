"""Real signals beside a scenario, read back into Telemetry and merged with the synthetic ones.

Imported material is stored in the very formats `dojo generate` writes (logs.jsonl, metrics.csv,
traces.otlp.json, events.jsonl), so one reader serves both, and an imported scenario replays
through the same engine, queries and pins as a synthetic one. Times are absolute in the files and
become scenario seconds against the scenario's `start`; rows outside the scenario are dropped
and counted.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from dojo.scenario.hooks import ImportReadError

from .alerts import alert_events
from .logs import LEVELS
from .model import EVENT_COLUMNS, LOG_SCHEMA, METRIC_COLUMNS, SPAN_COLUMNS, Telemetry


class ImportedSignalError(ImportReadError, ValueError):
    """An imported file that cannot be read; the message names the file and the line."""


@dataclass
class Imported:
    logs: pa.Table | None = None
    metrics: pd.DataFrame | None = None
    spans: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    dropped: dict[str, int] = field(default_factory=dict)


def _seconds(stamps: pd.Series, start: datetime, where: str) -> np.ndarray:
    ts = pd.to_datetime(stamps, utc=True, errors="coerce", format="ISO8601")
    bad = ts.isna()
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ImportedSignalError(
            f"{where}:{line}: {stamps.iloc[line - 1]!r} is not an ISO 8601 time; re-run 'dojo import'"
        )
    return (ts - pd.Timestamp(start)).dt.total_seconds().to_numpy()


def _jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportedSignalError(f"{path}:{n}: not JSON ({exc.msg}); re-run 'dojo import'") from None
            except RecursionError:
                raise ImportedSignalError(f"{path}:{n}: JSON nested too deeply; re-run 'dojo import'") from None
            if not isinstance(rec, dict) or any(k not in rec for k in required):
                raise ImportedSignalError(f"{path}:{n}: a record needs {', '.join(repr(k) for k in required)}")
            rows.append(rec)
    return rows


def read_logs(path: Path, start: datetime, duration: float) -> tuple[pa.Table, int]:
    rows = _jsonl(path, ("ts", "msg"))
    frame = pd.DataFrame(rows, columns=["ts", "level", "service", "host", "trace_id", "msg"])
    t = _seconds(frame["ts"], start, str(path)) if len(frame) else np.zeros(0)
    keep = (t >= 0) & (t <= duration)
    frame, t = frame[keep], t[keep]
    level = (
        frame["level"]
        .fillna("INFO")
        .astype(str)
        .str.upper()
        .replace({"WARNING": "WARN", "ERR": "ERROR", "FATAL": "ERROR", "CRITICAL": "ERROR", "TRACE": "DEBUG"})
    )
    level = level.where(level.isin(LEVELS), "INFO")
    table = pa.table(
        {
            "t": pa.array(t, pa.float64()),
            # Plain (not large) strings, as the synthetic logs have them, so one text path serves both.
            "service": pa.array(frame["service"].fillna("unknown").astype(str), pa.string()).dictionary_encode(),
            "host": pa.array(frame["host"].fillna("").astype(str), pa.string()).dictionary_encode(),
            "level": pa.array(level, pa.string()).dictionary_encode(),
            "trace_id": pa.array(frame["trace_id"].fillna("").astype(str), pa.string()),
            "message": pa.array(frame["msg"].astype(str), pa.string()),
        }
    )
    return table, int((~keep).sum())


def read_metrics(path: Path, start: datetime, duration: float) -> tuple[pd.DataFrame, int]:
    try:
        frame = pd.read_csv(path, dtype={"service": str, "metric": str})
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ImportedSignalError(f"{path}: not the CSV 'dojo import' writes ({exc}); re-run it") from None
    missing = {"timestamp", "service", "metric", "value"} - set(frame.columns)
    if missing:
        raise ImportedSignalError(
            f"{path}:1: missing column(s) {', '.join(sorted(missing))}; expected timestamp,service,metric,value"
        )
    t = _seconds(frame["timestamp"], start, str(path))
    keep = (t >= 0) & (t <= duration)
    out = pd.DataFrame(
        {
            "t": t[keep],
            "service": frame["service"][keep].to_numpy(),
            "metric": frame["metric"][keep].to_numpy(),
            "value": pd.to_numeric(frame["value"][keep], errors="coerce").to_numpy(),
        }
    )
    return out.dropna(subset=["value"])[METRIC_COLUMNS], int((~keep).sum())


def read_traces(path: Path, start: datetime, duration: float) -> tuple[pd.DataFrame, int]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportedSignalError(f"{path}: not OTLP JSON ({exc}); re-run 'dojo import'") from None
    except RecursionError:
        raise ImportedSignalError(f"{path}: JSON nested too deeply; re-run 'dojo import'") from None
    start_ns = int(pd.Timestamp(start).value)
    rows = []
    for rs in doc.get("resourceSpans", []):
        attrs = {
            a.get("key"): a.get("value", {}).get("stringValue") for a in rs.get("resource", {}).get("attributes", [])
        }
        service = attrs.get("service.name") or "unknown"
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                begin, end = int(sp.get("startTimeUnixNano", 0)), int(sp.get("endTimeUnixNano", 0))
                status = sp.get("status", {}) or {}
                rows.append(
                    {
                        "trace_id": sp.get("traceId", ""),
                        "span_id": sp.get("spanId", ""),
                        "parent_id": sp.get("parentSpanId", "") or "",
                        "service": service,
                        "name": sp.get("name", ""),
                        "t": (begin - start_ns) / 1e9,
                        "duration_ms": max(end - begin, 0) / 1e6,
                        "status": "error" if status.get("code") == 2 else "ok",
                        "message": (status.get("message", "") or _event_error(sp)) if status.get("code") == 2 else "",
                        "attributes": _attributes_json(sp.get("attributes")),
                        "events": _events_json(sp.get("events"), start_ns),
                    }
                )
    frame = pd.DataFrame(rows, columns=SPAN_COLUMNS + SPAN_DETAIL)
    keep = (frame["t"] >= 0) & (frame["t"] <= duration)
    return frame[keep].reset_index(drop=True), int((~keep).sum())


def read_events(path: Path, start: datetime, duration: float) -> tuple[pd.DataFrame, int]:
    rows = _jsonl(path, ("ts", "kind"))
    frame = pd.DataFrame(rows, columns=["ts", "kind", "service", "name", "detail"])
    t = _seconds(frame["ts"], start, str(path)) if len(frame) else np.zeros(0)
    # Text columns as text (a column no record has is all NaN, a float), then blanks for the gaps.
    text = ["kind", "service", "name", "detail"]
    frame = frame.astype({c: object for c in text}).fillna({c: "" for c in text}).assign(t=t)
    keep = (t >= 0) & (t <= duration)
    return frame[keep][EVENT_COLUMNS].reset_index(drop=True), int((~keep).sum())


# An imported span's attributes and events, as JSON text ("" for none): the engine's trace answer
# gives them back as `attributes` and `events` (SpanNode); synthetic spans have "" in both.
SPAN_DETAIL = ["attributes", "events"]


def _any_value(value: object) -> object:
    """A plain value from OTLP JSON's AnyValue ({"stringValue": ...}, {"intValue": "3"}, arrays...)."""
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "intValue":
        try:
            return int(inner)
        except (TypeError, ValueError):
            return str(inner)
    if kind == "arrayValue" and isinstance(inner, dict):
        return [_any_value(v) for v in inner.get("values") or []]
    if kind == "kvlistValue" and isinstance(inner, dict):
        return _attribute_dict(inner.get("values"))
    return inner


def _attribute_dict(items: object) -> dict:
    if not isinstance(items, list):
        return {}
    return {str(a.get("key")): _any_value(a.get("value")) for a in items if isinstance(a, dict) and a.get("key")}


def _attributes_json(items: object) -> str:
    attrs = _attribute_dict(items)
    return json.dumps(attrs, ensure_ascii=False, separators=(",", ":")) if attrs else ""


def _events_json(events: object, start_ns: int) -> str:
    """Span events with their time in scenario seconds, like every other time the engine gives."""
    if not isinstance(events, list):
        return ""
    out = []
    for ev in events:
        if not isinstance(ev, dict):
            continue
        try:
            t = round((int(ev.get("timeUnixNano", 0)) - start_ns) / 1e9, 6)
        except (TypeError, ValueError):
            t = 0.0
        out.append({"t": t, "name": str(ev.get("name", "")), "attributes": _attribute_dict(ev.get("attributes"))})
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")) if out else ""


def _event_error(span: dict) -> str:
    """The error text of a span's `exception` event (OpenTelemetry semantic conventions)."""
    for ev in span.get("events") or []:
        attrs = {a.get("key"): next(iter((a.get("value") or {}).values()), "") for a in ev.get("attributes") or []}
        text = attrs.get("exception.message") or attrs.get("error.message") or attrs.get("message")
        if text:
            return str(text)
    return ""


READERS = {"logs": read_logs, "metrics": read_metrics, "traces": read_traces, "events": read_events}


# What the loader read of each scenario's imported files, kept here (not on the model) until the
# scenario is synthesized; an entry goes when its scenario is collected.
_READ: dict[int, Imported] = {}


def read_on_load(scenario, path: Path) -> None:
    """The loader's hook (dojo.scenario.hooks): read the files once, now, so a bad one is a load
    error with its line; synthesis then takes what was read."""
    key = id(scenario)
    _READ[key] = load_imports(scenario)
    weakref.finalize(scenario, _READ.pop, key, None)


def imported_signals(scenario) -> Imported:
    """The scenario's imported signals: as the loader read them, or read now."""
    found = _READ.get(id(scenario))
    return found if found is not None else load_imports(scenario)


def load_imports(scenario) -> Imported:
    out = Imported()
    if scenario.imports is None:
        return out
    from dojo.scenario.loader import import_problem

    base = scenario.base_dir or Path(".")
    for kind, rel in scenario.imports.files().items():
        problem = import_problem(base, rel)  # checked at load; again here, where the file is opened
        if problem is not None:
            raise ImportedSignalError(f"{base / 'imports'}: imports.{kind}: {problem}")
        data, dropped = READERS[kind](base / rel, scenario.start, scenario.duration)
        setattr(out, "spans" if kind == "traces" else kind, data)
        out.dropped[kind] = dropped
    return out


def _merge_logs(synthetic: pa.Table, real: pa.Table | None, replace_it: bool) -> pa.Table:
    if real is None:
        return synthetic
    parts = [real] if replace_it else [synthetic.drop(["id"]), real]
    cols = {}
    for name in ("t", "service", "host", "level", "trace_id", "message"):
        arrays = []
        for p in parts:
            col = p.column(name).combine_chunks()
            col = col.dictionary_decode() if pa.types.is_dictionary(col.type) else col
            arrays.append(col.cast(pa.string()) if pa.types.is_large_string(col.type) else col)
        cols[name] = pa.concat_arrays(arrays)
    order = pa.array(np.argsort(cols["t"].to_numpy(), kind="stable"))
    n = len(order)
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(n, dtype=np.int64)),
            cols["t"].take(order),
            cols["service"].take(order).dictionary_encode().cast(LOG_SCHEMA.field("service").type),
            cols["host"].take(order).dictionary_encode().cast(LOG_SCHEMA.field("host").type),
            cols["level"].take(order).dictionary_encode().cast(LOG_SCHEMA.field("level").type),
            cols["trace_id"].take(order),
            cols["message"].take(order),
        ],
        schema=LOG_SCHEMA,
    )


def _merge_frame(synthetic: pd.DataFrame, real: pd.DataFrame | None, replace_it: bool, keys: list[str]) -> pd.DataFrame:
    if real is None:
        return synthetic
    if replace_it:
        merged = real
    elif keys == ["service", "metric"]:
        # A real series wins over the synthetic one of the same service and metric.
        real_keys = set(map(tuple, real[keys].drop_duplicates().to_numpy()))
        own = synthetic[[k not in real_keys for k in map(tuple, synthetic[keys].to_numpy())]]
        merged = pd.concat([own, real], ignore_index=True)
    else:
        merged = pd.concat([synthetic, real], ignore_index=True)
    return merged.sort_values(keys + ["t"] if keys else ["t"], kind="stable", ignore_index=True)


def merge(tel: Telemetry, imported: Imported) -> Telemetry:
    """Telemetry with the imported signals mixed in (or in place of the synthetic ones).

    A kind named in `replace` with no file of its own is replaced by nothing: a real incident
    without tracing shows no traces, rather than synthetic ones beside its real logs."""
    sc = tel.scenario
    repl: set[str] = set(sc.imports.replace if sc.imports else ())
    imported = _with_nothing_for(imported, repl)
    if imported.logs is None and imported.metrics is None and imported.spans is None and imported.events is None:
        return tel
    metrics = _merge_frame(tel.metrics, imported.metrics, "metrics" in repl, ["service", "metric"])
    spans = _merge_frame(tel.spans, imported.spans, "traces" in repl, [])
    if imported.spans is not None:
        # Synthetic spans carry no attributes or events: blanks, so the columns stay text.
        spans = spans.assign(**{c: spans[c].astype(object).fillna("") if c in spans else "" for c in SPAN_DETAIL})
    events = tel.events
    if imported.metrics is not None:
        # Alerts are evaluated on what the learner will see: the merged series.
        kept = events[~events["kind"].isin(["alert_firing", "alert_resolved"])]
        alerts = pd.DataFrame(alert_events(sc.alerts, metrics, sc.grid), columns=EVENT_COLUMNS)
        events = pd.concat([kept, alerts], ignore_index=True)
    if imported.events is not None:
        if "events" in repl:
            # The real changes replace the synthetic ones; the alerts are the rules' own, on the metrics.
            events = pd.concat([events[events["kind"].isin(["alert_firing", "alert_resolved"])], imported.events])
        else:
            events = pd.concat([events, imported.events], ignore_index=True)
    events = events.sort_values(["t", "kind", "service", "name"], kind="stable", ignore_index=True)
    truth = dict(tel.truth, imported={k: v for k, v in imported.dropped.items()})
    return replace(
        tel,
        logs=_merge_logs(tel.logs, imported.logs, "logs" in repl),
        metrics=metrics,
        spans=spans,
        events=events,
        truth=truth,
    )


def _with_nothing_for(imported: Imported, repl: set[str]) -> Imported:
    """Empty signals for the kinds to be replaced that brought no file."""
    empty = {
        "logs": ("logs", lambda: LOG_SCHEMA.empty_table().drop(["id"])),
        "metrics": ("metrics", lambda: pd.DataFrame(columns=METRIC_COLUMNS)),
        "traces": ("spans", lambda: pd.DataFrame(columns=SPAN_COLUMNS)),
        "events": ("events", lambda: pd.DataFrame(columns=EVENT_COLUMNS)),
    }
    changes = {attr: make() for kind, (attr, make) in empty.items() if kind in repl and getattr(imported, attr) is None}
    return replace(imported, **changes) if changes else imported


def unknown_names(scenario, imported: Imported | None = None) -> list[str]:
    """One line per imported service or metric the scenario does not have, saying how to fix it:
    play answers "no service ..." for a service that is not in `services:`, and a metric outside
    the vocabulary has no pane, unit or alert."""
    if scenario.imports is None:
        return []
    real = imported if imported is not None else imported_signals(scenario)
    services: dict[str, list[str]] = {}
    for kind, frame in (
        ("logs", real.logs),
        ("metrics", real.metrics),
        ("traces", real.spans),
        ("events", real.events),
    ):
        if frame is not None:
            column = frame.column("service").to_pylist() if isinstance(frame, pa.Table) else frame["service"].tolist()
            services[kind] = list(dict.fromkeys(column))
    metrics = list(dict.fromkeys(real.metrics["metric"])) if real.metrics is not None else []
    return name_warnings(scenario, services, metrics)


def name_warnings(scenario, services: dict[str, list[str]], metrics: list[str]) -> list[str]:
    """`unknown_names` over names already at hand (kind -> services, metric names)."""
    from dojo.scenario.vocabulary import METRIC_NAMES

    known = {s.name for s in scenario.services}
    seen: dict[str, str] = {}
    for kind, names in services.items():
        for name in names:
            if name and name not in known and name not in seen:
                seen[name] = kind
    out = [
        f"imported {kind} name service {name!r}, which the scenario does not have: add it to services:, or re-import "
        f"with --map {name}=<one of {', '.join(sorted(known))}>"
        for name, kind in seen.items()
    ]
    out += [
        f"imported metric {m!r} is not one the dojo knows (no pane, unit or alert reads it): re-import with "
        f"--map '{m}=<one of {', '.join(METRIC_NAMES)}>'"
        for m in sorted(set(metrics) - set(METRIC_NAMES))
    ]
    return out
