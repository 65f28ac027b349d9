"""Seeded pools of realistic values, built once per synthesis.

Faker costs tens of microseconds a call, so lines never call it: each pool is a pyarrow string
array filled once, and lines pick from it with numpy index arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

POOL_SIZE = 400

_PATH_WORDS = {
    "http": ["orders", "cart", "checkout", "users", "items", "sessions", "search", "quotes", "invoices", "profile"],
    "worker": ["jobs", "tasks", "batches", "exports", "emails"],
    "external": ["charges", "tokens", "refunds", "intents"],
}
_DB_OPS = ["SELECT", "SELECT", "SELECT", "UPDATE", "INSERT"]
_TABLES = ["orders", "users", "payments", "inventory", "sessions", "carts", "ledger", "accounts"]


def service_paths(pools: "Pools", service: str) -> pa.Array:
    """Request lines for an HTTP service, under a path named after it: POST /api/v1/payments/8812."""
    return pa.array([f"{m} /api/v1/{service}/{n}" for m, n in zip(pools.methods, pools.nums)])


@dataclass
class Pools:
    user: pa.Array  # user names (the kind that end up in logs: jdoe, m.rossi)
    ip: pa.Array  # client IPv4 addresses
    id: pa.Array  # short request/order ids
    uuid: pa.Array
    agent: pa.Array  # user agents
    method_path: dict[str, pa.Array]  # per service kind: "GET /api/v1/orders/8812"
    methods: list[str]  # for paths named after a service: GET, POST...
    nums: list[int]
    query: pa.Array  # SQL statements for db services
    key: pa.Array  # cache keys
    size: int


@lru_cache(maxsize=4)  # a learner's action renders again with the same seed's pools (half a second of Faker)
def build_pools(seed: int, size: int = POOL_SIZE) -> Pools:
    from faker import Faker  # imported here: 0.2 s we only pay when synthesizing

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed ^ 0x5EED)

    users = [fake.user_name() for _ in range(size)]
    ips = [fake.ipv4_public() for _ in range(size)]
    agents = [fake.user_agent() for _ in range(size // 4)]
    uuids = [str(fake.uuid4()) for _ in range(size)]
    ids = [f"{x:x}" for x in rng.integers(0x10000000, 0xFFFFFFFF, size)]

    def method_paths(words: list[str]) -> pa.Array:
        methods = rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"], size)
        nouns = rng.choice(words, size)
        nums = rng.integers(1000, 99999, size)
        return pa.array([f"{m} /api/v1/{w}/{n}" for m, w, n in zip(methods, nouns, nums)])

    mp = {kind: method_paths(words) for kind, words in _PATH_WORDS.items()}
    queries = pa.array(
        [
            f"{op} {'* FROM ' if op == 'SELECT' else ''}{tbl} WHERE id = {n}"
            for op, tbl, n in zip(rng.choice(_DB_OPS, size), rng.choice(_TABLES, size), rng.integers(1, 10**6, size))
        ]
    )
    keys = pa.array([f"{w}:{n}" for w, n in zip(rng.choice(_TABLES, size), rng.integers(1, 10**6, size))])
    return Pools(
        user=pa.array(users),
        ip=pa.array(ips),
        id=pa.array(ids),
        uuid=pa.array(uuids),
        agent=pa.array(agents),
        method_path=mp,
        query=queries,
        key=keys,
        methods=list(rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"], size)),
        nums=[int(x) for x in rng.integers(1000, 99999, size)],
        size=size,
    )


def host_names(service: str, replicas: int, seed: int) -> list[str]:
    """Pod-like host names: checkout-7d9f8c6b5-x2k4p. Stable for a seed."""
    rng = np.random.default_rng([seed, sum(service.encode())])
    alphabet = np.array(list("bcdfghjklmnpqrstvwxz2456789"))
    rs = "".join(rng.choice(alphabet, 9))
    return [f"{service}-{rs}-{''.join(rng.choice(alphabet, 5))}" for _ in range(replicas)]
