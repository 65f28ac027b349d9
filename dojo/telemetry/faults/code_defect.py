"""A deploy ships a bug on a data-dependent path: requests for one tenant fail, everyone else is
fine. A partial outage that averages out on a dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    ctx.add_error(ctx.params["tenant_share"] * ctx.params["fail_share"] * ctx.env)


register(
    FaultKind(
        name="code_defect",
        description="A new version fails on data only one tenant has; that tenant's requests error.",
        taxonomy="code defect / data-dependent failure",
        apply=apply,
        params={
            "version": Param("version", str, "v2.0.0", "the version that ships the bug"),
            "tenant": Param("tenant", str, "globex", "the tenant whose data hits the bug"),
            "tenant_share": Param("tenant_share", float, 0.15, "fraction of traffic from that tenant", 0.001, 1),
            "fail_share": Param("fail_share", float, 1.0, "fraction of that tenant's requests that fail", 0, 1),
            "field": Param("field", str, "currency", "the field the new code expects and the tenant's data lacks"),
        },
        error_logs=(
            Template("unhandled exception in {path} tenant={tenant} request_id={id}: KeyError: '{field}'"),
            Template(
                'Traceback (most recent call last): File "/app/pricing/totals.py", line 88, in convert '
                "rate = rates[order['{field}']] KeyError: '{field}' [tenant={tenant}]"
            ),
            Template("call to {peer} failed: 500 Internal Server Error tenant={tenant} request_id={id}", side="caller"),
        ),
        span_message="KeyError",
        change_event="deploy",
    )
)
