"""The HTTP status a service answered, read from the status message of its failed span.

Spans and log lines of one request must tell the same status at every hop, so both read it here:
a message that starts with a status ("503 overloaded", "403 Forbidden") is that status; a call its
caller gave up on is a 499 (nginx's client closed request); an app whose own call failed answers
500; a load balancer answers 504 when its timeout ran out, the upstream's status when it got one
("call to orders failed: 503"), else 502 (it could not connect).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HTTP_ANSWERING = ("http", "lb", "worker")


def answer_codes(kind: str, messages: np.ndarray) -> np.ndarray:
    """Status codes (as strings) for the failed spans of a service of `kind` with these messages."""
    msg = pa.array(np.asarray(messages, dtype=object), pa.string())
    n = len(msg)
    lead = pc.extract_regex(msg, r"^(?P<code>[1-5]\d\d)\b")
    passed = pc.extract_regex(msg, r"^call to \S+ failed: (?P<code>[1-5]\d\d)\b")
    out = np.full(n, "500", dtype=object)
    if kind == "lb":
        out[:] = "502"
        out[_where(pc.starts_with(msg, "deadline exceeded"))] = "504"
        _fill(out, passed)
    _fill(out, lead)
    out[_where(pc.starts_with(msg, "context canceled"))] = "499"
    return out


def _where(mask: pa.Array) -> np.ndarray:
    return np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _fill(out: np.ndarray, found: pa.StructArray) -> None:
    """Where the regex matched (a null struct where it did not), its code."""
    has = _where(pc.is_valid(found))
    if has.any():
        out[has] = np.asarray(found.field("code").filter(pa.array(has)).to_pylist(), dtype=object)
