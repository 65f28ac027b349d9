"""EngineThread: the Session's calls, one at a time, off the UI thread.

A Session is not thread-safe, and each accepted action commits an event to SQLite with an fsync
(tens of milliseconds on a slow disk); a recorded query on a million lines can take a hundred.
The UI thread must never wait for either, so every call goes through one worker thread, in the
order the learner made them, and the screen awaits the result. Screens read the attempt only
from what these calls return (`Session.view()` is a copy made for them); the one exception is
the clock's `now` and `wall`, read four times a second on the UI thread: arithmetic on floats
that a call on this thread replaces whole, never leaves half-changed.

Python runs one thread at a time. While the UI paints something the learner waits for (the
workspace shown before its attempt is open), it may hold the engine thread back (`hold`): calls
not yet started, and the checkpoints between the steps of a long one, wait until it has painted
(`go`), or PAINT_WAIT_S at most.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

PAINT_WAIT_S = 3.0  # the longest the engine thread waits for a paint: a lost `go` costs this once


class EngineThread:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dojo-engine")
        self._pending: set[Future[Any]] = set()
        self._go = threading.Event()
        self._go.set()

    def hold(self) -> None:
        """Hold the engine thread at its next checkpoint until `go` (UI thread)."""
        self._go.clear()

    def go(self) -> None:
        self._go.set()

    def checkpoint(self) -> None:
        """Between the steps of engine work: wait while the UI holds the thread."""
        if not self._go.wait(PAINT_WAIT_S):
            self._go.set()  # a paint that never said so does not hold every later step

    def _gated(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        self.checkpoint()
        return fn(*args, **kwargs)

    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `fn(*args, **kwargs)` on the engine thread; its exception is raised here."""
        return await self.call_or_else(fn, None, *args, **kwargs)

    async def call_or_else(
        self, fn: Callable[P, R], abandoned: Callable[[R], None] | None, /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """`call`, and if the caller stops waiting (its screen closed) while `fn` runs, hand
        `fn`'s result to `abandoned` on the engine thread: an attempt opened for a briefing the
        learner left must still be closed."""
        future = self._pool.submit(self._gated, fn, *args, **kwargs)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if abandoned is not None:
                future.add_done_callback(lambda f: None if f.cancelled() or f.exception() else abandoned(f.result()))
            raise

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """Queue `fn` on the engine thread and return its Future: for a worker thread, which may
        wait on it (the UI thread awaits `call` instead)."""
        future = self._pool.submit(self._gated, fn, *args, **kwargs)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
