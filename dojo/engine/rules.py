"""The rules of one attempt: the parts of a scenario that judge and score it.

They are copied into the attempt's `started` event, so an attempt is scored by the rules it was
played under, even after the scenario file changes, and `dojo history` needs no scenario files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from dojo.scenario.model import AcceptedAnswer, EvidenceSelector, Scenario


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario_id: str
    title: str
    difficulty: int
    par: float
    wrong_penalty: float
    hint_costs: list[float]
    accepted: list[AcceptedAnswer]
    evidence: list[EvidenceSelector]
    require_trigger: bool = False
    partial_feedback: bool = True
    # The call graph (callee -> callers) and the change events that set the incident off, so a
    # pin is judged by the fact it shows, wherever it shows it (see evidence.py). Older attempts
    # have neither and are judged as before.
    callers: dict[str, list[str]] = {}
    triggers: list[dict[str, Any]] = []

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "Rules":
        from .evidence import triggers_of

        callers: dict[str, list[str]] = {s.name: [] for s in sc.services}
        for s in sc.services:
            for c in s.calls:
                callers.setdefault(c, []).append(s.name)
        return cls(
            callers=callers,
            triggers=triggers_of(sc),
            scenario_id=sc.id,
            title=sc.title,
            difficulty=sc.difficulty,
            par=sc.par,
            wrong_penalty=sc.wrong_penalty,
            hint_costs=[h.cost for h in sc.hints],
            accepted=list(sc.answer.accepted),
            evidence=list(sc.answer.evidence),
            require_trigger=sc.answer.require_trigger,
            partial_feedback=sc.answer.partial_feedback,
        )

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def digest(sc: Scenario) -> str:
    """A fingerprint of everything that shapes the signals and the answer: a resumed attempt
    must replay the same incident, or its pins would point at other lines. Injects shape neither
    (a game keeps its own copy), so adding them leaves attempts in progress resumable."""
    return hashlib.sha256(sc.model_dump_json(by_alias=True, exclude={"injects"}).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Verdict:
    correct: bool
    service_ok: bool
    fault_ok: bool
    trigger_ok: bool | None  # None when the scenario does not ask for a trigger

    def message(self, partial_feedback: bool) -> str:
        """What the learner is told. Without partial feedback (a challenge, a game day) only
        that it is wrong: anything more lets a guesser solve each half separately."""
        if self.correct:
            return "correct"
        if not partial_feedback:
            return "wrong diagnosis"
        parts = [("service", self.service_ok), ("fault kind", self.fault_ok), ("trigger", self.trigger_ok)]
        right = [name for name, ok in parts if ok]
        wrong = [name for name, ok in parts if ok is False]

        def the(names: list[str]) -> str:
            return " and the ".join(names)

        if not right:
            return f"wrong diagnosis: the {the(wrong)} {'is' if len(wrong) == 1 else 'are'} not right"
        if not wrong:  # each part is in some accepted answer, but not in the same one
            return f"wrong diagnosis: the {the(right)} are each right on their own, but not together"
        return (
            f"wrong diagnosis: the {the(right)} {'is' if len(right) == 1 else 'are'} right, "
            f"the {the(wrong)} {'is' if len(wrong) == 1 else 'are'} not"
        )

    def feedback(self, partial_feedback: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"correct": self.correct, "message": self.message(partial_feedback)}
        if partial_feedback and not self.correct:
            out.update(service_ok=self.service_ok, fault_ok=self.fault_ok)
            if self.trigger_ok is not None:
                out["trigger_ok"] = self.trigger_ok
        return out


def judge(rules: Rules, service: str, fault: str, trigger_ref: str | None) -> Verdict:
    """Is (service, fault[, trigger]) one of the accepted answers? `trigger_ref` is the timeline
    id of the change event the learner named."""

    def trigger_matches(a: AcceptedAnswer) -> bool:
        return a.trigger is None or a.trigger == trigger_ref

    need_trigger = rules.require_trigger
    correct = any(
        a.service == service and a.fault == fault and (not need_trigger or trigger_matches(a)) for a in rules.accepted
    )
    trigger_ok = None
    if need_trigger:
        trigger_ok = trigger_ref is not None and any(
            a.trigger is not None and a.trigger == trigger_ref for a in rules.accepted
        )
    return Verdict(
        correct=correct,
        service_ok=any(a.service == service for a in rules.accepted),
        fault_ok=any(a.fault == fault for a in rules.accepted),
        trigger_ok=trigger_ok,
    )
