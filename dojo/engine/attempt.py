"""An attempt's state, folded from its events. Pure: no clock, no store, no telemetry.

The Session appends an event to the store first and folds it here only once it is durable, so
this state is always exactly what was acknowledged; a resumed attempt is rebuilt the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dojo.store.model import Event

from . import events as ev
from .journal import Journal
from .rules import Rules


@dataclass
class Settings:
    seed: int
    speed: float
    mode: str  # practice | challenge
    clock: str  # real | manual
    start_t: float  # scenario time of the page
    time_limit: float | None  # learner seconds; None: no limit
    digest: str


@dataclass
class Attempt:
    rules: Rules
    settings: Settings
    journal: Journal = field(default_factory=Journal)
    hints_used: int = 0
    diagnoses: list[Event] = field(default_factory=list)
    solved: Event | None = None
    ended: Event | None = None  # gave_up or timed_out
    last: Event | None = None
    sessions: int = 1
    speed: float = 1.0
    paused: bool = False

    @classmethod
    def from_events(cls, events: list[Event]) -> "Attempt":
        if not events or events[0].kind != ev.STARTED:
            raise ValueError("an attempt's first event is 'started'")
        d = events[0].data
        settings = Settings(
            seed=int(d["seed"]), speed=float(d["speed"]), mode=d["mode"], clock=d["clock"], start_t=float(d["start_t"]),
            time_limit=d.get("time_limit"), digest=d.get("digest", ""),
        )  # fmt: skip
        att = cls(rules=Rules.model_validate(d["rules"]), settings=settings, speed=settings.speed)
        for e in events:
            att.apply(e)
        return att

    def apply(self, e: Event) -> None:
        self.last = e
        k, d = e.kind, e.data
        if k == ev.RESUMED:
            self.sessions += 1
        elif k == ev.CLOCK:
            if d["action"] == "pause":
                self.paused = True
            elif d["action"] == "resume":
                self.paused = False
            elif d["action"] == "speed":
                self.speed = float(d["value"])
        elif k in (ev.HYPOTHESIS, ev.HYPOTHESIS_UPDATE, ev.PIN, ev.UNPIN):
            self.journal.apply(e)
        elif k == ev.HINT:
            self.hints_used += 1
        elif k == ev.DIAGNOSIS:
            self.diagnoses.append(e)
            if d.get("correct") and self.solved is None:
                self.solved = e
        elif k in ev.TERMINAL:
            self.ended = e

    @property
    def over(self) -> bool:
        return self.solved is not None or self.ended is not None

    @property
    def outcome(self) -> str:
        """solved | gave_up | timed_out | open (an unfinished attempt: resumable)."""
        if self.solved is not None:
            return "solved"
        if self.ended is not None:
            return self.ended.kind
        return "open"

    @property
    def wrong_diagnoses(self) -> int:
        return sum(1 for e in self.diagnoses if not e.data.get("correct"))
