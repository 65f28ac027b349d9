"""Log lines sampled from the simulated state, built column-wise.

A *group* is one template on one service with an expected rate per bucket. Counts per bucket are
Poisson draws from that rate; each line's fields come from seeded pools by numpy index, and the
text is assembled with pyarrow string kernels. No Python work happens per line.

Request lines are sampled at `log_sample` from the same request and error rates as the metrics,
so the share of ERROR request lines matches the error-rate metric within sampling noise.
"""

from __future__ import annotations

import string
import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .changes import voice
from .faults import Template
from .physics import State, _lognormal_sigma, _normal_sf
from .pools import Pools, service_paths

LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"]
LEVEL_CODE = {name: i for i, name in enumerate(LEVELS)}

# Access lines by service kind. External services are other companies' systems: no logs of theirs.
ACCESS = {
    "http": ("{path} 200 {ms}ms client={ip}", "slow request: {path} 200 {ms}ms client={ip}"),
    "lb": ("{path} 200 {ms}ms upstream_status=200 client={ip}", "slow upstream: {path} 200 {ms}ms client={ip}"),
    "worker": ("processed job {id} in {ms}ms", "slow job {id} took {ms}ms"),
    "db": ("duration: {ms} ms statement: {query}", "slow query: duration: {ms} ms statement: {query}"),
    "cache": ("GET {key} hit {ms}ms", "slow command: GET {key} {ms}ms"),
    "queue": ("delivered message {uuid} to consumer in {ms}ms", "slow delivery of message {uuid}: {ms}ms"),
}
CACHE_MISS = "GET {key} miss {ms}ms"
ACCESS_RATE = {"http": 1.0, "lb": 1.0, "worker": 1.0, "db": 0.2, "cache": 0.05, "queue": 0.3}
SLOW_MS = 1000.0

GENERIC_ERRORS = {
    "base": (Template('{path} 500 {ms}ms error="internal error" request_id={id}'),),
    "overload": (Template("{path} 503 {ms}ms rejected: server overloaded, shedding load"),),
    "upstream": (Template("call to {peer} failed: 503 Service Unavailable (request_id={id})"),),
    "timeout": (Template("call to {peer} timed out after {timeout_ms}ms (request_id={id})"),),
    "conn": (Template("call to {peer} failed: connection error (request_id={id})"),),
}
HEALTH = Template("GET /healthz 200 {ms}ms", "INFO")
HEALTH_PER_MIN_PER_REPLICA = 2.0

_FORMATTER = string.Formatter()


@dataclass
class Group:
    service: int
    level: int
    text: str  # template with per-group constants already substituted
    counts: np.ndarray  # (T,) lines per bucket
    ms_scale: np.ndarray | None = None  # (T,) median ms for {ms}
    ms_sigma: np.ndarray | None = None
    ms_fixed: float | None = None
    attempts: int = 3


class LogBuilder:
    def __init__(self, st: State, pools: Pools, hosts: list[list[str]], rng: np.random.Generator, spans=None):
        self.st, self.pools, self.hosts, self.rng, self.spans = st, pools, hosts, rng, spans
        self.grid = st.scenario.grid
        self.groups: list[Group] = []
        self._path_cache: dict[int, pa.Array] = {}
        self._caller_cache: dict[int, tuple[pa.Array, pa.Array]] = {}

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

    def _paths(self, i: int) -> pa.Array:
        if i not in self._path_cache:
            kind = self.st.kinds[i]
            if kind == "http":
                self._path_cache[i] = service_paths(self.pools, self.st.names[i])
            else:
                self._path_cache[i] = self.pools.method_path.get(kind, self.pools.method_path["http"])
        return self._path_cache[i]

    # -- rates to groups ---------------------------------------------------------------------

    def add(self, service: int, template: Template, per_s: np.ndarray, consts: dict, **dist) -> None:
        if self.st.kinds[service] == "external":
            return  # another company's system: we only see it through our callers' lines
        lam = np.clip(np.nan_to_num(per_s), 0.0, None) * self.grid
        counts = self.rng.poisson(lam)
        if counts.sum() == 0:
            return
        text = _substitute(template.text, consts)
        attempts = max(int(float(consts.get("factor", 3))), 1)  # {attempt} counts up to a retry factor
        self.groups.append(Group(service, LEVEL_CODE[template.level], text, counts, attempts=attempts, **dist))

    def consts(self, i: int, **more) -> dict:
        svc = self.st.scenario.services[i]
        return {"service": svc.name, "timeout_ms": f"{svc.timeout_ms:g}", **more}

    def requests(self) -> None:
        st, sample = self.st, self.st.scenario.log_sample
        sigma = _lognormal_sigma(st.p50, st.p99)
        for i in range(st.S):
            kind = st.kinds[i]
            if kind == "external":
                continue
            rate = ACCESS_RATE[kind]
            ok_per_s = st.rps[i] * (1.0 - st.err[i]) * sample * rate
            # Split successes into normal and slow lines by the share of the latency
            # distribution above the threshold, so WARN lines track p99.
            z = (np.log(SLOW_MS) - np.log(np.maximum(st.p50[i], 1e-6))) / np.maximum(sigma[i], 1e-6)
            slow_share = _normal_sf(z)
            fast, slow = ACCESS[kind]
            c = self.consts(i)
            fast_per_s = ok_per_s * (1 - slow_share)
            fast_ms = dict(ms_scale=np.minimum(st.p50[i], SLOW_MS / 3), ms_sigma=np.minimum(sigma[i], 0.4))
            if kind == "cache":
                # Hits and misses in the proportion the cache_hit_pct metric shows.
                hit = np.clip(st.cache_hit[i] / 100.0, 0.0, 1.0)
                self.add(i, Template(CACHE_MISS, "INFO"), fast_per_s * (1 - hit), c, **fast_ms)
                fast_per_s = fast_per_s * hit
            self.add(i, Template(fast, "INFO"), fast_per_s, c, **fast_ms)
            self.add(
                i,
                Template(slow, "WARN"),
                ok_per_s * slow_share,
                c,
                ms_scale=np.maximum(st.p50[i], SLOW_MS) * 1.3,
                ms_sigma=np.full(st.T, 0.15),
            )
            self.errors(i, st.rps[i] * st.err[i] * sample * max(rate, 0.5), sigma[i])

    def errors(self, i: int, err_per_s: np.ndarray, sigma: np.ndarray) -> None:
        """Split failed requests over their causes, each cause with its own words."""
        st = self.st
        causes: list[tuple[np.ndarray, tuple[Template, ...], dict]] = []
        for source, rate in st.err_src[i].items():
            consts = self.consts(i, peer=self._worst_callee(i), **self._params(source))
            causes.append((np.broadcast_to(rate, (st.T,)), self._templates(source, "self", "base"), consts))
        causes.append((st.overload[i], GENERIC_ERRORS["overload"], self.consts(i)))
        for c in st.calls[i]:
            parts = st.call_parts[(i, c)]
            w = np.minimum(st.edge_weight[(i, c)], 1.0)
            peer = self.consts(i, peer=st.names[c])
            conn = st.conn_src[c]
            total_conn = sum(conn.values()) if conn else None
            for source, rate in conn.items():
                share = rate / np.maximum(total_conn, 1e-12)
                consts = {**self._params(source), **peer}
                causes.append((w * parts["conn"] * share, self._templates(source, "caller", "conn"), consts))
            # A callee failing from a fault its callers can name (a 403, a 429) is logged in
            # that fault's caller-side words; whatever is left is a plain 503.
            upstream = w * parts["upstream"]
            rest = upstream
            for source, share in self._worded_shares(c):
                causes.append(
                    (upstream * share, self._templates(source, "caller", "upstream"), {**self._params(source), **peer})
                )
                rest = rest - upstream * share
            causes.append((rest, GENERIC_ERRORS["upstream"], peer))
            causes.append((w * parts["timeout"], GENERIC_ERRORS["timeout"], peer))
        weights = np.array([np.asarray(c[0], dtype=float) for c in causes])
        total = weights.sum(axis=0)
        shares = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
        for (_, templates, consts), share in zip(causes, shares):
            for tpl in templates:
                self.add(i, tpl, err_per_s * share / len(templates), consts, ms_scale=st.p50[i], ms_sigma=sigma)

    def _worded_shares(self, c: int) -> list[tuple[str, np.ndarray]]:
        """Share of a callee's failures due to each of its fault sources that has caller-side
        error words, against everything else that fails it (overload, its own callees)."""
        st = self.st
        own = {src: np.broadcast_to(r, (st.T,)) for src, r in st.err_src[c].items()}
        worded = [src for src in own if self._has_caller_words(src)]
        if not worded:
            return []
        total = sum(own.values()) + st.overload[c] + np.maximum(st.err[c] - st.own_err[c], 0.0)
        return [(src, own[src] / np.maximum(total, 1e-12)) for src in worded]

    def _has_caller_words(self, source: str) -> bool:
        kind, key = self._fault_of(source)
        return kind is not None and not key and any(t.side == "caller" for t in kind.error_logs)

    def _templates(self, source: str, side: str, fallback: str) -> tuple[Template, ...]:
        kind, key = self._fault_of(source)
        if kind is None:
            return GENERIC_ERRORS[fallback]
        if key:
            return kind.event_logs.get(key, ()) or GENERIC_ERRORS[fallback]
        own = tuple(t for t in kind.error_logs if t.side == side)
        return own or GENERIC_ERRORS[fallback]

    def _fault_of(self, source: str):
        if not source.startswith("ev"):
            return None, None
        idx, _, key = source[2:].partition(":")
        return voice(self.st.scenario.timeline[int(idx)]), key

    def _params(self, source: str) -> dict:
        if not source.startswith("ev"):
            return {}
        idx = int(source[2:].partition(":")[0])
        ev = self.st.scenario.timeline[idx]
        kind = voice(ev)
        return {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in kind.resolve_params(ev.params).items()}

    def warnings(self) -> None:
        st = self.st
        for (s, source), per_min in st.warn_rate.items():
            kind, key = self._fault_of(source)
            params = self._params(source)
            per_s = np.broadcast_to(np.asarray(per_min, dtype=float), (st.T,)) / 60.0
            if key:
                consts = self.consts(s, peer=self._worst_callee(s), **params)
                for tpl in kind.event_logs.get(key, ()):
                    self.add(s, tpl, per_s, consts, ms_scale=st.p99[s], ms_sigma=np.full(st.T, 0.3))
                continue
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
                    peer = self._worst_callee(s)
                    self.add(
                        s,
                        tpl,
                        per_s / len(tpls),
                        self.consts(s, peer=peer, **params),
                        ms_scale=st.p99[s],
                        ms_sigma=np.full(st.T, 0.3),
                    )

    def _worst_callee(self, s: int) -> str:
        st = self.st
        if not st.calls[s]:
            return st.names[s]
        return st.names[max(st.calls[s], key=lambda c: float(st.call_fail[(s, c)].mean()))]

    def background(self) -> None:
        st = self.st
        for i, svc in enumerate(st.scenario.services):
            if svc.kind == "external":
                continue
            self.add(
                i, HEALTH, np.full(st.T, HEALTH_PER_MIN_PER_REPLICA * svc.replicas / 60.0), self.consts(i), ms_fixed=1.0
            )
            for noise in svc.noise:
                # Authors may write any line field in noise, {ms} included (it had no distribution).
                self.add(
                    i,
                    Template(noise.text, noise.level),
                    np.full(st.T, noise.per_min / 60.0),
                    self.consts(i),
                    ms_scale=st.p50[i],
                    ms_sigma=np.full(st.T, 0.3),
                )

    # -- groups to columns -------------------------------------------------------------------

    def build(self) -> dict[str, object]:
        st, rng, pools = self.st, self.rng, self.pools
        ts, svcs, levels, msgs, hosts = [], [], [], [], []
        host_offsets = np.cumsum([0] + [len(h) for h in self.hosts])
        for g in self.groups:
            bucket = np.repeat(np.arange(st.T), g.counts)
            n = len(bucket)
            t = st.t[bucket] + rng.random(n) * self.grid
            ts.append(t)
            svcs.append(np.full(n, g.service, dtype=np.int32))
            levels.append(np.full(n, g.level, dtype=np.int8))
            hosts.append(host_offsets[g.service] + rng.integers(0, len(self.hosts[g.service]), n))
            msgs.append(self._render(g, bucket, n))
        n_plain = int(sum(len(x) for x in ts))
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
            "message": pa.chunked_array(msgs, type=pa.string()).combine_chunks(),
            "trace_code": trace_code,
            "trace_values": trace_values,
        }

    def _span_lines(self, host_offsets: np.ndarray) -> dict | None:
        """One line per sampled span, carrying its trace id, so a learner can go from an error
        line to its trace and back. Written at the span's end, as request logs are."""
        spans = self.spans
        if spans is None or spans.empty:
            return None
        idx = {name: i for i, name in enumerate(self.st.names)}
        svc = spans["service"].map(idx).to_numpy()
        keep = np.array([self.st.kinds[i] != "external" for i in svc], dtype=bool)
        spans, svc = spans[keep], svc[keep]
        if spans.empty:
            return None
        failed = (spans["status"] == "error").to_numpy()
        ms = np.maximum(np.rint(spans["duration_ms"].to_numpy()), 1).astype(np.int64).astype(str)
        names = spans["name"].to_numpy().astype(str)
        text = np.where(
            failed,
            np.char.add(
                np.char.add(np.char.add(names, " failed after "), ms),
                np.char.add("ms: ", spans["message"].to_numpy().astype(str)),
            ),
            np.char.add(np.char.add(np.char.add(names, " completed in "), ms), "ms"),
        )
        n = len(spans)
        n_hosts = np.array([len(self.hosts[i]) for i in svc])
        return {
            "t": np.minimum(
                spans["t"].to_numpy() + spans["duration_ms"].to_numpy() / 1000.0, self.st.scenario.duration
            ),
            "service": svc.astype(np.int32),
            "level": np.where(failed, LEVEL_CODE["ERROR"], LEVEL_CODE["INFO"]).astype(np.int8),
            "host": host_offsets[svc] + (self.rng.random(n) * n_hosts).astype(np.int64),
            "message": pa.array(text.tolist(), pa.string()),
            "trace_id": spans["trace_id"].to_numpy(),
        }

    def _render(self, g: Group, bucket: np.ndarray, n: int) -> pa.Array:
        rng, pools = self.rng, self.pools
        parts: list[object] = []
        drawn: dict[str, np.ndarray] = {}  # draws shared by the fields of one line
        for literal, field, _, _ in _FORMATTER.parse(g.text):
            if literal:
                parts.append(literal)
            if field is None:
                continue
            parts.append(self._field(field, g, bucket, n, drawn))
        if len(parts) == 1 and isinstance(parts[0], str):
            return pa.array(np.full(n, parts[0], dtype=object), pa.string())
        arrays = [p if not isinstance(p, str) else pa.scalar(p) for p in parts]
        if not any(isinstance(a, pa.Array) for a in arrays):
            return pa.array(np.full(n, "".join(str(a) for a in parts), dtype=object), pa.string())
        return pc.binary_join_element_wise(*arrays, "")

    def _field(self, name: str, g: Group, bucket: np.ndarray, n: int, drawn: dict[str, np.ndarray]) -> pa.Array | str:
        rng, pools = self.rng, self.pools
        pick = lambda pool: pool.take(pa.array(rng.integers(0, len(pool), n)))  # noqa: E731
        if name == "ms":
            if g.ms_fixed is not None:
                ms = np.full(n, g.ms_fixed)
            else:
                ms = g.ms_scale[bucket] * np.exp(rng.standard_normal(n) * g.ms_sigma[bucket])
            return pa.array(np.maximum(np.rint(ms), 1).astype(np.int64)).cast(pa.string())
        if name == "path":
            return pick(self._paths(g.service))
        if name in ("user", "ip", "id", "uuid", "query", "key", "agent"):
            return pick(getattr(pools, name))
        if name == "n":
            return pa.array(rng.integers(2, 64, n)).cast(pa.string())
        if name == "attempt":
            return pa.array(rng.integers(1, g.attempts + 1, n)).cast(pa.string())
        if name in ("mem", "disk", "depth"):
            state = {"mem": self.st.mem, "disk": self.st.disk, "depth": self.st.queue}[name]
            return pa.array(np.rint(np.maximum(state[g.service][bucket], 0)).astype(np.int64)).cast(pa.string())
        if name == "port":
            return pa.array(rng.integers(32768, 61000, n)).cast(pa.string())
        if name in ("caller", "caller_ip"):
            callers, ips = self._caller_pods(g.service)
            if "caller" not in drawn:  # {caller} and {caller_ip} in one line name the same pod
                drawn["caller"] = rng.integers(0, len(callers), n)
            return (callers if name == "caller" else ips).take(pa.array(drawn["caller"]))
        return "{" + name + "}"  # unknown placeholder: left as written (lint reports it)


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
    for literal, field, spec, conv in parsed:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if field in consts:
            out.append(str(consts[field]).replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{" + field + "}")
    return "".join(out)
