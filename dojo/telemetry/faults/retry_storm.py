"""A caller retries failed calls aggressively, multiplying load on a struggling dependency."""

import numpy as np

from .base import FaultKind, Param, Template, register


def apply(ctx):
    st = ctx.st
    st.retries[ctx.s] = np.maximum(st.retries[ctx.s], ctx.params["factor"] * (ctx.env > 0))
    ctx.add_warn(30.0 * ctx.env)


register(
    FaultKind(
        name="retry_storm",
        description="A service retries failed calls without backoff; downstream load multiplies.",
        taxonomy="retry storm",
        apply=apply,
        params={"factor": Param("factor", int, 4, "retries per failed call, with no backoff", 1, 10)},
        warn_logs=(Template("retrying request to {peer} (attempt {attempt}/{factor}, no backoff)", "WARN"),),
        span_message="retries exhausted",
    )
)
