"""Traces as the panes show them: one summary row per trace, and one trace as an ordered tree."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ["trace_id", "t", "end", "service", "name", "duration_ms", "spans", "errors", "retries", "status"]
# Calls from one parent span to one service are attempts of the same call: the first is the
# call, the others its retries (their operation name may differ, e.g. "GET /x (retry)").
RETRY_KEY = ["trace_id", "parent_id", "service"]


def trace_summaries(spans: pd.DataFrame) -> pd.DataFrame:
    """One row per trace, from its root span, with span, error and retry counts.

    A retry is a span that repeats a sibling's call (same parent, same service)."""
    if spans.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    roots = spans[spans["parent_id"] == ""].drop_duplicates("trace_id").set_index("trace_id")
    per = spans.assign(err=spans["status"] == "error", retry=spans.duplicated(RETRY_KEY)).groupby(
        "trace_id", sort=False
    )
    counts = per.agg(spans=("span_id", "size"), errors=("err", "sum"), retries=("retry", "sum"))
    out = roots[["t", "service", "name", "duration_ms"]].join(counts, how="inner").reset_index()
    out["end"] = out["t"] + out["duration_ms"] / 1000.0
    out["status"] = np.where(out["errors"] > 0, "error", "ok")
    return out.sort_values(["t", "trace_id"], ignore_index=True)[SUMMARY_COLUMNS]


@dataclass(frozen=True)
class TraceQuery:
    service: str | None = None  # the trace touches this service anywhere
    status: str | None = None  # "ok" | "error"
    min_ms: float = 0.0


class TraceIndex:
    """Summaries plus a trace x service table, built once, so a query on each clock tick is a
    few vector comparisons over the traces rather than a pass over every span."""

    def __init__(self, spans: pd.DataFrame):
        self.spans = spans
        self.summaries = trace_summaries(spans)
        self.services = sorted(spans["service"].unique()) if len(spans) else []
        self.touches = np.zeros((len(self.summaries), len(self.services)), dtype=bool)
        if len(spans):
            trace = pd.Index(self.summaries["trace_id"]).get_indexer(spans["trace_id"])
            service = pd.Index(self.services).get_indexer(spans["service"])
            ok = trace >= 0  # spans of a trace without a root are not listed
            self.touches[trace[ok], service[ok]] = True
        self._end = self.summaries["end"].to_numpy(dtype=float)
        self._ms = self.summaries["duration_ms"].to_numpy(dtype=float)
        self._error = (self.summaries["status"] == "error").to_numpy()

    def select(self, query: TraceQuery, now: float) -> pd.DataFrame:
        """Traces finished by `now` that pass `query`, newest first (a tracer exports on finish)."""
        keep = (self._end <= now) & (self._ms >= query.min_ms)
        if query.status is not None:
            keep &= self._error if query.status == "error" else ~self._error
        if query.service is not None:
            if query.service not in self.services:
                return self.summaries.iloc[:0]
            keep &= self.touches[:, self.services.index(query.service)]
        return self.summaries[keep].iloc[::-1].reset_index(drop=True)

    def spans_of(self, trace_id: str) -> pd.DataFrame:
        return self.spans[self.spans["trace_id"] == trace_id]


@dataclass(frozen=True)
class SpanRow:
    span_id: str
    service: str
    name: str
    t: float
    duration_ms: float
    status: str
    message: str
    depth: int
    attempt: int  # 1 for a first call; 2.. for its retries
    attempts: int  # how many times this call was made under this parent


def span_tree(spans: pd.DataFrame) -> list[SpanRow]:
    """The spans of one trace depth-first, children by start time, each retry numbered."""
    rows = spans.sort_values("t", kind="stable")
    children: dict[str, list] = {}
    for rec in rows.itertuples(index=False):  # one trace: tens of spans
        children.setdefault(rec.parent_id, []).append(rec)
    known = set(rows["span_id"])
    roots = [r for r in rows.itertuples(index=False) if r.parent_id == "" or r.parent_id not in known]
    out: list[SpanRow] = []

    def walk(recs: list, depth: int) -> None:
        seen: dict[str, int] = {}
        totals: dict[str, int] = {}
        for r in recs:
            totals[r.service] = totals.get(r.service, 0) + 1
        for r in recs:
            seen[r.service] = seen.get(r.service, 0) + 1
            out.append(
                SpanRow(
                    r.span_id,
                    r.service,
                    r.name,
                    float(r.t),
                    float(r.duration_ms),
                    r.status,
                    r.message or "",
                    depth,
                    seen[r.service],
                    totals[r.service],
                )
            )
            walk(children.get(r.span_id, []), depth + 1)

    walk(roots, 0)
    return out
