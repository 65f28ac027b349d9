"""A deploy ships a build that crashes a while after it starts; the kubelet restarts it with a
growing back-off, so errors come in pulses and the service may be down between them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

BACKOFF_S, BACKOFF_MAX_S = 10.0, 300.0  # the kubelet's restart back-off: doubles, capped at 5 min
LOST_S = 5.0  # requests routed to a dead pod before its endpoint is removed
BACKOFF_EVENTS_PER_S = 1 / 30.0  # the kubelet repeats "Back-off restarting" while it waits


def _downtime(start: float, uptime: float, end: float, seconds: int) -> tuple[np.ndarray, list[float]]:
    """One pod's timeline, per second: True while it is down; and the moments it crashes."""
    down = np.zeros(seconds, dtype=bool)
    crashes: list[float] = []
    t, restarts = start, 0
    while t + uptime < end:
        crash = t + uptime
        back = min(BACKOFF_S * 2**restarts, BACKOFF_MAX_S)
        crashes.append(crash)
        down[int(crash) : int(min(crash + back, end))] = True
        t, restarts = crash + back, restarts + 1
    return down, crashes


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    grid, T = st.scenario.grid, st.T
    replicas = st.scenario.services[s].replicas
    bad = max(1, round(replicas * ctx.params["share"]))
    end = st.scenario.duration if ctx.event.end is None else ctx.event.end
    seconds = int(np.ceil(T * grid))
    pods_down = np.zeros(seconds)
    crashes = np.zeros(T)
    for j in range(bad):
        # A rollout starts the new pods a few seconds apart, so they crash a few seconds apart.
        down, at = _downtime(ctx.event.at + 3.0 * j, ctx.params["uptime_s"], end, seconds)
        pods_down += down
        np.add.at(crashes, np.minimum((np.array(at) // grid).astype(int), T - 1), 1.0)
    bucket = np.minimum((np.arange(seconds) // grid).astype(int), T - 1)
    per_bucket = np.maximum(np.bincount(bucket, minlength=T), 1)
    mean_down = np.bincount(bucket, pods_down, T) / per_bucket
    all_down = np.bincount(bucket, pods_down >= replicas, T) / per_bucket
    up = np.maximum(replicas - mean_down, 1.0)
    # A crash takes its share of traffic down with it until the endpoint goes; with no pod
    # ready the Service refuses connections outright.
    ctx.add_error(np.clip(crashes * LOST_S / grid / up, 0.0, 1.0))
    ctx.add_conn_failure(all_down)
    ctx.add_event_lines("crash", crashes)
    ctx.add_event_lines("backoff", mean_down * grid * BACKOFF_EVENTS_PER_S)


register(
    FaultKind(
        name="crash_loop",
        description="A new version crashes soon after it starts; restarts back off, errors come in pulses.",
        taxonomy="crash loop",
        apply=apply,
        params={
            "version": Param("version", str, "v2.0.0", "the version whose deploy crashes"),
            "uptime_s": Param("uptime_s", float, 45.0, "seconds a restarted container runs before it crashes", 1, 3600),
            "share": Param("share", float, 1.0, "fraction of replicas running the crashing version", 0.01, 1),
        },
        error_logs=(
            Template("call to {peer} failed: read tcp: connection reset by peer (request_id={id})", side="caller"),
            Template("call to {peer} failed: dial tcp: connect: connection refused (request_id={id})", side="caller"),
        ),
        event_logs={
            "crash": (
                Template(
                    "panic: runtime error: invalid memory address or nil pointer dereference "
                    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x38 pc=0x9c4f1e] "
                    "goroutine {n} [running]: main.(*Server).handleRequest(...) /app/server.go:214",
                ),
            ),
            "backoff": (
                Template(
                    "Back-off restarting failed container {service} (image registry.internal/{service}:{version})",
                    "WARN",
                ),
            ),
        },
        span_message="connection reset by peer",
        change_event="deploy",
    )
)
