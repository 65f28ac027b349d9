"""A consumer falls behind its producers: the backlog grows steadily, then drains once it recovers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    step = ctx.params["msgs_per_min"] * st.scenario.grid / 60.0
    # Grows while the fault lasts; afterwards the consumer catches up at the same pace.
    backlog = np.zeros(st.T)
    level = 0.0
    for j, e in enumerate(ctx.env):
        level = max(0.0, level + step * (2.0 * e - 1.0))
        backlog[j] = level
    st.queue[s] += backlog
    if st.kinds[s] == "worker":  # a slow consumer is why it falls behind
        st.lat_own[s] *= 1.0 + (ctx.params["slow_factor"] - 1.0) * ctx.env
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="queue_lag",
        description="A consumer falls behind; queue depth grows linearly while producers carry on.",
        taxonomy="queue lag",
        apply=apply,
        params={
            "msgs_per_min": Param(
                "msgs_per_min", float, 600.0, "how fast the backlog grows, messages per minute", 1, 1000000
            ),
            "slow_factor": Param(
                "slow_factor", float, 3.0, "how much slower a worker consumer processes each job", 1, 100
            ),
            "topic": Param("topic", str, "orders", "the topic or queue that lags"),
        },
        warn_logs=(
            Template("consumer lag {depth} messages on topic {topic} partition {n}, consumer falling behind", "WARN"),
        ),
        warn_per_min=6.0,
        # No span_message: a lagging consumer fails no request by itself (its spans only slow down).
    )
)
