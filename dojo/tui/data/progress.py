"""The learner's progress, from the store: every attempt scored from its own events, TTCD per
scenario over time, and the fault kinds they are weakest at.

"Weakest" is plain on purpose, so the learner can check it: the fault kinds they solve least
often come first; among equals, those that cost them the most time against par (TTCD plus
penalties, over the scenario's par).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class AttemptSummary:
    id: int
    scenario_id: str
    title: str
    started: str  # ISO UTC
    outcome: str
    ttcd_s: float | None
    penalty_s: float
    adjusted_s: float | None
    par_s: float
    points: int
    wrong: int
    hints: int
    faults: tuple[str, ...]  # the fault kinds the answer key accepts


def summaries(store) -> list[AttemptSummary]:
    from dojo.engine.attempt import Attempt
    from dojo.engine.readback import readable
    from dojo.engine.scoring import score

    events = store.all_events()
    out = []
    for row in store.attempts():
        evs = events.get(row.id)
        if not evs or not readable(row.id, evs):
            continue  # a malformed attempt is left out here; `dojo history` names it
        card = score(evs)
        faults = tuple(dict.fromkeys(a.fault for a in Attempt.from_events(evs).rules.accepted))
        out.append(
            AttemptSummary(
                row.id, row.scenario_id, row.title, row.created_at, card.outcome, card.ttcd_s, card.penalty_s,
                card.adjusted_s,
                card.par_s, card.points, card.wrong_diagnoses, card.hints_used, faults,
            )
        )  # fmt: skip
    return out


def ttcd_series(attempts: list[AttemptSummary]) -> dict[str, list[float]]:
    """scenario id -> TTCD of each solved attempt, oldest first."""
    out: dict[str, list[float]] = {}
    for a in sorted(attempts, key=lambda a: (a.started, a.id)):
        if a.ttcd_s is not None:
            out.setdefault(a.scenario_id, []).append(a.ttcd_s)
    return out


@dataclass(frozen=True)
class Weakness:
    fault: str
    attempts: int
    solved: int
    vs_par: float | None  # median of (TTCD + penalties) / par over the solved ones
    wrong: int
    hints: int

    @property
    def solve_rate(self) -> float:
        return self.solved / self.attempts if self.attempts else 0.0


def weakest(attempts: list[AttemptSummary]) -> list[Weakness]:
    """Fault kinds, weakest first. Attempts still in progress do not count."""
    by: dict[str, list[AttemptSummary]] = {}
    for a in attempts:
        if a.outcome == "in_progress":
            continue
        for fault in a.faults:
            by.setdefault(fault, []).append(a)
    out = []
    for fault, group in by.items():
        ratios = [a.adjusted_s / a.par_s for a in group if a.adjusted_s is not None and a.par_s > 0]
        out.append(
            Weakness(
                fault, len(group), sum(a.ttcd_s is not None for a in group),
                statistics.median(ratios) if ratios else None,
                sum(a.wrong for a in group), sum(a.hints for a in group),
            )
        )  # fmt: skip
    return sorted(out, key=lambda w: (w.solve_rate, -(w.vs_par if w.vs_par is not None else float("inf")), w.fault))
