"""A secret is rotated on a service; callers still present the old credential and are refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    # The service answers (with a 403), so the rejection is its own error and both sides log it.
    ctx.add_error(ctx.params["share"] * ctx.env)


register(
    FaultKind(
        name="credential_change",
        description="Credentials were rotated on the service; callers holding the old ones are rejected (401/403).",
        taxonomy="credential/auth failure",
        apply=apply,
        params={"share": Param("share", float, 1.0, "fraction of calls still made with the old credential", 0.01, 1)},
        error_logs=(
            Template('authentication failed for user "svc-{caller}" from {caller_ip}: invalid credentials'),
            Template("{path} 403 {ms}ms forbidden: token signature verification failed for subject svc-{caller}"),
            Template("call to {peer} failed: 403 Forbidden: invalid credentials (request_id={id})", side="caller"),
        ),
        span_message="403 Forbidden",
        change_event="secret_rotation",
    )
)
