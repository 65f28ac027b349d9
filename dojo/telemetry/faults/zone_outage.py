"""One availability zone goes dark: the service's pods there are unreachable, the rest serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    # Calls spread evenly over zones; the ones routed to the dead zone never connect.
    zones = ctx.st.scenario.services[ctx.s].zone_count
    ctx.add_conn_failure(ctx.env / zones)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="zone_outage",
        description="One of the service's zones fails; 1/zone_count of calls to it fail to connect.",
        taxonomy="partition/policy block",
        apply=apply,
        params={"zone": Param("zone", str, "us-east-1b", "the zone that fails")},
        error_logs=(
            Template(
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure "
                "(upstream={peer}, zone={zone}, request_id={id})",
                side="caller",
            ),
        ),
        warn_logs=(
            Template(
                "outlier detection: ejecting {peer} endpoint in {zone} after 5 consecutive gateway failures",
                "WARN",
                side="caller",
            ),
        ),
        warn_per_min=6.0,
        span_message="upstream connect error or disconnect/reset before headers",
    )
)
