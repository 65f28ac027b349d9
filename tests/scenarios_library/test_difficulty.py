"""Difficulty is measured on the signals: each factor on a tiny system, lint's warning, and the
built-in library ordered by its measurement the way its stars order it (docs/scoring.md)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from statistics import mean

import pytest

from dojo.authoring.difficulty import Difficulty, difficulty_findings, measure, reasoner_steps
from dojo.scenario.loader import find_scenarios, load_scenario
from dojo.telemetry.cache import synthesize_cached
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
    tel = synthesize_cached(sc)  # the built-in's entry in the suite's cache, shared with the library's tests
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


# -- the library ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sid", IDS)
def test_each_scenario_is_within_a_star_of_its_measurement(sid):
    sc, d = SCENARIOS[sid], measured(sid)
    assert difficulty_findings(sc, d) == [], d.describe()


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def test_the_measurement_orders_the_library_as_its_stars_do():
    stars = [SCENARIOS[s].difficulty for s in IDS]
    scores = [measured(s).score for s in IDS]
    rs, rm = _ranks(stars), _ranks(scores)
    ms, mm = mean(rs), mean(rm)
    cov = sum((a - ms) * (b - mm) for a, b in zip(rs, rm, strict=True))
    rho = cov / (sum((a - ms) ** 2 for a in rs) * sum((b - mm) ** 2 for b in rm)) ** 0.5
    table = ", ".join(f"{s} {a}*={b:.1f}" for s, a, b in zip(IDS, stars, scores, strict=True))
    assert rho >= 0.7, f"Spearman {rho:.2f}: {table}"
    by_star = {n: mean(sc for st, sc in zip(stars, scores, strict=True) if st == n) for n in sorted(set(stars))}
    levels = list(by_star.values())
    assert all(a < b for a, b in zip(levels, levels[1:], strict=False)), f"mean measurement by stars: {by_star}"


def test_the_reasoner_needs_measurably_more_steps_on_four_and_five_stars():
    easy = [measured(s).steps for s in IDS if SCENARIOS[s].difficulty <= 2]
    hard = [measured(s).steps for s in IDS if SCENARIOS[s].difficulty >= 4]
    assert easy and hard
    assert mean(hard) >= 1.5 * mean(easy), f"steps: 1-2 stars {easy}, 4-5 stars {hard}"
    assert min(hard) > max(easy), f"steps: 1-2 stars {easy}, 4-5 stars {hard}"


def test_docs_give_every_scenarios_measured_difficulty():
    text = DOCS.read_text()
    section = text.split("## Measured difficulty", 1)[1]
    for sid in IDS:
        m = re.search(rf"^\| `{re.escape(sid)}` \| (\d) \| (\d+\.\d) \|", section, re.M)
        assert m, f"docs/scenarios.md has no measured difficulty for {sid}"
        assert int(m.group(1)) == SCENARIOS[sid].difficulty
        said, now = float(m.group(2)), measured(sid).score
        assert abs(said - now) <= 0.25, f"{sid}: docs/scenarios.md says {said}, measured {now}: update the table"
