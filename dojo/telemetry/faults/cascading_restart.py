"""Restarts that spread: a service goes down, and its callers' liveness probes check it, so they
are restarted too, one hop further every `delay_s`; each comes back over its warm-up, with cold
caches and dropped work. Nothing is broken for good, yet everything restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..mechanics import restart
from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, grid = ctx.st, ctx.st.scenario.grid
    p = ctx.params
    level, seen = [ctx.s], {ctx.s}
    for hop in range(int(p["hops"]) + 1):
        at = ctx.event.at + hop * p["delay_s"]
        on = (st.t + grid > at) & (ctx.env > 0)
        since = np.clip(st.t + grid / 2 - at, 0.0, None) * on
        for s in level:
            restart(st, s, ctx.source, since, on, 1.0, p["warmup_s"])
            if hop:  # the callers' probes fail on the dependency before they are killed
                ctx.add_warn(ctx.kind.warn_per_min * on * (since < p["warmup_s"]), s=s)
        level = [c for s in level for c in st.callers[s] if c not in seen and st.kinds[c] != "external"]
        seen.update(level)
        if not level:
            break


register(
    FaultKind(
        name="cascading_restart",
        description="A service restarts and its callers' liveness probes restart them too, hop by hop.",
        taxonomy="crash loop",
        apply=apply,
        params={
            "delay_s": Param("delay_s", float, 60.0, "seconds before the next hop of callers is restarted", 1, 3600),
            "warmup_s": Param("warmup_s", float, 90.0, "seconds a restarted service takes to serve again", 1, 3600),
            "hops": Param("hops", int, 2, "how many hops of callers the restarts spread to", 0, 10),
        },
        warn_logs=(
            Template(
                "Liveness probe failed: dependency check timed out after {timeout_ms}ms; container will be restarted",
                "WARN",
            ),
        ),
        warn_per_min=6.0,
        error_logs=(Template("shutting down: abandoning request {id} in flight (liveness restart)"),),
        event_logs={
            "stop": (Template("Killing container {service}: failed liveness probe, will be restarted", "WARN"),),
            "ready": (Template("{service} ready after restart; caches empty, warming", "INFO"),),
        },
        span_message="abandoned by liveness restart",
    )
)
