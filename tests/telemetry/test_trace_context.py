"""Log lines of a traced request carry its trace id, as apps with OpenTelemetry's log correlation
write it (`trace_id=... span_id=...`; a database in sqlcommenter's `traceparent` comment), and that
id opens the same trace: the headless `trace` query shows the span the line was written for, with
the same status. A proxy's line and its upstream's name the same request."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dojo.engine.queries import Signals
from dojo.telemetry.statuses import answer_codes
from dojo.telemetry.synthesize import synthesize
from dojo.telemetry.text import _decoded

from .scenarios import shop

BROKEN = {"at": "5m", "kind": "code_defect", "service": "payments", "params": {"tenant_share": 0.3}, "for": "10m"}
SLOW = {"at": "6m", "kind": "dependency_latency", "service": "provider", "params": {"added_ms": 1500}, "for": "6m"}
CONTEXT = re.compile(
    r"trace_id=([0-9a-f]{32}) span_id=([0-9a-f]{16})$|traceparent='00-([0-9a-f]{32})-([0-9a-f]{16})-01'"
)


@pytest.fixture(scope="module")
def tel():
    return synthesize(shop([BROKEN, SLOW], traces_per_min=60, duration="15m"))


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _lines_with_context(tel) -> pd.DataFrame:
    """Every log line, with the trace and span ids its text names (empty where none)."""
    df = pd.DataFrame(
        {
            "message": tel.logs.column("message").to_pylist(),
            "service": _decoded(tel.logs.column("service")).to_pylist(),
            "level": _decoded(tel.logs.column("level")).to_pylist(),
            "field": tel.logs.column("trace_id").to_pylist(),
        }
    )
    ids = df["message"].str.extract(CONTEXT)
    df["trace_id"] = ids[0].fillna(ids[2]).fillna("")
    df["span_id"] = ids[1].fillna(ids[3]).fillna("")
    return df


def test_a_traced_requests_lines_carry_its_trace_id_and_open_its_trace(tel):
    df = _lines_with_context(tel)
    assert (df["field"] == df["trace_id"]).all()  # the trace id field and the text never disagree
    kinds = {s.name: s.kind for s in tel.scenario.services}
    lines = df[df["trace_id"] != ""].merge(
        tel.spans, on=["trace_id", "span_id"], how="left", suffixes=("", "_span"), validate="one_to_one"
    )
    assert lines["service_span"].notna().all()
    assert (lines["service"] == lines["service_span"]).all()
    assert ((lines["status"] == "error") == (lines["level"] != "INFO")).all()
    failed = lines[lines["status"] == "error"]
    assert all(m in line for m, line in zip(failed["message_span"], failed["message"], strict=True))
    # An HTTP line says the status its span's message implies, the status its callers were told.
    for kind in ("http", "lb"):
        own = failed[failed["service"].map(kinds).eq(kind) & ~failed["message"].str.startswith("call to ")]
        said = own["message"].str.extract(r'(?:^\S+ /\S+|HTTP/1\.1") (\d{3}) ')[0]
        assert (said == answer_codes(kind, own["message_span"].to_numpy())).all()
    counts = lines["level"].value_counts()
    assert counts["ERROR"] > 50 and counts["INFO"] > 200 and counts["WARN"] > 5, counts
    # The id in the line opens that trace in the headless `trace` query, with the line's span in it.
    signals = Signals(tel)
    for trace_id, span, s in failed[["trace_id", "span_id", "service"]].head(25).itertuples(index=False):
        tree = {n.id: n for n in _walk(signals.trace(trace_id, 1e9))}
        assert tree[f"S{trace_id}:{span}"].service == s
        assert tree[f"S{trace_id}:{span}"].status == "error"


def test_every_error_span_that_can_log_has_an_error_line_with_its_trace_id(tel):
    spans = tel.spans
    kinds = {s.name: s.kind for s in tel.scenario.services}
    loud = spans[
        (spans.status == "error")
        & spans.service.map(kinds).isin(["http", "lb", "worker", "db"])
        & ~spans.message.str.startswith("context canceled")
    ]
    df = _lines_with_context(tel)
    errors = set(zip(df.trace_id[df.level == "ERROR"], df.span_id[df.level == "ERROR"], strict=True))
    assert len(loud) > 50
    missing = [(t, s) for t, s in zip(loud.trace_id, loud.span_id, strict=True) if (t, s) not in errors]
    assert not missing, spans[spans.span_id.isin([s for _, s in missing])].head(3).to_dict("records")


def test_a_proxys_line_names_the_request_its_upstream_served():
    sc = shop([], traces_per_min=60, duration="6m")
    services = [s.model_dump(by_alias=True) for s in sc.services]
    services[0]["calls"] = ["checkout", "inventory"]  # web in front of two upstreams
    tel = synthesize(shop([], traces_per_min=60, duration="6m", services=services))
    msg = tel.logs.column("message").to_pylist()
    svc = _decoded(tel.logs.column("service")).to_pylist()
    paths: dict[str, dict[str, str]] = {}
    for m, s in zip(msg, svc, strict=True):
        if (hit := CONTEXT.search(m)) and (p := re.search(r"(?:GET|POST) (/\S+)", m)):
            paths.setdefault(hit.group(1) or "", {})[s] = p.group(1)
    pairs = [p for p in paths.values() if "web" in p and ("checkout" in p or "inventory" in p)]
    assert len(pairs) > 50
    # web's span is named by an upstream it forwarded to: that upstream's line has its path.
    assert all(p["web"] in (p.get("checkout"), p.get("inventory")) for p in pairs)
    assert {p["web"].split("/")[3] for p in pairs} == {"checkout", "inventory"}
