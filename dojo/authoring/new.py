"""`dojo new`: a scenario file that validates and lints clean as written, with comments that teach
the format.

The scaffold is tuned on its own signals. It synthesizes the draft, then picks an alert threshold
the metrics cross after the onset and never before, and evidence selectors (from the fault's own
log templates, its metric signature and its error spans) that lint accepts. `lint` is the oracle
for every choice, so the file is fair by the same rules `dojo lint` applies, for any fault kind in
the library, including kinds added after this module was written.
"""

from __future__ import annotations

import json
import math
import re
import string
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd
import yaml

from dojo.authoring.lint import Finding, lint, realism_findings
from dojo.scenario.durations import format_duration
from dojo.scenario.model import SERVICE_KINDS, SLUG_PATTERN, Scenario
from dojo.scenario.vocabulary import METRIC_NAMES
from dojo.telemetry.alerts import alert_events
from dojo.telemetry.faults import FAULTS, FaultKind, Template
from dojo.telemetry.model import EVENT_COLUMNS, LOG_SCHEMA, METRIC_COLUMNS, SPAN_COLUMNS, Telemetry
from dojo.telemetry.physics import simulate
from dojo.telemetry.selectors import baseline
from dojo.telemetry.synthesize import change_events, derive_metrics, synthesize


class ScaffoldError(Exception):
    """A one-line reason the scaffold cannot be made (a fault that shows nothing where asked)."""


class FlagError(ScaffoldError):
    """A flag's value is wrong; the message starts with the flag."""


@dataclass(frozen=True)
class Options:
    id: str
    fault: str
    services: str = "shop"  # a preset name or "name:kind,..."
    service: str | None = None  # where the fault strikes; None: the first service where it shows
    title: str | None = None
    difficulty: int = 2
    duration: float = 1800.0
    rps: float = 20.0
    seed: int = 1


@dataclass(frozen=True)
class Scaffold:
    text: str  # the YAML file
    scenario: Scenario
    service: str
    onset: float
    page: str
    page_at: float
    notes: tuple[str, ...] = ()  # what the scaffold decided on its own (a front service, a trigger)


# -- topology ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    calls: tuple[str, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()  # more service fields, written as given


_HARMLESS = ({"text": "deprecated config key cache.ttl_ms ignored; use cache.ttl", "level": "WARN", "per_min": 2},)

PRESETS: dict[str, tuple[Node, ...]] = {
    "minimal": (Node("web", "lb", ("api",)), Node("api", "http", ("db",)), Node("db", "db")),
    "shop": (
        Node("web", "lb", ("checkout", "catalog")),
        Node("checkout", "http", ("payments", "orders-db", "order-events")),
        Node("payments", "http", ("provider",)),
        Node("provider", "external"),
        Node("orders-db", "db"),
        Node("order-events", "queue"),
        Node("catalog", "http", ("catalog-cache", "catalog-db"), (("noise", list(_HARMLESS)),)),
        Node("catalog-cache", "cache"),
        Node("catalog-db", "db"),
    ),
    "jobs": (
        Node("api", "http", ("jobs", "jobs-db")),
        Node("jobs", "queue"),
        Node("worker", "worker", ("jobs-db", "mailer")),
        Node("jobs-db", "db"),
        Node("mailer", "external"),
    ),
}

# In a "name:kind" list each tier calls the next one present: lb -> http/worker -> the rest.
TIER = {"lb": 0, "http": 1, "worker": 1, "queue": 2, "cache": 2, "db": 2, "external": 2}
MAX_CALLS = 12


def parse_services(spec: str) -> list[Node]:
    """A preset's services, or a call graph built by tiers from "web:lb,api:http,db:db"."""
    if spec in PRESETS:
        return list(PRESETS[spec])
    pairs: list[tuple[str, str]] = []
    for item in (p.strip() for p in spec.split(",")):
        name, _, kind = item.partition(":")
        kind = kind or "http"
        if not re.match(SLUG_PATTERN, name):
            raise FlagError(
                f"--services: {name!r} is not a service name (lowercase, digits, dashes); presets: {', '.join(PRESETS)}"
            )
        if kind not in SERVICE_KINDS:
            raise FlagError(f"--services: {item!r} has kind {kind!r}; kinds: {', '.join(SERVICE_KINDS)}")
        if any(name == n for n, _ in pairs):
            raise FlagError(f"--services: {name!r} is listed twice")
        pairs.append((name, kind))
    tiers = sorted({TIER[k] for _, k in pairs})
    below = {t: tiers[i + 1] for i, t in enumerate(tiers[:-1])}
    return [Node(n, k, tuple(m for m, mk in pairs if TIER[mk] == below.get(TIER[k]))[:MAX_CALLS]) for n, k in pairs]


def callers_of(nodes: list[Node], name: str) -> list[str]:
    return [n.name for n in nodes if name in n.calls]


def entries(nodes: list[Node]) -> list[str]:
    return [n.name for n in nodes if not callers_of(nodes, n.name)]


def with_front(nodes: list[Node]) -> list[Node]:
    """A load balancer in front of today's entry services, so that every service has a caller."""
    names = {n.name for n in nodes}
    name = next(c for c in ("edge", *(f"edge-{i}" for i in range(2, 99))) if c not in names)
    return [Node(name, "lb", tuple(entries(nodes))[:MAX_CALLS]), *nodes]


def shown_by_callers(kind: FaultKind, service_kind: str) -> bool:
    """Part of the fault's signature is written by the services that call the faulty one (and an
    external service writes no logs of its own at all)."""
    return service_kind == "external" or any(t.side == "caller" for t in (*kind.error_logs, *kind.warn_logs))


def candidate_services(nodes: list[Node]) -> list[str]:
    """Where to try the fault when the author did not say: middle tiers first (they have callers
    to feel it and callees to blame), then leaves, then external services, then entries."""

    def rank(n: Node) -> int:
        if n.kind == "external":
            return 2
        if callers_of(nodes, n.name):
            return 0 if n.calls else 1
        return 3

    return [n.name for n in sorted(nodes, key=rank)]


# -- the draft: services and timeline ---------------------------------------------------------

TRIGGER = "dependency_latency"  # what sets off a fault that only amplifies failures


@dataclass(frozen=True)
class Plan:
    nodes: tuple[Node, ...]
    service: str
    trigger: str | None  # the callee that slows down first, when the fault alone shows too little
    rps: float  # entry traffic per entry service
    onset: float
    herring: str
    herring_at: float


def plan(opts: Options, nodes: list[Node], service: str, trigger: str | None, rps: float) -> Plan:
    # 40% in: a baseline long enough for "rises 2x" to mean something, and time to investigate.
    onset = max(120.0, round(opts.duration * 0.4 / 60.0) * 60.0)
    others = [n for n in nodes if n.name not in (service, trigger) and n.kind != "external"]
    others.sort(key=lambda n: n.kind not in ("http", "worker"))
    herring = others[0].name if others else service
    return Plan(tuple(nodes), service, trigger, rps, onset, herring, max(60.0, onset - 180.0))


def services_data(p: Plan) -> list[dict]:
    out = []
    nodes = list(p.nodes)
    for n in nodes:
        d: dict[str, Any] = {"name": n.name, "kind": n.kind}
        if n.calls:
            d["calls"] = list(n.calls)
        if not callers_of(nodes, n.name):
            d["rps"] = p.rps
        d.update(dict(n.extra))
        out.append(d)
    return out


def fault_params(kind: FaultKind) -> dict[str, Any]:
    return {name: p.default for name, p in kind.params.items()}


def timeline_data(p: Plan, fault: str, with_fault: bool = True) -> list[dict]:
    kind = FAULTS[fault]
    out: list[dict] = [
        {
            "at": format_duration(p.herring_at),
            "kind": "deploy",
            "service": p.herring,
            "version": "v1.4.1",
            "note": "routine release: bump the logging library",
            "red_herring": True,
        },
    ]
    if p.trigger:
        # As slow as a default timeout: about half the calls to it time out, for five minutes.
        out.append(
            {
                "at": format_duration(p.onset),
                "kind": TRIGGER,
                "service": p.trigger,
                "params": {"added_ms": 3000},
                "for": "5m",
            }
        )
    if with_fault:
        ev: dict[str, Any] = {"at": format_duration(p.onset), "kind": fault, "service": p.service}
        if kind.params:
            ev["params"] = fault_params(kind)
        out.append(ev)
    return out


def draft_data(opts: Options, p: Plan, with_fault: bool = True) -> dict:
    """The scenario without alerts, evidence and words: enough to synthesize its signals."""
    return {
        "id": opts.id,
        "title": opts.title or "draft",
        "difficulty": opts.difficulty,
        "duration": format_duration(opts.duration),
        "seed": opts.seed,
        "briefing": "draft",
        "services": services_data(p),
        "timeline": timeline_data(p, opts.fault, with_fault),
        "answer": {"accepted": [{"service": p.service, "fault": opts.fault}]},
    }


# -- tuning: alerts and evidence the signals bear out -----------------------------------------

# Below these steps a change in a metric is measurement noise, not a signal.
FLOOR = {"error_rate": 0.01, "latency_p50_ms": 20.0, "latency_p99_ms": 20.0, "rps": 1.0, "queue_depth": 5.0}
PCT_FLOOR = 2.0
MARGIN = 1.15
RATIOS = (10.0, 5.0, 3.0, 2.0, 1.5, 1.3)
SYMPTOMS = ("error_rate", "latency_p50_ms", "latency_p99_ms")
ALERT_FOR = (60.0, 30.0, 10.0)
SHORT = {
    "rps": "Traffic",
    "error_rate": "Errors",
    "latency_p50_ms": "P50",
    "latency_p99_ms": "P99",
    "cpu_pct": "Cpu",
    "memory_pct": "Memory",
    "pool_used_pct": "Pool",
    "queue_depth": "QueueDepth",
    "disk_used_pct": "Disk",
    "cache_hit_pct": "CacheHit",
    "instances": "Instances",
    "queue_age_s": "QueueAge",
    "replication_lag_s": "ReplicationLag",
    "packet_loss_pct": "PacketLoss",
    "clock_skew_s": "ClockSkew",
    "pool_waiters": "PoolWaiters",
}


def nice_between(lo: float, hi: float) -> float:
    """The roundest number strictly between lo and hi (a threshold a human would write)."""
    target = math.sqrt(lo * hi) if lo > 0 else hi / 2.0
    for digits in range(1, 6):
        x = float(f"{target:.{digits}g}")
        if lo < x < hi:
            return x
    return target


def _held(v: np.ndarray, need: int, high: bool) -> float:
    """The most extreme level the series holds for `need` buckets in a row."""
    if len(v) < need:
        return -math.inf if high else math.inf
    win = np.lib.stride_tricks.sliding_window_view(v, need)
    return float(win.min(axis=1).max()) if high else float(win.max(axis=1).min())


def threshold(pre: np.ndarray, post: np.ndarray, need: int, metric: str) -> tuple[str, float] | None:
    """('above'|'below', value) that every point before the onset stays clear of and the series
    after it crosses for `need` buckets in a row; None when there is no such value."""
    if len(pre) == 0 or len(post) == 0:
        return None
    floor = FLOOR.get(metric, PCT_FLOOR)
    lo, hi = float(pre.max()) * MARGIN + floor, _held(post, need, True)
    if hi > lo * 1.1:
        return "above", nice_between(lo, hi)
    lo, hi = _held(post, need, False), float(pre.min()) / MARGIN - floor
    if hi > 0 and lo < hi / 1.1:
        return "below", nice_between(max(lo, 0.0), hi)
    return None


class Signals:
    """A draft's telemetry with its metric series split once (tuning reads them hundreds of times).
    `tel` may carry metrics only (no logs, traces or events) for screening and for the control."""

    def __init__(self, sc: Scenario, tel: Telemetry):
        self.scenario, self.tel, self.grid = sc, tel, tel.grid
        self._realism: dict[str, list[Finding]] = {}
        self._by = {
            k: (g["t"].to_numpy(), g["value"].to_numpy())
            for k, g in tel.metrics.groupby(["service", "metric"], sort=False)
        }

    @classmethod
    def full(cls, sc: Scenario) -> "Signals":
        return cls(sc, synthesize(sc))

    @classmethod
    def metrics_only(cls, sc: Scenario) -> "Signals":
        """The physics and the metrics, without logs and traces: several times cheaper. Its noise
        is not synthesize()'s, so it screens and compares; it never sets a threshold."""
        rng = np.random.default_rng(sc.seed)
        t = np.arange(max(1, math.ceil(sc.duration / sc.grid))) * sc.grid
        st, _ = simulate(sc, t, rng)
        return cls(sc, replace(no_signals(sc), metrics=derive_metrics(st, rng)))

    @property
    def pairs(self) -> set[tuple[str, str]]:
        return set(self._by)

    def series(self, service: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        return self._by.get((service, metric), (np.zeros(0), np.zeros(0)))

    def split(self, service: str, metric: str, onset: float) -> tuple[np.ndarray, np.ndarray]:
        """Values of the buckets wholly before the onset, and of those from it on."""
        t, v = self.series(service, metric)
        return v[t + self.grid <= onset], v[t >= onset]

    def findings(self, data: dict) -> list[Finding]:
        """lint's errors for `data` (same services and timeline as these signals)."""
        sc = Scenario.model_validate(data)
        # The realism check reads the services and the lines only, never the answer or the alerts
        # that tuning varies: judged once per set of services, not once per candidate (it was
        # most of `dojo new`'s time).
        key = json.dumps(data.get("services"), sort_keys=True, default=str)
        if key not in self._realism:
            self._realism[key] = realism_findings(sc, self.tel)
        return [f for f in lint(sc, with_alerts(self.tel, sc), realism=self._realism[key]) if f.severity == "error"]


def no_signals(sc: Scenario) -> Telemetry:
    return Telemetry(
        sc,
        sc.seed,
        sc.start,
        sc.grid,
        LOG_SCHEMA.empty_table(),
        pd.DataFrame(columns=METRIC_COLUMNS),
        pd.DataFrame(columns=SPAN_COLUMNS),
        pd.DataFrame(columns=EVENT_COLUMNS),
    )


def with_alerts(tel: Telemetry, sc: Scenario) -> Telemetry:
    """The same signals with `sc`'s alert rules evaluated on them (alerts change no other signal)."""
    events = pd.DataFrame(change_events(sc) + alert_events(sc.alerts, tel.metrics, sc.grid), columns=EVENT_COLUMNS)
    events = events.sort_values(["t", "kind", "service", "name"], kind="stable", ignore_index=True)
    return replace(tel, scenario=sc, events=events)


def alert_name(service: str, metric: str, how: str) -> str:
    camel = "".join(part.capitalize() for part in service.split("-"))
    return f"{camel}{SHORT[metric]}{'High' if how == 'above' else 'Low'}"


def alert_candidates(p: Plan, difficulty: int, available: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(service, metric) in the order a page should prefer: the symptom users feel (an entry's
    errors or latency) for harder scenarios, the faulty service itself for gentle ones."""
    nodes = list(p.nodes)
    path, frontier = [], [p.service]
    while frontier:  # breadth-first up the callers: nearest first
        s = frontier.pop(0)
        if s not in path:
            path.append(s)
            frontier += callers_of(nodes, s)
    if difficulty >= 3:
        path.reverse()
    symptoms = [(s, m) for s in path for m in ("error_rate", "latency_p99_ms")]
    own = [(p.service, m) for m in METRIC_NAMES]
    rest = [(s, m) for s in path for m in METRIC_NAMES]
    return [c for c in dict.fromkeys(symptoms + own + rest) if c in available]


def alert_options(sg: Signals, p: Plan, difficulty: int) -> Iterator[dict]:
    """Alert rules, best first, whose threshold the metric crosses after the onset and not before."""
    for service, metric in alert_candidates(p, difficulty, sg.pairs):
        pre, post = sg.split(service, metric, p.onset)
        for hold in ALERT_FOR:
            found = threshold(pre, post, max(1, math.ceil(hold / sg.grid)), metric)
            if found is not None:
                how, value = found
                yield {
                    "name": alert_name(service, metric, how),
                    "service": service,
                    "metric": metric,
                    how: value,
                    "for": format_duration(hold),
                }
                break


def choose_alert(data: dict, sg: Signals, p: Plan, difficulty: int) -> dict | None:
    return next((a for a in alert_options(sg, p, difficulty) if not sg.findings({**data, "alerts": [a]})), None)


NOISE_SHARE = 20  # the no-fault control's rule fires in about one bucket in this many


def choose_noise_alert(data: dict, sg: Signals, service: str) -> dict | None:
    """For the no-fault control: a mis-tuned rule whose threshold sits inside the noise, so it
    flaps now and then although nothing is wrong."""
    for metric in ("latency_p99_ms", "error_rate", "cpu_pct"):
        _, v = sg.series(service, metric)
        top = np.sort(v)[::-1]
        # Inside the noise's top twentieth, not at its very peak: a rule that only this seed's
        # highest spike crosses never fires on another seed (dojo play --seed, the fairness trial).
        k = max(3, len(top) // NOISE_SHARE)
        if len(top) <= k or top[k] >= top[k - 1]:
            continue
        alert = {
            "name": alert_name(service, metric, "above"),
            "service": service,
            "metric": metric,
            "above": nice_between(float(top[k]), float(top[k - 1])),
        }
        if not sg.findings({**data, "alerts": [alert]}):
            return alert
    return None


def _trim(text: str, limit: int = 60) -> str:
    """A readable fixed part of a line: no dangling '(request_id=' and at most `limit` chars."""
    text = text.strip()
    if text.rfind("(") > text.rfind(")"):
        text = text[: text.rfind("(")]
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > 0 else limit]
    return text.rstrip(" :=,-(\"'")


def fixed_texts(tpl: Template, consts: dict[str, str]) -> list[str]:
    """Substrings every line of a template contains: the text before its first per-line
    placeholder (constants we know filled in), then its longest literal run."""
    try:
        parts = list(string.Formatter().parse(tpl.text))
    except ValueError:
        return []
    prefix = ""
    for literal, name, _, _ in parts:
        prefix += literal
        if name is None:
            continue
        if name not in consts:
            break
        prefix += consts[name]
    longest = max((literal for literal, _, _, _ in parts), key=len, default="")
    return [t for t in dict.fromkeys((_trim(prefix), _trim(longest))) if len(t) >= 8]


def _param_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def log_candidates(kind: FaultKind, p: Plan) -> list[tuple[int, dict]]:
    """(template number, selector) for each fixed text of each of the fault's templates, on the
    service that writes it: the faulty one, or for caller-side lines its first caller."""
    params = {k: _param_text(v) for k, v in fault_params(kind).items()}
    nodes = list(p.nodes)
    callers = [c for c in callers_of(nodes, p.service) if node(nodes, c).kind != "external"]
    templates = [
        *((t, "error") for t in kind.error_logs),
        *((t, "event") for ts in kind.event_logs.values() for t in ts),
        *((t, "warn") for t in kind.warn_logs),
    ]
    out = []
    for i, (tpl, role) in enumerate(templates):
        caller_side = tpl.side == "caller"
        if caller_side and not callers:
            continue
        writer = callers[0] if caller_side else p.service
        consts = {"service": writer, **params, **({"peer": p.service} if caller_side else {})}
        why = {
            "error": f"{writer}'s calls to {p.service} fail, in the fault's own words"
            if caller_side
            else f"failed requests on {writer} say why, in the fault's own words",
            "event": f"{writer} logs the moment it happens",
            "warn": f"{writer} warns about it while it lasts",
        }[role]
        out += [(i, {"logs": {"service": writer, "contains": text}, "why": why}) for text in fixed_texts(tpl, consts)]
    return out


def signature(sg: Signals, control: Signals, onset: float, services: list[str]) -> list[tuple[str, str, float]]:
    """(service, metric, ratio) the fault changes: the level after the onset with the fault
    against the same draft without it. services[0] is the faulty service; its changes come first."""
    out = []
    for s in services:
        for metric in METRIC_NAMES:
            post, ctl = sg.split(s, metric, onset)[1], control.split(s, metric, onset)[1]
            if len(post) == 0 or len(ctl) == 0:
                continue
            # High and low deciles, not medians: a leak that builds up, or a storm that lasts only
            # while its trigger does, changes part of the window.
            for a, b in (
                (np.quantile(post, 0.9), np.quantile(ctl, 0.9)),
                (np.quantile(post, 0.1), np.quantile(ctl, 0.1)),
            ):
                ratio = (float(a) + 1e-9) / (float(b) + 1e-9)
                if abs(a - b) >= FLOOR.get(metric, PCT_FLOOR) and abs(math.log(ratio)) >= math.log(min(RATIOS)):
                    out.append((s, metric, ratio))
                    break
    # The faulty service's own numbers first (they point at it, a caller's only at the path), and
    # saturation before errors and latency, which every fault moves.
    return sorted(out, key=lambda x: (x[0] != services[0], x[1] in SYMPTOMS, -abs(math.log(x[2]))))


def metric_candidates(sg: Signals, sig: list[tuple[str, str, float]], onset: float) -> list[dict]:
    """Selectors for the signature: rises/falls against the baseline lint uses, or a threshold."""
    out = []
    for s, metric, ratio in sig:
        t, v = sg.series(s, metric)
        base, (pre, post) = baseline(t, v, onset), sg.split(s, metric, onset)
        verb = "rises" if ratio > 1 else "falls"
        if base > 0:
            seen = (
                float(np.quantile(post, 0.75)) / base if ratio > 1 else base / max(float(np.quantile(post, 0.25)), 1e-9)
            )
            out += [
                {
                    "metric": {"service": s, "name": metric, verb: f"{r:g}x"},
                    "why": f"{s}'s {metric} {verb} {r:g}x after the onset",
                }
                for r in RATIOS
                if r <= seen
            ]
        found = threshold(pre, post, 1, metric)
        if found:
            how, value = found
            out.append(
                {
                    "metric": {"service": s, "name": metric, how: value},
                    "why": f"{s}'s {metric} goes {how} {value:g} after the onset",
                }
            )
    return out


def trace_candidates(kind: FaultKind, services: list[str]) -> list[dict]:
    out = []
    for s in services:
        if kind.span_message and kind.span_message != "error":
            out.append(
                {
                    "trace": {"service": s, "status": "error", "contains": kind.span_message},
                    "why": f"error spans on {s} carry the fault's status message",
                }
            )
        out.append({"trace": {"service": s, "status": "error"}, "why": f"requests through {s} fail after the onset"})
    return out


def node(nodes: list[Node], name: str) -> Node:
    return next(n for n in nodes if n.name == name)


def near(p: Plan) -> list[str]:
    """The faulty service, then its callers and callees: where its signature can show."""
    nodes = list(p.nodes)
    return list(dict.fromkeys([p.service, *callers_of(nodes, p.service), *node(nodes, p.service).calls]))


def choose_evidence(
    data: dict, sg: Signals, sig: list[tuple[str, str, float]], p: Plan, kind: FaultKind, alert: dict
) -> list[dict]:
    """Up to two log selectors (from different templates), one metric and, if that leaves fewer
    than two, one trace selector; each one lint accepts on its own."""

    def fair(sel: dict) -> bool:
        return not sg.findings({**data, "answer": {**data["answer"], "evidence": [sel]}})

    logs: list[dict[str, Any]] = []
    used: set[int] = set()
    for i, sel in log_candidates(kind, p):
        if i not in used and len(logs) < 2 and fair(sel):
            logs.append(sel)
            used.add(i)
    # The alert's own metric last: evidence that only repeats the page teaches little.
    sig = sorted(sig, key=lambda x: (x[0], x[1]) == (alert["service"], alert["metric"]))
    metric = next((sel for sel in metric_candidates(sg, sig, p.onset) if fair(sel)), None)
    chosen = logs + ([metric] if metric else [])
    if len(chosen) < 2:
        tracers = [s for s in near(p) if node(list(p.nodes), s).kind != "external"]
        chosen += [sel for sel in trace_candidates(kind, tracers) if fair(sel)][:1]
    return chosen


def control_evidence(data: dict, sg: Signals, service: str, alert: dict) -> list[dict]:
    """For the no-fault control: the error rate stays where it always is, and the spike that
    paged is there (lint asks only that each selector matches something)."""
    _, v = sg.series(service, "error_rate")
    below = nice_between(float(v.max()) * MARGIN + 0.005, float(v.max()) * 2 + 0.02)
    sels = [
        {
            "metric": {"service": service, "name": "error_rate", "below": below},
            "why": "errors never leave their usual level: nothing is failing",
        },
        {
            "metric": {"service": service, "name": alert["metric"], "above": alert["above"]},
            "why": "the spike that paged lasts a bucket or two and goes away by itself",
        },
    ]
    return [s for s in sels if not sg.findings({**data, "answer": {**data["answer"], "evidence": [s]}})]


# -- words: briefing, hints, objectives, debrief ----------------------------------------------

PHRASE = {
    "rps": "request rate",
    "error_rate": "error rate",
    "latency_p50_ms": "median latency (ms)",
    "latency_p99_ms": "p99 latency (ms)",
    "cpu_pct": "CPU (%)",
    "memory_pct": "memory (%)",
    "pool_used_pct": "connection pool use (%)",
    "queue_depth": "queue depth",
    "disk_used_pct": "disk use (%)",
    "cache_hit_pct": "cache hit ratio (%)",
    "instances": "instances in service",
    "queue_age_s": "age of the oldest queued message (s)",
    "replication_lag_s": "replication lag (s)",
    "packet_loss_pct": "packet loss (%)",
    "clock_skew_s": "clock offset (s)",
    "pool_waiters": "requests waiting for a pooled connection",
}


def clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def words(opts: Options, p: Plan, alert: dict, page_at: float, evidence: list[dict]) -> dict:
    kind = FAULTS[opts.fault]
    how = "above" if "above" in alert else "below"
    rule = (
        f"{PHRASE[alert['metric']]} {how} {alert[how]:.0%}"
        if alert["metric"] == "error_rate"
        else f"{PHRASE[alert['metric']]} {how} {alert[how]:g}"
    )
    control = opts.fault == "no_fault"
    briefing = (
        f"**PAGE: {alert['name']}** (severity: page)\n\n"
        f"{alert['service']}: {rule}. You are on call.\n"
        f"Find the service and the fault behind the page{', or show that nothing is broken' if control else ''}.\n"
    )
    first_log = next((e["logs"] for e in evidence if "logs" in e), None)
    if alert["service"] == p.service:
        hint1 = f"The page is on {p.service} itself: which of its other metrics moved first, and when?"
    else:
        hint1 = f"Follow the page from {alert['service']} down the call graph: which service's numbers changed first?"
    if first_log:
        hint2 = (
            f"Read the WARN and ERROR lines of {first_log['service']} after {clock(p.onset)}: what do they say is "
            "going wrong?"
        )
    else:
        hint2 = f"Compare {p.service}'s metrics before and after {clock(p.onset)}: which one changed, and by how much?"
    if control:
        hint2 = (
            f"Compare {alert['service']}'s {PHRASE[alert['metric']]} now with the rest of the hour: is this unusual?"
        )
    objectives = (
        ["Tell a noisy alert from an incident, from evidence.", "Check recent changes without blaming the latest one."]
        if control
        else [
            f"Recognise {kind.taxonomy or kind.name.replace('_', ' ')} from its signals.",
            f"Rule out the deploy of {p.herring} with evidence, not by its timing.",
        ]
    )
    trigger_line = f"- {clock(p.onset)}  {p.trigger} slows down ({TRIGGER}), which sets it off\n" if p.trigger else ""
    debrief = (
        "## Summary\n"
        f"{kind.description} (Tell the story in two or three sentences: what broke, who felt it, what fixed it.)\n\n"
        "## Impact\n"
        f"{alert['service']} {rule} from {clock(page_at)}. (Who noticed, for how long, what they could not do.)\n\n"
        "## Timeline\n"
        f"- {clock(p.herring_at)}  deploy of {p.herring} (unrelated: the red herring)\n"
        f"{trigger_line}"
        f"- {clock(p.onset)}  {opts.fault} on {p.service} starts\n"
        f"- {clock(page_at)}  {alert['name']} pages\n\n"
        "## Contributing factors\n"
        "(Conditions in the system, never a person: why it could happen, why it spread, why it was hard to see.)\n\n"
        "## What went well\n\n"
        "## What was hard\n\n"
        "## Action items\n"
        "- (Prevent: ...)\n"
        "- (Detect sooner: ...)\n"
    )
    hints = [{"text": hint1, "cost": "60s"}, {"text": hint2, "cost": "120s"}]
    return {"briefing": briefing, "hints": hints, "objectives": objectives, "debrief": debrief}


def default_title(fault: str, service: str) -> str:
    return f"{fault.replace('_', ' ').capitalize()} on {service}"


# -- YAML with comments -----------------------------------------------------------------------

# Text written unquoted: inside {...} no spaces or punctuation; as a key's value, words too.
_PLAIN_FLOW = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")
_PLAIN_BLOCK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _./()-]*[A-Za-z0-9.)]$")


def scalar(value: Any, plain: re.Pattern[str] = _PLAIN_FLOW) -> str:
    """A YAML scalar that reads back as `value` (checked by the caller's round trip)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return np.format_float_positional(value, trim="-")
    text = str(value)
    if plain.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def block(key: str, value: Any, indent: str = "") -> list[str]:
    """One key in block style: mappings nest, lists put one flow item per line, text with
    newlines becomes a literal block."""
    if isinstance(value, dict):
        return [f"{indent}{key}:"] + [line for k, v in value.items() for line in block(k, v, indent + "  ")]
    if isinstance(value, list) and value and all(isinstance(v, (dict, str)) for v in value) and key != "tags":
        return [f"{indent}{key}:"] + [f"{indent}  - {flow(v)}" for v in value]
    if isinstance(value, str) and "\n" in value:
        return [f"{indent}{key}: |"] + [f"{indent}  {line}" if line else "" for line in value.rstrip("\n").split("\n")]
    return [f"{indent}{key}: {scalar(value, _PLAIN_BLOCK) if isinstance(value, str) else flow(value)}"]


def comment(text: str, width: int = 100) -> list[str]:
    lines = [
        w
        for line in text.strip("\n").split("\n")
        for w in (textwrap.wrap(line, width - 2, subsequent_indent="  " if line.startswith(" ") else "") or [""])
    ]
    return [f"# {line}" if line else "#" for line in lines]


def render(sections: list[tuple[str, dict]], header: str) -> str:
    lines = comment(header)
    for note, data in sections:
        lines += [""] + comment(note)
        for key, value in data.items():
            lines += block(key, value)
    return "\n".join(lines) + "\n"


def section_notes(opts: Options, p: Plan, alert: dict, kind: FaultKind, sg: Signals) -> dict[str, str]:
    pre = sg.split(alert["service"], alert["metric"], p.onset)[0]
    peak = f"{float(pre.max()):.4g}" if len(pre) else "?"
    knobs = "; ".join(f"{n}: {q.help}" for n, q in kind.params.items()) or "none"
    trigger = (
        f"\n{opts.fault} alone moved no metric enough to page on, so {p.trigger} slows down first and\n"
        f"{opts.fault} on {p.service} turns that into an incident."
        if p.trigger
        else ""
    )
    alert_why = (
        "A mis-tuned rule (no `for`, a threshold inside the noise): it flaps although nothing is wrong."
        if opts.fault == "no_fault"
        else f"The threshold comes from a synthesis of this file: before the onset the metric peaks at {peak}.\n"
        "Changed the system or the fault? `dojo preview` shows when the rule fires now."
    )
    return {
        "identity": (
            "Identity. id is a slug: the file name and what `dojo play` takes. difficulty: 1 (gentle) .. 5.\n"
            "tags help learners find scenarios in `dojo list`."
        ),
        "clock": (
            "The simulated length and the random seed: the same seed gives the same incident, byte for byte.\n"
            "`dojo preview FILE --seed N` shows another incident of the same shape."
        ),
        "briefing": "What the pager says when the learner starts (markdown). Say what hurts, never why.",
        "services": "The system. kind: http worker db cache queue lb external. calls: the services it sends requests "
        "to\n(no loops). rps: entry traffic, only on services nobody calls. Optional: timeout_ms, retries,\n"
        "replicas, capacity_rps, latency_ms, error_rate, noise (background log lines: good red herrings).",
        "timeline": "What happens, on the scenario clock. Faults (`dojo faults` lists them) take params and an "
        "optional\n`for` (how long it lasts); changes (deploy config_change feature_flag scale restart) do no harm\n"
        "by themselves. red_herring: true marks a distraction; lint checks it gives nothing away.\n"
        f"{opts.fault} params: {knobs}.{trigger}",
        "alerts": "Alert rules, evaluated on the synthesized metrics like a monitoring system would. The first rule\n"
        f"of severity page to fire pages the learner (or name one with `page:`).\n{alert_why}",
        "answer": "The answer key. accepted: any one of these diagnoses is right (a service and a fault kind).\n"
        "evidence: selectors on the signals that prove it (logs, metric or trace). Pinning an item that\n"
        "matches earns a bonus; `dojo lint` proves each matches after the onset and (almost) never before.",
        "hints": "Hints the learner can buy; each adds its cost to the time on the score card.",
        "par": "The time a practiced responder needs; points scale with difficulty against it.",
        "objectives": "What the learner should be able to do after playing; shown in the debrief.",
        "debrief": "The postmortem the learner reads after diagnosing. Blameless: about the system, never a person.",
    }


def assemble(
    opts: Options, p: Plan, data: dict, alert: dict, evidence: list[dict], page_at: float, sg: Signals
) -> tuple[str, dict]:
    kind = FAULTS[opts.fault]
    w = words(opts, p, alert, page_at, evidence)
    notes = section_notes(opts, p, alert, kind, sg)
    sections = [
        (
            notes["identity"],
            {
                "id": opts.id,
                "title": opts.title or default_title(opts.fault, p.service),
                "difficulty": opts.difficulty,
                "tags": [opts.fault.replace("_", "-")],
            },
        ),
        (notes["clock"], {"duration": data["duration"], "seed": opts.seed}),
        (notes["briefing"], {"briefing": w["briefing"]}),
        (notes["services"], {"services": data["services"]}),
        (notes["timeline"], {"timeline": data["timeline"]}),
        (notes["alerts"], {"alerts": [alert]}),
        (notes["answer"], {"answer": {"accepted": data["answer"]["accepted"], "evidence": evidence}}),
        (notes["hints"], {"hints": w["hints"]}),
        (notes["par"], {"par": format_duration(300 + 300 * opts.difficulty)}),
        (notes["objectives"], {"objectives": w["objectives"]}),
        (notes["debrief"], {"debrief": w["debrief"]}),
    ]
    header = (
        f"A dojo scenario, scaffolded by `dojo new --fault {opts.fault} --service {p.service}`.\n"
        "It validates and lints clean as written; edit anything, then check it again:\n"
        "  dojo validate FILE   the format (docs/authoring.md walks through it)\n"
        "  dojo preview FILE    what the learner will see: alerts, sparklines, sample lines, evidence\n"
        "  dojo lint FILE       is it fair: solvable from its own signals?\n"
        "Editors validate it against `dojo schema`."
    )
    merged = {k: v for _, d in sections for k, v in d.items()}
    return render(sections, header), merged


# -- putting it together ----------------------------------------------------------------------


@dataclass
class Attempt:
    plan: Plan
    data: dict
    signals: Signals
    alert: dict
    evidence: list[dict] = field(default_factory=list)


def attempt(opts: Options, nodes: list[Node], service: str, trigger: str | None, rps: float) -> Attempt | None:
    """The draft with the fault on `service`, tuned; None when its signals cannot carry a fair
    scenario (nothing to page on, or nothing in the signals that is the fault's own doing)."""
    p = plan(opts, nodes, service, trigger, rps)
    data = draft_data(opts, p)
    sc = Scenario.model_validate(data)
    control = opts.fault == "no_fault"
    # Most tries fail for want of anything to page on: screen on metrics before paying for logs.
    screen = Signals.metrics_only(sc)
    if not control and next(alert_options(screen, p, opts.difficulty), None) is None:
        return None
    sg = Signals.full(sc)
    if control:
        alert = choose_noise_alert(data, sg, service)
        return (
            Attempt(p, data, sg, alert, control_evidence({**data, "alerts": [alert]}, sg, service, alert))
            if alert
            else None
        )
    alert = choose_alert(data, sg, p, opts.difficulty)
    if alert is None:
        return None
    # What the fault itself changes: against the same draft without it (the trigger stays),
    # both drawn alike so that the difference is the fault's and not the noise's.
    without = Signals.metrics_only(Scenario.model_validate(draft_data(opts, p, with_fault=False)))
    sig = signature(screen, without, p.onset, near(p))
    if trigger and not sig:
        return None  # the page would be the trigger's alone
    evidence = choose_evidence({**data, "alerts": [alert]}, sg, sig, p, FAULTS[opts.fault], alert)
    if trigger and not any("logs" in e or "trace" in e for e in evidence):
        return None  # nothing in the signals names the fault
    return Attempt(p, data, sg, alert, evidence)


LOAD_STEP = 5.0  # faults that depend on load (a quota, a capacity) may need more traffic to show


def plans_to_try(opts: Options, nodes: list[Node]) -> Iterable[tuple[str, str | None, float]]:
    """(service, trigger, rps) in order: the fault on its own; with more traffic; set off by a
    slow callee (a retry storm only multiplies failures something else starts)."""
    services = [opts.service] if opts.service else candidate_services(nodes)
    for rps in (opts.rps, opts.rps * LOAD_STEP):
        for s in services:
            yield s, None, rps
    if TRIGGER in FAULTS and opts.fault not in (TRIGGER, "no_fault"):
        for s in services:
            # A slow database or provider is the classic spark; a queue or cache less so.
            callees = sorted(node(nodes, s).calls, key=lambda c: node(nodes, c).kind not in ("db", "external", "http"))
            for callee in callees[:1]:
                yield s, callee, opts.rps


def check_options(opts: Options, nodes: list[Node]) -> None:
    if opts.fault not in FAULTS:
        raise FlagError(f"--fault: no fault kind {opts.fault!r}; see 'dojo faults'")
    if not re.match(SLUG_PATTERN, opts.id):
        raise FlagError(
            f"--id: {opts.id!r} is not a slug; write lowercase letters, digits and dashes, like checkout-slow"
        )
    if opts.service and opts.service not in {n.name for n in nodes}:
        raise FlagError(f"--service: {opts.service!r} is not one of the services: {', '.join(n.name for n in nodes)}")
    if opts.title is not None and not (0 < len(opts.title) <= 200 and "\n" not in opts.title):
        raise FlagError("--title: one line of at most 200 characters")
    if opts.duration < 600:
        raise FlagError("--duration: at least 10m, so there is a baseline before the fault and time after it")


def prepare(opts: Options) -> tuple[list[Node], list[str]]:
    """The topology, with a front service added when the fault needs callers it would not have."""
    nodes = parse_services(opts.services)
    check_options(opts, nodes)
    notes = []
    kind = FAULTS[opts.fault]
    target = next((n for n in nodes if n.name == opts.service), None)
    if target and shown_by_callers(kind, target.kind) and not callers_of(nodes, target.name):
        nodes = with_front(nodes)
        notes.append(f"added {nodes[0].name} (lb) in front: {opts.fault} shows on the callers of {target.name}")
    return nodes, notes


def scaffold(opts: Options) -> Scaffold:
    nodes, notes = prepare(opts)
    for service, trigger, rps in plans_to_try(opts, nodes):
        found = attempt(opts, nodes, service, trigger, rps)
        if found is not None:
            break
    else:
        where = f"on {opts.service}" if opts.service else f"anywhere in '{opts.services}'"
        raise ScaffoldError(f"{opts.fault} moves no metric enough to page {where}; try another --service or --services")
    p = found.plan
    if trigger:
        notes.append(f"{trigger} slows down at the onset to set {opts.fault} off")
    if rps != opts.rps:
        notes.append(f"entry traffic raised to {rps:g} rps: at {opts.rps:g} {opts.fault} did not show")
    paged = Scenario.model_validate({**found.data, "alerts": [found.alert]})
    events = with_alerts(found.signals.tel, paged).events
    page_at = float(events.loc[events["kind"] == "alert_firing", "t"].min())
    text, data = assemble(opts, p, found.data, found.alert, found.evidence, page_at, found.signals)
    if yaml.safe_load(text) != data:  # the emitter is ours: prove it wrote what we meant
        raise ScaffoldError("internal error: the scaffold does not read back as written")
    scenario = Scenario.model_validate(data)
    return Scaffold(text, scenario, p.service, p.onset, found.alert["name"], page_at, tuple(notes))
