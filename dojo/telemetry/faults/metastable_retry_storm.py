"""A caller retries without backoff into a dependency that queues without limit: once a blip
makes the calls time out, the retries keep the dependency's queue longer than the caller's
timeout, so every call keeps failing and being retried after the blip is gone. The storm is not
scheduled here: it falls out of the backlog the flow scan carries, and it lasts until load is
shed (a flag, a retry budget, fewer retries) or capacity is added."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s, on = ctx.st, ctx.s, ctx.env > 0
    st.retries[s] = np.where(on, np.maximum(st.retries[s], ctx.params["factor"]), st.retries[s])
    # The callees accept work their callers have long given up on: their queues are allowed to
    # grow past the caller's timeout, so the work done is wasted and the retries add to it.
    deep = ctx.params["queue_s"]
    for c in st.calls[s]:
        st.max_wait_s[c] = np.where(on, np.maximum(st.max_wait_s[c], deep), st.max_wait_s[c])
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="metastable_retry_storm",
        description="Retries without backoff into an unbounded queue sustain an overload after its trigger ends.",
        taxonomy="retry storm",
        apply=apply,
        params={
            "factor": Param("factor", int, 4, "retries per failed call, with no backoff", 1, 10),
            "queue_s": Param("queue_s", float, 30.0, "how long the callee lets a request wait in its queue, s", 1, 600),
        },
        warn_logs=(
            Template("retrying request to {peer} (attempt {attempt}/{factor}, no backoff, no retry budget)", "WARN"),
            Template("gave up on {peer} after {timeout_ms}ms (request_id={id}); retrying at once", "WARN"),
        ),
        warn_per_min=30.0,
        span_message="retries exhausted: deadline exceeded",
    )
)
