"""A volume fills up; once it is full every write fails with ENOSPC."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

WARN_FROM_PCT = 85.0  # where a disk-usage check starts complaining


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    base = st.disk[s].copy()
    filled = np.clip(ctx.since / (ctx.params["fill_minutes"] * 60.0), 0.0, 1.0)
    st.disk[s] = np.where(ctx.active, base + (100.0 - base) * filled, base)
    full = ctx.active & (filled >= 1.0)
    ctx.add_error(ctx.params["write_share"] * ctx.env * full)
    ctx.add_warn(
        ctx.kind.warn_per_min * ctx.env * np.clip((st.disk[s] - WARN_FROM_PCT) / (100.0 - WARN_FROM_PCT), 0.0, 1.0)
    )
    first_full = full & ~np.concatenate(([False], full[:-1]))
    ctx.add_event_lines("full", first_full * 3.0)


register(
    FaultKind(
        name="disk_full",
        description="A volume fills to 100%; writes then fail with 'no space left on device'.",
        taxonomy="disk full",
        apply=apply,
        params={
            "fill_minutes": Param(
                "fill_minutes", float, 10.0, "minutes from onset until the volume is full", 0.5, 1440
            ),
            "write_share": Param(
                "write_share", float, 0.5, "fraction of requests that write and fail once it is full", 0, 1
            ),
            "mount": Param("mount", str, "/var/lib/data", "the mount point that fills"),
        },
        error_logs=(
            Template("write {mount}/segment-{id}.tmp: no space left on device"),
            Template("request {id} failed: sync {mount}/wal/{uuid}: no space left on device (ENOSPC)"),
        ),
        warn_logs=(Template("low disk space on {mount}: {disk}% used", "WARN"),),
        warn_per_min=12.0,
        event_logs={
            "full": (
                Template(
                    "failed to rotate log /var/log/{service}/app.log: open /var/log/{service}/app.log.1: no space "
                    "left on device"
                ),
            )
        },
        span_message="write: no space left on device (ENOSPC)",
    )
)
