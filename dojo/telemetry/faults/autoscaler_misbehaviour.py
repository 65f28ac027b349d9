"""The autoscaler acts on a wrong signal (a metrics adapter reporting near-zero cpu, a target
misconfigured): it scales the service in while the load is still there. The remaining instances
saturate; when the signal comes back, new instances need their warm-up before they help."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..flow import AutoscaleConfig
from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    svc = st.scenario.services[s]
    cfg = st.autoscale.get(s)
    if cfg is None:  # the service had a default autoscaler nobody wrote down
        start = int(np.argmax(ctx.env > 0)) if (ctx.env > 0).any() else st.T
        cfg = AutoscaleConfig(1, max(svc.replicas * 3, 2), 60.0, 60.0, 60.0, start=start)
        st.autoscale[s] = cfg
    if ctx.params["joins_unready"]:
        cfg.unready_source = ctx.source
    read = np.where(ctx.env > 0, ctx.params["reads_cpu_pct"], -1.0)
    cfg.read_cpu = read if cfg.read_cpu is None else np.where(read >= 0, read, cfg.read_cpu)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="autoscaler_misbehaviour",
        description="The autoscaler reads a wrong cpu and scales the service in under load.",
        taxonomy="unschedulable capacity",
        apply=apply,
        params={
            "reads_cpu_pct": Param(
                "reads_cpu_pct", float, 3.0, "the cpu % the autoscaler reads while broken (-1: the real one)", -1, 100
            ),
            "joins_unready": Param(
                "joins_unready", bool, False, "new instances join the pool before they are ready and fail requests"
            ),
        },
        warn_logs=(
            Template(
                "horizontal-pod-autoscaler: {service} cpu utilization {reads_cpu_pct}% below target; scaling down",
                "WARN",
            ),
        ),
        warn_per_min=2.0,
        error_logs=(Template("503 from instance still starting: readiness gate not passed (request_id={id})"),),
        span_message="upstream overloaded after scale-down",
    )
)
