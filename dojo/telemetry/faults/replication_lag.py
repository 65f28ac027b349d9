"""A database replica falls behind its primary (a long transaction, a saturated link, a region
away): reads from it are stale. With `failover_after_s` the operators fail over to it: writes
not yet replicated are lost and connections drop while the endpoint moves; the lag starts over.
With `failback_after_s` they move back to the old primary later, with another switchover."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

SWITCHOVER_S = 30.0  # connections fail while the endpoint moves to the new primary


def apply(ctx: FaultContext) -> None:
    st, s, grid = ctx.st, ctx.s, ctx.st.scenario.grid
    grow = ctx.params["lag_s_per_min"] * grid / 60.0
    failover = ctx.params["failover_after_s"]
    fail_j = int((ctx.event.at + failover) // grid) if failover > 0 else -1
    lag, out = 0.0, np.zeros(st.T)
    # The lag is state: it grows while the cause lasts and the replica replays it off afterwards.
    for j, e in enumerate(ctx.env):
        if j == fail_j:
            lag = 0.0
        elif e > 0 and (fail_j < 0 or j < fail_j):
            lag += grow * e
        else:
            lag = max(0.0, lag - 3.0 * grow)
        out[j] = lag
    st.replication_lag_s[s] = np.maximum(st.replication_lag_s[s], out)
    # Reads that must see a recent write (read-your-writes) fail their check once lag passes 1 s.
    stale = np.clip((out - 1.0) / 30.0, 0.0, 1.0) * ctx.params["fresh_read_share"]
    ctx.add_error(stale)
    ctx.add_warn(ctx.kind.warn_per_min * (out > 1.0))
    switches = [("failover", failover)]
    back = ctx.params["failback_after_s"]
    if failover > 0 and back > failover:
        switches.append(("failback", back))
    for key, after in switches:
        j = int((ctx.event.at + after) // grid)
        if failover <= 0 or j >= st.T:
            continue
        # Connections fail while the endpoint moves from one primary to the other.
        moving = (st.t >= ctx.event.at + after) & (st.t < ctx.event.at + after + SWITCHOVER_S)
        ctx.add_conn_failure(moving * 0.9)
        mark = np.zeros(st.T)
        mark[j] = 1.0
        ctx.add_event_lines(key, mark)


register(
    FaultKind(
        name="replication_lag",
        description="A replica falls behind its primary; reads go stale; a failover loses unreplicated writes.",
        taxonomy="data-dependent failure",
        apply=apply,
        params={
            "lag_s_per_min": Param(
                "lag_s_per_min", float, 20.0, "how fast the lag grows, seconds per minute", 0.1, 600
            ),
            "fresh_read_share": Param(
                "fresh_read_share", float, 0.2, "share of reads that must see recent writes", 0, 1
            ),
            "failover_after_s": Param(
                "failover_after_s", float, 0.0, "seconds after onset the operators fail over (0: never)", 0, 86400
            ),
            "failback_after_s": Param(
                "failback_after_s",
                float,
                0.0,
                "seconds after onset they fail back to the old primary (0: never)",
                0,
                86400,
            ),
        },
        error_logs=(
            Template("read-after-write check failed: replica returned version older than committed (key {key})"),
        ),
        warn_logs=(Template("replica {service}-replica-1 replay lag exceeds threshold; WAL receiver behind", "WARN"),),
        warn_per_min=6.0,
        event_logs={
            "failback": (Template("failing back: old primary resynchronised with pg_rewind, promoted again", "WARN"),),
            "failover": (
                Template(
                    "promoting replica to primary: {n} committed transactions were not replicated and are lost",
                    "ERROR",
                ),
            ),
        },
        span_message="stale read: replica behind primary",
    )
)
