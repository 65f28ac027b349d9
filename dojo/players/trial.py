"""The fairness trial of one scenario: the reasoner against the guesser.

A scenario is fair when the reasoner solves it on every synthesis seed tried (so it does not
hinge on one lucky draw) and its median points beat the guesser's median over several seeds (so
reasoning pays better than guessing). Used by tests/fairness and `dojo fairness`.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Callable

from dojo.engine.session import Session

from .guesser import play_guesser
from .play import Play
from .reasoner import play_reasoner

SYNTHESIS_SEEDS = 2  # the scenario's own seed and the next
GUESSER_SEEDS = 5

# A fresh attempt on the scenario synthesized with this seed, on a manual clock.
Start = Callable[[int], Session]


@dataclass
class Trial:
    scenario_id: str
    reasoner: list[Play]
    guesser: list[Play]

    @property
    def reasoner_median(self) -> float:
        return median(p.points for p in self.reasoner)

    @property
    def guesser_median(self) -> float:
        return median(p.points for p in self.guesser)

    @property
    def unsolved(self) -> list[Play]:
        return [p for p in self.reasoner if not p.solved]

    @property
    def fair(self) -> bool:
        return not self.unsolved and self.reasoner_median > self.guesser_median

    def problems(self) -> list[str]:
        """Why the scenario is not fair, each with what the players saw and did."""
        out = [
            f"the reasoner could not solve it (a bug in the scenario or the physics?)\n{p.report()}"
            for p in self.unsolved
        ]
        if self.reasoner_median <= self.guesser_median:
            line = (
                f"guessing pays as well as reasoning (median points: reasoner {self.reasoner_median:g}, guesser "
                f"{self.guesser_median:g}): the scenario teaches guessing"
            )
            if not self.unsolved:  # else the reports above say why; here, how the points came about
                line += "\n" + "\n".join(
                    [p.report() for p in self.reasoner] + [p.report().splitlines()[0] for p in self.guesser]
                )
            out.append(line)
        return out

    def summary(self) -> str:
        r = " ".join(str(p.points) for p in self.reasoner)
        g = " ".join(str(p.points) for p in self.guesser)
        solved = sum(p.solved for p in self.reasoner)
        waited = max((p.waited_s for p in self.reasoner), default=0.0)
        return (
            f"{self.scenario_id}: {'fair' if self.fair else 'UNFAIR'}; reasoner {r} (solved "
            f"{solved}/{len(self.reasoner)}, "
            f"waited up to {waited:g}s), median {self.reasoner_median:g}; guesser {g}, median {self.guesser_median:g}"
        )


def run_trial(
    scenario_id: str,
    first_seed: int,
    start: Start,
    synthesis_seeds: int = SYNTHESIS_SEEDS,
    guesser_seeds: int = GUESSER_SEEDS,
) -> Trial:
    seeds = [first_seed + i for i in range(synthesis_seeds)]
    reasoner = [play_reasoner(start(seed)) for seed in seeds]
    # Guesses are blind: one synthesis serves every guesser seed.
    guesser = [play_guesser(start(seeds[0]), g) for g in range(guesser_seeds)]
    return Trial(scenario_id, reasoner, guesser)
