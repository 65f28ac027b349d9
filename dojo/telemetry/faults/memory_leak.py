"""Memory grows steadily until the process is OOM-killed and restarts: a sawtooth."""

import numpy as np

from .base import FaultKind, Param, Template, register


def apply(ctx):
    st, s = ctx.st, ctx.s
    base = st.mem[s].copy()
    grown = ctx.params["pct_per_min"] * ctx.since / 60.0
    room = np.maximum(98.0 - base, 5.0)
    cycles = np.floor(grown / room)
    level = np.where(ctx.env > 0, base + grown - cycles * room, base)
    st.mem[s] = np.clip(level, 0, 99.5)
    # The bucket where a cycle wraps is an OOM kill: in-flight requests fail while it restarts.
    oom = np.zeros(st.T, dtype=bool)
    oom[1:] = (cycles[1:] > cycles[:-1]) & (ctx.env[1:] > 0)
    ctx.add_error(np.where(oom, 0.6, 0.0))
    # Garbage collection thrashes as the heap fills: latency climbs before the crash.
    pressure = np.clip((st.mem[s] - 75.0) / 25.0, 0.0, 1.0) * (ctx.env > 0)
    st.lat_own[s] *= 1.0 + 4.0 * pressure**2
    ctx.add_error(0.08 * pressure**3)
    ctx.add_warn(30.0 * pressure)
    ctx.add_event_lines("oom", np.where(oom, 3.0, 0.0))


register(
    FaultKind(
        name="memory_leak",
        description="Memory grows until the process is OOM-killed; GC pauses slow it down first.",
        taxonomy="memory leak/OOM",
        apply=apply,
        params={
            "pct_per_min": Param("pct_per_min", float, 2.0, "memory growth, percent of the limit per minute", 0.01, 100)
        },
        error_logs=(
            Template("java.lang.OutOfMemoryError: Java heap space while handling {path}", "ERROR"),
            Template("request failed: GC overhead limit exceeded", "ERROR"),
        ),
        warn_logs=(Template("GC pause {ms}ms (heap {mem}% used after collection)", "WARN"),),
        event_logs={"oom": (Template("container {service} OOMKilled (exit code 137); restarting", "ERROR"),)},
        span_message="OutOfMemoryError",
    )
)
