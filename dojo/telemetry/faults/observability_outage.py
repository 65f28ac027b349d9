"""The telemetry pipeline itself fails: the faulty service is the metrics backend (or its
collector), and it rejects the writes it gets. The other services' dashboards go blank, or freeze
on the last value, for the window; the backend's own metrics, scraped by the meta-monitoring,
still show it failing. The system may be fine; the instruments are not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

MODES = {"blank": 1, "stale": 2}


def apply(ctx: FaultContext) -> None:
    st = ctx.st
    code = MODES.get(ctx.params["mode"], 1)
    targets = range(st.S) if ctx.params["scope"] == "all" else st.callers[ctx.s]
    for s in targets:
        if s == ctx.s:
            continue
        st.stale[s] = st.stale[s].astype(bool) | (ctx.env > 0)
        st.stale_mode[s] = code
    ctx.add_error(ctx.params["error_rate"] * ctx.env)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="observability_outage",
        description="The metrics pipeline fails: dashboards go blank or freeze for the affected services.",
        taxonomy="observability outage",
        apply=apply,
        params={
            "scope": Param("scope", str, "all", "whose metrics go: 'all' other services, or its 'callers' only"),
            "mode": Param("mode", str, "blank", "'blank': no points; 'stale': the last value repeats"),
            "error_rate": Param("error_rate", float, 0.7, "share of the writes the backend rejects", 0, 1),
        },
        error_logs=(Template("ingester push rejected: 503 too many outstanding requests, {n}k samples dropped"),),
        warn_logs=(
            Template("remote_write to metrics backend failed: context deadline exceeded; {n}k samples dropped", "WARN"),
        ),
        warn_per_min=6.0,
        span_message="metrics export failed",
    )
)
