"""Log lines sampled from the simulated state, built column-wise.

A *group* is one template on one service with an expected rate per bucket. Counts per bucket are
Poisson draws from that rate; each line's fields come from seeded pools by numpy index, and the
text is assembled with pyarrow string kernels. No Python work happens per line.

Request lines are sampled at `log_sample` from the same request and error rates as the metrics,
so the share of ERROR request lines matches the error-rate metric within sampling noise.
"""

from __future__ import annotations

import bisect
import re
import string
import zlib
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.vocabulary import LEVELS as _LEVELS

from .changes import voice
from .connpool import POOL_SOURCE
from .draws import Draws
from .faults import FAULTS, Template
from .physics import State, _lognormal_sigma, _normal_sf
from .pools import Pools
from .routes import service_api, statements, tables
from .statuses import answer_codes
from .text import sample_note  # noqa: F401 - where the engine has always found it

LEVELS = list(_LEVELS)  # a level is stored as its index here
LEVEL_CODE = {name: i for i, name in enumerate(LEVELS)}

# Access lines by service kind, in each kind's own voice. External services are other companies'
# systems: no logs of theirs. A load balancer writes an nginx-like access log (client, request
# line, status, bytes, request time in seconds, the upstream that served it); a database its
# statement log, never a request line.
ACCESS = {
    "http": ("{path} 200 {ms}ms client={ip}", "slow request: {path} 200 {ms}ms client={ip}"),
    "lb": (
        '{ip} "{path} HTTP/1.1" 200 {bytes} rt={sec} upstream={upstream}',
        '{ip} "{path} HTTP/1.1" 200 {bytes} rt={sec} upstream={upstream}',
    ),
    "worker": ("processed job {id} in {ms}ms", "slow job {id} took {ms}ms"),
    "db": ("duration: {ms} ms statement: {query}", "slow query: duration: {ms} ms statement: {query}"),
    "cache": ("GET {key} hit {ms}ms", "slow command: GET {key} {ms}ms"),
    "queue": ("delivered message {uuid} to consumer in {ms}ms", "slow delivery of message {uuid}: {ms}ms"),
}
CACHE_MISS = "GET {key} miss {ms}ms"
# A write that waits on a row lock long enough to be logged (PostgreSQL's log_lock_waits).
LOCK_WAIT = Template(
    "process {pid} still waiting for ShareLock on transaction {txid} after {ms} ms; statement: {write_query}", "WARN"
)
# A service that publishes to a queue says so, in the producer's words.
PUBLISH = Template("published message {uuid} to {peer} in {ms}ms", "INFO")
ACCESS_RATE = {"http": 1.0, "lb": 1.0, "worker": 1.0, "db": 0.2, "cache": 0.05, "queue": 0.3}
SLOW_MS = 1000.0

GENERIC_ERRORS = {
    "base": (Template('{path} 500 {ms}ms error="internal error" request_id={id}'),),
    "overload": (Template("{path} 503 {ms}ms rejected: server overloaded, shedding load"),),
    "upstream": (Template("call to {peer} failed: 503 Service Unavailable (request_id={id})"),),
    "timeout": (Template("call to {peer} timed out after {timeout_ms}ms (request_id={id})"),),
    "conn": (Template("call to {peer} failed: connection error (request_id={id})"),),
}
# Own failures and overload in each kind's voice (an HTTP status line only where HTTP is spoken).
KIND_ERRORS = {
    "db": {
        "base": (Template("ERROR:  could not serialize access due to concurrent update; statement: {write_query}"),),
        "overload": (
            Template("FATAL:  sorry, too many clients already; connection from {caller_ip} rejected, shedding load"),
        ),
    },
    "cache": {
        "base": (Template("ERR internal error executing GET {key} from {caller_ip}"),),
        "overload": (Template("ERR max number of clients reached: {caller_ip} rejected, shedding load"),),
    },
    "queue": {
        "base": (Template("publish of message {uuid} from {caller_ip} failed: internal error"),),
        "overload": (
            Template("publish of message {uuid} from {caller_ip} rejected: broker overloaded, shedding load"),
        ),
    },
    "worker": {
        "base": (Template('job {id} failed after {ms}ms: error="internal error"'),),
        "overload": (Template("job {id} rejected: worker overloaded, shedding load"),),
    },
    "lb": {
        # Its own failure: nothing was forwarded, so no upstream (nginx writes "-").
        "base": (Template('{ip} "{path} HTTP/1.1" 500 0 rt={sec} upstream=-'),),
        "overload": (Template('{ip} "{path} HTTP/1.1" 503 0 rt={sec} upstream=- rejected: shedding load'),),
    },
}
# A load balancer's failed requests are access lines too: 502 when the upstream failed or could
# not be reached, 504 when it did not answer in time (nginx's and ALB's codes).
LB_ERRORS = {
    "upstream": Template('{ip} "{path} HTTP/1.1" 502 0 rt={sec} upstream={peer} request_id={id}'),
    "conn": Template('{ip} "{path} HTTP/1.1" 502 0 rt={sec} upstream={peer} request_id={id}'),
    "timeout": Template('{ip} "{path} HTTP/1.1" 504 0 rt={sec} upstream={peer} request_id={id}'),
}
# The callee's side of a call its caller gave up on: cancelled, not a success and not its own
# failure (nginx's 499, client closed request).
CANCELLED = {
    "http": Template(
        "{path} 499 {ms}ms client closed request: {caller} gave up after {caller_timeout_ms}ms request_id={id}", "WARN"
    ),
    "lb": Template('{ip} "{path} HTTP/1.1" 499 0 rt={sec} upstream={upstream} request_id={id}', "WARN"),
    "worker": Template("job {id} cancelled after {ms}ms: {caller} gave up after {caller_timeout_ms}ms", "WARN"),
}
PAIRED_KINDS = tuple(CANCELLED)  # kinds that carry a request id
SPAN_LINE_KINDS = ("http", "lb", "worker", "db")  # kinds whose lines carry the trace context
# What the other systems write about a request their caller gave up on: PostgreSQL cancels the
# statement (the driver's query timeout sends a cancel request), Redis' slow log keeps the command
# with the client's address. A broker keeps nothing of a publish its producer stopped waiting for.
CANCELLED_ELSEWHERE = {
    "db": Template("ERROR:  canceling statement due to user request; statement: {query} /*request_id='{id}'*/", "WARN"),
    "cache": Template("slowlog: GET {key} took {ms}ms client={caller_ip} (client timed out)", "WARN"),
}
TIMEOUT_VOICE = tuple(CANCELLED_ELSEWHERE)
# A database, a cache or a broker knows nothing of a request id, but their lines of a request
# can still be found: the statement's comment (sqlcommenter, Rails query log tags), the key the
# caller asked for, the id of the message it published.
CALLEE_VOICE = ("db", "cache", "queue")
SHARED_FIELD = {"cache": "key", "queue": "uuid"}
# The status a service answers with, for each way a call to it can fail, in its callers' words.
_REASON = {"500": "Internal Server Error", "502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}
CALLER_WORDS = {
    "db": {
        "500": "query on {peer} failed: ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)"
        " (request_id={id})",
        "500:": "query on {peer} failed: ERROR: internal error (SQLSTATE XX000) (request_id={id})",
        "503": "connect to {peer} failed: FATAL: sorry, too many clients already (SQLSTATE 53300) (request_id={id})",
        "timeout": "query on {peer} canceled after {timeout_ms}ms: statement timeout (request_id={id})",
    },
    "cache": {
        "500": "cache GET {key} on {peer} failed: ERR internal error (request_id={id})",
        "503": "connect to cache {peer} refused: ERR max number of clients reached (request_id={id})",
        "timeout": "cache GET {key} on {peer} timed out after {timeout_ms}ms (request_id={id})",
    },
    "queue": {
        "500": "publish of message {uuid} to {peer} failed: internal error (request_id={id})",
        "503": "publish of message {uuid} to {peer} rejected: broker overloaded (request_id={id})",
        "timeout": "publish of message {uuid} to {peer} not confirmed after {timeout_ms}ms (request_id={id})",
    },
}
# A balancer with no instance of its upstream left to connect to answers 503 itself (Envoy's
# "no healthy upstream", ALB's 503 with no healthy targets) instead of trying and failing (502).
NO_HEALTHY = 0.95
INSTANCE_LOSS = ("crash_loop", "zone_outage")
LB_NO_UPSTREAM = Template(
    '{ip} "{path} HTTP/1.1" 503 0 rt={sec} upstream={peer} request_id={id} error="no healthy upstream"'
)


# Lines of requests handed on: counts per bucket, stamps, request ids, shared fields.
_Lines = tuple[np.ndarray, np.ndarray, pa.Array, dict[str, pa.Array]]


@dataclass(frozen=True)
class Cause:
    rate: np.ndarray  # (T,) share of requests failing this way
    templates: tuple[Template, ...]
    consts: dict
    answer: str  # what the service answers its caller: "500", "503"..., or "w:<source>"
    pair_to: tuple[int, str, str | None] | None = None  # (callee, "upstream"|"timeout", its answer)
    catch_all: bool = False


def _caller_words(kind: str, answer: str) -> Template:
    """A caller's line about a failed call to a service of `kind` that answered `answer`."""
    words = CALLER_WORDS.get(kind)
    if answer == "timeout":
        return Template(words["timeout"]) if words else GENERIC_ERRORS["timeout"][0]
    if words is not None:
        text = words.get(answer) or (words.get("500:") if answer.startswith("500") else None) or words["500"]
        return Template(text)
    code = answer.partition(":")[0]
    return Template(f"call to {{peer}} failed: {code} {_REASON.get(code, 'Error')} (request_id={{id}})")


def _lb_upstream(answer: str) -> Template:
    """A balancer's access line for a request its upstream answered with an error: the status
    passes through (nginx, ALB and Envoy all return what the upstream said)."""
    code = answer.partition(":")[0]
    return Template(f'{{ip}} "{{path}} HTTP/1.1" {code} 0 rt={{sec}} upstream={{peer}} request_id={{id}}')


def _status_of(text: str, default: str) -> str:
    m = _STATUS.search(_OWN_ID.sub("", text))
    return m.group(1) if m else default


def _tag_statement(text: str) -> str:
    """The request id as a comment at the end of the statement, as sqlcommenter writes it."""
    for field in ("{write_query}", "{query}"):
        if field in text:
            return text.replace(field, field + " /*request_id='{id}'*/", 1)
    return text


MAX_PAIR_DEPTH = 8
HEALTH = Template("GET /healthz 200 {ms}ms", "INFO")
HEALTH_KINDS = ("http", "lb", "worker")  # probed over HTTP; a database or a cache is not
HEALTH_PER_MIN_PER_REPLICA = 2.0
# Noise that talks about traffic ("throttled 18 requests") follows the traffic: none at 0 req/s.
TRAFFIC_WORDS = re.compile(
    r"\b(requests?|calls?|quer(y|ies)|connections?|throttl\w*|rate.limit\w*|retr(y|ies)|messages?|jobs?)\b", re.I
)

_FORMATTER = string.Formatter()
_MS3 = pa.array([f"{k:03d}" for k in range(1000)])
_HEX4 = pa.array([f"{k:04x}" for k in range(65536)])

# pyarrow's string arrays address their bytes with 32-bit offsets: one array holds under 2 GiB.
# Lines are rendered and reordered in slices well under that, so no input can overflow it; a
# group smaller than one slice draws exactly as one piece (same seed, same bytes as before).
CHUNK_BYTES = 256 << 20
_FIELD_BYTES = 160  # generous width of one rendered placeholder (paths, agents, queries)


@dataclass
class Group:
    service: int
    level: int
    text: str  # template with per-group constants already substituted
    counts: np.ndarray  # (T,) lines per bucket
    ms_scale: np.ndarray | None = None  # (T,) median ms for {ms}
    ms_sigma: np.ndarray | None = None
    ms_fixed: float | None = None
    ms_cap: np.ndarray | None = None  # (T,) a successful request cannot outlast the timeouts it waits on
    attempts: int = 3
    peer: str | None = None  # a load balancer's line about one upstream: that upstream's routes
    ids: pa.Array | None = None  # request ids shared with another service's lines (else fresh)
    # Those lines' stamps, (n, 2): each line's time, and which of the pool's routes its request
    # took (the same route on the proxy's line and the service's own). Else drawn per line.
    t: np.ndarray | None = None
    # Per-line values of other fields shared with another service's line of the same request
    # (the cache key, the message id).
    fields: dict[str, pa.Array] | None = None
    # (O,T) weights of the service's operations for these lines (services that declare them): each
    # line's route (or statement) is drawn from one operation's, in these proportions.
    op_w: np.ndarray | None = None
    # Where it was added (the draws' scope then, the template): its lines' draws are keyed by it.
    key: tuple = ()


class LogBuilder:
    draws_lines = True  # False: a counter that sizes the lines without drawing their fields

    def __init__(
        self,
        st: State,
        pools: Pools,
        hosts: list[list[str]],
        rng: Draws | np.random.Generator,
        spans=None,
        live_from: int = 0,
    ):
        # Draws (dojo.telemetry.draws): a bucket's lines are drawn the same whatever later buckets hold.
        self.st, self.pools, self.hosts, self.spans = st, pools, hosts, spans
        self.rng = Draws.of(rng, "logs", st.T)
        # Lines are made for the buckets from `live_from` on (a render resumed there: an action's);
        # every count per bucket is still the whole run's, so what is drawn for those buckets is.
        self.live_from = live_from
        self.grid = st.scenario.grid
        self.groups: list[Group] = []
        self._path_cache: dict[int, tuple[pa.Array, pa.Array]] = {}
        self._query_cache: dict[int, tuple[pa.Array, pa.Array]] = {}
        self._key_cache: dict[int, pa.Array] = {}
        self._caller_cache: dict[int, tuple[pa.Array, pa.Array]] = {}
        self._slot_cache: dict[int, list[np.ndarray]] = {}
        self._slot_up: dict[int, list[str]] = {}  # per slot of a proxy's pool: the upstream serving it
        self._slot_kind: dict[int, list[str] | np.ndarray] = {}  # per slot: its operation, or (db) whether it writes
        self.api = service_api(st.scenario)
        self.tables = tables(st.scenario)
        self._cause_cache: dict[int, list[Cause]] = {}

    def _live(self, counts: np.ndarray) -> np.ndarray:
        if not self.live_from:
            return counts
        out = np.array(counts, copy=True)
        out[..., : self.live_from] = 0
        return out

    def _rows(self, counts: np.ndarray) -> np.ndarray:
        """The bucket of each line for per-bucket counts (the live buckets' only)."""
        return np.repeat(np.arange(self.st.T), self._live(counts))

    def _carve(self, n, parts, t, ids, fields):
        return _carve(self._live(n), [self._live(p) for p in parts], t, ids, fields)

    def _caller_pods(self, s: int) -> tuple[pa.Array, pa.Array]:
        """Names and addresses of the pods that call service s; clients for an entry service."""
        if s not in self._caller_cache:
            st = self.st
            pods = [(st.names[c], _pod_ip(h)) for c in st.callers[s] for h in self.hosts[c]]
            if pods:
                self._caller_cache[s] = (pa.array([p[0] for p in pods]), pa.array([p[1] for p in pods]))
            else:
                self._caller_cache[s] = (self.pools.user, self.pools.ip)
        return self._caller_cache[s]

    def _paths(self, i: int) -> tuple[pa.Array, pa.Array]:
        """Request lines a service serves, and the upstream that serves each (itself, or the
        callee a proxy forwards to); statements for a database. From the topology's API only."""
        if i not in self._path_cache:
            st = self.st
            name, kind = st.names[i], st.kinds[i]
            # A stream of its own per service, so adding a route elsewhere reshuffles nothing here.
            rng = np.random.default_rng([self.st.scenario.seed, zlib.crc32(name.encode())])
            size = self.pools.size
            nums = rng.integers(1000, 99999, size)
            if kind == "db":
                q, _ = self._queries(i)
                lines = q.to_pylist()
                ups = [name] * len(lines)
            else:
                routes = self.api.get(name) or ()
                if not routes:  # a worker, a cache, a queue: what it works on, not a URL
                    lines = [f"{kind} {name}"] * size
                    ups = [name] * size
                else:
                    share = np.array([r.share for r in routes], dtype=float)
                    pick = rng.choice(len(routes), size, p=share / share.sum())
                    lines = [routes[k].line.replace("{id}", str(n)) for k, n in zip(pick, nums, strict=True)]
                    ups = [routes[k].upstream for k in pick]
                    self._slot_kind[i] = [routes[k].operation for k in pick]
                    self._slot_up[i] = ups
            self._path_cache[i] = (pa.array(lines, pa.string()), pa.array(ups, pa.string()))
        return self._path_cache[i]

    def _queries(self, i: int) -> tuple[pa.Array, pa.Array]:
        """Statements a database runs (all, and writes only), on the tables it owns."""
        if i not in self._query_cache:
            name = self.st.names[i]
            rng = np.random.default_rng([self.st.scenario.seed, zlib.crc32(name.encode()), 1])
            owned = self.tables.get(name) or (name.replace("-", "_"),)
            shapes = [(sql, w) for t in owned for sql, w in statements(t)]
            size = self.pools.size
            nums = rng.integers(1, 10**6, size)
            pick = rng.integers(0, len(shapes), size)
            all_q = [shapes[k][0].replace("{n}", str(n)) for k, n in zip(pick, nums, strict=True)]
            writes = [sql for sql, w in shapes if w]
            wpick = rng.integers(0, len(writes), size)
            write_q = [writes[k].replace("{n}", str(n)) for k, n in zip(wpick, nums, strict=True)]
            self._slot_kind[i] = np.array([shapes[k][1] for k in pick], dtype=bool)
            self._query_cache[i] = (pa.array(all_q, pa.string()), pa.array(write_q, pa.string()))
        return self._query_cache[i]

    def _keys(self, i: int) -> pa.Array:
        """Cache keys named after what the cache's callers store in it."""
        if i not in self._key_cache:
            st = self.st
            rng = np.random.default_rng([st.scenario.seed, zlib.crc32(st.names[i].encode()), 2])
            nouns = [st.names[c] for c in st.callers[i] if st.kinds[i] == "cache"] or [st.names[i]]
            from .routes import noun

            words = [noun(n) for n in nouns]
            size = self.pools.size
            self._key_cache[i] = pa.array(
                [
                    f"{words[k]}:{n}"
                    for k, n in zip(rng.integers(0, len(words), size), rng.integers(1, 10**6, size), strict=True)
                ],
                pa.string(),
            )
        return self._key_cache[i]

    def _op_slots(self, i: int) -> list[np.ndarray] | None:
        """Per operation of a service that declares them, the slots of its route pool (statements
        for a database) that are that operation's: its route, or a write statement for a writing
        operation and a read for a reading one. An operation without a route of its own (the
        implicit remainder) may take any slot."""
        ops = self.st.ops.get(i)
        if ops is None:
            return None
        if i not in self._slot_cache:
            self._paths(i)
            kinds = self._slot_kind.get(i)
            every = np.arange(self.pools.size)
            out = []
            for o in ops:
                if isinstance(kinds, np.ndarray):  # a database: by what the statement does
                    mine = np.flatnonzero(kinds == o.writes)
                else:
                    mine = np.flatnonzero(np.array([k == o.name for k in kinds or []], dtype=bool))
                out.append(mine if len(mine) else every)
            self._slot_cache[i] = out
        return self._slot_cache[i]

    def _op_routes(self, i: int, weights: np.ndarray, bucket: np.ndarray) -> np.ndarray:
        """A slot of service i's pool per line: an operation drawn by its weight in the line's
        bucket ((O,T)), then one of that operation's routes."""
        slots = self._op_slots(i) if i in self.st.ops else self._slot_cache.get(i)
        assert slots is not None
        w = np.clip(np.nan_to_num(weights[:, bucket].astype(float)), 0.0, None)  # (O, n)
        total = w.sum(axis=0)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / len(slots))
        op = (np.cumsum(w, axis=0) < self.rng.random(len(bucket), rows=bucket)).sum(axis=0).clip(0, len(slots) - 1)
        out = np.zeros(len(bucket), dtype=np.int64)
        for k, mine in enumerate(slots):
            rows = np.flatnonzero(op == k)
            with self.rng.scope("op", k):
                out[rows] = mine[self.rng.integers(0, len(mine), len(rows), rows=bucket[rows])]
        return out

    def _proxy_ok(self, i: int) -> np.ndarray | None:
        """A proxy's successful lines: their routes drawn from (upstream, operation) classes of its
        pool, each weighted by the share of that operation's requests that succeed, so a proxy in
        front of failing writes logs them failing, not as 200s. None when no upstream declares
        operations (then routes are drawn as they lie in the pool)."""
        st = self.st
        self._paths(i)
        ups, kinds = self._slot_up.get(i), self._slot_kind.get(i)
        if not ups or not isinstance(kinds, list) or not any(st.names.index(u) in st.ops for u in set(ups)):
            return None
        classes: dict[tuple[str, str], list[int]] = {}
        for k, (u, o) in enumerate(zip(ups, kinds, strict=True)):
            classes.setdefault((u, o), []).append(k)
        slots, weights = [], []
        for (u, o), mine in classes.items():
            c = st.names.index(u)
            op = next((x for x in st.ops.get(c, []) if x.name == o), None)
            ok = np.ones(st.T) if op is None else 1.0 - np.clip(np.nan_to_num(op.err), 0.0, 1.0)
            slots.append(np.array(mine))
            weights.append(len(mine) * ok)
        self._slot_cache[i] = slots
        return np.array(weights)

    def _by_op(self, i: int, t: np.ndarray, n: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Lines' stamps with their route re-drawn by service i's operations (`weights` (O,T)),
        so a failed write reads as a write on every line of that request."""
        if weights is None or i not in self.st.ops or not len(t):
            return t
        t = t.copy()
        t[:, 1] = self._op_routes(i, weights, self._rows(n))
        return t

    def _op_weights(self, i: int, which: str) -> np.ndarray | None:
        """(O,T) weights of service i's operations among its failed ('err'), successful ('ok') or
        all ('all') requests: the counts the metrics drew, else the state's rates."""
        st = self.st
        ops = st.ops.get(i)
        if ops is None:
            return None
        count, err = st.op_count.get(i), st.op_err.get(i)
        if count is None or err is None:
            count = np.array([o.share * st.rps[i] for o in ops])
            err = count * np.array([np.nan_to_num(o.err) for o in ops])
        return {"err": err, "ok": count - err, "all": count}[which].astype(float)

    def _ms_cap(self, i: int) -> np.ndarray | None:
        """The longest a request a service answers successfully can take: its callers give up at
        their timeout (it would be cancelled, not logged as a 200), and it gives up on each of
        its own callees at its timeout, once per attempt."""
        st = self.st
        svc = st.scenario.services[i]
        caps = []
        if st.callers[i]:
            caps.append(np.full(st.T, max(st.scenario.services[c].timeout_ms for c in st.callers[i]), dtype=float))
        if st.calls[i]:
            # Bucket by bucket (its own time then), never the run's worst: a bucket's lines do not
            # depend on what happens later (an action then would change lines seen before it).
            own = np.broadcast_to(np.asarray(st.self_p50[i] * st.tail[i], dtype=float), (st.T,))
            caps.append(own + sum(svc.timeout_ms * (svc.retries + 1) for _ in st.calls[i]))
        return np.minimum.reduce(caps) if caps else None

    # -- rates to groups ---------------------------------------------------------------------

    def add(
        self, service: int, template: Template, per_s: np.ndarray | None, consts: dict, counts=None, **dist
    ) -> None:
        if self.st.kinds[service] == "external":
            return  # another company's system: we only see it through our callers' lines
        if counts is None:
            assert per_s is not None, "a group needs a rate or its counts"
            lam = np.clip(np.nan_to_num(per_s), 0.0, None) * self.grid
            with self.rng.scope("add", service, template.text, template.level, tuple(sorted(consts.items()))):
                counts = self.rng.poisson(lam)
        if counts.sum() == 0:
            return
        text = _substitute(template.text, consts)
        if self.st.kinds[service] == "db" and "{id}" not in text:
            # The application tags every statement it sends with its request id (sqlcommenter,
            # Rails query log tags): a caller's failed request is found in the statement log.
            text = _tag_statement(text)
        attempts = max(int(float(consts.get("factor", 3))), 1)  # {attempt} counts up to a retry factor
        key = (self.rng.where(), service, template.level, template.text, tuple(sorted(consts.items())))
        self.groups.append(Group(service, LEVEL_CODE[template.level], text, counts, attempts=attempts, key=key, **dist))

    def consts(self, i: int, **more) -> dict:
        svc = self.st.scenario.services[i]
        return {"service": svc.name, "timeout_ms": f"{svc.timeout_ms:g}", **more}

    def _sampled(self, i: int, which: str, p: float) -> np.ndarray:
        """Lines per bucket for a service's requests: each request the metrics counted (ok or
        failed) writes a line with probability p, so no bucket has more lines than requests and
        none has a line without traffic. Without counted requests (the builder used alone), a
        Poisson draw at the state's rate."""
        st = self.st
        counted = getattr(st, "req_count", None)
        if counted is None:
            rate = st.rps[i] * (st.err[i] if which == "err" else 1.0 - st.err[i])
            return self.rng.poisson(np.clip(np.nan_to_num(rate), 0, None) * self.grid * p)
        err_count = getattr(st, "err_count", None)  # set with req_count by the metrics
        assert err_count is not None
        n = err_count[i] if which == "err" else counted[i] - err_count[i]
        return self.rng.binomial(np.maximum(n, 0).astype(np.int64), min(p, 1.0))

    def _split(self, total: np.ndarray, shares: list[np.ndarray], keys: list | None = None) -> list[np.ndarray]:
        """Split per-bucket counts over parts by per-bucket shares (a multinomial, drawn as a
        chain of binomials), so the parts add up to exactly `total`. `keys` name the parts when
        which parts there are depends on the incident (a part added by an action, with no share
        before it, must not change the draws of the others)."""
        left = total.astype(np.int64)
        weights = [np.clip(np.nan_to_num(np.broadcast_to(w, total.shape).astype(float)), 0, None) for w in shares]
        rest = np.sum(weights, axis=0) if weights else np.zeros(total.shape)
        out = []
        for k, w in enumerate(weights):
            p = np.divide(w, rest, out=np.zeros_like(w), where=rest > 0)
            with self.rng.scope("part", k if keys is None else keys[k]):
                c = self.rng.binomial(left, np.clip(p, 0.0, 1.0))
            out.append(c)
            left = left - c
            rest = rest - w
        return out

    def requests(self) -> None:
        st, sample = self.st, self.st.scenario.log_sample
        sigma = _lognormal_sigma(st.p50, st.p99)
        for i in range(st.S):
            kind = st.kinds[i]
            if kind == "external":
                continue
            rate = ACCESS_RATE[kind]
            ok_lines = self._sampled(i, "ok", sample * rate)
            # Split successes into normal and slow lines by the share of the latency
            # distribution above the threshold, so WARN lines track p99.
            z = (np.log(SLOW_MS) - np.log(np.maximum(st.p50[i], 1e-6))) / np.maximum(sigma[i], 1e-6)
            slow_share = _normal_sf(z)
            cap = self._ms_cap(i)
            if cap is not None:
                slow_share = np.where(cap <= SLOW_MS, 0.0, slow_share)
            fast, slow = ACCESS[kind]
            c = self.consts(i)
            fast_ms = dict(ms_scale=np.minimum(st.p50[i], SLOW_MS / 3), ms_sigma=np.minimum(sigma[i], 0.4), ms_cap=cap)
            fast_ms["op_w"] = None
            if self.draws_lines:  # (a counter only sizes the lines)
                fast_ms["op_w"] = self._proxy_ok(i) if kind == "lb" and i not in st.ops else self._op_weights(i, "ok")
            # Hits and misses in the proportion the cache_hit_pct metric shows.
            hit = np.clip(st.cache_hit[i] / 100.0, 0.0, 1.0) if kind == "cache" else np.ones(st.T)
            miss_n, fast_n, slow_n = self._split(
                ok_lines, [(1 - slow_share) * (1 - hit), (1 - slow_share) * hit, slow_share]
            )
            if kind == "cache":
                self.add(i, Template(CACHE_MISS, "INFO"), None, c, counts=miss_n, **fast_ms)
            self.add(i, Template(fast, "INFO"), None, c, counts=fast_n, **fast_ms)
            self.add(
                i,
                Template(slow, "WARN"),
                None,
                c,
                counts=slow_n,
                ms_scale=np.maximum(st.p50[i], SLOW_MS) * 1.3,
                ms_sigma=np.full(st.T, 0.15),
                ms_cap=cap,
                op_w=fast_ms["op_w"],
            )
            if kind == "db" and self.tables.get(st.names[i]):
                # Slow writes are mostly writes waiting on each other's row locks.
                self.add(
                    i,
                    LOCK_WAIT,
                    None,
                    c,
                    counts=self.rng.binomial(slow_n, 0.3),
                    ms_scale=np.full(st.T, SLOW_MS) * 1.2,
                    ms_sigma=np.full(st.T, 0.2),
                )
            for q in st.calls[i]:
                if st.kinds[q] == "queue":
                    w = np.minimum(st.edge_weight[(i, q)], 1.0)
                    self.add(
                        i,
                        PUBLISH,
                        None,
                        self.consts(i, peer=st.names[q]),
                        counts=self.rng.binomial(ok_lines, np.clip(np.nan_to_num(w), 0.0, 1.0)),
                        ms_scale=np.minimum(st.p50[q], SLOW_MS),
                        ms_sigma=np.full(st.T, 0.3),
                    )
        self._all_errors(sigma)

    def _all_errors(self, sigma: np.ndarray) -> None:
        """Failed requests, callers before callees. A request is logged (or not) as a whole: a
        caller's line about a failed call to an HTTP-speaking callee carries a request id, and
        the callee writes its own line about that same request with that id (its failure, or the
        cancellation when the caller gave up). Those lines come out of the callee's own sample,
        so its ERROR lines stay a sample of the failures its metrics count."""
        st, sample = self.st, self.st.scenario.log_sample
        self._sigma = sigma
        self._paired = np.zeros((st.S, st.T), dtype=np.int64)  # callee lines already written for callers
        counted = getattr(st, "err_count", None)
        if counted is None:
            counted = np.rint(np.nan_to_num(st.rps * st.err) * self.grid).astype(np.int64)
        self._counted: np.ndarray = counted
        for i in st.topo:
            if st.kinds[i] == "external":
                continue
            p = min(sample * max(ACCESS_RATE[st.kinds[i]], 0.5), 1.0)
            if not self.draws_lines:  # only counting (the budget, before anything is drawn)
                self.add(i, GENERIC_ERRORS["base"][0], None, {}, counts=self.rng.binomial(self._counted[i], p))
                continue
            # The callers' sampled requests were this service's too: sample only the rest.
            seen = np.rint(self._paired[i] / p).astype(np.int64)
            rest = np.maximum(self._counted[i] - seen, 0)
            self.errors(i, self.rng.binomial(rest, p), sigma[i])

    def errors(
        self,
        i: int,
        err_lines: np.ndarray,
        sigma: np.ndarray,
        ids: pa.Array | None = None,
        t: np.ndarray | None = None,
        depth: int = 0,
        only: str | None = None,
        fields: dict[str, pa.Array] | None = None,
    ) -> None:
        """Split failed requests over their causes, each cause with its own words. With `ids`
        (and `t`), these are the lines of requests a caller already logged: they keep its ids,
        and `only` keeps the causes that answer the caller what its line says it got."""
        with self.rng.scope("errors", i, depth, only):
            self._errors(i, err_lines, sigma, ids, t, depth, only, fields)

    def _errors(self, i, err_lines, sigma, ids, t, depth, only, fields) -> None:
        st = self.st
        causes = self._causes(i)
        rates = [np.asarray(c.rate, dtype=float) for c in causes]
        if only is not None:
            rates = [
                r if c.answer == only or c.catch_all else np.zeros(st.T) for c, r in zip(causes, rates, strict=True)
            ]
        # Every failed request the metrics counted and the log samples is one line, of one cause.
        if ids is None:
            t, ids = self._stamps(err_lines)
            t = self._by_op(i, t, err_lines, self._op_weights(i, "err"))
        assert t is not None, "lines of a caller's requests come with their times"
        fields = fields or {}
        keys = _keys([(c.answer, c.pair_to, c.templates, c.consts) for c in causes])
        per_cause = self._split(err_lines, rates, keys)
        for key, cause, n, (t_c, ids_c, f_c) in zip(
            keys, causes, per_cause, self._carve(err_lines, per_cause, t, ids, fields), strict=True
        ):
            with self.rng.scope("cause", key):
                self._cause(i, cause, causes, n, t_c, ids_c, f_c, sigma, depth)

    def _cause(self, i, cause, causes, n, t_c, ids_c, f_c, sigma, depth) -> None:
        st = self.st
        if cause.pair_to is not None:
            c, mode, _ = cause.pair_to
            if st.kinds[i] == "lb" or i not in st.ops:  # the request is the callee's operation
                t_c = self._by_op(c, t_c, n, self._op_weights(c, "err" if mode == "upstream" else "all"))
            n, t_c, ids_c, f_c, dropped = self._pair(i, cause.pair_to, n, t_c, ids_c, f_c, depth)
            if dropped is not None:  # more than the callee counted: its own failure words
                catch = causes[-1]
                self._emit(i, catch.templates, catch.consts, *dropped, sigma, depth)
        self._emit(i, cause.templates, cause.consts, n, t_c, ids_c, f_c, sigma, depth)

    def _causes(self, i: int) -> list[Cause]:
        """Why a request to service i fails, each with its words, its share of the failures and
        the status i answers its caller (built once per service; callees first)."""
        if i in self._cause_cache:
            return self._cause_cache[i]
        st = self.st
        kind = st.kinds[i]
        lb = kind == "lb"  # a load balancer says it in its access log: 502, 503, 504 or the upstream's
        out: list[Cause] = []
        for source, rate in st.err_src[i].items():
            answer = f"w:{source}" if self._has_caller_words(source) else "500"
            if answer == "500" and kind == "db" and source != "base":
                answer = f"500:{source}"  # its callers' driver relays the error it raised
            tpls = self._templates(source, "self", "base", i)
            for named, when in self._worst_callee(i, tpls):
                consts = self.consts(i, peer=named, **self._params(source, i))
                out.append(Cause(np.broadcast_to(rate, (st.T,)) * when, tpls, consts, answer))
        out.append(Cause(st.overload[i], self._generic(i, "overload"), self.consts(i), "503"))
        for c in st.calls[i]:
            parts = st.call_parts[(i, c)]
            w = np.minimum(st.edge_weight[(i, c)], 1.0)
            peer = self.consts(i, peer=st.names[c])
            ck = st.kinds[c]
            conn = st.conn_src[c]
            total_conn = np.zeros(st.T)
            for r in conn.values():
                total_conn = total_conn + r
            # A connect that fails never reaches the callee: the callee has no line of it. A
            # balancer whose upstream has no instance left to connect to says so (503).
            none_left = total_conn >= NO_HEALTHY
            for source, rate in conn.items():
                share = rate / np.maximum(total_conn, 1e-12)
                consts = {**self._params(source), **peer}
                tpls = self._templates(source, "caller", "conn")
                if lb and self._loses_instances(source):
                    out.append(Cause(w * parts["conn"] * share * none_left, (LB_NO_UPSTREAM,), consts, "503"))
                    tpls = tuple(_lb_access(x, "502") for x in tpls)
                    out.append(Cause(w * parts["conn"] * share * ~none_left, tpls, consts, "502"))
                elif lb:
                    tpls = tuple(_lb_access(x, "502") for x in tpls)
                    out.append(Cause(w * parts["conn"] * share, tpls, consts, "502"))
                else:
                    out.append(Cause(w * parts["conn"] * share, tpls, consts, "500"))
            # The callee's failures as the caller got them: one cause per answer the callee
            # gives (its status, or a fault's own words), each paired with the callee's line of
            # the same request, so both tell the status the same way.
            pair = ck in PAIRED_KINDS or ck in CALLEE_VOICE
            upstream = w * parts["upstream"]
            for answer, share in self._answers(c):
                if answer.startswith("w:"):
                    source = answer[2:]
                    tpls = self._templates(source, "caller", "upstream")
                    tpls = tuple(_lb_access(x, "502") for x in tpls) if lb else tpls
                    consts = {**self._params(source), **peer}
                    mine = _status_of(tpls[0].text, "502") if lb else "500"
                else:
                    tpls = (_lb_upstream(answer),) if lb else (_caller_words(ck, answer),)
                    consts = peer
                    mine = answer if lb else "500"  # a balancer passes the status on; an app fails
                out.append(Cause(upstream * share, tpls, consts, mine, (c, "upstream", answer) if pair else None))
            timeout_tpl = LB_ERRORS["timeout"] if lb else _caller_words(ck, "timeout")
            paired_timeout = ck in PAIRED_KINDS or ck in TIMEOUT_VOICE
            out.append(
                Cause(
                    w * parts["timeout"],
                    (timeout_tpl,),
                    peer,
                    "504" if lb else "500",
                    (c, "timeout", None) if paired_timeout else None,
                )
            )
        # A request a caller logged is logged here even in a bucket where nothing else would be.
        out.append(Cause(np.full(st.T, 1e-12), self._generic(i, "base"), self.consts(i), "500", catch_all=True))
        self._cause_cache[i] = out
        return out

    def _answers(self, c: int) -> list[tuple[str, np.ndarray]]:
        """What service c answers its callers when it fails, as shares of its failures by answer
        (a status such as "500" or "503", or "w:<source>" for a fault whose words its callers know)."""
        causes = [x for x in self._causes(c) if not x.catch_all]
        total = np.zeros(self.st.T)
        by: dict[str, np.ndarray] = {}
        for x in causes:
            r = np.clip(np.nan_to_num(np.broadcast_to(x.rate, (self.st.T,)).astype(float)), 0, None)
            by[x.answer] = by.get(x.answer, 0.0) + r
            total = total + r
        if not by:
            return [("500", np.ones(self.st.T))]
        # Where nothing says why (rates all 0), a failure is a plain 500.
        by["500"] = by.get("500", 0.0) + (total <= 0)
        total = np.maximum(total, 1e-12) + (total <= 0)
        return [(k, v / total) for k, v in by.items()]

    def _emit(
        self,
        i: int,
        templates: tuple[Template, ...],
        consts: dict,
        n: np.ndarray,
        t_c: np.ndarray,
        ids_c: pa.Array,
        fields: dict[str, pa.Array],
        sigma: np.ndarray,
        depth: int,
    ) -> None:
        """Lines of one cause, spread over its templates. Lines of a request a caller logged
        (depth > 0) name its request id even where the fault's words do not: an HTTP service
        as a field (a database has it in the statement's comment, see `add`)."""
        st = self.st
        if n.sum() == 0:
            return
        parts_n = self._split(n, [np.ones(st.T)] * len(templates))
        kind = st.kinds[i]
        for tpl, m, (t_m, ids_m, f_m) in zip(
            templates, parts_n, self._carve(n, parts_n, t_c, ids_c, fields), strict=True
        ):
            if depth > 0 and "{id}" not in tpl.text and "{uuid}" not in tpl.text:
                if kind in PAIRED_KINDS:
                    tpl = Template(tpl.text + " request_id={id}", tpl.level, tpl.side)
            # A 504 is written when the proxy's own timeout runs out.
            dist: dict = (
                {"ms_fixed": float(st.scenario.services[i].timeout_ms)}
                if tpl is LB_ERRORS["timeout"]
                else {"ms_scale": st.p50[i], "ms_sigma": sigma}
            )
            self.add(
                i,
                tpl,
                None,
                consts,
                counts=m,
                peer=consts.get("peer") if st.kinds[i] == "lb" else None,
                ids=ids_m,
                t=t_m,
                fields=f_m or None,
                **dist,
            )

    def _stamps(self, counts: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        """Stamps (time inside each line's bucket, route pick) and fresh request ids for
        per-bucket counts: what a request keeps on every service that logs it."""
        bucket = self._rows(counts)
        n = len(bucket)
        t = self.st.t[bucket] + np.minimum(self.rng.random(n, rows=bucket) * self.grid, self.grid - 0.001)
        route = self.rng.integers(0, self.pools.size, n, rows=bucket)
        return np.column_stack([t, route.astype(float)]), self._fresh("id", bucket)

    def _pair(
        self,
        i: int,
        pair_to: tuple[int, str, str | None],
        n: np.ndarray,
        t: np.ndarray,
        ids: pa.Array,
        fields: dict[str, pa.Array],
        depth: int,
    ) -> tuple[np.ndarray, np.ndarray, pa.Array, dict[str, pa.Array], _Lines | None]:
        """Write the callee's side of requests a caller logged as failed calls to it. At most
        as many as the callee's counted failures allow (timeouts: its requests); caller lines
        beyond that are dropped with them, so no id lacks its callee."""
        st = self.st
        c, mode, answer = pair_to
        if depth >= MAX_PAIR_DEPTH:
            return n, t, ids, fields, None
        if mode == "timeout":
            served = getattr(st, "req_count", None)  # a cancelled request is one it was serving
            if served is None:
                served = np.rint(np.nan_to_num(st.rps) * self.grid).astype(np.int64)
            room = np.asarray(served)[c]
        else:
            room = np.maximum(self._counted[c] - self._paired[c], 0)
        keep_n = np.minimum(n, room)
        dropped: _Lines | None = None
        if (keep_n < n).any():
            (t, ids, fields), (t_d, ids_d, f_d) = _carve(
                self._live(n), [self._live(keep_n), self._live(n - keep_n)], t, ids, fields
            )
            dropped = (n - keep_n, t_d, ids_d, f_d)
            n = keep_n
        if n.sum() == 0:
            return n, t, ids, fields, dropped
        # What both lines name beside the request id: the cache key, the message id.
        fields = dict(fields)
        shared = SHARED_FIELD.get(st.kinds[c])
        rows = self._rows(n)
        if shared is not None:
            fields[shared] = self._field(shared, Group(c, 0, "", n), rows, len(rows), {})
        # The callee answers (or is cancelled) just before its caller logs the outcome.
        floor = st.t[rows]
        t_callee = t.copy()
        t_callee[:, 0] = np.maximum(t[:, 0] - self.rng.random(len(t), rows=rows) * 0.05, floor)
        if mode == "upstream":
            self._paired[c] += n
            with self.rng.scope("pair", i):
                self.errors(c, n, self._sigma[c], ids=ids, t=t_callee, depth=depth + 1, only=answer, fields=fields)
        else:
            caller = st.scenario.services[i]
            tpl = CANCELLED.get(st.kinds[c]) or CANCELLED_ELSEWHERE[st.kinds[c]]
            self.add(
                c,
                tpl,
                None,
                self.consts(c, caller=caller.name, caller_timeout_ms=f"{caller.timeout_ms:g}"),
                counts=n,
                ms_fixed=float(caller.timeout_ms),
                ids=ids,
                t=t_callee,
                fields=fields or None,
            )
        return n, t, ids, fields, dropped

    def _loses_instances(self, source: str) -> bool:
        """A fault that takes the upstream's instances away (health checks then mark them down),
        rather than one that breaks the way to them (DNS, TLS, the network)."""
        kind, _ = self._fault_of(source)
        return kind is not None and kind.name in INSTANCE_LOSS

    def _has_caller_words(self, source: str) -> bool:
        kind, key = self._fault_of(source)
        return kind is not None and not key and any(t.side == "caller" for t in kind.error_logs)

    def _generic(self, i: int, key: str) -> tuple[Template, ...]:
        return KIND_ERRORS.get(self.st.kinds[i], {}).get(key) or GENERIC_ERRORS[key]

    def _templates(self, source: str, side: str, fallback: str, i: int | None = None) -> tuple[Template, ...]:
        kind, key = self._fault_of(source)
        if kind is None:
            return GENERIC_ERRORS[fallback] if i is None else self._generic(i, fallback)
        if key:
            return kind.event_logs.get(key, ()) or GENERIC_ERRORS[fallback]
        own = tuple(t for t in kind.error_logs if t.side == side)
        return own or GENERIC_ERRORS[fallback]

    def _fault_of(self, source: str):
        if source == POOL_SOURCE:  # a declared pool ran dry (dojo.telemetry.connpool): the pool's words
            return FAULTS["connection_pool_exhaustion"], None
        if not source.startswith("ev"):
            return None, None
        idx, _, key = source[2:].partition(":")
        return voice(self.st.scenario.timeline[int(idx)]), key

    def _params(self, source: str, i: int | None = None) -> dict:
        pool = self.st.scenario.services[i].pool if i is not None else None
        if source == POOL_SOURCE and pool is not None:
            return {"pool_size": str(pool.size), "wait_ms": f"{pool.timeout_ms:g}"}
        if not source.startswith("ev"):
            return {}
        idx = int(source[2:].partition(":")[0])
        ev = self.st.scenario.timeline[idx]
        kind = voice(ev)
        if kind is None:
            return {}
        return {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in kind.resolve_params(ev.params).items()}

    def warnings(self) -> None:
        st = self.st
        for (s, source), per_min in st.warn_rate.items():
            with self.rng.scope("warn", s, source):
                self._warnings(s, source, per_min)

    def _warnings(self, s: int, source: str, per_min) -> None:
        st = self.st
        kind, key = self._fault_of(source)
        params = self._params(source, s)
        per_s = np.broadcast_to(np.asarray(per_min, dtype=float), (st.T,)) / 60.0
        if key:
            for tpl in kind.event_logs.get(key, ()):
                for peer, when in self._worst_callee(s, (tpl,)):
                    consts = self.consts(s, peer=peer, **params)
                    self.add(s, tpl, per_s * when, consts, ms_scale=st.p99[s], ms_sigma=np.full(st.T, 0.3))
            return
        tpls = kind.warn_logs
        for tpl in tpls:
            if tpl.side == "caller":
                for c in st.callers[s]:
                    self.add(
                        c,
                        tpl,
                        per_s / len(tpls),
                        self.consts(c, peer=st.names[s], **params),
                        ms_scale=st.p50[s],
                        ms_sigma=np.full(st.T, 0.3),
                    )
            else:
                for peer, when in self._worst_callee(s, (tpl,)):
                    self.add(
                        s,
                        tpl,
                        per_s / len(tpls) * when,
                        self.consts(s, peer=peer, **params),
                        ms_scale=st.p99[s],
                        ms_sigma=np.full(st.T, 0.3),
                    )

    def _worst_callee(self, s: int, templates: tuple[Template, ...]) -> list[tuple[str, np.ndarray]]:
        """The {peer} a service's own lines name, and the buckets it names it in: the callee
        whose calls fail most in that bucket (the last that failed, while none does; the first
        callee before any has). Bucket by bucket, never over the run: a line must not depend on
        what fails later (an action would then change lines seen before it)."""
        st = self.st
        ones = np.ones(st.T)
        if not st.calls[s]:
            return [(st.names[s], ones)]
        if st.kinds[s] != "lb" and not any("{peer}" in t.text for t in templates):
            return [(st.names[st.calls[s][0]], ones)]  # not named (a balancer's path is its peer's): one group
        fail = np.array([np.nan_to_num(np.broadcast_to(st.call_fail[(s, c)], (st.T,))) for c in st.calls[s]])
        failing = fail.max(axis=0) > 0
        last = np.maximum.accumulate(np.where(failing, np.arange(st.T), -1))
        best = np.where(last >= 0, fail.argmax(axis=0)[np.maximum(last, 0)], 0)
        return [(st.names[st.calls[s][k]], (best == k).astype(float)) for k in np.unique(best)]

    def background(self) -> None:
        st = self.st
        for i, svc in enumerate(st.scenario.services):
            if svc.kind == "external":
                continue
            if svc.kind in HEALTH_KINDS and (svc.rps is not None or st.callers[i]):
                # Probes reach a pod the way its callers do: while nothing can connect to it,
                # no probe succeeds either.
                reach = np.ones(st.T)
                for rate in st.conn_src[i].values():
                    reach = reach * (1.0 - np.broadcast_to(rate, (st.T,)))
                per_s = HEALTH_PER_MIN_PER_REPLICA * svc.replicas / 60.0 * reach
                self.add(i, HEALTH, per_s, self.consts(i), ms_fixed=1.0)
            traffic = _relative_traffic(np.nan_to_num(st.rps[i]))
            for noise in svc.noise:
                follows = TRAFFIC_WORDS.search(noise.text) is not None
                # Authors may write any line field in noise, {ms} included (it had no distribution).
                self.add(
                    i,
                    Template(noise.text, cast(Any, noise.level)),  # DEBUG too: a level the logs know
                    noise.per_min / 60.0 * (traffic if follows else np.ones(st.T)),
                    self.consts(i),
                    ms_scale=st.p50[i],
                    ms_sigma=np.full(st.T, 0.3),
                )

    # -- groups to columns -------------------------------------------------------------------

    def build(self) -> dict[str, object]:
        rng = self.rng
        ts: list[np.ndarray] = []
        svcs: list[np.ndarray] = []
        levels: list[np.ndarray] = []
        msgs: list[pa.Array] = []
        hosts: list[np.ndarray] = []
        host_offsets = np.cumsum([0] + [len(h) for h in self.hosts])
        for g in self.groups:
            with rng.scope("group", g.key):
                self._build_group(g, ts, svcs, levels, hosts, msgs, host_offsets)
        n_plain = int(sum(len(x) for x in ts))
        return self._columns(ts, svcs, levels, hosts, msgs, host_offsets, n_plain)

    def _build_group(self, g: Group, ts, svcs, levels, hosts, msgs, host_offsets) -> None:
        st, rng = self.st, self.rng
        bucket = self._rows(g.counts)
        n = len(bucket)
        # Inside its bucket even after rounding to the millisecond: a line counted in one
        # bucket's requests must not land in the next.
        if g.t is not None:
            t = g.t[:, 0]
        else:
            t = st.t[bucket] + np.minimum(rng.random(n, rows=bucket) * self.grid, self.grid - 0.001)
        ts.append(t)
        svcs.append(np.full(n, g.service, dtype=np.int32))
        levels.append(np.full(n, g.level, dtype=np.int8))
        hosts.append(host_offsets[g.service] + rng.integers(0, len(self.hosts[g.service]), n, rows=bucket))
        msgs.extend(self._render_chunked(g, bucket))

    def _columns(self, ts, svcs, levels, hosts, msgs, host_offsets, n_plain: int) -> dict[str, object]:
        trace_rows = self._span_lines(host_offsets)
        if trace_rows is not None:
            for key, target in (("t", ts), ("service", svcs), ("level", levels), ("host", hosts), ("message", msgs)):
                target.append(trace_rows[key])
        if not ts:
            ts, svcs, levels, hosts = (
                [np.zeros(0)],
                [np.zeros(0, np.int32)],
                [np.zeros(0, np.int8)],
                [np.zeros(0, np.int64)],
            )
        # Codes into `trace_values` (0: no trace), so a million mostly-empty ids cost one take.
        trace_code = np.zeros(sum(len(x) for x in ts), dtype=np.int32)
        trace_values = pa.array([""], pa.string())
        if trace_rows is not None:
            trace_code[n_plain:] = np.arange(1, len(trace_rows["trace_id"]) + 1, dtype=np.int32)
            trace_values = pa.array(["", *trace_rows["trace_id"]], pa.string())
        return {
            "t": np.concatenate(ts),
            "service": np.concatenate(svcs),
            "level": np.concatenate(levels),
            "host": np.concatenate(hosts),
            "message": pa.chunked_array(msgs, type=pa.string()),
            "trace_code": trace_code,
            "trace_values": trace_values,
        }

    def _span_lines(self, host_offsets: np.ndarray) -> dict | None:
        """One line per sampled span of a service that knows the trace context, in its own voice
        and carrying the trace id (in the line's text too, as OpenTelemetry's log correlation
        writes it), so a learner can go from an error line to its trace and back. Written at the
        span's end, as request logs are. A cache or a broker knows no trace context (its span is
        its caller's client span): no line of theirs; a database has it in the statement's
        comment (sqlcommenter's traceparent)."""
        spans = self.spans
        if spans is None or spans.empty:
            return None
        idx = {name: i for i, name in enumerate(self.st.names)}
        svc = spans["service"].map(idx).to_numpy()
        keep = np.array([self.st.kinds[i] in SPAN_LINE_KINDS for i in svc], dtype=bool)
        spans, svc = spans[keep], svc[keep]
        if spans.empty:
            return None
        n = len(spans)
        failed = (spans["status"] == "error").to_numpy()
        ms = np.maximum(np.rint(spans["duration_ms"].to_numpy()), 1).astype(np.int64)
        names = spans["name"].to_numpy().astype(object)
        message = spans["message"].to_numpy().astype(object)
        trace_ids = spans["trace_id"].to_numpy().astype(object)
        span_ids = spans["span_id"].to_numpy().astype(object)
        cancelled = np.char.startswith(message.astype(str), "context canceled")
        # Each line's draws are its trace's: keyed by the bucket the trace began in (a resumed
        # render holds the traces begun from its first bucket on, every span of each).
        start = spans.groupby("trace_id")["t"].transform("min").to_numpy()
        began = np.clip(((start - self.st.t[0]) // self.grid).astype(np.int64), 0, self.st.T - 1)
        text = np.empty(n, dtype=object)
        for i in np.unique(svc):
            mine = svc == i
            with self.rng.scope("span lines", int(i)):
                text[mine] = self._span_texts(
                    int(i),
                    names[mine],
                    message[mine],
                    failed[mine],
                    ms[mine],
                    trace_ids[mine],
                    span_ids[mine],
                    began[mine],
                )
        n_hosts = np.array([len(self.hosts[i]) for i in svc])
        return {
            "t": np.minimum(
                spans["t"].to_numpy() + spans["duration_ms"].to_numpy() / 1000.0, self.st.scenario.duration
            ),
            "service": svc.astype(np.int32),
            # A call its caller gave up on is a cancellation (WARN, as its request line says), not
            # this service's failure.
            "level": np.where(
                failed, np.where(cancelled, LEVEL_CODE["WARN"], LEVEL_CODE["ERROR"]), LEVEL_CODE["INFO"]
            ).astype(np.int8),
            "host": host_offsets[svc] + (self.rng.random(n, rows=began) * n_hosts).astype(np.int64),
            "message": pa.array(text.tolist(), pa.string()),
            "trace_id": spans["trace_id"].to_numpy(),
        }

    def _span_texts(
        self,
        i: int,
        names: np.ndarray,
        message: np.ndarray,
        failed: np.ndarray,
        ms: np.ndarray,
        trace_ids: np.ndarray,
        span_ids: np.ndarray,
        began: np.ndarray,
    ) -> np.ndarray:
        """The lines of one service's spans: the request line of its voice with the status it
        answered (the status the traces and its callers tell), and the trace context."""
        kind = self.st.kinds[i]
        n = len(names)
        route = np.char.replace(names.astype(str), " (retry)", "")
        ms_s = ms.astype(str).astype(object)
        ctx = " trace_id=" + trace_ids + " span_id=" + span_ids
        connect = np.char.startswith(route, "connect ")
        out = np.empty(n, dtype=object)
        if connect.any():  # the caller's own client span: its connect failed
            peer = np.char.replace(route[connect], "connect ", "").astype(object)
            out[connect] = "call to " + peer + " failed: " + message[connect] + ctx[connect]
        own = ~connect
        if not own.any():
            return out
        m, f, d, c = message[own], failed[own], ms_s[own], ctx[own]
        # A proxy's line and its upstream's name the same path in one trace: the resource's id
        # is derived from the trace id and the route, not drawn.
        tpl, which = np.unique(route[own], return_inverse=True)
        salt = np.array([zlib.crc32(x.encode()) for x in tpl.tolist()], dtype=np.int64)[which]
        nums = ((_hex_number(trace_ids[own]) + salt) % 98999 + 1000).astype(str).astype(object)
        if kind == "db":
            q = self._queries(i)[0]
            pick = self.rng.integers(0, len(q), len(m), rows=began[own])
            if i in self.st.ops:  # the span's operation: a write statement on UPDATE, a read on SELECT
                writes = np.asarray(self._slot_kind[i], dtype=bool)
                want = np.char.startswith(route[own].astype(str), "UPDATE")
                for flag in (True, False):
                    slots = np.flatnonzero(writes == flag)
                    rows = np.flatnonzero(want == flag)
                    if len(slots) and len(rows):
                        with self.rng.scope("writes" if flag else "reads"):
                            pick[rows] = slots[self.rng.integers(0, len(slots), len(rows), rows=began[own][rows])]
            stmt = np.asarray(q.take(pa.array(pick)).to_pylist(), dtype=object)
            trace = " /*traceparent='00-" + trace_ids[own] + "-" + span_ids[own] + "-01'*/"
            err = np.where(
                np.char.startswith(m.astype(str), "context canceled"), "canceling statement due to user request", m
            )
            out[own] = np.where(
                f,
                "ERROR:  " + err + "; statement: " + stmt + trace,
                "duration: " + d + " ms statement: " + stmt + trace,
            )
            return out
        if kind == "worker":
            out[own] = np.where(
                f,
                "job " + nums + " failed after " + d + 'ms: error="' + m + '"' + c,
                "processed job " + nums + " in " + d + "ms" + c,
            )
            return out
        # http, lb: the route with a concrete id, the status it answered, the time it took.
        parts = np.char.partition(route[own], ":id")
        path = parts[:, 0].astype(object) + np.where(parts[:, 1] != "", nums, "") + parts[:, 2].astype(object)
        code = np.full(len(m), "200", dtype=object)
        if f.any():
            code[f] = answer_codes(kind, m[f])
        if kind == "lb":
            sec = (ms[own] // 1000).astype(str).astype(object) + "." + np.char.zfill((ms[own] % 1000).astype(str), 3)
            ip = np.asarray(self._caller_pods(i)[1].to_pylist(), dtype=object)
            who = ip[self.rng.integers(0, len(ip), len(m), rows=began[own])]
            line = who + ' "' + path + ' HTTP/1.1" ' + code + " 0 rt=" + sec
            out[own] = np.where(f, line + ' error="' + m + '"' + c, line + c)
            return out
        line = path + " " + code + " " + d + "ms"
        out[own] = np.where(f, line + ' error="' + m + '"' + c, line + c)
        return out

    def _render_chunked(self, g: Group, bucket: np.ndarray) -> list[pa.Array]:
        n = len(bucket)
        rows = chunk_rows(len(g.text) + _FIELD_BYTES * g.text.count("{"))
        if int(np.sum(g.counts)) <= rows:  # the whole run's count: a resumed render decides the same
            return [self._render(g, bucket, n)]
        # Slices laid out block by block, so a block's lines are sliced (and drawn) the same
        # whether the render began before it or at it.
        out: list[pa.Array] = []
        blocks = bucket // self.rng.block
        edges = [0, *(np.flatnonzero(np.diff(blocks)) + 1).tolist(), n]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            with self.rng.scope("block", int(blocks[a])):
                out.extend(
                    self._render(g, bucket[i : min(i + rows, b)], min(i + rows, b) - i, i) for i in range(a, b, rows)
                )
        return out

    def _render(self, g: Group, bucket: np.ndarray, n: int, lo: int = 0) -> pa.Array:
        parts: list[object] = []
        drawn: dict[str, np.ndarray] = {}  # draws shared by the fields of one line
        for literal, field, _, _ in _FORMATTER.parse(g.text):
            if literal:
                parts.append(literal)
            if field is None:
                continue
            parts.append(self._field(field, g, bucket, n, drawn, lo))
        if len(parts) == 1 and isinstance(parts[0], str):
            return pa.array(np.full(n, parts[0], dtype=object), pa.string())
        arrays = [p if not isinstance(p, str) else pa.scalar(p) for p in parts]
        if not any(isinstance(a, pa.Array) for a in arrays):
            return pa.array(np.full(n, "".join(str(a) for a in parts), dtype=object), pa.string())
        return pc.binary_join_element_wise(*arrays, "")

    def _field(
        self, name: str, g: Group, bucket: np.ndarray, n: int, drawn: dict[str, np.ndarray], lo: int = 0
    ) -> pa.Array | str:
        rng, pools = self.rng, self.pools
        if g.fields is not None and name in g.fields:
            return g.fields[name].slice(lo, n)  # the same request as another service's line
        pick = lambda pool: pool.take(pa.array(rng.integers(0, len(pool), n, rows=bucket)))  # noqa: E731
        if name in ("ms", "sec"):
            if "ms" not in drawn:  # {ms} and {sec} in one line are the same duration
                if g.ms_fixed is not None:
                    ms = np.full(n, g.ms_fixed)
                else:
                    assert g.ms_scale is not None and g.ms_sigma is not None, "a {ms} line needs its durations"
                    ms = g.ms_scale[bucket] * np.exp(rng.standard_normal(n, rows=bucket) * g.ms_sigma[bucket])
                if g.ms_cap is not None:
                    ms = np.minimum(ms, g.ms_cap[bucket])
                drawn["ms"] = np.maximum(np.rint(ms), 1).astype(np.int64)
            ms = drawn["ms"]
            if name == "ms":
                return pa.array(ms).cast(pa.string())
            return pc.binary_join_element_wise(
                pa.array(ms // 1000).cast(pa.string()), _MS3.take(pa.array(ms % 1000)), "."
            )
        if name in ("path", "upstream"):
            paths, ups = self._paths(g.service) if g.peer is None else self._peer_paths(g.service, g.peer)
            if "path" not in drawn:  # a proxy's upstream is the service that serves that path
                if g.t is not None and len(paths) == self.pools.size:  # the request's own route
                    drawn["path"] = g.t[lo : lo + n, 1].astype(np.int64)
                elif g.op_w is not None and g.peer is None:  # the operation's own routes
                    drawn["path"] = self._op_routes(g.service, g.op_w, bucket)
                else:
                    drawn["path"] = rng.integers(0, len(paths), n, rows=bucket)
            return (paths if name == "path" else ups).take(pa.array(drawn["path"]))
        if name in ("query", "write_query") and self.st.kinds[g.service] == "db":
            q = self._queries(g.service)[0 if name == "query" else 1]
            if name == "query" and g.service in self.st.ops:  # the statement of the request's operation
                if g.t is not None:
                    return q.take(pa.array(g.t[lo : lo + n, 1].astype(np.int64)))
                if g.op_w is not None:
                    return q.take(pa.array(self._op_routes(g.service, g.op_w, bucket)))
            return q.take(pa.array(rng.integers(0, len(q), n, rows=bucket)))
        if name == "write_query":
            name = "query"
        if name == "key":
            keys = self._keys(g.service)
            return keys.take(pa.array(rng.integers(0, len(keys), n, rows=bucket)))
        if name == "ip" and self.st.callers[g.service]:
            name = "caller_ip"  # behind its callers, a service sees their pods, never a public client
        if name == "id" and g.ids is not None:
            return g.ids.slice(lo, n)  # the same request as another service's line
        if name in ("id", "uuid"):
            return self._fresh(name, bucket)
        if name in ("user", "ip", "query", "agent"):
            return pick(getattr(pools, name))
        if name == "bytes":
            return pa.array(rng.integers(180, 24000, n, rows=bucket)).cast(pa.string())
        if name in ("pid", "txid"):
            lo, hi = (1000, 65000) if name == "pid" else (10**6, 10**8)
            return pa.array(rng.integers(lo, hi, n, rows=bucket)).cast(pa.string())
        if name == "n":
            return pa.array(rng.integers(2, 64, n, rows=bucket)).cast(pa.string())
        if name == "attempt":
            return pa.array(rng.integers(1, g.attempts + 1, n, rows=bucket)).cast(pa.string())
        if name in ("mem", "disk", "depth"):
            state = {"mem": self.st.mem, "disk": self.st.disk, "depth": self.st.queue}[name]
            return pa.array(np.rint(np.maximum(state[g.service][bucket], 0)).astype(np.int64)).cast(pa.string())
        if name == "port":
            return pa.array(rng.integers(32768, 61000, n, rows=bucket)).cast(pa.string())
        if name in ("caller", "caller_ip"):
            callers, ips = self._caller_pods(g.service)
            if "caller" not in drawn:  # {caller} and {caller_ip} in one line name the same pod
                drawn["caller"] = rng.integers(0, len(callers), n, rows=bucket)
            return (callers if name == "caller" else ips).take(pa.array(drawn["caller"]))
        return "{" + name + "}"  # unknown placeholder: left as written (lint reports it)

    def _fresh(self, name: str, bucket: np.ndarray) -> pa.Array:
        """Fresh per line, never from a small pool: an id that recurs seconds later on an
        unrelated request would join two stories. Built from 16-bit hex pieces by take."""
        words = 3 if name == "id" else 8
        n = len(bucket)
        pieces = [
            _HEX4.take(pa.array(self.rng.integers(0, 65536, n, dtype=np.int64, rows=bucket))) for _ in range(words)
        ]
        if name == "uuid":
            pieces = [
                pieces[0], pieces[1], pa.scalar("-"), pieces[2], pa.scalar("-4"),
                pc.utf8_slice_codeunits(pieces[3], 1), pa.scalar("-"), pieces[4], pa.scalar("-"),
                pieces[5], pieces[6], pieces[7],
            ]  # fmt: skip
        return pc.binary_join_element_wise(*pieces, "")

    def _peer_paths(self, i: int, peer: str) -> tuple[pa.Array, pa.Array]:
        """A proxy's request lines that go to one upstream: that upstream's own (so a request
        reads the same on both); else the proxy's lines for it, or all of them."""
        c = self.st.names.index(peer)
        if self.api.get(peer) and self.st.kinds[c] != "db":
            return self._paths(c)
        paths, ups = self._paths(i)
        mask = pc.equal(ups, peer)
        if not pc.any(mask).as_py():
            return paths, pa.array(np.full(len(paths), peer, dtype=object), pa.string())
        return paths.filter(mask), ups.filter(mask)


_STATUS = re.compile(r"\b([45]\d\d)\b")
_OWN_ID = re.compile(r"\s*\(?request_id=\{id\}\)?")


def _lb_access(tpl: Template, code: str) -> Template:
    """A fault's words for a failed upstream call, as a load balancer writes them: its access
    line, with the upstream's status if the words carry one (a 403 passes through), and the
    reason in an error field (as ALB's error_reason or Envoy's response details do)."""
    if tpl in LB_ERRORS.values():
        return tpl
    words = _OWN_ID.sub("", tpl.text).replace('"', "'")
    status = _STATUS.search(words)
    code = status.group(1) if status else code
    line = f'{{ip}} "{{path}} HTTP/1.1" {code} 0 rt={{sec}} upstream={{peer}} request_id={{id}} error="{words}"'
    return Template(line, tpl.level, tpl.side)


def _carve(
    n: np.ndarray, parts: list[np.ndarray], t: np.ndarray, ids: pa.Array, fields: dict[str, pa.Array] | None = None
) -> list[tuple[np.ndarray, pa.Array, dict[str, pa.Array]]]:
    """Hand out lines laid out bucket by bucket (`n` per bucket) to parts with per-bucket counts
    `parts` (adding up to `n`): each part keeps its lines' times, ids and shared fields."""
    T = len(n)
    bucket = np.repeat(np.arange(T), n)
    pos = np.arange(len(bucket)) - (np.cumsum(n) - n)[bucket]
    out = []
    lo = np.zeros(T, dtype=np.int64)
    fields = fields or {}
    for p in parts:
        hi = lo + p
        mask = (pos >= lo[bucket]) & (pos < hi[bucket])
        keep = pa.array(mask)
        out.append((t[mask], ids.filter(keep), {k: v.filter(keep) for k, v in fields.items()}))
        lo = hi
    return out


def _relative_traffic(rps: np.ndarray) -> np.ndarray:
    """Traffic per bucket against its usual level: the median of the busy buckets so far (not
    of the whole run: a line must not depend on later traffic), clipped to 0..3."""
    out = np.zeros(len(rps))
    seen: list[float] = []
    for b, x in enumerate(rps.tolist()):
        if x > 0:
            bisect.insort(seen, x)
        if seen:
            m = len(seen)
            median = seen[m // 2] if m % 2 else (seen[m // 2 - 1] + seen[m // 2]) / 2
            out[b] = min(max(x / median, 0.0), 3.0)
    return out


def _keys(parts: list[tuple]) -> list[tuple]:
    """Names for a list of parts that stay theirs when a part is added elsewhere in the list: what
    each is (templates by their words), numbered only among parts that are alike."""
    seen: dict[tuple, int] = {}
    out = []
    for answer, pair_to, templates, consts in parts:
        key = (answer, pair_to, tuple(x.text for x in templates), tuple(sorted(consts.items())))
        out.append((*key, seen.get(key, 0)))
        seen[key] = seen.get(key, 0) + 1
    return out


def chunk_rows(line_bytes: int) -> int:
    """Rows per slice so that one slice of lines this wide stays near CHUNK_BYTES."""
    return max(1024, CHUNK_BYTES // max(1, line_bytes))


def take_in_slices(values: pa.ChunkedArray, order: np.ndarray) -> pa.ChunkedArray:
    """`values.take(order)` for strings of any total size. Small columns (the usual case) take in
    one piece; big ones go through 64-bit offsets and come back as string slices under the limit."""
    if values.nbytes < CHUNK_BYTES * 4:
        return pa.chunked_array([values.combine_chunks().take(pa.array(order))], type=pa.string())
    big = values.cast(pa.large_string()).combine_chunks().take(pa.array(order))
    out, start, n = [], 0, len(big)
    offsets = np.frombuffer(big.buffers()[1], dtype=np.int64, count=n + 1, offset=big.offset * 8)
    while start < n:
        # the last row whose end stays within one slice's bytes (at least one row per slice)
        stop = int(np.searchsorted(offsets, offsets[start] + CHUNK_BYTES, side="right")) - 1
        stop = min(n, max(stop, start + 1))
        out.append(big.slice(start, stop - start).cast(pa.string()))
        start = stop
    return pa.chunked_array(out, type=pa.string())


def _hex_number(hex_ids: np.ndarray) -> np.ndarray:
    """The first 6 hex digits of each id as a number, without a Python call per id."""
    raw = np.asarray(hex_ids, dtype="S6").view(np.uint8).reshape(-1, 6).astype(np.int64)
    digits = np.where(raw >= ord("a"), raw - ord("a") + 10, raw - ord("0"))
    return digits @ (16 ** np.arange(5, -1, -1, dtype=np.int64))


def _pod_ip(host: str) -> str:
    """A stable cluster address for a pod, derived from its name (no draw, so no reshuffle)."""
    h = zlib.crc32(host.encode())
    return f"10.{4 + h % 60}.{(h >> 8) % 256}.{2 + (h >> 16) % 250}"


def _substitute(text: str, consts: dict) -> str:
    """Fill the per-group constants and leave per-line fields for rendering."""
    out = []
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:  # unbalanced braces in an author's text: keep it verbatim
        return text.replace("{", "{{").replace("}", "}}")
    for literal, field, _spec, _conv in parsed:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if field in consts:
            out.append(str(consts[field]).replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{" + field + "}")
    return "".join(out)
