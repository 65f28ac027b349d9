"""A rate-limited API (often someone else's) answers 429 to everything beyond its quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    # The rejected share, max(0, 1 - quota/rps), depends on the load that arrives, retries of
    # 429s included; propagate() evaluates it.
    ctx.add_limit(ctx.params["quota_rps"])


register(
    FaultKind(
        name="quota_exhaustion",
        description="The service enforces a request quota; calls beyond it are rejected with 429.",
        taxonomy="quota exhaustion",
        apply=apply,
        params={"quota_rps": Param("quota_rps", float, 50.0, "requests per second the quota allows", 0.01, 100000)},
        error_logs=(
            # An external API writes no logs we can read: its callers' lines are the evidence.
            Template(
                "call to {peer} failed: 429 Too Many Requests: rate limit exceeded (request_id={id})", side="caller"
            ),
            Template("{path} 429 {ms}ms rate limit exceeded for client {caller_ip} (quota {quota_rps} req/s)"),
        ),
        span_message="429 Too Many Requests",
    )
)
