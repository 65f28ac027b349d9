"""The telemetry pipeline itself fails (the metrics backend, its collector, or a dependency it
shares with the system): the learner's dashboards go blank, or freeze on the last value, for the
affected services and window. The system may be fine; the instruments are not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

MODES = {"blank": 1, "stale": 2}


def apply(ctx: FaultContext) -> None:
    st = ctx.st
    code = MODES.get(ctx.params["mode"], 1)
    targets = range(st.S) if ctx.params["scope"] == "all" else [ctx.s]
    for s in targets:
        st.stale[s] = st.stale[s].astype(bool) | (ctx.env > 0)
        st.stale_mode[s] = code
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="observability_outage",
        description="The metrics pipeline fails: dashboards go blank or freeze for the affected services.",
        taxonomy="observability outage",
        apply=apply,
        params={
            "scope": Param("scope", str, "all", "'all': every service's metrics; 'service': only the faulty one's"),
            "mode": Param("mode", str, "blank", "'blank': no points; 'stale': the last value repeats"),
        },
        warn_logs=(
            Template("remote_write to metrics backend failed: context deadline exceeded; {n}k samples dropped", "WARN"),
        ),
        warn_per_min=6.0,
        span_message="metrics export failed",
    )
)
