"""A quota runs out. Two modes:

- `requests` (the default): a rate-limited API (often someone else's) answers 429 to everything
  beyond its request quota.
- `storage`: the service's storage allocation is cut (to zero, say) by quota automation. After a
  `grace_s` during which nothing happens (so no change lands at the onset), every write is
  refused in the storage's own words; nothing new is written, so the data its reads return ages
  by the second (`replication_lag_s`: how far behind the data is); a caller that refuses data
  older than `rejects_stale_after_s` fails its own requests with a 5xx once the data is that old.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

WRITE_SHARE = 0.1  # writes among a service's requests when it declares no operations (as the physics')
CATCH_UP = 10.0  # once writes are accepted again, the data catches up ten times faster than it aged


def apply(ctx: FaultContext) -> None:
    if ctx.params["mode"] == "storage":
        _storage(ctx)
        return
    # The rejected share, max(0, 1 - quota/rps), depends on the load that arrives, retries of
    # 429s included; propagate() evaluates it.
    ctx.add_limit(ctx.params["quota_rps"])


def _storage(ctx: FaultContext) -> None:
    st, s, grid = ctx.st, ctx.s, ctx.st.scenario.grid
    grace = float(ctx.params["grace_s"])
    # Enforcement starts once the grace period is over: until then the cut allocation changes nothing.
    on = ctx.env * np.clip((ctx.since - grace) / grid + 0.5, 0.0, 1.0)
    if not on.any():
        return
    writes = f"{ctx.source}:storage"
    ops = st.ops.get(s)
    if ops:  # the writing operations fail in full, the reads not at all
        share = sum(o.share for o in ops if o.writes)
        for o in ops:
            if o.writes:
                o.sources[writes] = 1.0
    else:
        share = WRITE_SHARE
    ctx.add_error_source(writes, on * share)
    ctx.add_warn_source(f"{ctx.source}:storage_warn", 6.0 * (on > 0))
    # The data ages while nothing is written, and catches up after.
    age, out = 0.0, np.zeros(st.T)
    for j, e in enumerate(on):
        age = age + grid * e if e > 0 else max(0.0, age - CATCH_UP * grid)
        out[j] = age
    st.replication_lag_s[s] = np.maximum(st.replication_lag_s[s], out)
    limit = float(ctx.params["rejects_stale_after_s"])
    if limit <= 0:
        return
    # A caller that will not serve outdated data fails every request that reads it.
    stale = np.clip((out - limit) / grid, 0.0, 1.0)
    for c in st.callers[s]:
        ctx.add_error_source(f"{ctx.source}:stale", stale, s=c)


register(
    FaultKind(
        name="quota_exhaustion",
        description="A quota runs out: 429s past a request quota, or a storage cut to zero refuses writes.",
        taxonomy="quota exhaustion",
        apply=apply,
        params={
            "mode": Param(
                "mode",
                str,
                "requests",
                "requests: a request quota (429s); storage: a storage allocation",
                choices=("requests", "storage"),
            ),
            "quota_rps": Param("quota_rps", float, 50.0, "requests per second the quota allows", 0.01, 100000),
            "grace_s": Param("grace_s", float, 0.0, "storage: seconds between the cut and its enforcement", 0, 86400),
            "allocation": Param("allocation", str, "0 B", "storage: the allocation the quota now allows"),
            "usage": Param("usage", str, "412 GB", "storage: what the service actually stores"),
            "rejects_stale_after_s": Param(
                "rejects_stale_after_s",
                float,
                0.0,
                "storage: callers refuse data older than this, failing with a 5xx (0: they serve it)",
                0,
                86400,
            ),
        },
        error_logs=(
            # An external API writes no logs we can read: its callers' lines are the evidence.
            Template(
                "call to {peer} failed: 429 Too Many Requests: rate limit exceeded (request_id={id})", side="caller"
            ),
            Template("{path} 429 {ms}ms rate limit exceeded for client {caller_ip} (quota {quota_rps} req/s)"),
        ),
        event_logs={
            # Storage mode: the writes the storage refuses, in its own words...
            "storage": (
                Template(
                    "ERROR:  storage quota exceeded for {service}: allocation {allocation}, in use {usage}; "
                    "write rejected STATEMENT:  {write_query}"
                ),
            ),
            "storage_warn": (
                Template(
                    "quota check: {service} stores {usage} over its allocation of {allocation}; writes refused", "WARN"
                ),
            ),
            # ...and a caller refusing to serve the data that has gone stale behind them.
            "stale": (
                Template(
                    "500 Internal Server Error: data from {peer} is older than the {rejects_stale_after_s}s this "
                    "service accepts (stale read refused) request_id={id}"
                ),
            ),
        },
        event_spans={
            "storage": "RESOURCE_EXHAUSTED: storage quota exceeded",
            "stale": "stale data refused",
        },
        span_message="429 Too Many Requests",
    )
)
