"""A service answers slowly (a slow provider, a network path with added latency)."""

import numpy as np

from .base import FaultKind, Param, Template, register


def apply(ctx):
    jitter = 1.0 + 0.15 * ctx.st.rng.standard_normal(ctx.st.T)
    ctx.st.lat_own[ctx.s] += ctx.params["added_ms"] * ctx.env * np.clip(jitter, 0.5, 1.5)
    ctx.st.tail[ctx.s] = np.where(ctx.active, ctx.st.tail[ctx.s] * 1.3, ctx.st.tail[ctx.s])
    ctx.add_warn(40.0 * ctx.env)


register(
    FaultKind(
        name="dependency_latency",
        description="A service becomes slow; callers wait, time out and fail.",
        taxonomy="network latency",
        apply=apply,
        params={"added_ms": Param("added_ms", float, 1500.0, "latency added to the median response, ms", 1, 120000)},
        warn_logs=(
            Template("slow request {path} took {ms}ms (threshold 1000ms)", "WARN"),
            Template("upstream response time degraded: {ms}ms from {peer}", "WARN", side="caller"),
        ),
        span_message="deadline exceeded",
    )
)
