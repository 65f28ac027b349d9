"""The replay clock: where "now" is on the scenario clock, and how much learner time has passed.

Scenario time runs with wall time at `speed` (1x..60x) from where the learner was paged. In
practice mode the learner may pause, resume, change speed and jump ahead; in a challenge the
clock just runs. Wall time (for TTCD) is the learner's time: it keeps running while the replay is
paused, because thinking is what is being measured; it does not run between sessions.

The time source is injected: `time.monotonic` in play, a `ManualTime` in tests and in headless
`--clock manual`, where only `advance(n)` moves time: n scenario seconds cost n / speed wall
seconds, so a scripted attempt is exactly reproducible.
"""

from __future__ import annotations

import time
from typing import Callable

import pandas as pd

from dojo.scenario.model import Scenario
from dojo.telemetry.faults import fault_of

from .errors import ClockError

TimeSource = Callable[[], float]
MIN_SPEED, MAX_SPEED = 1.0, 60.0


class ManualTime:
    """A time source that moves only when told to."""

    def __init__(self, start: float = 0.0):
        self.value = float(start)

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self.value += seconds


def check_speed(speed: float) -> float:
    if not (MIN_SPEED <= speed <= MAX_SPEED):
        raise ClockError(f"speed must be between {MIN_SPEED:g}x and {MAX_SPEED:g}x, not {speed:g}x")
    return float(speed)


class ReplayClock:
    def __init__(
        self,
        start: float,
        end: float,
        *,
        speed: float = 1.0,
        source: TimeSource = time.monotonic,
        practice: bool = True,
        paused: bool = False,
        wall_offset: float = 0.0,
    ):
        self.end = float(end)
        self.speed = check_speed(speed)
        self.source = source
        self.practice = practice
        self._wall0 = source()  # this session's start on the source
        self.wall_offset = float(wall_offset)  # learner seconds spent in earlier sessions
        self._base_t = min(float(start), self.end)  # scenario time at _base_wall
        self._base_wall = self._wall0
        self._paused = paused

    @property
    def manual(self) -> bool:
        return isinstance(self.source, ManualTime)

    @property
    def paused(self) -> bool:
        return self._paused

    def now(self) -> float:
        """Scenario seconds that have happened: every query sees up to here."""
        if self._paused:
            return min(self._base_t, self.end)
        return min(self._base_t + (self.source() - self._base_wall) * self.speed, self.end)

    def wall(self) -> float:
        """Learner seconds spent on the attempt, over all sessions."""
        return self.wall_offset + (self.source() - self._wall0)

    @property
    def finished(self) -> bool:
        return self.now() >= self.end

    def _rebase(self) -> None:
        self._base_t = self.now()
        self._base_wall = self.source()

    def _practice_only(self, what: str) -> None:
        if not self.practice:
            raise ClockError(f"{what} is for practice mode; a challenge clock just runs")

    def pause(self) -> None:
        self._practice_only("pause")
        if not self._paused:
            self._rebase()
            self._paused = True

    def resume(self) -> None:
        self._practice_only("resume")
        if self._paused:
            self._base_wall = self.source()
            self._paused = False

    def set_speed(self, speed: float) -> None:
        self._practice_only("changing speed")
        speed = check_speed(speed)
        self._rebase()
        self.speed = speed

    def advance(self, seconds: float) -> None:
        """Jump `seconds` of scenario time ahead. With a manual source this is how time passes:
        the jump costs seconds / speed of learner time; with a real source it is free."""
        self._practice_only("advance")
        if not seconds > 0:
            raise ClockError("advance takes a positive number of seconds")
        if self.now() >= self.end:
            raise ClockError("the replay is at its end; everything has happened")
        if self.manual:
            self.source.advance(seconds / self.speed)  # type: ignore[attr-defined]
            if self._paused:
                self._base_t += seconds
        else:
            self._base_t += seconds


def fault_onset(scenario: Scenario) -> float | None:
    faults = [ev for ev in scenario.timeline if fault_of(ev) not in (None, "no_fault")]
    real = [ev.at for ev in faults if not ev.red_herring] or [ev.at for ev in faults]
    return min(real) if real else None


def page_time(scenario: Scenario, events: pd.DataFrame) -> float:
    """Where the learner starts: the scenario's `page` alert's first firing, else the first page
    of severity page, else the first alert of any kind, else the first fault's onset, else 0.
    Everything before it is history the learner can read."""
    fired = events[events["kind"] == "alert_firing"]
    pages = {a.name for a in scenario.alerts if a.severity == "page"}
    for names in ([scenario.page] if scenario.page else [], pages):
        hit = fired[fired["name"].isin(names)]
        if len(hit):
            return float(hit["t"].min())
    if len(fired):
        return float(fired["t"].min())
    onset = fault_onset(scenario)
    return float(onset) if onset is not None else 0.0
