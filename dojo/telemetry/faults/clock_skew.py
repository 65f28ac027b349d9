"""A host's clock drifts (NTP unreachable, a bad time source): tokens it signs look issued in the
future or already expired to the services that check them, and its log timestamps disagree
with everyone else's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    skew = ctx.params["skew_s"] * ctx.env
    st.clock_skew_s[s] = st.clock_skew_s[s] + skew
    # Validators allow a little leeway; past it, every token-bearing request is rejected.
    over = np.clip((np.abs(skew) - ctx.params["leeway_s"]) / max(ctx.params["leeway_s"], 1.0), 0.0, 1.0)
    ctx.add_error(over * ctx.params["token_share"])
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="clock_skew",
        description="A host's clock is off; tokens and certificates it checks fail their time checks.",
        taxonomy="clock skew",
        apply=apply,
        params={
            "skew_s": Param("skew_s", float, 300.0, "seconds the clock is ahead (negative: behind)", -86400, 86400),
            "leeway_s": Param("leeway_s", float, 60.0, "clock leeway the token checks allow, s", 0, 3600),
            "token_share": Param("token_share", float, 0.9, "share of requests that carry a token", 0, 1),
        },
        error_logs=(Template("token rejected: iat is in the future or exp in the past (clock skew {skew_s}s)"),),
        warn_logs=(Template("chronyd: no selectable time sources; system clock unsynchronised", "WARN"),),
        warn_per_min=2.0,
        span_message="token not yet valid (clock skew)",
    )
)
