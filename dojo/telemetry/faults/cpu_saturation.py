"""Something burns a service's CPU (a hot loop, a runaway job, a noisy neighbour); requests wait
for a core and everything it serves slows down."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

STARVED_ERROR_RATE = 0.02  # requests that outlive their server-side deadline while runnable


def apply(ctx: FaultContext) -> None:
    # Latency follows from physics: cpu above 85% slows every request (the cpu_slow term).
    ctx.st.cpu_extra[ctx.s] += ctx.params["extra_pct"] * ctx.env
    ctx.add_error(STARVED_ERROR_RATE * ctx.env)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="cpu_saturation",
        description="CPU is used up by something other than requests; the service slows and callers time out.",
        taxonomy="cpu saturation",
        apply=apply,
        params={"extra_pct": Param("extra_pct", float, 75.0, "cpu % burned by something other than requests", 1, 100)},
        error_logs=(Template("{path} 503 {ms}ms request timed out waiting for a worker thread (request_id={id})"),),
        warn_logs=(
            Template("event loop blocked for {ms}ms", "WARN"),
            Template("worker pool starved: {n} tasks queued, 0 idle threads", "WARN"),
        ),
        warn_per_min=30.0,
        span_message="timed out waiting for a worker thread",
    )
)
