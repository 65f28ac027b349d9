"""Spans of a service that declares operations: each sampled request is one operation, drawn by
share, and walks that operation's path (its callees, its own latency, its own failures), under
that operation's name. So a trace of a failing write shows the write route failing while the
traces of reads beside it stay green, as the per-operation metrics and log lines say.
"""

from __future__ import annotations

import re

import numpy as np

from .draws import Draws
from .routes import service_api, span_name, table_name
from .state import State


def op_draws(st: State, nodes: list[tuple[int, int]], bucket: np.ndarray, rng: Draws) -> dict[int, np.ndarray]:
    """Per node of the unrolled call tree whose service declares operations: the operation (an
    index into `st.ops[s]`) each trace (begun in `bucket`) takes there."""
    out: dict[int, np.ndarray] = {}
    for j, (s, _) in enumerate(nodes):
        ops = st.ops.get(s)
        if not ops:
            continue
        shares = np.array([o.share for o in ops], dtype=float)
        out[j] = rng.choice(len(ops), len(bucket), p=shares / shares.sum(), rows=bucket)
    return out


def op_call_weight(st: State, s: int, c: int, op: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """Chance, per trace, that service s calls c for the operation it serves that request as."""
    w = np.array([st.op_weight[(s, o.name, c)] for o in st.ops[s]])  # (O,T)
    return np.minimum(w[op, bucket], 1.0)


def op_own(
    st: State, s: int, op: np.ndarray, bucket: np.ndarray, own: np.ndarray, rng: Draws
) -> tuple[np.ndarray, np.ndarray]:
    """Own work and own failure per trace for the operation taken: its latency relative to the
    service's mix, its own failure rate (a fault aimed at it in full, none aimed at the others)."""
    ops = st.ops[s]
    ratio = np.array([o.lat / np.maximum(st.lat_own[s], 1e-9) for o in ops])  # (O,T)
    fail = np.array([np.nan_to_num(np.broadcast_to(o.own, (st.T,))) for o in ops])
    return own * ratio[op, bucket], rng.random(len(op), rows=bucket) < fail[op, bucket]


def op_names(st: State, s: int, op: np.ndarray) -> np.ndarray:
    """Span name per trace: the operation's route template (`PUT /accounts/:id`); on a database,
    the statement's verb on its table (`UPDATE accounts` for a writing operation)."""
    cache = vars(st).setdefault("_op_span_names", {})
    if s not in cache:
        name = st.names[s]
        routes = {r.operation: r for r in service_api(st.scenario).get(name, ())}
        names = []
        for o in st.ops[s]:
            if st.kinds[s] == "db":
                names.append(f"{'UPDATE' if o.writes else 'SELECT'} {table_name(name)}")
            elif o.name in routes:
                names.append(re.sub(r"\{(\w+)\}", r":\1", routes[o.name].line))
            else:
                names.append(span_name(st.scenario, name))
        cache[s] = np.array(names, dtype=object)
    return cache[s][op]
