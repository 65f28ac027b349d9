"""HeldTime: a time source that stands still until released.

An attempt is created (and its telemetry synthesized) while the learner reads the briefing; its
clocks, the replay's and the learner's own, start when the learner starts investigating. The
engine takes any time source, so holding one is all it takes: nothing is recorded, and a
resumed attempt is held the same way.
"""

from __future__ import annotations

import time
from typing import Callable


class HeldTime:
    def __init__(self, source: Callable[[], float] = time.monotonic):
        self.source = source
        self._held_at = source()
        self._lag: float | None = None  # how long it was held, once released

    def __call__(self) -> float:
        return self._held_at if self._lag is None else self.source() - self._lag

    @property
    def held(self) -> bool:
        return self._lag is None

    def release(self, since: float | None = None) -> None:
        """Let time run: from now, or as if from `since` (a moment on the source, maybe before
        this was made: the learner was reading the incident's logs while the attempt opened)."""
        if self._lag is None:
            now = self.source()
            self._lag = (now if since is None else min(since, now)) - self._held_at
