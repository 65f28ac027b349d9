"""Random draws for rendering signals that do not look ahead: a bucket's rows are drawn the same
whatever the later buckets hold.

A learner's action changes the incident from a bucket j on. A synthesis of the changed scenario
must then give, before j, the very rows the first synthesis gave (the ones the learner has seen
and pinned), or the attempt that acted would read another incident than one that had the change
in its timeline. A single generator drawn over the whole run cannot: the draws of one call for
the buckets after j (a Poisson count there takes more or fewer uniforms) shift every later call's
draws for the buckets before j. So `Draws`, a drop-in for numpy's Generator, makes two promises:

- every call draws from a stream of its own, named by where it is made (the calling function and
  its caller, each by qualified name and line offset inside the function; the `scope` keys
  around it; how many such calls were made before in that scope), never by how much was drawn
  before it. Line offsets, not bytecode offsets, so the bytes are the same on every Python;
- a draw over (services, buckets) is made bucket by bucket (the array is drawn transposed), so
  within one call every element of an earlier bucket is drawn before any of a later one. Per-row
  draws rely on their rows being in bucket order (they are: rows are made by np.repeat over the
  buckets).

With both, element k of a call depends only on elements 0..k of that call: what precedes the
action's bucket is drawn the same in both runs. A loop whose iterations depend on the data (a
group that exists only when it has lines) keys its calls by `scope(...)` with what the iteration
is about, so a new iteration after an action renumbers nothing else.
"""

from __future__ import annotations

import hashlib
import sys
from contextlib import contextmanager
from types import FrameType
from typing import Any, Iterator

import numpy as np


class Draws:
    def __init__(self, seed: int, stage: str, T: int, block: int = 1):
        self.seed, self.stage, self.T, self.block = int(seed), stage, int(T), max(int(block), 1)
        self._scope: tuple = ()
        self._seen: dict[tuple, int] = {}
        self._bits = np.random.PCG64(0)
        self._gen_of_bits = np.random.Generator(self._bits)

    @classmethod
    def of(cls, rng: "np.random.Generator | Draws", stage: str, T: int) -> "Draws":
        """A Draws for code handed a plain Generator (a caller outside synthesis): seeded from it."""
        if isinstance(rng, Draws):
            return rng
        return cls(int(rng.integers(0, 2**63)), stage, T)

    @contextmanager
    def scope(self, *key: Any) -> Iterator[None]:
        outer = self._scope
        self._scope = (*outer, key)
        try:
            yield
        finally:
            self._scope = outer

    def where(self) -> tuple:
        """The scope keys around the caller now (what it is drawing for)."""
        return self._scope

    def _gen(self) -> np.random.Generator:
        return self._stream(self._key(3), None)

    def _key(self, depth: int = 2) -> bytes:
        f: FrameType | None = sys._getframe(depth)  # the frame that called a method of ours
        site = []
        for _ in range(2):
            if f is None:
                break
            code = f.f_code
            site.append((code.co_qualname, f.f_lineno - code.co_firstlineno))
            f = f.f_back
        key = (self._scope, tuple(site))
        k = self._seen.get(key, 0)
        self._seen[key] = k + 1
        return repr((self.seed, self.stage, key, k)).encode()

    def _stream(self, key: bytes, block: int | None) -> np.random.Generator:
        digest = hashlib.blake2b(key if block is None else key + b"|%d" % block, digest_size=32).digest()
        # A stream named by the digest: PCG64's state and increment set from it (a fifth of the
        # cost of seeding a new generator through a SeedSequence, for thousands of calls). One bit
        # generator serves every call in turn: a call draws all it needs before the next begins.
        self._bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(digest[:16], "little"), "inc": int.from_bytes(digest[16:], "little") | 1},
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._gen_of_bits

    def _by_bucket(self, draw, args: tuple, size: Any) -> Any:
        """`draw(*args, size)` with a (services, buckets) result drawn bucket by bucket."""
        arrays = [np.asarray(a) for a in args]
        shape = tuple(np.broadcast_shapes(*(a.shape for a in arrays))) if size is None else _shape(size)
        if len(shape) == 2 and shape[-1] == self.T and shape[0] > 1:
            flipped = [np.broadcast_to(a, shape).T if a.ndim else a for a in arrays]
            return np.ascontiguousarray(draw(*flipped, size=shape[::-1]).T)
        return draw(*args, size=size)

    def poisson(self, lam: Any = 1.0, size: Any = None) -> Any:
        return self._by_bucket(self._gen().poisson, (lam,), size)

    def binomial(self, n: Any, p: Any, size: Any = None) -> Any:
        return self._by_bucket(self._gen().binomial, (n, p), size)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
        return self._by_bucket(self._gen().normal, (loc, scale), size)

    # Per-row draws (`rows`: each row's bucket): the rows of one block of buckets draw from a
    # stream of their own, in row order, so a render of the buckets from a block on (an action's,
    # dojo.telemetry.synthesize.resume_telemetry) draws what a whole run draws for them.

    def standard_normal(self, size: Any = None, rows: Any = None) -> Any:
        if rows is not None:
            return self._per_row(self._key(), rows, size, lambda g, n: g.standard_normal(n))
        g = self._gen()
        return self._by_bucket(lambda size: g.standard_normal(size), (), size)

    def random(self, size: Any = None, rows: Any = None) -> Any:
        if rows is not None:
            return self._per_row(self._key(), rows, size, lambda g, n: g.random(n))
        g = self._gen()
        return self._by_bucket(lambda size: g.random(size), (), size)

    def integers(self, low: Any, high: Any = None, size: Any = None, dtype: Any = np.int64, rows: Any = None) -> Any:
        if high is None:
            low, high = 0, low
        if rows is not None:
            return self._per_row(self._key(), rows, size, lambda g, n: g.integers(low, high, n, dtype=dtype))
        g = self._gen()
        return self._by_bucket(lambda lo, hi, size: g.integers(lo, hi, size, dtype=dtype), (low, high), size)

    def choice(self, a: Any, size: Any = None, replace: bool = True, p: Any = None, rows: Any = None) -> Any:
        if size is not None and len(_shape(size)) > 1:
            raise ValueError("Draws.choice draws one row of choices at a time")
        if rows is not None:
            return self._per_row(self._key(), rows, size, lambda g, n: g.choice(a, n, replace=replace, p=p))
        return self._gen().choice(a, size, replace=replace, p=p)

    def _per_row(self, key: bytes, rows: Any, size: Any, draw) -> np.ndarray:
        blocks = np.asarray(rows, dtype=np.int64) // self.block
        n = len(blocks)
        if size is not None and _shape(size) != (n,):
            raise ValueError(f"per-row draws: size {size} for {n} rows")
        if n == 0:
            return draw(self._stream(key, 0), 0)
        if n == 1 or bool(np.all(blocks[1:] >= blocks[:-1])):
            edges = [0, *(np.flatnonzero(np.diff(blocks)) + 1).tolist(), n]
            return np.concatenate(
                [draw(self._stream(key, int(blocks[a])), b - a) for a, b in zip(edges[:-1], edges[1:], strict=True)]
            )
        order = np.argsort(blocks, kind="stable")
        drawn = self._per_row(key, blocks[order] * self.block, None, draw)
        out = np.empty_like(drawn)
        out[order] = drawn
        return out


def _shape(size: Any) -> tuple:
    return (int(size),) if np.ndim(size) == 0 else tuple(int(x) for x in size)
