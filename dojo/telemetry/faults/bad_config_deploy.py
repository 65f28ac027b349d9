"""A config change ships a bad value; requests that read it fail validation or take a wrong route."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    ctx.add_error(ctx.params["error_rate"] * ctx.env)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)
    # Every replica reloads the config map once, so the new value is on record at onset.
    ctx.add_event_lines("reload", ctx.onset * float(ctx.st.scenario.services[ctx.s].replicas))


register(
    FaultKind(
        name="bad_config_deploy",
        description="A config change sets a bad value; the requests that read it fail or are misrouted.",
        taxonomy="config or flag change",
        apply=apply,
        params={
            "key": Param("key", str, "payments.routing.provider", "the config key that changed"),
            "value": Param("value", str, "stripe-v3", "the bad value it was set to"),
            "error_rate": Param("error_rate", float, 0.4, "fraction of requests that read the key and fail", 0, 1),
        },
        error_logs=(
            Template(
                'config: invalid value "{value}" for key "{key}": not one of the allowed values; request {id} rejected'
            ),
            Template('{path} 500 {ms}ms error="no route for {key}={value}" request_id={id}'),
        ),
        warn_logs=(
            Template(
                'config validation: "{key}" = "{value}" does not match schema, continuing with partial config', "WARN"
            ),
        ),
        warn_per_min=6.0,
        event_logs={"reload": (Template('config reloaded from configmap/{service}-config: {key}="{value}"', "INFO"),)},
        span_message="invalid configuration",
        change_event="config_change",
    )
)
