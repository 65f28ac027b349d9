"""Capacity is removed while traffic stays: an operator command with a wrong argument drains more
hosts than meant, a node pool shrinks, instances are evicted. The service is not down, it is
under-provisioned: each remaining instance takes more load, it queues, then sheds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    # Hosts leave the pool: fewer instances serve (the `instances` metric shows it), each the same.
    st.ready_factor[s] = st.ready_factor[s] * (1.0 - ctx.params["share"] * ctx.env)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="capacity_loss",
        description="Part of the service's capacity is removed while traffic stays; the rest saturates.",
        taxonomy="unschedulable capacity",
        apply=apply,
        params={
            "share": Param("share", float, 0.6, "share of the capacity removed", 0.01, 1),
            "reason": Param("reason", str, "removed from service by a maintenance command", "why the hosts left"),
        },
        warn_logs=(
            Template("instance pool below desired size: hosts {reason}; remaining hosts at {n}% of target", "WARN"),
        ),
        warn_per_min=4.0,
        span_message="no healthy upstream capacity",
        change_event=None,
    )
)
