"""A cache stops holding data (evictions under maxmemory, a flush, a cold restart); misses stampede
the database behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext


def apply(ctx: FaultContext) -> None:
    st, s, env = ctx.st, ctx.s, ctx.env
    # Propagation scales the callers' database calls by the miss ratio: the stampede is physics.
    st.cache_hit[s] = st.cache_hit[s] * (1.0 - env) + ctx.params["hit_pct"] * env
    ctx.add_error(ctx.params["error_rate"] * env)
    ctx.add_warn(ctx.kind.warn_per_min * env)


register(
    FaultKind(
        name="cache_failure",
        description="The cache's hit ratio collapses; every miss goes to the database, which saturates.",
        taxonomy="cache failure",
        apply=apply,
        params={
            "hit_pct": Param("hit_pct", float, 10.0, "cache hit ratio while it fails, %", 0, 100),
            "error_rate": Param("error_rate", float, 0.03, "fraction of cache commands that fail outright", 0, 1),
        },
        error_logs=(
            Template("OOM command not allowed when used memory > 'maxmemory'. (SET {key})"),
            Template(
                "cache {peer} GET {key} failed: read: connection reset by peer; falling back to database", side="caller"
            ),
        ),
        warn_logs=(
            Template("maxmemory reached: evicted {n}k keys in the last 10s (maxmemory-policy allkeys-lru)", "WARN"),
        ),
        warn_per_min=12.0,
        span_message="OOM command not allowed when used memory > 'maxmemory'",
    )
)
