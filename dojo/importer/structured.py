"""Exports of log stores, metric stores and cloud audit trails, each read by its own shape:
Loki query_range, Prometheus text exposition and remote-read JSON, CloudWatch Logs and CloudTrail
exports, Kubernetes events, and lists of deploys and config changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from .readers import (
    FileReport,
    FormatError,
    LogRecord,
    Point,
    _cut,
    _field,
    finite,
    json_record,
    level_of,
)
from .timestamps import parse_value

SERVICE_LABELS = ("service_name", "service", "app", "app_kubernetes_io_name", "container", "job", "pod", "instance")


@dataclass
class Change:
    """A change event for the scenario's timeline: a deploy, a config change, a Kubernetes event."""

    ts: datetime
    kind: str
    service: str
    name: str
    detail: str


def _label_service(labels: dict, fallback: str) -> str:
    return str(next((labels[k] for k in SERVICE_LABELS if labels.get(k)), fallback))


def loki(doc: dict, service: str, year: int, rep: FileReport) -> list[LogRecord]:
    """Loki's query_range answer: streams of [nanosecond string, line] under their labels."""
    rep.format = "Loki query_range JSON"
    out = []
    for stream in doc["data"].get("result", []):
        labels = stream.get("stream") or {}
        svc = _label_service(labels, service)
        label_level = labels.get("level") or labels.get("detected_level")
        for value in stream.get("values", []):
            try:
                ts = datetime.fromtimestamp(int(value[0]) / 1e9, tz=timezone.utc)
                line = str(value[1])
            except (IndexError, TypeError, ValueError, OverflowError, OSError):
                rep.skip("stream entries with no nanosecond time and line")
                continue
            rec = json_object(line)
            if rec is not None:
                # A JSON line inside the stream: its own fields, the stream's labels as defaults.
                got = json_record({"ts": value[0], **rec}, svc, year, rep)
                if got is not None:
                    got.ts = ts
                    if label_level and got.level == "INFO":
                        got.level = level_of(label_level) or got.level
                    out.append(got)
                continue
            out.append(
                LogRecord(
                    ts,
                    level_of(label_level, line) or "INFO",
                    svc,
                    str(labels.get("pod") or labels.get("instance") or labels.get("host") or ""),
                    str(labels.get("trace_id") or labels.get("traceID") or ""),
                    _cut(line, rep),
                )
            )
    return out


def json_object(text: str) -> dict | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        rec = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return rec if isinstance(rec, dict) else None


def cloudwatch(doc: dict, service: str, year: int, rep: FileReport) -> list[LogRecord]:
    """`aws logs filter-log-events` / `get-log-events` output ({"events": [...]}) and the
    subscription payload ({"logGroup": ..., "logEvents": [...]}): epoch milliseconds and a message,
    which may itself be a JSON record."""
    rep.format = "CloudWatch Logs export"
    group = str(doc.get("logGroup") or "")
    from_group = group.rstrip("/").rsplit("/", 1)[-1]
    out = []
    for ev in doc.get("events") or doc.get("logEvents") or []:
        if not isinstance(ev, dict):
            rep.skip("events that are not objects")
            continue
        try:
            ts = datetime.fromtimestamp(int(ev["timestamp"]) / 1e3, tz=timezone.utc)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            rep.skip("events with no millisecond timestamp")
            continue
        msg = str(ev.get("message", "")).rstrip("\n")
        stream = str(ev.get("logStreamName") or doc.get("logStream") or "")
        # The group names the service; without it, the stream does (an ECS stream is mapped by rule).
        svc_default = from_group or stream or service
        rec = json_object(msg)
        got = json_record({"timestamp": ev["timestamp"], **rec}, svc_default, year, rep) if rec else None
        if got is not None:
            got.ts = ts
            got.host = got.host or stream
            out.append(got)
            continue
        out.append(LogRecord(ts, level_of(None, msg) or "INFO", svc_default, stream, "", _cut(msg, rep)))
    return out


READ_ONLY = ("Get", "List", "Describe", "Head", "Lookup", "Search", "Query", "Scan", "BatchGet", "Select")


def cloudtrail(doc: dict, service: str, year: int, rep: FileReport) -> tuple[list[LogRecord], list[Change]]:
    """CloudTrail's export ({"Records": [...]}): every call is a log line (ERROR when it failed);
    calls that change something (not Get/List/Describe...) are also change events."""
    rep.format = "CloudTrail export"
    logs, changes = [], []
    for rec in doc.get("Records", []):
        ts = parse_value(rec.get("eventTime") if isinstance(rec, dict) else None, year)
        if ts is None:
            rep.skip("records with no readable eventTime")
            continue
        source = str(rec.get("eventSource", "")).removesuffix(".amazonaws.com") or service
        name = str(rec.get("eventName", "?"))
        error = rec.get("errorCode")
        detail = f"{name} on {source}" + (f" failed: {error} {rec.get('errorMessage', '')}".rstrip() if error else "")
        who = (rec.get("userIdentity") or {}).get("arn") or (rec.get("userIdentity") or {}).get("type") or ""
        logs.append(
            LogRecord(ts, "ERROR" if error else "INFO", source, str(rec.get("awsRegion", "")), "", f"{detail} by {who}")
        )
        mutating = rec.get("readOnly") is False or (rec.get("readOnly") is None and not name.startswith(READ_ONLY))
        if mutating and not error:
            changes.append(Change(ts, "config_change", source, name, f"{detail} by {who}"))
    return logs, changes


# Kubernetes event reasons that are a kind of change the dojo already names.
K8S_KINDS = {
    "ScalingReplicaSet": "scale",
    "SuccessfulRescale": "scale",
    "Killing": "restart",
    "BackOff": "restart",
    "Started": "restart",
}


def k8s_events(doc: dict, service: str, year: int, rep: FileReport) -> list[Change]:
    """`kubectl get events -o json` (core/v1 and events.k8s.io/v1): the object involved, its
    reason and message, at the last time it happened."""
    rep.format = "Kubernetes events (kubectl get events -o json)"
    out = []
    for item in doc.get("items", []):
        if not isinstance(item, dict):
            rep.skip("items that are not objects")
            continue
        when = (
            item.get("lastTimestamp")
            or item.get("deprecatedLastTimestamp")
            or item.get("eventTime")
            or (item.get("series") or {}).get("lastObservedTime")
            or item.get("firstTimestamp")
            or (item.get("metadata") or {}).get("creationTimestamp")
        )
        ts = parse_value(when, year)
        if ts is None:
            rep.skip("events with no time")
            continue
        obj = item.get("involvedObject") or item.get("regarding") or {}
        reason = str(item.get("reason", ""))
        message = str(item.get("message") or item.get("note") or "")
        count = item.get("count") or (item.get("series") or {}).get("count")
        detail = f"{item.get('type', 'Normal')} {reason}: {message}" + (f" (x{count})" if count and count != 1 else "")
        out.append(
            Change(
                ts,
                K8S_KINDS.get(reason, "k8s_event"),
                str(obj.get("name") or service),
                f"{obj.get('kind', 'Object')} {reason}".strip(),
                detail,
            )
        )
    return out


CHANGE_TIME = ("ts", "time", "timestamp", "date", "at", "deployed_at", "started_at", "created_at", "when")
CHANGE_KIND = ("kind", "type", "change", "change_type", "event", "action")
CHANGE_SERVICE = ("service", "app", "application", "component", "target", "name")
CHANGE_WHAT = ("version", "revision", "image", "tag", "commit", "sha", "release")
CHANGE_DETAIL = ("description", "detail", "details", "summary", "message", "comment", "note")


def change_records(rows: list[dict], service: str, year: int, rep: FileReport, where: str) -> list[Change]:
    """Deploy and config-change records (JSON or CSV rows): a time, a kind (deploy when it names a
    version, else config_change), a service and what changed."""
    out = []
    lowered = [{str(k).lower(): v for k, v in r.items()} for r in rows if isinstance(r, dict)]
    for row in lowered:
        ts = parse_value(_field(row, CHANGE_TIME), year)
        if ts is None:
            rep.skip(f"{where} with no readable time")
            continue
        what = _field(row, CHANGE_WHAT)
        raw_kind = str(_field(row, CHANGE_KIND) or ("deploy" if what else "config_change")).lower()
        kind = "deploy" if "deploy" in raw_kind or "release" in raw_kind or "rollout" in raw_kind else raw_kind
        kind = "config_change" if kind in ("config", "configuration", "config-change", "change") else kind
        svc = str(_field(row, CHANGE_SERVICE) or service)
        detail = str(_field(row, CHANGE_DETAIL) or "")
        name = f"{kind.replace('_', ' ')} {svc}" + (f" {what}" if what else "")
        out.append(Change(ts, kind, svc, name, detail))
    return out


def changes_json(doc: object, service: str, year: int, rep: FileReport) -> list[Change]:
    rep.format = "change records (JSON)"
    if isinstance(doc, list):
        rows = doc
    elif isinstance(doc, dict):
        rows = next((doc[k] for k in ("changes", "deploys", "deployments") if k in doc), [])
    else:
        raise FormatError("a list of changes is a JSON array of records, or an object with a 'changes' array")
    return change_records(rows, service, year, rep, "records")


def series_name(name: str, labels: dict) -> str:
    """A metric's name with the labels that tell its series apart (code="500"), not those that say
    whose it is: series of one metric must not merge into one."""
    rest = {k: v for k, v in labels.items() if k != "__name__" and k not in SERVICE_LABELS and k != "namespace"}
    if not rest:
        return name
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(rest.items())) + "}"


def prometheus_remote(doc: dict, service: str, year: int, rep: FileReport) -> list[Point]:
    """Prometheus remote-read answer as JSON: results of timeseries, labels as name/value pairs,
    samples of value and millisecond timestamp."""
    rep.format = "Prometheus remote-read JSON"
    out = []
    for result in doc.get("results", []):
        for series in result.get("timeseries", []):
            labels = {lab.get("name"): lab.get("value") for lab in series.get("labels", [])}
            svc = _label_service(labels, service)
            name = series_name(str(labels.get("__name__", "value")), labels)
            for sample in series.get("samples", []):
                number = finite(sample.get("value"))
                try:
                    when = datetime.fromtimestamp(int(sample["timestamp"]) / 1e3, tz=timezone.utc)
                except (KeyError, TypeError, ValueError, OverflowError, OSError):
                    rep.skip("samples with an unreadable time")
                    continue
                if number is None:
                    rep.skip("samples that are not numbers (NaN, Inf or text)")
                    continue
                out.append(Point(when, svc, name, number))
    return out


def prometheus_text(text: str | Iterable[str], service: str, year: int, rep: FileReport) -> list[Point]:
    """The text exposition format (a scrape, or scrapes one after another), read with
    prometheus_client's own parser. Samples need their timestamps: one scrape without them says
    nothing about when."""
    from prometheus_client.parser import text_string_to_metric_families

    rep.format = "Prometheus text exposition"
    if not isinstance(text, str):
        text = "".join(text)
    out = []
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, TypeError, IndexError) as exc:
        raise FormatError(f"not the Prometheus text exposition format ({exc})") from None
    for family in families:
        for sample in family.samples:
            number = finite(sample.value)
            if sample.timestamp is None:
                rep.skip("samples with no timestamp (scrape with timestamps, or export a range query instead)")
                continue
            if number is None:
                rep.skip("samples that are not numbers (NaN, Inf or text)")
                continue
            ts = float(sample.timestamp)
            # prometheus_client gives seconds; an exposition writes milliseconds.
            when = datetime.fromtimestamp(ts / 1e3 if ts > 1e11 else ts, tz=timezone.utc)
            out.append(
                Point(when, _label_service(sample.labels, service), series_name(sample.name, sample.labels), number)
            )
    return out


def sniff(doc: object) -> str | None:
    """Which of these exports a parsed JSON document is, or None."""
    if isinstance(doc, list):
        return "changes" if doc and all(isinstance(r, dict) for r in doc[:20]) and _looks_like_changes(doc[0]) else None
    if not isinstance(doc, dict):
        return None
    data = doc.get("data")
    if isinstance(data, dict) and data.get("resultType") == "streams":
        return "loki"
    if isinstance(doc.get("results"), list) and doc["results"] and isinstance(doc["results"][0], dict):
        if "timeseries" in doc["results"][0]:
            return "prometheus-remote"
    for key in ("events", "logEvents"):
        evs = doc.get(key)
        if isinstance(evs, list) and evs and isinstance(evs[0], dict) and "timestamp" in evs[0] and "message" in evs[0]:
            return "cloudwatch"
    recs = doc.get("Records")
    if isinstance(recs, list) and recs and isinstance(recs[0], dict) and "eventTime" in recs[0]:
        return "cloudtrail"
    items = doc.get("items")
    if isinstance(items, list) and (
        doc.get("kind") in ("EventList", "List")
        and (not items or (isinstance(items[0], dict) and ("involvedObject" in items[0] or "regarding" in items[0])))
    ):
        return "k8s-events"
    for key in ("changes", "deploys", "deployments"):
        rows = doc.get(key)
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and _looks_like_changes(rows[0]):
            return "changes"
    return None


def _looks_like_changes(row: dict) -> bool:
    keys = {str(k).lower() for k in row}
    return bool(keys & set(CHANGE_TIME)) and bool(keys & set(CHANGE_KIND + CHANGE_WHAT))
