"""Evidence selectors evaluated on signals: where in time does a selector find what it describes?

Used by the linter (is the evidence there after onset and not before?) and by scoring (does a
pinned item match the answer key?). All vectorized: a selector over a million log lines is one
pyarrow filter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.model import EvidenceSelector, LogSelector, MetricSelector, TraceSelector

from .model import Telemetry
from .text import _decoded

BASELINE_WINDOW = 600.0  # seconds before onset that define "normal" for rises/falls


def log_mask(logs: pa.Table, sel: LogSelector) -> np.ndarray:
    conditions = []
    if sel.service is not None:
        conditions.append(pc.equal(_decoded(logs.column("service")), sel.service))
    if sel.level is not None:
        conditions.append(pc.equal(_decoded(logs.column("level")), sel.level))
    if sel.contains is not None:
        conditions.append(pc.match_substring(logs.column("message"), sel.contains))
    if sel.regex is not None:
        conditions.append(pc.match_substring_regex(logs.column("message"), sel.regex))
    if not conditions:
        return np.ones(logs.num_rows, dtype=bool)
    mask = conditions[0]
    for cond in conditions[1:]:
        mask = pc.and_(mask, cond)
    return np.asarray(mask.to_numpy(), dtype=bool)


def log_hits(tel: Telemetry, sel: LogSelector) -> np.ndarray:
    """Times of the log lines the selector matches."""
    return tel.logs.column("t").to_numpy()[log_mask(tel.logs, sel)]


def span_mask(spans: pd.DataFrame, sel: TraceSelector) -> np.ndarray:
    mask = (spans["service"] == sel.service).to_numpy().copy()
    if sel.status is not None:
        mask &= (spans["status"] == sel.status).to_numpy()
    if sel.min_ms is not None:
        mask &= (spans["duration_ms"] >= sel.min_ms).to_numpy()
    if sel.contains is not None:
        mask &= spans["message"].str.contains(sel.contains, regex=False).to_numpy()
    return mask


def span_hits(tel: Telemetry, sel: TraceSelector) -> np.ndarray:
    return tel.spans["t"].to_numpy()[span_mask(tel.spans, sel)]


def metric_series(tel: Telemetry, service: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    m = tel.metrics
    s = m[(m["service"] == service) & (m["metric"] == name)]
    return s["t"].to_numpy(), s["value"].to_numpy()


def metric_hits(tel: Telemetry, sel: MetricSelector, onset: float) -> np.ndarray:
    """Bucket times where the series shows what the selector says, judged against the baseline
    before `onset` (for rises and falls) or against the threshold (above, below)."""
    t, v = metric_series(tel, sel.service, sel.name)
    if len(t) == 0:
        return t
    if sel.above is not None:
        return t[v > sel.above]
    if sel.below is not None:
        return t[v < sel.below]
    base = baseline(t, v, onset)
    if sel.rises is not None:
        return t[v >= base * sel.rises] if base > 0 else t[v > 0]
    assert sel.falls is not None  # the model requires exactly one of above, below, rises, falls
    return t[v <= base / sel.falls]


def baseline(t: np.ndarray, v: np.ndarray, onset: float) -> float:
    before = v[(t < onset) & (t >= onset - BASELINE_WINDOW)]
    if len(before) == 0:
        before = v[t < onset]
    if len(before) == 0:
        before = v[:1]
    return float(np.median(before))


def selector_hits(tel: Telemetry, sel: EvidenceSelector, onset: float) -> np.ndarray:
    if sel.logs is not None:
        return log_hits(tel, sel.logs)
    if sel.metric is not None:
        return metric_hits(tel, sel.metric, onset)
    assert sel.trace is not None  # the model requires exactly one kind of selector
    return span_hits(tel, sel.trace)


def describe(sel: EvidenceSelector) -> str:
    if sel.logs is not None:
        s = sel.logs
        parts = [
            f"service={s.service}" if s.service else "",
            f"level={s.level}" if s.level else "",
            f"contains={s.contains!r}" if s.contains else "",
            f"regex={s.regex!r}" if s.regex else "",
        ]
        return "logs " + " ".join(p for p in parts if p)
    if sel.metric is not None:
        m = sel.metric
        how = next(
            f"{k} {getattr(m, k):g}{'x' if k in ('rises', 'falls') else ''}"
            for k in ("rises", "falls", "above", "below")
            if getattr(m, k) is not None
        )
        return f"metric {m.service}/{m.name} {how}"
    tr = sel.trace
    assert tr is not None  # the model requires exactly one kind of selector
    parts = [
        f"status={tr.status}" if tr.status else "",
        f"min_ms={tr.min_ms:g}" if tr.min_ms is not None else "",
        f"contains={tr.contains!r}" if tr.contains else "",
    ]
    return f"trace {tr.service} " + " ".join(p for p in parts if p)
