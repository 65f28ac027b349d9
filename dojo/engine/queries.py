"""Investigation queries over one incident's signals, as of `now` on the replay clock.

`Signals` indexes a Telemetry once (dictionary codes, sorted times, per-series arrays, per-trace
summaries); every query then takes `now` and sees only what has happened by then:

- a log line exists from its timestamp on (`t <= now`);
- a metric bucket exists once it has closed (`t + grid <= now`), as a scraper would see it;
- a span exists once it has ended, a trace once all its spans have ended;
- an alert or change event from its time on.

Logs are sorted by t, so "up to now" and a time window are two binary searches and a zero-copy
slice; the filters then run column-wise (numpy on dictionary codes, text search on the message
column), never a Python loop per line.

The text filters live in `textsearch` (a literal block scan, a regex prefilter, RE2 on every
row as the fallback); arguments and results in `api`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.model import CHANGE_KINDS
from dojo.scenario.vocabulary import LEVELS
from dojo.telemetry.faults import FAULTS
from dojo.telemetry.model import Telemetry
from dojo.telemetry.text import plain_lines

from . import ids
from .api import (
    EventItem,
    EventList,
    EventQuery,
    Item,
    LogLine,
    LogPage,
    LogQuery,
    MetricCatalog,
    MetricQuery,
    MetricSeries,
    MetricSummary,
    Overview,
    ServiceNow,
    SpanEvent,
    SpanNode,
    TracePage,
    TraceQuery,
    TraceSummary,
    WindowStats,
)
from .errors import NotFound, QueryError
from .textsearch import TextSearch, check_regex, match_mask, re2_literal

# -- helpers ---------------------------------------------------------------------------------


def _json_or(text: object, empty: Any) -> Any:
    """An imported span's attributes or events, kept as JSON text (a synthetic span has none)."""
    if not isinstance(text, str) or not text:
        return empty
    try:
        value = json.loads(text)
    except ValueError:
        return empty
    return value if isinstance(value, type(empty)) else empty


def _r(x: float) -> float:
    return round(float(x), 3)


def _single(col: pa.ChunkedArray) -> pa.Array:
    # One chunk is used as it is: combine_chunks would copy it, and a column mapped from the
    # incident cache must stay in the mapping (shared by every player), not on this heap.
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _column(col: pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A big column as it is: one array, or the chunks of an incident changed by an action (the
    cached part before it, mapped, and the part after), never concatenated into a copy."""
    return col.chunk(0) if col.num_chunks == 1 else col


def _numpy(col: pa.ChunkedArray) -> np.ndarray:
    """Numbers as numpy: zero-copy for one chunk; a copy (8 bytes a row, small) for several."""
    out: np.ndarray = col.chunk(0).to_numpy(zero_copy_only=False) if col.num_chunks == 1 else col.to_numpy()
    return out


class _Codes:
    """A dictionary column as numpy codes, with names -> code."""

    def __init__(self, col: pa.ChunkedArray, what: str):
        if col.num_chunks > 1 and pa.types.is_dictionary(col.type):
            # Chunks may each have their own dictionary (an incident changed by an action): one
            # shared dictionary, and the codes (small integers) concatenated.
            col = col.unify_dictionaries()
            self.codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in col.chunks])
            names = col.chunk(0).dictionary.to_pylist()
        elif pa.types.is_dictionary((arr := _single(col)).type):
            self.codes = arr.indices.to_numpy(zero_copy_only=False)
            names = arr.dictionary.to_pylist()
        else:  # an importer may hand us plain strings
            enc = pc.dictionary_encode(arr)
            self.codes = enc.indices.to_numpy(zero_copy_only=False)
            names = enc.dictionary.to_pylist()
        self.names = names
        self.what = what
        self.lookup: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            self.lookup.setdefault(name, []).append(i)

    def mask(self, wanted: list[str], lo: int, hi: int, known: list[str]) -> np.ndarray:
        codes: list[int] = []
        for w in wanted:
            if w not in known:
                listed = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
                raise QueryError(f"no {self.what} {w!r}; {self.what}s: {listed}")
            codes.extend(self.lookup.get(w, []))
        return np.isin(self.codes[lo:hi], np.array(codes, dtype=self.codes.dtype))


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


TRACE_COLUMNS = ["trace_id", "t", "service", "name", "duration_ms", "spans", "errors", "retries", "finished", "root"]


def _trace_table(sp: pd.DataFrame) -> pd.DataFrame:
    """One row per trace (TRACE_COLUMNS), by start time: the root span's t, service, name and
    duration; how many spans, failed spans and retries it holds; `finished`, when its last span
    ended; `root`, the root span's pin id. A retry is a span repeating a sibling's call (same
    parent, same service; its operation name may differ, e.g. "GET /x (retry)")."""
    if sp.empty:
        return pd.DataFrame(columns=TRACE_COLUMNS)
    roots = sp[sp["parent_id"] == ""].drop_duplicates("trace_id").set_index("trace_id")
    flags = sp.assign(error=sp["status"] == "error", retry=sp.duplicated(["trace_id", "parent_id", "service"]))
    per = flags.groupby("trace_id").agg(
        spans=("span_id", "size"), errors=("error", "sum"), retries=("retry", "sum"), finished=("end", "max")
    )
    tr = per.join(roots[["t", "service", "name", "duration_ms", "span_id"]], how="inner").reset_index()
    tr["root"] = [ids.span_id(t, s) for t, s in zip(tr["trace_id"], tr["span_id"])]
    tr[["spans", "errors", "retries"]] = tr[["spans", "errors", "retries"]].astype(np.int64)
    return tr.sort_values(["t", "trace_id"], kind="stable", ignore_index=True)[TRACE_COLUMNS]


def _page(rows: np.ndarray, order: str, offset: int, limit: int) -> np.ndarray:
    if order == "newest":
        rows = rows[::-1]
    return rows[offset : offset + limit]


def _stats(service: str, metric: str, t0: float, t1: float, v: np.ndarray) -> WindowStats:
    wid = ids.window_id(service, metric, t0, t1)
    if len(v) == 0:
        return WindowStats(wid, service, metric, _r(t0), _r(t1), 0, None, None, None, None, None, None, None, None)
    p50, p90, p99 = np.percentile(v, [50, 90, 99])
    return WindowStats(
        wid, service, metric, _r(t0), _r(t1), int(len(v)),
        round(float(v.mean()), 4), round(float(v.min()), 4), round(float(v.max()), 4),
        round(float(p50), 4), round(float(p90), 4), round(float(p99), 4),
        round(float(v[0]), 4), round(float(v[-1]), 4),
    )  # fmt: skip


def _metric_series(metrics: pd.DataFrame) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(t, value) per (service, metric), in order of first appearance, sorted by t. One sort over
    the whole frame, not a groupby with a sort per series: opening a large incident waits on it."""
    if not len(metrics):
        return {}
    si, services = pd.factorize(metrics["service"])
    mi, names = pd.factorize(metrics["metric"])
    group = si.astype(np.int64) * len(names) + mi
    t = metrics["t"].to_numpy(dtype=float)
    v = metrics["value"].to_numpy(dtype=float)
    uniq, first = np.unique(group, return_index=True)
    # A bucket without requests has no latency: no data point, as a metrics store would have.
    rows = np.flatnonzero(~np.isnan(v))
    rows = rows[np.lexsort((t[rows], group[rows]))]
    bounds = np.searchsorted(group[rows], uniq)
    ends = np.append(bounds[1:], len(rows))
    out: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for k in np.argsort(first, kind="stable"):
        g = int(uniq[k])
        sel = rows[bounds[k] : ends[k]]
        out[(str(services[g // len(names)]), str(names[g % len(names)]))] = (t[sel], v[sel])
    return out


# -- the index -------------------------------------------------------------------------------


# Signals indexed ahead by a process that forks players (the fork server of `dojo serve`), by
# the identity of the incident's log table: its forks use them, pages shared, instead of each
# indexing the incident again. Empty in every other process.
_PREBUILT: dict[int, Signals] = {}


def prebuild(tel: Telemetry) -> Signals:
    """Index `tel` now and keep the result for `signals_of` (and so for this process's forks)."""
    signals = Signals(tel)
    signals.traces  # noqa: B018 - what a lone session builds on its first trace query, built once here for every fork
    _PREBUILT[id(tel.logs)] = signals
    return signals


def forget_prebuilt(tel: Telemetry) -> None:
    """Drop what `prebuild` kept for `tel` (the warm dojo letting an incident go)."""
    _PREBUILT.pop(id(tel.logs), None)


def signals_of(tel: Telemetry) -> Signals:
    """The incident's Signals: the prebuilt ones when `tel` is the very incident they index (the
    same tables and frames; only caches derived from those change in them), else built now."""
    ready = _PREBUILT.get(id(tel.logs))
    if ready is not None and all(
        getattr(ready.tel, part) is getattr(tel, part) for part in ("logs", "metrics", "spans", "events")
    ):
        return ready
    return Signals(tel)


class Signals:
    """One incident's signals, indexed for queries at any `now`."""

    def __init__(self, tel: Telemetry):
        self.tel = tel
        self.scenario = tel.scenario
        self.grid = float(tel.grid)
        self.end = float(tel.duration)
        self.services = list(tel.scenario.service_names)
        self.log_sample = float(tel.scenario.log_sample)

        logs = tel.logs
        self.log_table = logs
        self.log_t = _numpy(logs.column("t"))
        self.log_ids = _numpy(logs.column("id"))
        self.message = _column(logs.column("message"))
        self.text = TextSearch(self.message)
        self.trace_col = _column(logs.column("trace_id"))
        self.svc = _Codes(logs.column("service"), "service")
        self.lvl = _Codes(logs.column("level"), "level")
        self.host = _Codes(logs.column("host"), "host")

        self.series = _metric_series(tel.metrics)
        self.metric_names: dict[str, list[str]] = {s: [] for s in self.services}
        for service, metric in self.series:
            self.metric_names.setdefault(service, []).append(metric)

        sp = tel.spans.reset_index(drop=True).copy()
        sp["end"] = sp["t"] + sp["duration_ms"] / 1000.0
        self.spans = sp
        self._span_rows: dict[tuple[str, str], int] | None = None
        self._traces: pd.DataFrame | None = None  # the trace table, built by the first trace query
        self._matches: dict[tuple[object, ...], pd.DataFrame] = {}

        self.events = tel.events.reset_index(drop=True)
        self._triggers = self._timeline_refs()

    @property
    def traces(self) -> pd.DataFrame:
        """One row per trace (`_trace_table`). Built on first use, not when the incident opens:
        a large incident's takes tens of milliseconds that the first screen does not need."""
        if self._traces is None:
            self._traces = _trace_table(self.spans)
        return self._traces

    # -- logs --------------------------------------------------------------------------------

    def visible_logs(self, now: float) -> int:
        return int(np.searchsorted(self.log_t, now, side="right"))

    def _range(self, times: np.ndarray, since: float | None, until: float | None, now: float) -> tuple[int, int]:
        upto = now if until is None else min(until, now)
        lo = 0 if since is None else int(np.searchsorted(times, since, side="left"))
        hi = int(np.searchsorted(times, upto, side="right"))
        return lo, max(lo, hi)

    def logs(self, q: LogQuery, now: float) -> LogPage:
        if q.regex is not None:
            check_regex(q.regex)
        lo, hi = self._range(self.log_t, q.since, q.until, now)
        rows = self.log_rows(q, lo, hi)
        page = _page(rows, q.order, q.offset, q.limit)
        return LogPage(
            count=int(len(rows)), offset=q.offset, order=q.order, lines=self.log_lines(page),
            log_sample=self.log_sample,
        )  # fmt: skip

    def log_rows(self, q: LogQuery, lo: int, hi: int) -> np.ndarray:
        """The rows in [lo, hi) of `log_table` that pass the query's filters (text, service, host,
        level, trace; not its time window or paging), ascending. The one log filter: the terminal
        UI's pane, which holds the whole table, asks here too."""
        if q.regex is not None:
            check_regex(q.regex)
        mask: np.ndarray | None = None  # over rows [lo, hi)

        def both(m: np.ndarray) -> None:
            nonlocal mask
            mask = m if mask is None else mask & m

        if (services := _as_list(q.service)) is not None:
            both(self.svc.mask(services, lo, hi, self.services))
        if (hosts := _as_list(q.host)) is not None:
            both(self.host.mask(hosts, lo, hi, self.host.names))
        if (levels := _as_list(q.level)) is not None:
            both(self.lvl.mask(levels, lo, hi, list(LEVELS)))
        if q.trace_id is not None:
            both(pc.equal(self.trace_col.slice(lo, hi - lo), q.trace_id).to_numpy(zero_copy_only=False))
        sparse = mask is not None and np.count_nonzero(mask) < len(mask) / 2

        candidates: np.ndarray | None = None  # absolute rows still in the running
        patterns: list[str] = []
        if q.contains is not None:
            if not q.ignore_case and not sparse:
                candidates = self.text.literal_rows(q.contains, lo, hi)
                if candidates is not None and mask is not None:
                    candidates = candidates[mask[candidates - lo]]
            if candidates is None:
                patterns.append(re2_literal(q.contains))
        if q.regex is not None:
            patterns.append(q.regex)
            if candidates is None and not q.ignore_case and not sparse:
                candidates = self.text.prefilter(q.regex, lo, hi)  # rows that can match; RE2 still decides
                if candidates is not None and mask is not None:
                    candidates = candidates[mask[candidates - lo]]
        prefix = "(?i)" if q.ignore_case else ""
        if candidates is None and sparse and patterns:
            assert mask is not None  # sparse implies a mask
            candidates = np.flatnonzero(mask) + lo  # the cheap filters cut most rows: search only the survivors

        if candidates is not None:
            rows = candidates
            if patterns and len(rows):
                subset = self.message.take(pa.array(rows))
                keep = np.ones(len(rows), dtype=bool)
                for p in patterns:
                    keep &= match_mask(subset, prefix + p)
                rows = rows[keep]
        else:
            for p in patterns:
                both(match_mask(self.message.slice(lo, hi - lo), prefix + p))
            rows = np.arange(lo, hi) if mask is None else np.flatnonzero(mask) + lo
        return rows

    def log_lines(self, rows: np.ndarray) -> list[LogLine]:
        if len(rows) == 0:
            return []
        sub = self.log_table.take(pa.array(rows, pa.int64()))
        cols = {
            name: sub.column(name).to_pylist()
            for name in ("id", "t", "service", "host", "level", "trace_id", "message")
        }
        text = plain_lines(sub, self.tel.start).to_pylist()
        return [
            LogLine(ids.log_id(i), _r(t), s, h, lv, tr, m, x)
            for i, t, s, h, lv, tr, m, x in zip(
                cols["id"],
                cols["t"],
                cols["service"],
                cols["host"],
                cols["level"],
                cols["trace_id"],
                cols["message"],
                text,
            )
        ]

    # -- metrics -----------------------------------------------------------------------------

    def check_service(self, service: str) -> str:
        if service not in self.services:
            raise QueryError(f"no service {service!r}; services: {', '.join(self.services)}")
        return service

    def _series(self, service: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        self.check_service(service)
        if (service, metric) not in self.series:
            have = ", ".join(self.metric_names[service]) or "none"
            raise QueryError(f"{service} has no metric {metric!r}; it has: {have}")
        return self.series[(service, metric)]

    def window(self, service: str, metric: str, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Buckets that lie wholly in [t0, t1): a window id alone says what it holds."""
        t, v = self._series(service, metric)
        keep = (t >= t0) & (t + self.grid <= t1 + 1e-9)
        return t[keep], v[keep]

    def closed_until(self, now: float) -> float:
        """End of the last bucket that has closed by `now`."""
        return math.floor(now / self.grid + 1e-9) * self.grid

    def metrics(self, q: MetricQuery, now: float) -> MetricSeries | MetricSummary | MetricCatalog:
        if q.service is None:
            if q.metric is not None:
                raise QueryError("give the service whose metric you want")
            return MetricCatalog(
                grid=self.grid, services={s: list(self.metric_names.get(s, [])) for s in self.services}
            )
        t0 = q.since or 0.0
        t1 = self.closed_until(now) if q.until is None else min(q.until, now)
        if t1 <= t0:
            raise QueryError(f"empty window: since {t0:g} is not before {t1:g} (now is {now:g})")
        metrics = [q.metric] if q.metric is not None else list(self.metric_names[self.check_service(q.service)])
        windows = []
        for metric in metrics:
            t, v = self.window(q.service, metric, t0, t1)
            windows.append((metric, t, v, _stats(q.service, metric, t0, t1, v)))
        if q.metric is None:
            return MetricSummary(service=q.service, windows=[w for *_, w in windows])
        metric, t, v, stats = windows[0]
        points = [[_r(a), round(float(b), 4)] for a, b in zip(t, v)] if q.points else []
        return MetricSeries(service=q.service, metric=metric, window=stats, points=points)

    # Each service's normal: the median of its first closed buckets, as the workspace's map uses.
    BASELINE_BUCKETS = 30
    SATURATION = ("cpu_pct", "memory_pct", "pool_used_pct")

    def _now_and_base(self, service: str, metric: str, n_now: float) -> tuple[float | None, float | None]:
        t, v = self.series.get((service, metric), (None, None))
        if t is None or v is None:
            return None, None
        known = int(np.searchsorted(t, n_now - self.grid + 1e-9, side="right"))
        if known == 0:
            return None, None
        base = v[: min(known, self.BASELINE_BUCKETS)]
        base = base[~np.isnan(base)]
        last = v[known - 1]
        return (
            None if np.isnan(last) else round(float(last), 4),
            round(float(np.median(base)), 4) if len(base) else None,
        )

    def overview(self, now: float) -> Overview:
        """Per service: rate, errors, p99 and saturation in the last closed bucket, each beside
        its baseline, and the alerts firing on it: one call instead of one query per service."""
        closed = self.closed_until(now)
        firing = self.firing(now)
        on = {a.name: a.service for a in self.scenario.alerts}
        rows = []
        for service in self.services:
            rps, rps_b = self._now_and_base(service, "rps", closed)
            err, err_b = self._now_and_base(service, "error_rate", closed)
            p99, p99_b = self._now_and_base(service, "latency_p99_ms", closed)
            sat = [self._now_and_base(service, m, closed) for m in self.SATURATION]
            now_sat = [a for a, _ in sat if a is not None]
            base_sat = [b for _, b in sat if b is not None]
            rows.append(
                ServiceNow(
                    service=service, rps=rps, rps_baseline=rps_b, error_rate=err, error_rate_baseline=err_b,
                    p99_ms=p99, p99_ms_baseline=p99_b,
                    saturation_pct=max(now_sat) if now_sat else None,
                    saturation_pct_baseline=max(base_sat) if base_sat else None,
                    firing=[n for n in firing if on.get(n) == service],
                )
            )  # fmt: skip
        t0 = max(0.0, closed - self.grid)
        base_end = min(closed, self.BASELINE_BUCKETS * self.grid)
        return Overview(now=_r(now), t0=_r(t0), baseline=[0.0, _r(base_end)], services=rows)

    def visible_points(self, now: float) -> int:
        closed = self.closed_until(now)
        return int(sum(int(np.searchsorted(t, closed - self.grid, side="right")) for t, _ in self.series.values()))

    # -- traces ------------------------------------------------------------------------------

    def trace_matches(self, q: TraceQuery) -> pd.DataFrame:
        """Every trace with a span matching `q`'s filters (service, status, min_ms, contains,
        trace_id: all on the same span), whether or not it has finished: one row per trace
        (TRACE_COLUMNS and `match`, the first matching span's pin id), by start time. The
        `traces` query pages these as of now; the TUI's trace list takes them whole and shows
        those `finished` by its clock, so both list the same traces with the same facts."""
        key = (q.service, q.status, q.min_ms, q.contains, q.trace_id)
        hit = self._matches.get(key)
        if hit is not None:
            return hit
        sp = self.spans
        m = np.ones(len(sp), dtype=bool)
        if q.service is not None:
            m &= (sp["service"] == self.check_service(q.service)).to_numpy()
        if q.status is not None:
            m &= (sp["status"] == q.status).to_numpy()
        if q.min_ms is not None:
            m &= (sp["duration_ms"] >= q.min_ms).to_numpy()
        if q.contains is not None:
            m &= sp["message"].str.contains(q.contains, regex=False).to_numpy(dtype=bool)
        if q.trace_id is not None:
            m &= (sp["trace_id"] == q.trace_id).to_numpy()
        first = sp[m].drop_duplicates("trace_id")  # spans are sorted by t: the earliest match
        match = {t: ids.span_id(t, s) for t, s in zip(first["trace_id"], first["span_id"])}
        tr = self.traces
        out = tr[tr["trace_id"].isin(list(match)).to_numpy()].reset_index(drop=True)
        out["match"] = out["trace_id"].map(match)
        if len(self._matches) >= 16:  # a few filters a learner flips between, not every one typed
            self._matches.pop(next(iter(self._matches)))
        self._matches[key] = out
        return out

    def traces_query(self, q: TraceQuery, now: float) -> TracePage:
        tr = self.trace_matches(q)
        keep = (tr["finished"] <= now).to_numpy(copy=True)
        if q.since is not None:
            keep &= (tr["t"] >= q.since).to_numpy()
        if q.until is not None:
            keep &= (tr["t"] <= q.until).to_numpy()
        rows = np.flatnonzero(keep)
        page = tr.iloc[_page(rows, q.order, q.offset, q.limit)]
        out = [
            TraceSummary(
                trace_id=r.trace_id, t=_r(r.t), service=r.service, name=r.name,
                duration_ms=round(float(r.duration_ms), 3),
                status="error" if r.errors else "ok", spans=int(r.spans), match=r.match,
                errors=int(r.errors), retries=int(r.retries), finished=_r(r.finished),
            )
            for r in page.itertuples(index=False)
        ]  # fmt: skip
        return TracePage(count=int(len(rows)), offset=q.offset, order=q.order, traces=out)

    def trace(self, trace_id: str, now: float) -> SpanNode:
        tr = self.traces[self.traces["trace_id"] == trace_id]
        if tr.empty:
            raise NotFound(f"no trace {trace_id!r}")
        if float(tr["finished"].iloc[0]) > now:
            raise NotFound(f"trace {trace_id} has not finished yet (now is {now:g}s)")
        own = self.spans[self.spans["trace_id"] == trace_id].sort_values(["t", "span_id"], kind="stable")
        call = own.groupby(["parent_id", "service"], sort=False)["span_id"]
        attempt = (call.cumcount() + 1).to_numpy()
        attempts = call.transform("size").to_numpy()
        detail = "attributes" in own.columns
        nodes = {
            r.span_id: SpanNode(
                ids.span_id(trace_id, r.span_id),
                r.service,
                r.name,
                _r(r.t),
                round(float(r.duration_ms), 3),
                r.status,
                r.message,
                int(attempt[i]),
                int(attempts[i]),
                attributes=_json_or(r.attributes, {}) if detail else {},
                events=[
                    SpanEvent(_r(float(e.get("t", 0.0))), str(e.get("name", "")), dict(e.get("attributes") or {}))
                    for e in (_json_or(r.events, []) if detail else [])
                    if isinstance(e, dict)
                ],
            )
            for i, r in enumerate(own.itertuples(index=False))
        }
        root = None
        for r in own.itertuples(index=False):
            parent = nodes.get(r.parent_id)
            if parent is not None:
                parent.children.append(nodes[r.span_id])
            elif root is None:
                root = nodes[r.span_id]
        assert root is not None
        return root

    def visible_traces(self, now: float) -> int:
        return int((self.traces["finished"] <= now).sum())

    def visible_spans(self, now: float) -> int:
        return int((self.spans["end"] <= now).sum())

    # -- events ------------------------------------------------------------------------------

    def events_query(self, q: EventQuery, now: float) -> EventList:
        ev = self.events
        keep = (ev["t"] <= now).to_numpy(copy=True)
        if q.kind == "alerts":
            keep &= ev["kind"].str.startswith("alert_").to_numpy(dtype=bool)
        elif q.kind == "changes":
            keep &= ~ev["kind"].str.startswith("alert_").to_numpy(dtype=bool)
        if q.service is not None:
            keep &= (ev["service"] == self.check_service(q.service)).to_numpy()
        if q.since is not None:
            keep &= (ev["t"] >= q.since).to_numpy()
        if q.until is not None:
            keep &= (ev["t"] <= q.until).to_numpy()
        rows = np.flatnonzero(keep)
        return EventList(count=int(len(rows)), events=[self.event_item(int(i)) for i in rows[: q.limit]])

    def event_item(self, row: int) -> EventItem:
        r = self.events.iloc[row]
        return EventItem(
            ids.event_id(row), _r(r["t"]), str(r["kind"]), str(r["service"]), str(r["name"]), str(r["detail"])
        )

    def visible_events(self, now: float) -> int:
        return int((self.events["t"] <= now).sum())

    def firing(self, now: float) -> list[str]:
        """Alerts firing at `now`: fired and not resolved since."""
        state: dict[str, bool] = {}
        seen = self.events[(self.events["t"] <= now) & self.events["kind"].isin(["alert_firing", "alert_resolved"])]
        for name, kind in zip(seen["name"], seen["kind"]):
            state[name] = kind == "alert_firing"
        return sorted(n for n, on in state.items() if on)

    def _timeline_refs(self) -> dict[int, str | None]:
        """Event row -> the id of the timeline entry behind it (changes only), for triggers."""
        out: dict[int, str | None] = {}
        for i, ev in enumerate(self.scenario.timeline):
            kind = ev.kind if ev.kind in CHANGE_KINDS else getattr(FAULTS.get(ev.kind), "change_event", None)
            if kind is None:
                continue
            same = self.events[
                (self.events["kind"] == kind)
                & (self.events["service"] == ev.service)
                & (self.events["t"] == float(ev.at))
            ]
            for row in same.index:
                out.setdefault(int(row), ev.id or f"timeline[{i}]")
        return out

    def trigger_of(self, event: str, now: float) -> str:
        """The timeline id behind a change event the learner names as the trigger."""
        item = self.resolve(event, now)
        if item.kind != "event":
            raise QueryError(f"a trigger is a change event id like E3, not {event!r}")
        ref = self._triggers.get(int(event[1:]))
        if ref is None:
            raise QueryError(
                f"{event} is {item.data['kind']}, not a change: a trigger is a deploy, config change or the like"
            )
        return ref

    # -- pins --------------------------------------------------------------------------------

    def resolve(self, item: str, now: float) -> Item:
        """What an id points at, if it exists and has happened by `now`; else NotFound."""
        p = ids.parse(item)
        if p.kind == "log":
            return self._resolve_log(item, p.log, now)
        if p.kind == "span":
            return self._resolve_span(item, p.trace_id, p.span, now)
        if p.kind == "metric":
            return self._resolve_window(p, now)
        return self._resolve_event(item, p.event, now)

    def _resolve_log(self, item: str, row: int, now: float) -> Item:
        if not (0 <= row < len(self.log_ids)) or self.log_ids[row] != row:
            raise NotFound(f"no log line {item}")
        if self.log_t[row] > now:
            raise NotFound(f"log line {item} has not happened yet (now is {now:g}s)")
        line = self.log_lines(np.array([row]))[0]
        data = {
            "service": line.service,
            "level": line.level,
            "message": line.message,
            "host": line.host,
            "trace_id": line.trace_id,
        }
        return Item(item, "log", line.t, line.text, data)

    def _resolve_span(self, item: str, trace_id: str, span: str, now: float) -> Item:
        if self._span_rows is None:
            self._span_rows = {(a, b): i for i, (a, b) in enumerate(zip(self.spans["trace_id"], self.spans["span_id"]))}
        row = self._span_rows.get((trace_id, span))
        if row is None:
            raise NotFound(f"no span {item}")
        r = self.spans.iloc[row]
        if r["end"] > now:
            raise NotFound(f"span {item} has not finished yet (now is {now:g}s)")
        data = {
            "service": r["service"], "name": r["name"], "status": r["status"],
            "duration_ms": round(float(r["duration_ms"]), 3),
            "message": r["message"], "trace_id": trace_id,
        }  # fmt: skip
        summary = f"{r['service']} {r['name']} {data['duration_ms']:g}ms {r['status']}" + (
            f": {r['message']}" if r["message"] else ""
        )
        return Item(item, "span", _r(r["t"]), summary, data)

    def _resolve_window(self, p: ids.ParsedId, now: float) -> Item:
        item = ids.window_id(p.service, p.metric, p.t0, p.t1)
        if p.t1 <= p.t0:
            raise NotFound(f"metric window {item}: t0 must be before t1")
        if p.t1 > now + 1e-9:
            raise NotFound(f"metric window {item} ends after now ({now:g}s): it has not happened yet")
        try:
            t, v = self.window(p.service, p.metric, p.t0, p.t1)
        except QueryError as exc:
            raise NotFound(f"no metric window {item}: {exc}") from None
        if len(t) == 0:
            raise NotFound(f"metric window {item} holds no data point (buckets are {self.grid:g}s)")
        stats = _stats(p.service, p.metric, p.t0, p.t1, v)
        data = {
            "service": p.service,
            "metric": p.metric,
            "t0": p.t0,
            "t1": p.t1,
            "t": [_r(x) for x in t],
            "values": [round(float(x), 4) for x in v],
        }
        summary = (
            f"{p.service} {p.metric} {fmt(p.t0)}..{fmt(p.t1)}: min {stats.min:g} mean {stats.mean:g} max {stats.max:g}"
        )
        return Item(item, "metric", _r(p.t1), summary, data)

    def _resolve_event(self, item: str, row: int, now: float) -> Item:
        if not (0 <= row < len(self.events)):
            raise NotFound(f"no event {item}")
        ev = self.event_item(row)
        if ev.t > now:
            raise NotFound(f"event {item} has not happened yet (now is {now:g}s)")
        data = {"kind": ev.kind, "service": ev.service, "name": ev.name, "detail": ev.detail}
        return Item(item, "event", ev.t, f"{ev.kind} {ev.service}: {ev.name}", data)


def fmt(t: float) -> str:
    return ids.fmt_t(t) + "s"
