"""The game clock, folded from the game's own events and the database server's time.

Nobody's local clock decides anything: `started`, `paused`, `resumed`, `extended` and `ended`
carry the server time at which they were committed, and "now" is the server's clock too (read
on every sync and carried forward between syncs with the local monotonic clock, which only
measures intervals). So a team machine whose clock is an hour off still sees the same scenario
time as everyone else, and a pause stops every clock at the same instant.

    running_s   = server seconds the game has run (not paused) since the start: game time, TTCD
    scenario_t  = start_t + running_s x speed, capped at the scenario's end
    over        = ended by the facilitator, or running_s >= time limit (+ extensions)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dojo.engine.errors import ClockError

PHASES = ("waiting", "running", "paused", "over")


@dataclass
class GameClockState:
    start_t: float  # scenario time of the page
    end_t: float  # scenario duration
    speed: float
    time_limit: float | None  # game seconds, None: until the facilitator ends it
    started_at: float | None = None  # server time
    paused_at: float | None = None
    ended_at: float | None = None
    paused_s: float = 0.0  # completed pauses
    extended_s: float = 0.0
    pauses: list[tuple[float, float | None]] = field(default_factory=list)  # (from, to) in running_s terms

    @classmethod
    def from_created(cls, data: dict) -> "GameClockState":
        return cls(
            start_t=float(data["start_t"]), end_t=float(data["end_t"]), speed=float(data["speed"]),
            time_limit=None if data.get("time_limit") is None else float(data["time_limit"]),
        )  # fmt: skip

    def apply(self, kind: str, server_t: float, data: dict) -> None:
        """Fold one game-stream event. Commands that make no sense in the current phase (a pause
        while paused, anything after the end) are ignored: two consoles may send them at once and
        the first one committed wins."""
        if self.ended_at is not None and kind != "created":
            return
        if kind == "started" and self.started_at is None:
            self.started_at = server_t
        elif kind == "paused" and self.started_at is not None and self.paused_at is None:
            self.paused_at = server_t
        elif kind == "resumed" and self.paused_at is not None:
            self.paused_s += server_t - self.paused_at
            self.paused_at = None
        elif kind == "extended":
            self.extended_s += float(data.get("seconds", 0.0))
        elif kind == "ended" and self.started_at is not None:
            self.ended_at = self._limit_cap(server_t)

    @property
    def limit(self) -> float | None:
        return None if self.time_limit is None else self.time_limit + self.extended_s

    def _running_at(self, server_t: float) -> float:
        if self.started_at is None:
            return 0.0
        t = server_t
        if self.ended_at is not None:
            t = min(t, self.ended_at)
        if self.paused_at is not None:
            t = min(t, self.paused_at)
        return max(0.0, t - self.started_at - self.paused_s)

    def _limit_cap(self, server_t: float) -> float:
        """An end command after the time limit ran out ends the game when the limit did."""
        limit = self.limit
        if limit is not None and self.started_at is not None and self.paused_at is None:
            return min(server_t, self.started_at + self.paused_s + limit)
        return server_t

    def running_s(self, now: float) -> float:
        r = self._running_at(now)
        return min(r, self.limit) if self.limit is not None else r

    def phase(self, now: float) -> str:
        if self.started_at is None:
            return "waiting"
        if self.ended_at is not None or (self.limit is not None and self._running_at(now) >= self.limit):
            return "over"
        return "paused" if self.paused_at is not None else "running"

    def over_at(self, now: float) -> float | None:
        """The server time the game ended at (by the facilitator or the time limit), None if it
        has not: what stands still after the end (who was there) is judged at this instant."""
        if self.phase(now) != "over":
            return None
        if self.ended_at is not None:
            return self.ended_at
        assert self.started_at is not None and self.limit is not None  # over by the limit
        return self.started_at + self.paused_s + self.limit

    def after_end(self, server_t: float) -> bool:
        """True for an event committed after the game ended: a member whose client had not yet
        heard of the end (its notification in flight) may still have written one. Every fold
        leaves such a journal or diagnosis event out, so no team solves a game that was over."""
        end = self.over_at(server_t)
        return end is not None and server_t > end

    def scenario_t(self, now: float) -> float:
        return min(self.start_t + self.running_s(now) * self.speed, self.end_t)

    def left_s(self, now: float) -> float | None:
        return None if self.limit is None else max(0.0, self.limit - self.running_s(now))


class ServerTime:
    """The server's clock between syncs: the last reading plus local monotonic time since."""

    def __init__(self, server_now: float, monotonic=time.monotonic):
        self.monotonic = monotonic
        self.sync(server_now)

    def sync(self, server_now: float) -> None:
        self._server = float(server_now)
        self._local = self.monotonic()

    def __call__(self) -> float:
        return self._server + (self.monotonic() - self._local)


class GameClock:
    """The engine's replay clock for a team: the same interface as ReplayClock (now, wall, speed,
    paused, end, finished), driven by the game instead of the learner. Only the facilitator
    moves it; a member asking to pause is told so."""

    practice = False
    manual = False
    source = None  # no local time source to hold or release: the game's events move this clock

    def __init__(self, state: GameClockState, server: ServerTime):
        self.state = state
        self.server = server

    @property
    def speed(self) -> float:
        return self.state.speed

    @property
    def end(self) -> float:
        return self.state.end_t

    def now(self) -> float:
        return self.state.scenario_t(self.server())

    def wall(self) -> float:
        return self.state.running_s(self.server())

    @property
    def paused(self) -> bool:
        """The clock stands still: before the start, in a pause, and after the end (a team's
        `status` then says paused and the phase says why, never a running clock that is over)."""
        return self.phase() != "running"

    def phase(self) -> str:
        return self.state.phase(self.server())

    @property
    def finished(self) -> bool:
        return self.now() >= self.end

    def _facilitator_only(self, *_a) -> None:
        raise ClockError("in a game day the facilitator runs the clock")

    pause = resume = set_speed = advance = _facilitator_only


def due(scheduled: list[dict], running_s: float) -> list[dict]:
    """The pre-written injects whose game time has come: derived from the clock, no event needed,
    so every client shows them at the same game second, even with no console open."""
    return [
        {"text": x["text"], "at_s": float(x["at_s"]), "to": "everyone", "scheduled": True}
        for x in sorted(scheduled, key=lambda x: x["at_s"])
        if float(x["at_s"]) <= running_s
    ]
