"""A stand-in replay clock for the demo: scenario time advances with wall time at a speed.

The engine owns the real clock (pauses, game-day control, penalties); the demo needs only
something that moves so the panes can be watched following an incident as it unfolds."""

from __future__ import annotations

import time
from typing import Callable


class DemoClock:
    def __init__(
        self, duration: float, speed: float = 10.0, at: float = 0.0, wall: Callable[[], float] = time.monotonic
    ):
        self.duration = duration
        self.speed = speed
        self.paused = False
        self._wall = wall
        self._started = wall()
        self._base_t, self._base_wall = at, self._started

    def now(self) -> float:
        if self.paused:
            return self._base_t
        return min(self.duration, self._base_t + (self._wall() - self._base_wall) * self.speed)

    @property
    def wall_elapsed(self) -> float:
        return self._wall() - self._started

    def _rebase(self) -> None:
        # Speed and pause change the rate from here on, never the time already shown.
        self._base_t, self._base_wall = self.now(), self._wall()

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self.speed = speed

    def toggle_pause(self) -> None:
        self._rebase()
        self.paused = not self.paused

    def seek(self, t: float) -> None:
        self._base_t, self._base_wall = max(0.0, min(self.duration, t)), self._wall()
