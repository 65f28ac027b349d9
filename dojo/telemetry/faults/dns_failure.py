"""A service's name stops resolving; callers fail before they connect, so it goes quiet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    ctx.add_conn_failure(ctx.params["share"] * ctx.env)


register(
    FaultKind(
        name="dns_failure",
        description="Lookups of the service's name fail; callers error out and its own traffic falls away.",
        taxonomy="DNS failure",
        apply=apply,
        params={"share": Param("share", float, 1.0, "fraction of lookups that fail", 0.01, 1)},
        error_logs=(
            Template(
                "call to {peer} failed: dial tcp: lookup {peer}.default.svc.cluster.local on 10.96.0.10:53: no such "
                "host (request_id={id})",
                side="caller",
            ),
        ),
        span_message="no such host",  # within the callers' words, which their client spans carry
    )
)
