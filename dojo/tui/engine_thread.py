"""EngineThread: the Session's calls, one at a time, off the UI thread.

A Session is not thread-safe, and each accepted action commits an event to SQLite with an fsync
(tens of milliseconds on a slow disk); a recorded query on a million lines can take a hundred.
The UI thread must never wait for either, so every call goes through one worker thread, in the
order the learner made them, and the screen awaits the result. Reading the clock (`now`,
`wall`) stays on the UI thread: it is arithmetic on two floats.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


class EngineThread:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dojo-engine")
        self._pending: set[Future] = set()

    async def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run `fn(*args, **kwargs)` on the engine thread; its exception is raised here."""
        return await self.call_or_else(fn, None, *args, **kwargs)

    async def call_or_else(
        self, fn: Callable[..., Any], abandoned: Callable[[Any], None] | None, /, *args: Any, **kwargs: Any
    ) -> Any:
        """`call`, and if the caller stops waiting (its screen closed) while `fn` runs, hand
        `fn`'s result to `abandoned` on the engine thread: an attempt opened for a briefing the
        learner left must still be closed."""
        future = self._pool.submit(fn, *args, **kwargs)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if abandoned is not None:
                future.add_done_callback(lambda f: None if f.cancelled() or f.exception() else abandoned(f.result()))
            raise

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
