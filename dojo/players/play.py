"""What one scripted attempt came to: the score card and what the player saw and concluded."""

from __future__ import annotations

from dataclasses import dataclass, field

from dojo.engine.scoring import ScoreCard


@dataclass(frozen=True)
class Guess:
    service: str
    fault: str
    correct: bool
    message: str


@dataclass
class Play:
    player: str  # reasoner | guesser
    scenario_id: str
    seed: int
    card: ScoreCard
    guesses: list[Guess] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    waited_s: float = 0.0  # scenario seconds the player advanced the clock
    notes: list[str] = field(default_factory=list)  # what it saw and concluded, in order

    @property
    def solved(self) -> bool:
        return self.card.solved

    @property
    def points(self) -> int:
        return self.card.points

    def report(self) -> str:
        """A readable account, for a failing test or `dojo fairness -v`."""
        c = self.card
        head = (
            f"{self.player} on {self.scenario_id} (seed {self.seed}): "
            f"{'solved' if self.solved else 'NOT solved'}, {self.points} points, "
            f"{len(self.guesses)} diagnoses, {len(self.pins)} pins, waited {self.waited_s:g}s"
            + (
                f" (ttcd {c.ttcd_s:g}s, penalties {c.penalty_s:g}s, evidence {c.evidence_matched}/{c.evidence_total})"
                if c.solved
                else ""
            )
        )
        lines = [head]
        lines += [f"  - {n}" for n in self.notes]
        lines += [f"  diagnose {g.service}/{g.fault}: {g.message}" for g in self.guesses]
        return "\n".join(lines)
