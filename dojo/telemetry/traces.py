"""Sampled traces: requests walked through the call graph, drawn from the simulated state.

Each entry service starts `traces_per_min` traces; the call tree is unrolled once per entry and
every node is drawn for all of that entry's traces at once (numpy over traces, a loop over the few
nodes). Durations come from each service's own latency plus the calls it waits for, capped at the
caller's timeout; a call fails on a connection fault, on the callee's error or on a timeout, and a
caller with retries makes more attempts (which is how a retry storm looks in a waterfall).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .changes import voice
from .connpool import POOL_SOURCE
from .draws import Draws
from .faults import FAULTS
from .opspans import op_call_weight, op_draws, op_names, op_own
from .physics import Z99, State
from .routes import service_api, span_name
from .statuses import HTTP_ANSWERING, answer_codes

MAX_NODES = 120
MAX_RETRY_SPANS = 10  # as many as a retry policy may ask for, so traces and metrics agree


def _unroll(st: State, root: int) -> list[tuple[int, int]]:
    """(service, parent node index) in depth-first order; a shared callee appears once per path."""
    nodes: list[tuple[int, int]] = []
    stack = [(root, -1)]
    while stack and len(nodes) < MAX_NODES:
        s, parent = stack.pop()
        nodes.append((s, parent))
        me = len(nodes) - 1
        for c in reversed(st.calls[s]):
            stack.append((c, me))
    return nodes


def _hex(rng: Draws, rows: np.ndarray, digits: int) -> np.ndarray:
    n = len(rows)
    hi = rng.integers(0, 2**62, n, dtype=np.int64, rows=rows)
    lo = rng.integers(0, 2**62, n, dtype=np.int64, rows=rows)
    if digits <= 16:
        return np.array([f"{a:016x}"[-digits:] for a in hi], dtype=object)
    return np.array([f"{a:016x}{b:016x}"[:digits] for a, b in zip(hi, lo)], dtype=object)


def _dominant_message(st: State, s: int, bucket: np.ndarray) -> np.ndarray:
    """Status message for a service's own failure: the loudest error source at that moment."""
    names = list(st.err_src[s].keys()) + ["overload"]
    rates = np.array([np.broadcast_to(r, (st.T,)) for r in st.err_src[s].values()] + [st.overload[s]])
    msgs = []
    for name in names:
        if name.startswith("ev"):
            idx, _, key = name[2:].partition(":")
            msgs.append(_span_message(st.scenario.timeline[int(idx)], key))
        elif name == POOL_SOURCE:
            msgs.append(FAULTS["connection_pool_exhaustion"].span_message)
        elif name == "overload":
            msgs.append(_OWN_FAILURE.get(st.kinds[s], ("503 overloaded", ""))[0])
        else:
            msgs.append(_OWN_FAILURE.get(st.kinds[s], ("", "500 internal error"))[1])
    best = rates.argmax(axis=0)
    return np.array(msgs, dtype=object)[best[bucket]]


# A failure in the words of the kind that fails: (overloaded, internal error). HTTP status only
# where HTTP is spoken.
_OWN_FAILURE = {
    "db": ("too many clients already", "could not serialize access due to concurrent update"),
    "cache": ("max number of clients reached", "internal error"),
    "queue": ("broker overloaded", "internal error"),
    "worker": ("worker overloaded", "internal error"),
}


def _conn_message(st: State, c: int, bucket: np.ndarray) -> np.ndarray:
    srcs = st.conn_src[c]
    if not srcs:
        return np.full(len(bucket), "connection refused", dtype=object)
    names = list(srcs)
    rates = np.array([np.broadcast_to(srcs[n], (st.T,)) for n in names])
    msgs = [_conn_words(st, c, st.scenario.timeline[int(n[2:].partition(":")[0])]) for n in names]
    return np.array(msgs, dtype=object)[rates.argmax(axis=0)[bucket]]


_CALL_PREFIX = re.compile(r"^call to \{peer\} failed: ")
_REQUEST_ID = re.compile(r"\s*\(request_id=\{id\}\)|,?\s*request_id=\{id\}")


def _conn_words(st: State, c: int, ev) -> str:
    """A failed connect's status message in the words its callers log for it (the exception a
    client records on its span is the one it logs): the fault's caller-side line with the
    request id left out; the fault's short span message where those words need a line's fields."""
    kind = voice(ev)
    short = _span_message(ev)
    if kind is None:
        return short
    params = {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in kind.resolve_params(ev.params).items()}
    for tpl in kind.error_logs:
        if tpl.side != "caller" or tpl.level != "ERROR" or short not in tpl.text:
            continue
        text = _REQUEST_ID.sub("", _CALL_PREFIX.sub("", tpl.text))
        try:
            words = text.format(peer=st.names[c], **params)
        except (KeyError, IndexError, ValueError):
            continue  # a field only a line has ({service}, {ms}): keep the short message
        return words
    return short


def synthesize_traces(st: State, rng: Draws | np.random.Generator, live_from: int = 0) -> pd.DataFrame:
    """Sampled traces of every entry service. With `live_from`, only the traces begun from that
    bucket on (a render resumed there), each drawn as a whole run draws it."""
    # Draws (dojo.telemetry.draws): a bucket's traces are drawn the same whatever later buckets hold.
    rng = Draws.of(rng, "traces", st.T)
    sc = st.scenario
    frames: list[pd.DataFrame] = []
    for e in range(st.S):
        if sc.services[e].rps is None:
            continue
        with rng.scope("entry", e):
            frames.extend(_entry_traces(st, rng, e, live_from))
    return _frame(st, frames)


def _entry_traces(st: State, rng: Draws, e: int, live_from: int = 0) -> list[pd.DataFrame]:
    sc = st.scenario
    grid = sc.grid
    conn_fail = np.zeros((st.S, st.T))
    for c in range(st.S):
        for r in st.conn_src[c].values():
            conn_fail[c] = 1 - (1 - conn_fail[c]) * (1 - r)
    counts = rng.poisson(np.full(st.T, sc.traces_per_min * grid / 60.0))
    counts[:live_from] = 0
    bucket = np.repeat(np.arange(st.T), counts)
    n = len(bucket)
    if n == 0:
        return []
    t0 = st.t[bucket] + rng.random(n, rows=bucket) * grid
    trace_ids = _hex(rng, bucket, 32)
    nodes = _unroll(st, e)
    k = len(nodes)
    children: list[list[int]] = [[] for _ in range(k)]
    for j, (_, parent) in enumerate(nodes):
        if parent >= 0:
            children[parent].append(j)

    # Top down: which calls happen, and which fail before reaching the callee. A service
    # that declares operations serves each request as one of them, drawn by share: that
    # operation's callees, latency, failures and name (dojo.telemetry.opspans).
    present = np.zeros((k, n), dtype=bool)
    conn = np.zeros((k, n), dtype=bool)
    present[0] = True
    op_of = op_draws(st, nodes, bucket, rng)
    for j, (s, parent) in enumerate(nodes[1:], start=1):
        ps = nodes[parent][0]
        w = np.minimum(st.edge_weight[(ps, s)][bucket], 1.0)
        if parent in op_of:
            w = op_call_weight(st, ps, s, op_of[parent], bucket)
        called = present[parent] & (rng.random(n, rows=bucket) < w)
        conn[j] = called & (rng.random(n, rows=bucket) < conn_fail[s][bucket])
        present[j] = called & ~conn[j]

    # Bottom up: durations and statuses.
    dur = np.zeros((k, n))
    failed = np.zeros((k, n), dtype=bool)
    message = np.full((k, n), "", dtype=object)
    offset = np.zeros((k, n))  # start of a child relative to its parent's start
    cut = np.zeros((k, n), dtype=bool)  # cancelled by a caller that gave up: ends with it
    extra = []  # retry attempt spans: (node, mask, start offset, duration, failed)
    # Attempts whose connect failed: the caller's own client span says so (the callee never
    # saw them), so a retry span always has its earlier attempts: (node, mask, start offset, attempt).
    connects: list[tuple[int, np.ndarray, np.ndarray, int]] = []
    for j in range(k - 1, -1, -1):
        s = nodes[j][0]
        svc = sc.services[s]
        sigma_own = np.log(np.maximum(st.tail[s][bucket], 1.0001)) / Z99
        own = st.self_p50[s][bucket] * np.exp(rng.standard_normal(n, rows=bucket) * sigma_own)
        own_fail = rng.random(n, rows=bucket) < st.own_err[s][bucket]
        if j in op_of:
            own, own_fail = op_own(st, s, op_of[j], bucket, own, rng)
        msg = np.where(own_fail, _dominant_message(st, s, bucket), "")
        cursor = own * 0.2  # some work happens before the first call
        fail_any = own_fail.copy()
        for ch in children[j]:
            c = nodes[ch][0]
            called = present[ch] | conn[ch]
            timed_out = present[ch] & (dur[ch] > svc.timeout_ms)
            # The caller's deadline travels with the call: the callee's span ends when its
            # caller gives up, never as a success slower than anyone waited for. (Its status is
            # left to its own failures, as the callee's error-rate metric counts them.)
            dur[ch] = np.where(timed_out, svc.timeout_ms, dur[ch])
            cut[ch] = timed_out
            call_fail = conn[ch] | (present[ch] & (failed[ch] | timed_out))
            call_ms = np.where(conn[ch], 1.0, np.minimum(dur[ch], svc.timeout_ms))
            offset[ch] = cursor
            connects.append((ch, conn[ch].copy(), cursor.copy(), 1))
            # Cut by the caller's deadline: cancelled on the callee's side too (its metrics
            # count it as served: the caller's timeout, not the callee's failure).
            message[ch] = np.where(
                timed_out & ~failed[ch],
                f"context canceled: {svc.name} gave up after {svc.timeout_ms:g}ms",
                message[ch],
            )
            failed[ch] |= timed_out
            cursor = cursor + np.where(called, call_ms, 0.0)
            # Retries: more attempts at the same callee, each a fresh leaf span.
            retries = st.retries[s][bucket]
            still = call_fail.copy()
            for a in range(int(min(retries.max(initial=0), MAX_RETRY_SPANS))):
                again = still & (retries > a)
                if not again.any():
                    break
                # A retry is a fresh request to the callee: its time comes from the callee's
                # latency particles, the same distribution the metrics were computed from.
                with rng.scope("retry", ch, a):
                    d = st.cloud[c][bucket, rng.integers(0, st.cloud[c].shape[1], n, rows=bucket)]
                    f_conn = rng.random(n, rows=bucket) < conn_fail[c][bucket]
                    f = f_conn | (rng.random(n, rows=bucket) < st.err[c][bucket]) | (d > svc.timeout_ms)
                d = np.where(f_conn, 1.0, np.minimum(d, svc.timeout_ms))
                # A connect that fails never reaches the callee: no span of its own there.
                extra.append((ch, again & ~f_conn, cursor.copy(), d, f, a + 2))
                connects.append((ch, again & f_conn, cursor.copy(), a + 2))
                cursor = cursor + np.where(again, d, 0.0)
                # A failed call not retried (its caller's retries spent) stays failed: only a retry's
                # outcome replaces it. (Was `again & f`: a call that got no retry read as a success
                # whenever another trace was retried, so a trace's status depended on other traces.)
                still = (still & ~again) | (again & f)
            call_fail = still
            peer = sc.services[c].name
            # A caller knows that its call failed and the status it got, not why: the cause
            # is on the callee's span.
            failed_call = np.full(n, f"call to {peer} failed", dtype=object)
            kind_c = st.kinds[c]
            if kind_c in HTTP_ANSWERING:
                got = present[ch] & failed[ch] & ~timed_out
                if got.any():
                    failed_call[got] = f"call to {peer} failed: " + answer_codes(kind_c, message[ch][got])
            child_msg = np.where(
                conn[ch],
                _conn_message(st, c, bucket),
                np.where(timed_out, f"deadline exceeded calling {peer}", failed_call),
            )
            msg = np.where(call_fail & (msg == ""), child_msg, msg)
            fail_any |= call_fail
        dur[j] = np.maximum(cursor + own * 0.8, 0.05)
        failed[j] = fail_any
        message[j] = np.where(fail_any, msg, "")

    # Absolute starts, top down.
    start = np.zeros((k, n))
    start[0] = t0
    for j, (_, parent) in enumerate(nodes[1:], start=1):
        start[j] = start[parent] + offset[j] / 1000.0
        # Cancellation travels down: a cancelled call's own calls end no later than it does.
        left = (start[parent] - start[j]) * 1000.0 + dur[parent]
        present[j] &= present[parent] & ~(cut[parent] & (left <= 0.05))  # never made
        clipped = cut[parent] & (dur[j] > np.maximum(left, 0.05))
        dur[j] = np.where(cut[parent], np.clip(dur[j], None, np.maximum(left, 0.05)), dur[j])
        # Still running when the cancellation reached it: it ends cancelled, not ok.
        who = sc.services[nodes[parent][0]].name
        message[j] = np.where(clipped & ~failed[j], f"context canceled: {who} was cancelled", message[j])
        failed[j] |= clipped
        cut[j] |= cut[parent]
    span_ids = np.array([_hex(rng, bucket, 16) for _ in range(k)]).reshape(k, n)  # one call per node: trace by trace
    rows = []
    for j, (s, parent) in enumerate(nodes):
        m = present[j]
        if not m.any():
            continue
        rows.append(
            pd.DataFrame(
                {
                    "trace_id": trace_ids[m],
                    "span_id": span_ids[j][m],
                    "parent_id": span_ids[parent][m] if parent >= 0 else "",
                    "service": sc.services[s].name,
                    "name": op_names(st, s, op_of[j])[m]
                    if j in op_of
                    else _lb_names(st, j, nodes, children, present | conn, trace_ids)[m]
                    if st.kinds[s] == "lb"
                    else _span_name(st, s, nodes, parent),
                    "t": start[j][m],
                    "duration_ms": np.round(dur[j][m], 3),
                    "status": np.where(failed[j][m], "error", "ok"),
                    "message": message[j][m],
                }
            )
        )
    for ch, mask, off, d, f, attempt in extra:
        s, parent = nodes[ch]
        left = dur[parent] - off  # a cancelled caller makes no attempt after its own end
        mask = mask & present[parent] & ~(cut[parent] & (left <= 0.05))
        # Still running when its caller was cancelled: it ends cancelled, as a first attempt does,
        # not as a failure of the callee's own (whose error rate does not count it).
        clipped = cut[parent] & (d > np.maximum(left, 0.05))
        d = np.where(clipped, np.maximum(left, 0.05), d)
        f = f | clipped
        who = sc.services[nodes[parent][0]].name
        rows.append(
            pd.DataFrame(
                {
                    "trace_id": trace_ids[mask],
                    "span_id": _ids(rng, ("retry ids", ch, attempt), bucket)[mask],
                    "parent_id": span_ids[parent][mask],
                    "service": sc.services[s].name,
                    "name": _span_name(st, s, nodes, parent) + " (retry)",
                    "t": start[parent][mask] + off[mask] / 1000.0,
                    "duration_ms": np.round(d[mask], 3),
                    "status": np.where(f[mask], "error", "ok"),
                    "message": np.where(
                        clipped[mask],
                        f"context canceled: {who} was cancelled",
                        np.where(
                            f[mask],
                            np.where(
                                d[mask] >= svc_timeout(st, parent, nodes),
                                f"context canceled: attempt {attempt} outlived the caller's timeout",
                                f"attempt {attempt} failed",
                            ),
                            "",
                        ),
                    ),
                }
            )
        )
    for ch, mask, off, attempt in connects:
        s, parent = nodes[ch]
        left = dur[parent] - off
        mask = mask & present[parent] & ~(cut[parent] & (left <= 0.05))
        if not mask.any():
            continue
        caller = sc.services[nodes[parent][0]].name
        rows.append(
            pd.DataFrame(
                {
                    "trace_id": trace_ids[mask],
                    "span_id": _ids(rng, ("connect ids", ch, attempt), bucket)[mask],
                    "parent_id": span_ids[parent][mask],
                    "service": caller,
                    "name": f"connect {sc.services[s].name}" + (" (retry)" if attempt > 1 else ""),
                    "t": start[parent][mask] + off[mask] / 1000.0,
                    "duration_ms": 1.0,
                    "status": "error",
                    "message": _conn_message(st, s, bucket)[mask],
                }
            )
        )
    return rows


def _frame(st: State, frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(
            columns=["trace_id", "span_id", "parent_id", "service", "name", "t", "duration_ms", "status", "message"]
        )
    spans = pd.concat(frames, ignore_index=True)
    return spans.sort_values(["t", "trace_id", "span_id"], kind="stable", ignore_index=True)


def _ids(rng: Draws, key: tuple, rows: np.ndarray) -> np.ndarray:
    """Span ids of one kind of span (a node's retry, its connect), keyed by what it is: a retry
    that first happens after an action renumbers no other span's ids."""
    with rng.scope(*key):
        return _hex(rng, rows, 16)


def _lb_names(st: State, j: int, nodes, children, reached: np.ndarray, trace_ids: np.ndarray) -> np.ndarray:
    """A balancer's span is named by the route of an upstream it forwarded that request to (the
    physics sends a balancer's every request to each of its upstreams, so a trace may reach two)."""
    s = nodes[j][0]
    out = np.full(reached.shape[1], _span_name(st, s, nodes, -1), dtype=object)
    http = [ch for ch in children[j] if st.kinds[nodes[ch][0]] == "http"]
    # Half the traces name the last upstream reached, half the first, so both routes show.
    # (Which half by the trace's own id, not its place among the others: a render that holds only
    # the later traces names each the same.)
    second = np.array([int(x[-1], 16) % 2 == 1 for x in trace_ids], dtype=bool)
    for order, where in ((http, ~second), (http[::-1], second)):
        for ch in order:
            out[reached[ch] & where] = _span_name(st, nodes[ch][0], nodes, j)
    return out


def svc_timeout(st: State, parent: int, nodes) -> float:
    return st.scenario.services[nodes[parent][0]].timeout_ms


def _span_name(st: State, s: int, nodes, parent: int) -> str:
    return span_name(st.scenario, st.names[s], _api(st))


def _api(st: State):
    cache = vars(st)  # built once per simulated state, on it
    if cache.get("_api") is None:
        cache["_api"] = service_api(st.scenario)
    return cache["_api"]


def _span_message(ev, key: str = "") -> str:
    kind = voice(ev)
    if kind is None:
        return "error"
    return kind.event_spans.get(key, kind.span_message) if key else kind.span_message
