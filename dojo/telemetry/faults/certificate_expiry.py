"""A service's TLS certificate expires; callers that verify it refuse to talk to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    failing = ctx.params["share"] * ctx.env
    # The handshake fails on the caller's side: the request never reaches the server's handlers.
    ctx.add_conn_failure(failing)
    # The server only sees the aborted handshakes, one line each, sampled like the request lines.
    ctx.add_warn(ctx.baseline_rps * failing * ctx.st.scenario.log_sample * 60.0)


register(
    FaultKind(
        name="certificate_expiry",
        description="The service's TLS certificate has expired; callers fail the handshake and never reach it.",
        taxonomy="certificate expiry",
        apply=apply,
        params={
            "share": Param("share", float, 1.0, "fraction of callers' connections that verify the certificate", 0.01, 1)
        },
        error_logs=(
            Template(
                "call to {peer} failed: tls: failed to verify certificate: x509: certificate has expired or is not "
                "yet valid (request_id={id})",
                side="caller",
            ),
        ),
        warn_logs=(
            Template("http: TLS handshake error from {caller_ip}:{port}: remote error: tls: bad certificate", "WARN"),
        ),
        span_message="x509: certificate has expired or is not yet valid",
    )
)
