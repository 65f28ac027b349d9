"""docs/scoring.md shows a worked example: it must be what the code computes."""

from pathlib import Path

from tests.engine.scoring_example import STEPS, play, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"


def test_the_worked_example(make_session):
    card = play(make_session())
    assert card["ttcd_s"] == 540.0
    assert (card["wrong_s"], card["hints_s"], card["penalty_s"], card["adjusted_s"]) == (120.0, 60.0, 180.0, 720.0)
    assert (card["base"], card["speed"], card["speed_points"]) == (300, 0.5556, 166.67)
    assert (card["evidence_matched"], card["evidence_total"], card["evidence_points"]) == (2, 2, 300.0)
    assert card["points"] == 467
    text = DOC.read_text()
    assert render(card) in text, "docs/scoring.md is stale: run python -m tests.engine.scoring_example"
    assert STEPS in text


def test_the_doc_states_the_formula_the_code_uses():
    from dojo.engine.scoring import BASE_PER_DIFFICULTY, EVIDENCE_WEIGHT

    text = DOC.read_text()
    assert f"base          = {BASE_PER_DIFFICULTY} x difficulty" in text
    assert f"evidence_points = base x {EVIDENCE_WEIGHT} x evidence" in text
    assert round(300 * 900 / 1140 + 300) == 537 and round(300 * 900 / 910) == 297  # the asides
