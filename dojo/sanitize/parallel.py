"""Chunks scrubbed in worker processes, the stateful kinds resolved here, in file order.

Scrubbing is Python work once the scan has found the candidates, so threads would not help; worker
processes do. What a worker cannot do alone is the stateful kinds (IPs, names: pseudonyms.py),
whose collisions are resolved in first-seen order. So workers write those as placeholders
(scrubber.PH_START ...) and this process, reading results in order, swaps in the pseudonyms
from its one table. Output and report are identical to a run in one process.

Only a few chunks are in flight at once, so memory stays bounded however large the file.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from multiprocessing.pool import AsyncResult, Pool

from . import flatjson
from .formats import CSV, JSONL, PLAIN, ChunkResult, prepare_csv, process_chunk
from .keep import Keep
from .pseudonyms import Pseudonymizer
from .scrubber import PH_END_B, PH_START_B, Resolver, Scrubber

_worker: Scrubber | None = None
# What a thread can do for a chunk before Python replaces its candidates, by format.
_PREPARE: dict[str, Callable[[Scrubber, bytes, object], object]] = {
    PLAIN: lambda s, chunk, ctx: s.finder.scan(chunk),
    JSONL: lambda s, chunk, ctx: flatjson.prepare(s, chunk),
    CSV: prepare_csv,  # type: ignore[dict-item]
}
# Threads scanning ahead of the one replacing: on two cores, scanning (RE2) costs more than the
# Python part, so two scanners keep both cores busy.
SCAN_THREADS = 2


def _init(secret: bytes, shift: timedelta | None, keep: tuple[str, ...], real_prefixes: bool = False) -> None:
    global _worker
    _worker = Scrubber(secret=secret, shift=shift, keep=keep, stateful=None, real_prefixes=real_prefixes)


def _task(fmt: str, chunk: bytes, ctx: object) -> tuple[bool, ChunkResult]:
    """(deferred, result); not deferred means the chunk holds placeholder bytes of its own."""
    assert _worker is not None
    if PH_START_B in chunk or PH_END_B in chunk:
        return False, ChunkResult(chunk)
    return True, process_chunk(_worker, fmt, chunk, ctx)


class Engine:
    """Scrubs the chunks of every file of a run, in this process or in workers."""

    def __init__(
        self,
        *,
        secret: bytes,
        shift: timedelta | None,
        keep: tuple[str, ...],
        record: bool,
        jobs: int,
        real_prefixes: bool = False,
    ) -> None:
        self.secret, self.shift, self.keep, self.jobs = secret, shift, keep, jobs
        self.real_prefixes = real_prefixes
        self.tables = Pseudonymizer(secret, Keep(frozenset(keep)), record=record)
        self.direct = Scrubber(
            secret=secret, shift=shift, keep=keep, stateful=self.tables, record=record, real_prefixes=real_prefixes
        )
        self.resolver = Resolver(self.tables)
        self._pool: Pool | None = None
        self.totals_replaced: Counter[str] = Counter()
        self.totals_kept: Counter[str] = Counter()
        self.totals_shifted = 0

    def run(self, fmt: str, chunks: Iterable[bytes], ctx: object, *, parallel: bool) -> Iterator[ChunkResult]:
        """The scrubbed chunks, in order, with their counts added to the totals."""
        for result in self._results(fmt, chunks, ctx, parallel=parallel):
            self.totals_replaced.update(result.replaced)
            self.totals_kept.update(result.kept)
            self.totals_shifted += result.shifted
            yield result

    def take_direct_counts(self, *, keep: bool = True) -> None:
        """Move what the in-process scrubber counted outside of run() into the totals (or drop it)."""
        replaced, kept, shifted = self.direct.take_counts()
        if keep:
            self.totals_replaced.update(replaced)
            self.totals_kept.update(kept)
            self.totals_shifted += shifted

    def _results(self, fmt: str, chunks: Iterable[bytes], ctx: object, *, parallel: bool) -> Iterator[ChunkResult]:
        if not parallel or self.jobs < 2:
            if fmt in _PREPARE:
                yield from self._overlapped(fmt, chunks, ctx)
                return
            for chunk in chunks:
                yield process_chunk(self.direct, fmt, chunk, ctx)
            return
        pool = self._get_pool()
        pending: deque[tuple[bytes, AsyncResult]] = deque()
        window = self.jobs * 2
        for chunk in chunks:
            pending.append((chunk, pool.apply_async(_task, (fmt, chunk, ctx))))
            if len(pending) >= window:
                yield self._finish(fmt, ctx, *pending.popleft())
        while pending:
            yield self._finish(fmt, ctx, *pending.popleft())

    def _overlapped(self, fmt: str, chunks: Iterable[bytes], ctx: object) -> Iterator[ChunkResult]:
        """One process, three threads: two prepare chunks ahead (RE2, pyarrow and numpy, without
        the GIL) while Python replaces the distinct candidates of this one."""
        prepare = _PREPARE[fmt]
        ahead: deque[tuple[bytes, Future[object]]] = deque()
        with ThreadPoolExecutor(max_workers=SCAN_THREADS) as pool:
            for chunk in chunks:
                ahead.append((chunk, pool.submit(prepare, self.direct, chunk, ctx)))
                if len(ahead) > SCAN_THREADS:
                    yield self._prepared(fmt, *ahead.popleft())
            while ahead:
                yield self._prepared(fmt, *ahead.popleft())

    def _prepared(self, fmt: str, chunk: bytes, prepared: Future[object]) -> ChunkResult:
        # None from a preparer: not the fast way (marker bytes, no flat JSON line); False tells
        # the chunk processor not to look again.
        result = prepared.result()
        return process_chunk(self.direct, fmt, chunk, result if result is not None else False)

    def _finish(self, fmt: str, ctx: object, chunk: bytes, async_result: AsyncResult) -> ChunkResult:
        deferred, result = async_result.get()
        if not deferred:
            return process_chunk(self.direct, fmt, chunk, ctx)
        result.data = self.resolver.resolve(result.data)
        return result

    def start(self) -> None:
        """Start the workers (only for a run with a large file; jobs is 1 otherwise).

        forkserver where there is one: a clean server process imports this package once and
        forks each worker from it, so workers start fast and never inherit pyarrow threads from
        this process (fork would, spawn would import everything again per worker).
        """
        if self._pool is None and self.jobs > 1:
            ctx: multiprocessing.context.BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload([__name__])
            else:
                ctx = multiprocessing.get_context("spawn")
            self._pool = ctx.Pool(
                self.jobs, initializer=_init, initargs=(self.secret, self.shift, self.keep, self.real_prefixes)
            )

    def _get_pool(self) -> Pool:
        self.start()
        assert self._pool is not None
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None and exc[0] is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self.close()
