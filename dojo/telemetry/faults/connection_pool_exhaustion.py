"""Every connection in a service's database pool is held; requests queue and time out."""

from .base import FaultKind, Param, Template, register


def apply(ctx):
    st, s, env = ctx.st, ctx.s, ctx.env
    st.pool_extra[s] += 100.0 * env
    st.lat_own[s] += ctx.params["wait_ms"] * env
    ctx.add_error(ctx.params["error_rate"] * env)
    ctx.add_warn(20.0 * env)


register(
    FaultKind(
        name="connection_pool_exhaustion",
        description="The service's connection pool is exhausted; requests wait for a connection and time out.",
        taxonomy="connection or fd exhaustion",
        apply=apply,
        params={
            "pool_size": Param("pool_size", int, 50, "connections in the pool", 1, 10000),
            "wait_ms": Param("wait_ms", float, 2000.0, "how long a request waits for a connection, ms", 1, 60000),
            "error_rate": Param("error_rate", float, 0.35, "fraction of requests that give up waiting", 0, 1),
        },
        error_logs=(
            Template("HikariPool-1 - Connection is not available, request timed out after {wait_ms}ms", "ERROR"),
            Template("could not acquire connection from pool (active={pool_size}, idle=0, waiting={n})", "ERROR"),
        ),
        warn_logs=(Template("connection pool saturated: {pool_size}/{pool_size} in use, {n} threads waiting", "WARN"),),
        span_message="connection pool timeout",
    )
)
