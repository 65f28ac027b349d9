"""Difficulty is measured on the signals: each factor on a tiny system, lint's warning, and the
built-in library ordered by its measurement the way its stars order it (docs/scoring.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dojo.authoring.difficulty import Difficulty, difficulty_findings, measure, reasoner_steps
from dojo.scenario.loader import find_scenarios, load_scenario
from dojo.telemetry.synthesize import synthesize
from tests.telemetry.scenarios import shop

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
SCENARIOS = {p.stem: load_scenario(p) for p in find_scenarios([LIBRARY])}
IDS = sorted(SCENARIOS)

SLOW_PROVIDER = {
    "at": "10m",
    "kind": "dependency_latency",
    "service": "provider",
    "params": {"added_ms": 1500},
    "for": "10m",
}
DISK = {"at": "10m", "kind": "disk_full", "service": "inventory-db"}
DISK_ANSWER = {
    "accepted": [{"service": "inventory-db", "fault": "disk_full"}],
    "evidence": [{"logs": {"service": "inventory-db", "contains": "No space left on device"}}],
}


@cache
def measured(sid: str) -> Difficulty:
    sc = SCENARIOS[sid]
    tel = synthesize(sc)
    return measure(sc, tel, reasoner_steps(sc, tel))


def _measure(sc) -> Difficulty:
    return measure(sc, synthesize(sc))


# -- the factors on a tiny system ---------------------------------------------------------------


def test_hops_count_the_edges_from_the_page_down_to_the_cause():
    near = shop([DISK], answer=DISK_ANSWER)
    assert _measure(near).hops == 2  # checkout -> inventory -> inventory-db
    paged_at_db = shop(
        [DISK],
        answer=DISK_ANSWER,
        alerts=[{"name": "DbErrors", "service": "inventory-db", "metric": "error_rate", "above": 0.05}],
    )
    assert _measure(paged_at_db).hops == 0


def test_more_services_moving_and_louder_herrings_measure_harder():
    plain = shop([DISK], answer=DISK_ANSWER)
    noisy = shop(
        [{"at": "9m", "kind": "deploy", "service": "payments", "version": "v2", "red_herring": True}, DISK],
        answer=DISK_ANSWER,
        services=[
            *[s.model_dump(exclude_none=True) for s in plain.services if s.name != "payments"],
            {
                "name": "payments",
                "kind": "http",
                "calls": ["provider"],
                "noise": [{"text": "card declined: insufficient funds", "level": "ERROR", "per_min": 120}],
            },
        ],
    )
    a, b = _measure(plain), _measure(noisy)
    assert b.herrings > a.herrings + 1.0
    assert b.score > a.score


def test_a_cause_only_its_callers_speak_of_is_quiet():
    loud = _measure(shop([DISK], answer=DISK_ANSWER))
    assert not loud.quiet
    slow = shop(
        [SLOW_PROVIDER],
        answer={"accepted": [{"service": "provider", "fault": "dependency_latency"}]},
    )
    assert _measure(slow).quiet  # an external provider writes no logs of ours


def test_lint_warns_when_the_stars_are_far_from_the_measurement():
    sc = shop([DISK], answer=DISK_ANSWER, difficulty=5)
    d = _measure(sc)
    [finding] = difficulty_findings(sc, d)
    assert finding.severity == "warning" and finding.keypath == "difficulty"
    assert "5 stars but measured" in finding.message and "make it harder" in finding.message
    fitting = shop([DISK], answer=DISK_ANSWER, difficulty=d.stars)
    assert difficulty_findings(fitting, d) == []
