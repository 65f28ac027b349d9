"""Demand jumps (a promotion, a bot, a marketing push); the system saturates."""

from .base import FaultKind, Param, Template, register


def apply(ctx):
    st = ctx.st
    boost = 1.0 + (ctx.params["factor"] - 1.0) * ctx.env
    if st.demand[ctx.s].any():
        st.demand[ctx.s] *= boost
    else:
        # A service nobody outside calls (a shared hop, a mesh, a NAT gateway) surges on traffic
        # from outside the modelled system: all it receives multiplies, and it forwards the surge.
        st.surge[ctx.s] *= boost
    ctx.add_warn(10.0 * ctx.env)


register(
    FaultKind(
        name="traffic_surge",
        description="Incoming traffic multiplies; services beyond their capacity shed load.",
        taxonomy="traffic surge",
        apply=apply,
        params={"factor": Param("factor", float, 3.0, "multiplier on incoming requests", 1.01, 100)},
        warn_logs=(Template("request rate {n}/s above autoscaling target; new replicas pending", "WARN"),),
        span_message="overloaded",
    )
)
