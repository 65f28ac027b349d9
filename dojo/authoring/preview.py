"""`dojo preview`: what a scenario will show a learner, laid out for its author to review.

One report, two renderings: plain text for a terminal and Markdown for a review (a pull request,
a wiki page). `build` computes everything from the synthesized telemetry; the renderers only lay
it out, so the two can never disagree.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dojo.authoring.credit import credit_lines
from dojo.authoring.lint import Finding, fault_events, lint, onset, page_time
from dojo.scenario.durations import format_duration
from dojo.scenario.model import Scenario, TimelineEvent
from dojo.telemetry.faults import FAULTS, FaultKind
from dojo.telemetry.imported import imported_signals, unknown_names
from dojo.telemetry.logs import ACCESS, HEALTH
from dojo.telemetry.model import Telemetry
from dojo.telemetry.selectors import describe, selector_hits
from dojo.telemetry.text import plain_lines

# -- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class Pre:
    """Preformatted lines: a tree, log lines, a trace."""

    lines: list[str]


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Sub:
    """A heading inside a section (one per fault in the samples)."""

    title: str


Part = Union[Table, Pre, Para, Sub]


@dataclass
class Section:
    title: str
    parts: list[Part] = field(default_factory=list)


@dataclass
class Report:
    title: str
    sections: list[Section]


SECTIONS = ("Scenario", "Topology", "Timeline", "Alerts", "Metrics", "Fault samples", "Evidence", "Lint")
IMPORTED = "Imported signals"  # only for a scenario with imports:, after the fault samples
KEY_METRICS = ("rps", "error_rate", "latency_p99_ms")
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24
ONSET_MARK = "│"
SAMPLE_LINES = 5
TRACE_LINES = 12


def clock(seconds: float) -> str:
    """Scenario time as the learner's clock shows it: 15:00, 1:05:00."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def build(sc: Scenario, tel: Telemetry, findings: list[Finding] | None = None) -> Report:
    start = onset(sc)
    control = not fault_events(sc)
    findings = lint(sc, tel) if findings is None else findings
    sections = [
        Section("Scenario", summary(sc, tel, start, control)),
        Section("Topology", [Pre(topology(sc))]),
        Section("Timeline", [timeline(sc)]),
        Section("Alerts", alerts(sc, tel, start, control)),
        Section("Metrics", metrics(sc, tel, None if control else start)),
        Section("Fault samples", samples(sc, tel)),
        Section("Evidence", evidence(sc, tel, start)),
        Section("Lint", lint_parts(findings)),
    ]
    if sc.imports is not None:
        sections.insert(SECTIONS.index("Evidence"), Section(IMPORTED, imported(sc, tel)))
    return Report(f"{sc.id}: {sc.title}", sections)


def summary(sc: Scenario, tel: Telemetry, start: float, control: bool) -> list[Part]:
    page = page_time(sc, tel)
    if page is None:
        paged = "nothing pages the learner"
    elif control:
        paged = f"paged at {clock(page)}"
    else:
        paged = f"paged at {clock(page)}, {clock(abs(page - start))} {'after' if page >= start else 'BEFORE'} the onset"
    facts = [
        f"difficulty {sc.difficulty}, {clock(sc.duration)} long, seed {tel.seed}, par {clock(sc.par)}",
        f"{len(sc.services)} services, {tel.n_logs:,} log lines (request lines for {sc.log_sample:.0%} of requests), "
        f"{tel.spans['trace_id'].nunique():,} traces",
        "no fault: a control scenario (the page is noise)"
        if control
        else f"onset {clock(start)} (the first fault that is not a red herring)",
        paged,
    ]
    parts: list[Part] = [Para("; ".join(facts) + ".")]
    if sc.source is not None:
        head, *rest = credit_lines(sc.source.url, sc.source.org, sc.source.date, sc.source.changes)
        parts += [Para(head), Pre(rest)] if rest else [Para(head)]
    return parts


# -- topology and timeline ----------------------------------------------------------------------


def topology(sc: Scenario) -> list[str]:
    """The call graph as a tree from each entry service; a service reached twice is drawn once
    and named again as '(see above)'."""
    called = {c for s in sc.services for c in s.calls}
    faults: dict[str, list[str]] = {}
    for ev in sc.timeline:
        if ev.kind in FAULTS and ev.kind != "no_fault":
            faults.setdefault(ev.service, []).append(
                f"{ev.kind} at {clock(ev.at)}{' (red herring)' if ev.red_herring else ''}"
            )
    lines: list[str] = []
    seen: set[str] = set()

    def label(name: str) -> str:
        svc = sc.service(name)
        traffic = f", {svc.rps:g} rps" if svc.rps else ""
        mark = f"  <- {'; '.join(faults[name])}" if name in faults else ""
        return f"{name} ({svc.kind}{traffic}){mark}"

    def walk(name: str, prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└─ " if last else "├─ ")
        if name in seen:
            lines.append(f"{prefix}{branch}{name} (see above)")
            return
        seen.add(name)
        lines.append(f"{prefix}{branch}{label(name)}")
        inner = prefix if root else prefix + ("   " if last else "│  ")
        calls = [c for c in sc.service(name).calls if c in sc.service_names]
        for i, callee in enumerate(calls):
            walk(callee, inner, i == len(calls) - 1, False)

    for svc in sc.services:
        if svc.name not in called:
            walk(svc.name, "", True, True)
    for svc in sc.services:  # on a loop the loader refuses; drawn anyway rather than lost
        if svc.name not in seen:
            walk(svc.name, "", True, True)
    return lines


def _details(ev: TimelineEvent) -> str:
    parts = [f"{k}={v}" for k, v in ev.params.items()]
    parts += [f"version {ev.version}"] if ev.version else []
    parts += [f"id {ev.id}"] if ev.id else []
    parts += [ev.note] if ev.note else []
    return ", ".join(parts)


def timeline(sc: Scenario) -> Table:
    rows = []
    for ev in sorted(sc.timeline, key=lambda e: e.at):
        what = "fault" if ev.kind in FAULTS else "change"
        until = clock(ev.end) if ev.end is not None else "end"
        rows.append(
            (
                clock(ev.at),
                until if what == "fault" else "",
                ev.kind,
                what,
                ev.service,
                "RED HERRING" if ev.red_herring else "",
                _details(ev),
            )
        )
    return Table(("at", "until", "kind", "is", "service", "red herring", "details"), rows)


# -- alerts -------------------------------------------------------------------------------------


def alerts(sc: Scenario, tel: Telemetry, start: float, control: bool) -> list[Part]:
    ev = tel.events
    page = page_time(sc, tel)
    # Which rules may page, as lint decides it: the one named by `page`, else those of severity page.
    eligible = (
        {sc.page} if sc.page else {a.name for a in sc.alerts if a.severity == "page"} or {a.name for a in sc.alerts}
    )
    rows = []
    for a in sc.alerts:
        mine = ev[ev["name"] == a.name]
        fired = mine.loc[mine["kind"] == "alert_firing", "t"].to_numpy()
        fires = [clock(t) for t in fired]
        resolves = [clock(t) for t in mine.loc[mine["kind"] == "alert_resolved", "t"]]
        rule = f"{a.metric} {'>' if a.above is not None else '<'} {a.above if a.above is not None else a.below:g}" + (
            f" for {format_duration(a.for_)}" if a.for_ else ""
        )
        paged = page is not None and a.name in eligible and bool(np.isclose(fired, page).any())
        rows.append(
            (
                a.name + (" (pages)" if paged else ""),
                a.service,
                rule,
                a.severity,
                ", ".join(fires) or "never",
                ", ".join(resolves) or "-",
            )
        )
    parts: list[Part] = [Table(("alert", "service", "rule", "severity", "fires", "resolves"), rows)]
    if page is None:
        parts.append(Para("Nothing pages the learner."))
    elif not control:
        parts.append(
            Para(
                f"The page arrives {clock(page - start)} after the onset."
                if page >= start
                else f"The page arrives {clock(start - page)} BEFORE the onset."
            )
        )
    return parts


# -- metrics --------------------------------------------------------------------------------------


def sparkline(t: np.ndarray, v: np.ndarray, duration: float, onset: float | None, width: int = SPARK_WIDTH) -> str:
    """The series' peaks in `width` cells of block characters, scaled to its own range, with the
    onset marked where it falls."""
    cells = np.minimum((np.asarray(t) / duration * width).astype(int), width - 1)
    peaks = np.full(width, np.nan)
    for k in range(width):
        inside = v[cells == k]
        if len(inside):
            peaks[k] = inside.max()
    peaks = pd.Series(peaks).ffill().bfill().fillna(0.0).to_numpy()
    lo, hi = float(peaks.min()), float(peaks.max())
    flat = hi - lo <= 0.02 * max(abs(hi), 1e-9)
    levels = np.zeros(width, dtype=int) if flat else np.rint((peaks - lo) / (hi - lo) * (len(SPARK) - 1)).astype(int)
    chars = [SPARK[i] for i in levels]
    if onset is not None and 0 < onset < duration:
        chars.insert(int(onset / duration * width), ONSET_MARK)
    return "".join(chars)


def _num(metric: str, value: float) -> str:
    if metric == "error_rate":
        return f"{value * 100:.3g}%"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def metrics(sc: Scenario, tel: Telemetry, start: float | None) -> list[Part]:
    m = tel.metrics
    rows = []
    for name in sc.service_names:
        mine = m[m["service"] == name]
        if mine.empty:
            continue
        cells = []
        for metric in KEY_METRICS:
            s = mine[mine["metric"] == metric]
            if s.empty:
                cells.append("-")
                continue
            t, v = s["t"].to_numpy(), s["value"].to_numpy()
            cells.append(f"{sparkline(t, v, sc.duration, start)} {_num(metric, v.min())}..{_num(metric, v.max())}")
        rows.append((name, *cells))
    note = "Peaks per cell over the whole scenario, each scaled to its own range (min..max after it)"
    note += f"; {ONSET_MARK} marks the onset at {clock(start)}." if start is not None else "."
    return [Para(note), Table(("service", *KEY_METRICS), rows)]


# -- fault samples --------------------------------------------------------------------------------

# Access and health lines say nothing about a fault (slow ones are WARN, but still just access).
_PLAIN = tuple(p for p in (tpl.split("{")[0] for pair in ACCESS.values() for tpl in pair) if p) + (
    HEALTH.text.split("{")[0],
)


def _fixed(kind: FaultKind) -> list[str]:
    """The literal runs of the fault's templates long enough to recognise its lines by."""
    out = []
    for tpl in (*kind.error_logs, *kind.warn_logs, *(t for ts in kind.event_logs.values() for t in ts)):
        try:
            out += [lit.strip() for lit, _, _, _ in string.Formatter().parse(tpl.text) if len(lit.strip()) >= 8]
        except ValueError:
            continue
    return out


def _writers(sc: Scenario, service: str) -> list[str]:
    """The faulty service and its callers (who write the caller-side lines of a fault)."""
    return [service] + [s.name for s in sc.services if service in s.calls]


def _window(sc: Scenario, ev: TimelineEvent) -> tuple[float, float]:
    return ev.at, ev.end if ev.end is not None else sc.duration


def sample_lines(sc: Scenario, tel: Telemetry, ev: TimelineEvent, n: int = SAMPLE_LINES) -> list[str]:
    """A few lines the fault makes: WARN/ERROR on its service or callers while it lasts, not plain
    access or health lines; its own templates first, one of each shape."""
    logs = tel.logs
    if logs.num_rows == 0:
        return []
    t0, t1 = _window(sc, ev)
    t = logs.column("t").to_numpy()
    service = pc.cast(logs.column("service"), pa.string())
    level = pc.cast(logs.column("level"), pa.string())
    msg = logs.column("message")
    mask = pc.and_(
        pc.is_in(service, value_set=pa.array(_writers(sc, ev.service))),
        pc.is_in(level, value_set=pa.array(["WARN", "ERROR"])),
    )
    for prefix in _PLAIN:
        mask = pc.and_(mask, pc.invert(pc.starts_with(msg, prefix)))
    keep = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool) & (t >= t0) & (t < t1)
    idx = np.flatnonzero(keep)[:5000]
    if len(idx) == 0:
        return []
    texts = logs.column("message").take(pa.array(idx)).to_pylist()
    own = _fixed(FAULTS[ev.kind])
    on_it = np.asarray(service.take(pa.array(idx)).to_pylist()) == ev.service
    # The fault's own words first, then anything else its service says, then its callers' lines.
    ranked = sorted(range(len(idx)), key=lambda i: (not any(f in texts[i] for f in own), not on_it[i], i))
    chosen, shapes = [], set()
    for i in ranked:
        shape = re.sub(r"[0-9a-f]{6,}|\d+", "#", texts[i])[:40]
        if shape not in shapes:
            shapes.add(shape)
            chosen.append(int(idx[i]))
        if len(chosen) == n:
            break
    chosen.sort()
    return plain_lines(logs.take(pa.array(chosen)), tel.start).to_pylist()


def sample_trace(sc: Scenario, tel: Telemetry, ev: TimelineEvent) -> list[str]:
    """The trace of one error span on the faulty service (or a caller) while the fault lasts,
    preferring one that carries the fault's status message; indented by call depth."""
    spans = tel.spans
    t0, t1 = _window(sc, ev)
    err = spans[
        (spans["status"] == "error")
        & spans["service"].isin(_writers(sc, ev.service))
        & (spans["t"] >= t0)
        & (spans["t"] < t1)
    ]
    if err.empty:
        return []
    # The fault's own status message first, then a span of the faulty service, then a caller's.
    own = err["message"].str.contains(FAULTS[ev.kind].span_message, regex=False)
    rank = pd.DataFrame({"own": ~own, "caller": err["service"] != ev.service, "t": err["t"]})
    span = err.loc[rank.sort_values(["own", "caller", "t"], kind="stable").index[0]]
    trace = spans[spans["trace_id"] == span["trace_id"]].sort_values("t", kind="stable")
    rows = {r.span_id: r for r in trace.itertuples()}
    children: dict[str, list[str]] = {}
    for r in rows.values():
        children.setdefault(r.parent_id if r.parent_id in rows else "", []).append(r.span_id)
    lines = [f"trace {span['trace_id']} at {clock(float(trace['t'].min()))}"]

    def walk(sid: str, depth: int) -> None:
        if len(lines) > TRACE_LINES:
            return
        r = rows[sid]
        mark = "  <- this span" if sid == span["span_id"] else ""
        status = f"ERROR {r.message}" if r.status == "error" else "ok"
        lines.append(f"{'  ' * depth}{r.service} {r.name} {r.duration_ms:.0f}ms {status}{mark}")
        for child in children.get(sid, []):
            walk(child, depth + 1)

    for root in children.get("", []):
        walk(root, 1)
    if len(trace) > len(lines) - 1:
        lines.append(f"  ... {len(trace) - (len(lines) - 1)} more spans")
    return lines


def samples(sc: Scenario, tel: Telemetry) -> list[Part]:
    parts: list[Part] = []
    for _, ev in fault_events(sc):
        herring = " (red herring)" if ev.red_herring else ""
        parts.append(Sub(f"{ev.kind} on {ev.service} at {clock(ev.at)}{herring}"))
        lines = sample_lines(sc, tel, ev)
        parts.append(Pre(lines) if lines else Para("No WARN or ERROR lines beyond access lines while it lasts."))
        trace = sample_trace(sc, tel, ev)
        parts.append(Pre(trace) if trace else Para("No error span on it or its callers while it lasts."))
    if not parts:
        parts.append(Para("No faults: nothing to sample."))
    return parts


# -- evidence and lint ----------------------------------------------------------------------------


def imported(sc: Scenario, tel: Telemetry) -> list[Part]:
    """What the real material brings: per kind its file, the rows on the scenario's clock, the rows
    outside it (dropped), whether it replaces the synthetic signal; then its first log lines."""
    real = imported_signals(sc)
    assert sc.imports is not None
    rows = []
    for kind, rel in sc.imports.files().items():
        data = getattr(real, "spans" if kind == "traces" else kind, None) if real is not None else None
        n = 0 if data is None else (data.num_rows if isinstance(data, pa.Table) else len(data))
        dropped = real.dropped.get(kind, 0) if real is not None else 0
        mode = "replaces the synthetic" if kind in sc.imports.replace else "mixed with the synthetic"
        rows.append((kind, rel, f"{n:,}", f"{dropped:,}", mode))
    parts: list[Part] = [Table(("signal", "file", "on the clock", "outside it (dropped)", "how"), rows)]
    if any(r[3] != "0" for r in rows):
        parts.append(
            Para(
                f"Rows outside {sc.start:%Y-%m-%dT%H:%M:%SZ} + {clock(sc.duration)} are dropped: move `start:` or "
                "`duration:` to keep them."
            )
        )
    unknown = unknown_names(sc, real)
    if unknown:
        parts += [Sub("names the scenario does not have"), *(Para(line) for line in unknown)]
    logs = getattr(real, "logs", None)
    if logs is not None and logs.num_rows:
        first = logs.take(pa.array(np.argsort(logs.column("t").to_numpy(), kind="stable")[:SAMPLE_LINES]))
        parts += [Sub("first imported log lines"), Pre(plain_lines(first, tel.start).to_pylist())]
    return parts


def _unit(sel) -> str:
    return "lines" if sel.logs is not None else "buckets" if sel.metric is not None else "spans"


def evidence(sc: Scenario, tel: Telemetry, start: float) -> list[Part]:
    rows = []
    for i, sel in enumerate(sc.answer.evidence):
        hits = selector_hits(tel, sel, start)
        before, after = hits[hits < start], hits[hits >= start]
        unit = _unit(sel)
        first = clock(float(after.min())) if len(after) else "never"
        rows.append((str(i), describe(sel), f"{len(before)} {unit}", f"{len(after)} {unit}", first, sel.why or ""))
    if not rows:
        return [
            Para(
                "No evidence selectors: learners cannot earn the evidence bonus, and lint cannot prove the scenario "
                "solvable."
            )
        ]
    return [
        Para(f"Matches before and after the onset at {clock(start)}."),
        Table(("#", "selector", "before onset", "after onset", "first hit", "why"), rows),
    ]


def lint_parts(findings: list[Finding]) -> list[Part]:
    if not findings:
        return [Para("No findings: the scenario is fair as written.")]
    return [Table(("severity", "where", "finding"), [(f.severity, f.keypath, f.message) for f in findings])]


# -- rendering ------------------------------------------------------------------------------------


def _text_table(table: Table) -> list[str]:
    rows = [table.headers, *table.rows]
    widths = [max(len(r[c]) for r in rows) for c in range(len(table.headers))]
    fmt = lambda r: "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()  # noqa: E731
    return [fmt(table.headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in table.rows)]


def render_text(report: Report) -> str:
    out = [f"PREVIEW {report.title}", "=" * min(100, len(report.title) + 8)]
    for section in report.sections:
        out += ["", section.title, "-" * len(section.title)]
        for part in section.parts:
            if isinstance(part, Table):
                out += ["  " + line for line in _text_table(part)]
            elif isinstance(part, Pre):
                out += ["  " + line for line in part.lines]
            elif isinstance(part, Sub):
                out += ["", f"  * {part.title}"]
            else:
                out += ["  " + part.text]
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or " "


def _md_table(table: Table) -> list[str]:
    row = lambda cells: "| " + " | ".join(_md_cell(c) for c in cells) + " |"  # noqa: E731
    return [row(table.headers), "|" + "|".join(" --- " for _ in table.headers) + "|", *(row(r) for r in table.rows)]


def render_markdown(report: Report) -> str:
    out = [f"# Preview: {report.title}"]
    for section in report.sections:
        out += ["", f"## {section.title}", ""]
        for part in section.parts:
            if isinstance(part, Table):
                out += _md_table(part) + [""]
            elif isinstance(part, Pre):
                fence = "````" if any("```" in line for line in part.lines) else "```"
                out += [f"{fence}text", *part.lines, fence, ""]
            elif isinstance(part, Sub):
                out += [f"### {part.title}", ""]
            else:
                out += [part.text, ""]
    text = "\n".join(out)
    while "\n\n\n" in text:  # a part's trailing blank line meets the next heading's leading one
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"
