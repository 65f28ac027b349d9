"""Stop-the-world garbage collection pauses (a heap near its limit, a large old generation):
every `every_s` the service stops for `pause_ms`. Requests caught in a pause wait it out, so the
tail grows while the median hardly moves; the paused time is capacity lost."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s, env = ctx.st, ctx.s, ctx.env
    pause, every = ctx.params["pause_ms"], ctx.params["every_s"]
    paused = min(pause / 1000.0 / every, 0.9) * env
    st.cap_factor[s] = st.cap_factor[s] * (1.0 - paused)
    # The share of requests caught in a pause: over 1 % of them, the p99 includes one.
    p99_ratio = 1.0 + pause / np.maximum(st.lat_own[s], 1.0) * np.clip(paused * 100.0, 0.0, 1.0)
    st.tail[s] = np.where(env > 0, np.maximum(st.tail[s], p99_ratio), st.tail[s])
    st.mem[s] = np.where(env > 0, np.maximum(st.mem[s], 88.0 + 6.0 * env), st.mem[s])
    ctx.add_warn(60.0 / every * env)


register(
    FaultKind(
        name="gc_pause",
        description="Stop-the-world GC pauses: the latency tail grows, capacity shrinks, heap stays full.",
        taxonomy="GC pause",
        apply=apply,
        params={
            "pause_ms": Param("pause_ms", float, 900.0, "length of each pause, ms", 10, 60000),
            "every_s": Param("every_s", float, 15.0, "seconds between pauses", 1, 3600),
        },
        warn_logs=(
            Template("[gc] Pause Full (G1 Compaction Pause) {pause_ms}ms; heap {mem}% after collection", "WARN"),
        ),
    )
)
