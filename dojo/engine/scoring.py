"""The score card: a pure function of an attempt's events. See docs/scoring.md.

    base          = 100 x difficulty
    penalty_s     = wrong diagnoses x wrong_penalty + the cost of each hint taken
                    + replay skipped ahead / speed              (practice, real clock)
    adjusted_s    = ttcd_s + penalty_s
    speed         = par / (par + adjusted_s)                  1/2 at par, -> 1 when very fast
    evidence      = answer-key selectors matched by a pin made before the diagnosis / selectors
    points        = round(base x speed + base x EVIDENCE_WEIGHT x evidence)      (0 if unsolved)

Why this shape: the speed term never saturates, so every wrong guess and every hint costs
something however fast the learner was; and the evidence term is worth as much as being
infinitely fast, so a learner who shows their reasoning beats a lucky guess. A blind guesser pays
`wrong_penalty` per miss and earns no evidence credit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dojo.store.model import Event

from .attempt import Attempt
from .evidence import explain, matches, trigger_explain
from .rules import Rules

BASE_PER_DIFFICULTY = 100
EVIDENCE_WEIGHT = 1.0
FORMULA = "points = round(base * par / (par + ttcd + penalties) + base * evidence_weight * matched / selectors)"


@dataclass
class EvidenceTerm:
    selector: str
    why: str
    matched_by: list[str]  # pin ids (the first pin of each item) that satisfy it


@dataclass
class PinTerm:
    pin: str  # the pinned item's id
    kind: str
    proved: list[str]  # the facts (selector descriptions) it shows
    why_not: str  # when it proves none: why, against the nearest fact of its kind


@dataclass
class ScoreCard:
    scenario_id: str
    outcome: str  # solved | gave_up | timed_out | abandoned | in_progress
    solved: bool
    difficulty: int
    base: int
    par_s: float
    ttcd_s: float | None
    elapsed_s: float
    wrong_diagnoses: int
    wrong_penalty_s: float
    wrong_s: float
    hints_used: int
    hint_costs_s: list[float]
    hints_s: float
    penalty_s: float
    adjusted_s: float | None
    speed: float
    speed_points: float
    evidence: list[EvidenceTerm] = field(default_factory=list)
    evidence_matched: int = 0
    evidence_total: int = 0
    evidence_weight: float = EVIDENCE_WEIGHT
    evidence_points: float = 0.0
    pins: list[PinTerm] = field(default_factory=list)
    points: int = 0
    formula: str = FORMULA
    skipped_replay_s: float = 0.0  # scenario seconds skipped ahead with `advance` (real clock)
    skips_s: float = 0.0  # what those skips cost: the learner time they would have taken

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _describe(sel: Any) -> str:
    from dojo.telemetry.selectors import describe

    return describe(sel)


def _pin_term(pin: Event, rules: Rules, proved: dict[str, list[str]]) -> PinTerm:
    item, kind, snap = pin.data["item"], pin.data.get("kind", ""), pin.data.get("snapshot", {})
    facts = proved.get(item, [])
    if facts:
        return PinTerm(item, kind, facts, "")
    wanted = {"log": "logs", "metric": "metric", "span": "trace"}.get(kind)
    reasons = [
        explain(sel, kind, snap, rules.callers) for sel in rules.evidence if wanted and getattr(sel, wanted) is not None
    ]
    if kind == "event" and rules.triggers:
        reasons.append(trigger_explain(rules.triggers, kind, snap))
    found = [r for r in reasons if r]
    why = found[0] if found else f"the answer key has no fact a {kind or 'pin'} can show"
    return PinTerm(item, kind, [], why)


def score(events: list[Event], *, live: bool = False, elapsed_s: float | None = None) -> ScoreCard:
    """The card for an attempt. `live` marks an attempt still being played (its outcome is
    in_progress rather than abandoned); `elapsed_s` is then the learner's time so far."""
    att = Attempt.from_events(events)
    rules = att.rules
    base = BASE_PER_DIFFICULTY * rules.difficulty
    par = float(rules.par)

    solved_at = att.solved
    counted = []  # what happened up to the correct diagnosis; nothing after it changes the score
    for e in events:
        counted.append(e)
        if e is solved_at:
            break
    wrong = sum(1 for e in counted if e.kind == "diagnosis" and not e.data.get("correct"))
    hint_costs = [float(rules.hint_costs[e.data["index"]]) for e in counted if e.kind == "hint"]
    wrong_s = wrong * float(rules.wrong_penalty)
    skipped, skips_s = _skips(counted, att.settings.clock, att.settings.speed)
    penalty = wrong_s + sum(hint_costs, 0.0) + skips_s

    terms = []
    pins = _pins_standing(counted)
    callers = rules.callers
    proved: dict[str, list[str]] = {}
    for sel in rules.evidence:
        desc = _describe(sel)
        by = [p.data["item"] for p in pins if matches(sel, p.data.get("kind", ""), p.data.get("snapshot", {}), callers)]
        for item in by:
            proved.setdefault(item, []).append(desc)
        terms.append(EvidenceTerm(desc, sel.why or "", list(dict.fromkeys(by))))
    if rules.triggers:
        # The change that set it off is a fact of its own, whether or not the key lists it.
        desc = "change " + ", ".join(f"{t['kind']} {t['service']} at {t['t']:g}s" for t in rules.triggers)
        by = [
            p.data["item"]
            for p in pins
            if trigger_explain(rules.triggers, p.data.get("kind", ""), p.data.get("snapshot", {})) is None
        ]
        for item in by:
            proved.setdefault(item, []).append(desc)
        terms.append(EvidenceTerm(desc, "the change that set the incident off", list(dict.fromkeys(by))))
    pin_terms = [_pin_term(p, rules, proved) for p in {p.data["item"]: p for p in pins}.values()]
    matched = sum(1 for t in terms if t.matched_by)
    total = len(terms)

    last_wall = max((e.wall_s for e in events), default=0.0)
    if att.ended is not None and att.ended.kind == "timed_out":
        last_wall = float(att.ended.data.get("limit", att.ended.wall_s))
    elapsed = float(elapsed_s if elapsed_s is not None else last_wall)

    if solved_at is not None:
        ttcd = round(float(solved_at.wall_s), 3)
        adjusted = ttcd + penalty
        speed = par / (par + adjusted)
        evidence_points = base * EVIDENCE_WEIGHT * (matched / total if total else 0.0)
        speed_points = base * speed
        points = int(round(speed_points + evidence_points))
        outcome = "solved"
        elapsed = ttcd
    else:
        ttcd, adjusted, speed, speed_points, evidence_points, points = None, None, 0.0, 0.0, 0.0, 0
        outcome = att.outcome if att.outcome != "open" else ("in_progress" if live else "abandoned")

    return ScoreCard(
        scenario_id=rules.scenario_id,
        outcome=outcome,
        solved=solved_at is not None,
        difficulty=rules.difficulty,
        base=base,
        par_s=par,
        ttcd_s=ttcd,
        elapsed_s=round(elapsed, 3),
        wrong_diagnoses=wrong,
        wrong_penalty_s=float(rules.wrong_penalty),
        wrong_s=wrong_s,
        hints_used=len(hint_costs),
        hint_costs_s=hint_costs,
        hints_s=sum(hint_costs, 0.0),
        penalty_s=penalty,
        adjusted_s=None if adjusted is None else round(adjusted, 3),
        speed=round(speed, 4),
        speed_points=round(speed_points, 2),
        evidence=terms,
        evidence_matched=matched,
        evidence_total=total,
        evidence_points=round(evidence_points, 2),
        pins=pin_terms,
        points=points,
        skipped_replay_s=round(skipped, 3),
        skips_s=round(skips_s, 3),
    )


def _skips(events: list[Event], clock: str, speed: float) -> tuple[float, float]:
    """Replay skipped ahead, and its cost: each skip at the speed it was made at. A manual
    clock's advance is how its time passes (it already costs wall time), so it is not a skip."""
    if clock == "manual":
        return 0.0, 0.0
    skipped = cost = 0.0
    for e in events:
        if e.kind != "clock":
            continue
        if e.data.get("action") == "speed":
            speed = float(e.data["value"])
        elif e.data.get("action") == "advance":
            skipped += float(e.data["value"])
            cost += float(e.data["value"]) / speed
    return skipped, cost


def _pins_standing(events: list[Event]) -> list[Event]:
    """Pin events not taken back by an unpin before the end of `events`."""
    standing: list[Event] = []
    for e in events:
        if e.kind == "pin":
            standing.append(e)
        elif e.kind == "unpin":
            key = (e.data["item"], e.data.get("hypothesis"))
            standing = [p for p in standing if (p.data["item"], p.data.get("hypothesis")) != key]
    return standing
