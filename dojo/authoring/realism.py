"""Does the evidence hold up? Checks the synthesized signals the way a senior engineer reads them.

Each rule names a class of give-away, not a line:
- a log line its service's kind cannot write (a request line from a database, any line from an
  external system, a public client address behind a caller);
- SQL that does not parse (sqlglot) or touches a table the database does not own;
- a request line on a route the topology does not give that service;
- a success slower than every caller's timeout (the callers gave up: it cannot be a 200);
- a metric without traffic (a latency or an error rate in a bucket with no requests), and a line
  about traffic in a bucket where the service served none.

Distinct messages are checked once. Request ids make most messages distinct, so the dear checks
are shared further: SQL is parsed once per statement shape (literals and the request's comment set
aside) and an address is judged once; most of the time left is one pass of regexes per message.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.model import Scenario
from dojo.telemetry.logs import TRAFFIC_WORDS
from dojo.telemetry.model import Telemetry
from dojo.telemetry.routes import ROUTE_RE, service_api, tables
from dojo.telemetry.text import _decoded

HTTP_LINE = re.compile(r"\b(GET|HEAD|POST|PUT|PATCH|DELETE) /|HTTP/1\.[01]|/healthz\b")
STATEMENT = re.compile(r"statement: (.*)$")
IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b")
REQUEST = re.compile(r"\b(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^\s\"';,)]*)")
OK_MS = re.compile(r"(?:\s200 (\d+)ms|\s200 \d+ rt=(\d+\.\d+)|completed in (\d+)ms)")
NO_VOICE = ("db", "cache", "queue")  # kinds that speak no HTTP
LATENCY = ("latency_p50_ms", "latency_p99_ms", "error_rate")
MAX_EXAMPLES = 1  # findings per rule and service: one example says it


@dataclass(frozen=True)
class RealismFinding:
    rule: str
    service: str
    message: str
    example: str = ""

    def line(self) -> str:
        ex = f" (e.g. {self.example[:160]!r})" if self.example else ""
        return f"{self.rule}: {self.service}: {self.message}{ex}"


def _route_patterns(routes) -> list[re.Pattern]:
    out = []
    for r in routes:
        path = re.escape(r.path).replace(r"\{id\}", r"[^/?\s]+")
        path = re.sub(r"\\\{\w+\\\}", r"[^/?\\s]+", path)
        out.append(re.compile(rf"^{r.method} {path}(?:\?\S*)?$"))
    return out


# A statement's literals: a number standing alone, a quoted string without escapes.
_LITERAL = re.compile(r"(?<![\w.$])\d+(?![\w.])|'[^'\\]*'")
# One closed comment at the end, as a request's context is added (/*traceparent='...'*/).
_TAIL_COMMENT = re.compile(r"\s*/\*[^*/]*\*/\s*$")


def sql_problem(sql: str, owned: tuple[str, ...]) -> str | None:
    """Why a statement could not come from this database, or None.

    Synthesized statements differ mostly in their literals (ids, amounts), and parsing is the
    linter's dearest step: statements equal up to their literals share one parse. A literal
    swapped for another of its kind leaves the tokens' kinds as they were, so the verdict holds;
    a problem is still worded from the statement itself. Statements with quoted names, comments
    or dollar quotes are parsed as they are; a closed comment at the end (a request's context) is
    whitespace to the parser and is left out of the shared parse."""
    shape = _TAIL_COMMENT.sub("", sql)
    if any(c in shape for c in ('"', "$", "--", "/*", "*/")):
        return _sql_problem(sql, owned)
    if _sql_problem_cached(_LITERAL.sub(lambda m: "0" if m.group(0)[0] != "'" else "''", shape), owned) is None:
        return None
    return _sql_problem(sql, owned)


@functools.lru_cache(maxsize=4096)
def _sql_problem_cached(sql: str, owned: tuple[str, ...]) -> str | None:
    return _sql_problem(sql, owned)


def _sql_problem(sql: str, owned: tuple[str, ...]) -> str | None:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except SqlglotError as e:  # ParseError, and TokenError (an unclosed quote)
        return f"SQL does not parse: {str(e).splitlines()[0][:80]}"
    if tree is None or isinstance(tree, exp.Command):
        return "SQL does not parse as a statement"
    if isinstance(tree, exp.Update) and not tree.args.get("expressions"):
        return "UPDATE without SET"
    if isinstance(tree, exp.Insert) and not isinstance(tree.this, (exp.Table, exp.Schema)):
        return "INSERT without INTO a table"
    names = {t.name for t in tree.find_all(exp.Table)}
    foreign = sorted(names - set(owned))
    if foreign:
        return f"touches {', '.join(foreign)}, which it does not own (its tables: {', '.join(owned)})"
    return None


@functools.lru_cache(maxsize=65536)
def _is_public(ip: str) -> bool:
    """A public address (lines draw theirs from small pools, so each is judged once)."""
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def check(sc: Scenario, tel: Telemetry) -> list[RealismFinding]:
    out: list[RealismFinding] = []
    api = service_api(sc)
    owned = tables(sc)
    kinds = {s.name: s.kind for s in sc.services}
    callers: dict[str, list[str]] = {s.name: [] for s in sc.services}
    for s in sc.services:
        for c in s.calls:
            callers.setdefault(c, []).append(s.name)
    timeouts = {s.name: s.timeout_ms for s in sc.services}
    logs = tel.logs
    if logs.num_rows:
        # Imported lines are real: only what the dojo wrote is judged.
        out += _lines(sc, tel, logs, api, owned, kinds, callers, timeouts)
    out += _metrics(tel)
    return out


def _shapes(logs: pa.Table) -> dict[str, list[tuple[str, str]]]:
    """Distinct (level, message) per service."""
    service = _decoded(logs.column("service"))
    level = _decoded(logs.column("level"))
    message = _decoded(logs.column("message"))
    table = pa.table({"service": service, "level": level, "message": message})
    groups = table.group_by(["service", "level", "message"]).aggregate([])
    out: dict[str, list[tuple[str, str]]] = {}
    for s, lv, m in zip(
        groups.column("service").to_pylist(),
        groups.column("level").to_pylist(),
        groups.column("message").to_pylist(),
        strict=True,
    ):
        out.setdefault(s, []).append((lv, m))
    return out


def _lines(sc, tel, logs, api, owned, kinds, callers, timeouts) -> list[RealismFinding]:
    out: list[RealismFinding] = []
    seen: set[tuple[str, str]] = set()

    def add(rule: str, service: str, message: str, example: str = "") -> None:
        if (rule, service) in seen:
            return
        seen.add((rule, service))
        out.append(RealismFinding(rule, service, message, example))

    for service, rows in _shapes(logs).items():
        kind = kinds.get(service)
        if kind is None:
            continue  # an imported service
        patterns = _route_patterns(api.get(service) or ())
        limit = max((timeouts[c] for c in callers.get(service, ())), default=None)
        for level, msg in rows:
            if kind == "external":
                add("voice", service, "an external system's own lines: it is seen only through its callers", msg)
                continue
            if kind in NO_VOICE and HTTP_LINE.search(msg):
                add("voice", service, f"a {kind} writes an HTTP request line", msg)
            if kind == "db":
                m = STATEMENT.search(msg)
                if m:
                    why = sql_problem(m.group(1), owned.get(service, ()))
                    if why:
                        add("sql", service, why, msg)
            if callers.get(service):
                for ip in IPV4.findall(msg):
                    if _is_public(ip):
                        add("client-ip", service, "an internal service logs a public client address", msg)
            if patterns:
                for rm in REQUEST.finditer(msg):
                    req = f"{rm.group(1)} {rm.group(2)}"
                    if rm.group(2) == "/healthz" or any(p.match(req) for p in patterns):
                        continue
                    add("route", service, f"{req} is not a route of {service}", msg)
            elif kind == "http" and ROUTE_RE.search(msg) and "/healthz" not in msg:
                add("route", service, f"{service} has no routes but logs a request line", msg)
            if limit is not None and level in ("INFO", "WARN"):
                for om in OK_MS.finditer(msg):
                    ms = float(om.group(1) or om.group(3) or 0) or float(om.group(2) or 0) * 1000
                    if ms > limit:
                        add(
                            "timeout",
                            service,
                            f"a success after {ms:g} ms, longer than every caller waits ({limit:g} ms)",
                            msg,
                        )
    out += _traffic_lines(sc, tel, logs)
    return out


def _traffic_lines(sc, tel, logs) -> list[RealismFinding]:
    """Lines about traffic in buckets where the service served none."""
    out = []
    m = tel.metrics[tel.metrics["metric"] == "rps"]
    service = _decoded(logs.column("service"))
    message = logs.column("message")
    t = logs.column("t").to_numpy()
    waits = [s.timeout_ms for s in sc.services if s.timeout_ms]
    in_flight = min(max(waits, default=1000.0) / 1000.0, tel.grid)
    talks = np.asarray(pc.match_substring_regex(message, TRAFFIC_WORDS.pattern, ignore_case=True).to_numpy(False))
    for name, series in m.groupby("service"):
        idle = series["t"].to_numpy()[series["value"].to_numpy() <= 0]
        if len(idle) == 0:
            continue
        mine = np.asarray(pc.equal(service, name).to_numpy(False)) & talks
        if not mine.any():
            continue
        # Work in flight when traffic stops still finishes and logs its end: a line counts only
        # when the bucket it was started in (at most the longest wait earlier) was idle too.
        bucket = np.floor(t[mine] / tel.grid) * tel.grid
        started = np.floor((t[mine] - in_flight) / tel.grid) * tel.grid
        hit = np.isin(np.round(bucket, 6), np.round(idle, 6)) & np.isin(np.round(started, 6), np.round(idle, 6))
        if hit.any():
            example = message.take(pa.array(np.flatnonzero(mine)[np.flatnonzero(hit)[:1]])).to_pylist()[0]
            out.append(
                RealismFinding(
                    "no-traffic", name, f"{int(hit.sum())} line(s) about traffic in buckets with 0 req/s", example
                )
            )
    return out


def _metrics(tel: Telemetry) -> list[RealismFinding]:
    out = []
    m = tel.metrics
    rps = m[m["metric"] == "rps"].set_index(["service", "t"])["value"]
    for metric in LATENCY:
        s = m[m["metric"] == metric].set_index(["service", "t"])["value"]
        joined = s.to_frame("v").join(rps.rename("rps"), how="inner")
        bad = joined[(joined["rps"] <= 0) & joined["v"].notna() & ((joined["v"] != 0) | (metric != "error_rate"))]
        for service in bad.index.get_level_values(0).unique():
            n = int((bad.index.get_level_values(0) == service).sum())
            out.append(RealismFinding("metric", service, f"{metric} reported in {n} bucket(s) with no requests"))
    return out
