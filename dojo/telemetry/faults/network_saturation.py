"""A shared network hop (a gateway, a mesh proxy, a NAT gateway, a DNS resolver) saturates and
drops packets. Lost packets are retransmitted after a timeout, so calls through the hop get
slower in their tail and some never connect; the callers' timeouts bound how long they wait."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import FaultKind, Param, Template, register

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

PACKETS_PER_REQUEST = 4  # a small request and its answer, a few segments each way


def apply(ctx: FaultContext) -> None:
    st, s = ctx.st, ctx.s
    loss = ctx.params["loss_pct"] / 100.0 * ctx.env
    st.packet_loss[s] = 1.0 - (1.0 - st.packet_loss[s]) * (1.0 - loss)
    # A request loses a packet with this chance, and waits one retransmission timeout for it.
    hit = 1.0 - (1.0 - loss) ** PACKETS_PER_REQUEST
    st.lat_own[s] = st.lat_own[s] + hit * ctx.params["rto_ms"]
    st.tail[s] = np.maximum(st.tail[s], 1.0 + hit * 20.0)
    # A connection whose handshake loses its SYN and both retries does not connect in time.
    ctx.add_conn_failure(loss**2)
    st.cap_factor[s] = st.cap_factor[s] * (1.0 - 0.5 * loss)
    ctx.add_warn(ctx.kind.warn_per_min * ctx.env)


register(
    FaultKind(
        name="network_saturation",
        description="A network hop saturates and drops packets: retransmits slow calls, some never connect.",
        taxonomy="packet loss",
        apply=apply,
        params={
            "loss_pct": Param("loss_pct", float, 20.0, "share of packets the hop drops, %", 0.1, 90),
            "rto_ms": Param("rto_ms", float, 200.0, "retransmission timeout a lost packet costs, ms", 1, 5000),
        },
        error_logs=(
            Template(
                "call to {peer} failed: dial tcp: i/o timeout after SYN retransmits (request_id={id})", side="caller"
            ),
        ),
        warn_logs=(
            Template("nf_conntrack: table full, dropping packet; tx queue overruns {n} in the last 10s", "WARN"),
        ),
        warn_per_min=12.0,
        span_message="dial tcp: i/o timeout",
    )
)
