"""The score card as text, term by term, in the layout docs/scoring.md uses for its worked example
(a test holds the two together), so the learner reads on screen what the documentation explains.

Works on the card as a dict (`ScoreCard.to_dict()`), so it needs nothing from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from .units import span

OUTCOMES = {
    "solved": "solved",
    "gave_up": "given up",
    "timed_out": "out of time",
    "abandoned": "left unfinished",
    "in_progress": "in progress",
}


@dataclass(frozen=True)
class Term:
    name: str  # as on the card: ttcd_s, penalty_s, ...
    value: str
    good: bool | None = None  # evidence rows: matched or not; None for the arithmetic


def card_terms(card: dict) -> list[Term]:
    c = card
    solved = c["ttcd_s"] is not None
    hints = " + ".join(f"{x:g}" for x in c["hint_costs_s"]) or "0"
    rows = [
        Term("ttcd_s", f"{c['ttcd_s']:g}" if solved else "- (not solved)"),
        Term("wrong_s", f"{c['wrong_diagnoses']} x {c['wrong_penalty_s']:g} = {c['wrong_s']:g}"),
        Term("hints_s", f"{hints} = {c['hints_s']:g}"),
    ]
    if c.get("skipped_replay_s"):
        rows.append(Term("skips_s", f"{c['skipped_replay_s']:g} s of replay skipped = {c['skips_s']:g}"))
    rows += [
        Term("penalty_s", f"{c['penalty_s']:g}"),
        Term("adjusted_s", f"{c['ttcd_s']:g} + {c['penalty_s']:g} = {c['adjusted_s']:g}" if solved else "-"),
        Term("base", f"100 x difficulty {c['difficulty']} = {c['base']}"),
    ]
    if solved:
        total = c["par_s"] + c["adjusted_s"]
        rows.append(
            Term(
                "speed",
                f"par / (par + adjusted) = {c['par_s']:g} / ({c['par_s']:g} + {c['adjusted_s']:g}) = {c['speed']}",
            )
        )
        rows.append(Term("speed_points", f"{c['base']} x {c['par_s']:g} / {total:g} = {c['speed_points']:g}"))
    else:
        rows.append(Term("speed", "0 (not solved)"))
        rows.append(Term("speed_points", "0"))
    rows.append(Term("evidence", f"{c['evidence_matched']} of {c['evidence_total']} selectors matched"))
    for t in c["evidence"]:
        by = f"  <- {', '.join(t['matched_by'])}" if t["matched_by"] else ""
        rows.append(Term("", f"{'+' if t['matched_by'] else '-'} {t['selector']}{by}", bool(t["matched_by"])))
    for p in c.get("pins", []):
        # Each pin says which fact it proved, or why it proved none: feedback on the reasoning.
        said = "shows " + "; ".join(p["proved"]) if p["proved"] else "proves nothing: " + p["why_not"]
        rows.append(Term("", f"pin {p['pin']} {said}", bool(p["proved"])))
    rows.append(
        Term(
            "evidence_points",
            f"{c['base']} x {c['evidence_weight']:g} x {c['evidence_matched']}/{c['evidence_total']} = "
            f"{c['evidence_points']:g}",
        )
        if solved
        else Term("evidence_points", "0 (points need a correct diagnosis)")
    )
    rows.append(
        Term("points", f"round({c['speed_points']:g} + {c['evidence_points']:g}) = {c['points']}" if solved else "0")
    )
    return rows


def card_text(card: dict) -> str:
    """The terms as plain lines: `name` padded to the doc's column, then the value."""
    return "\n".join(f"{t.name:<15} {t.value}" if t.name else f"  {t.value}" for t in card_terms(card))


def headline(card: dict) -> str:
    """One line: the outcome, the time it took and the points."""
    outcome = OUTCOMES.get(card["outcome"], card["outcome"])
    if card["ttcd_s"] is not None:
        return f"{outcome} in {span(card['ttcd_s'])}  ·  {card['points']} points"
    return f"{outcome} after {span(card['elapsed_s'])}  ·  0 points"
