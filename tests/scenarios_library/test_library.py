"""The built-in library: enough scenarios and enough kinds of failure, each one a complete lesson
(a page, a red herring, hints, objectives, a par, a blameless debrief) that the linter proves fair.

The per-scenario tests are parametrized so that `pytest -n 2` spreads the synthesis over both
workers; each scenario is synthesized once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dojo.authoring.lint import fault_events, lint
from dojo.scenario.loader import find_scenarios, load_scenario

# Through the suite's incident cache, shared by its workers: `dojo lint` and the other built-in
# tests read the same entries instead of synthesizing each scenario again.
from dojo.telemetry.cache import synthesize_cached as synthesize

# This checkout's library, whatever DOJO_SCENARIOS says.
LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
PATHS = find_scenarios([LIBRARY])
SCENARIOS = {p.stem: load_scenario(p) for p in PATHS}
IDS = sorted(SCENARIOS)

HEADINGS = (
    "Summary",
    "Timeline",
    "Root cause",
    "Contributing factors",
    "How it could have been found faster",
    "What to practice next",
)


def accepted_faults() -> set[str]:
    return {acc.fault for sc in SCENARIOS.values() for acc in sc.answer.accepted}


# -- the library as a whole -------------------------------------------------------------------


def test_the_library_has_at_least_twelve_scenarios():
    assert len(SCENARIOS) >= 12, sorted(SCENARIOS)


def test_file_names_match_ids():
    assert all(sc.id == stem for stem, sc in SCENARIOS.items())


def test_at_least_ten_kinds_of_failure_among_the_answers():
    kinds = accepted_faults()
    assert len(kinds) >= 10, sorted(kinds)


def test_the_failures_that_defeat_pattern_matching_are_covered():
    kinds = accepted_faults()
    for kind in (
        "retry_storm",
        "certificate_expiry",
        "credential_change",
        "code_defect",
        "connection_pool_exhaustion",
        "memory_leak",
        "bad_config_deploy",
        "cache_failure",
        "dns_failure",
        "no_fault",
    ):
        assert kind in kinds, f"no scenario teaches {kind}"
    assert kinds & {"zone_outage", "code_defect"}, "no partial outage (one zone or one tenant)"


def test_a_no_fault_control_whose_timeline_only_has_harmless_changes():
    controls = [sc for sc in SCENARIOS.values() if any(a.fault == "no_fault" for a in sc.answer.accepted)]
    assert controls, "no control scenario"
    for sc in controls:
        assert not fault_events(sc), f"{sc.id}: a control has no fault in its timeline"
        paged = {a.service for a in sc.alerts if a.name == sc.page}
        assert {a.service for a in sc.answer.accepted} <= paged, f"{sc.id}: the answer names the alerting service"


def test_at_least_three_retold_from_public_postmortems():
    retold = [sc.id for sc in SCENARIOS.values() if sc.source and sc.source.url.startswith("https://")]
    assert len(retold) >= 3, retold
    for sc in SCENARIOS.values():
        if sc.source:
            assert len(sc.source.changes) >= 3, f"{sc.id}: list every change and invention, one item each"
            assert sum(len(c) for c in sc.source.changes) > 200, f"{sc.id}: say what was changed or sanitized"


def test_difficulty_spreads_from_one_to_five():
    levels = [sc.difficulty for sc in SCENARIOS.values()]
    assert set(levels) == {1, 2, 3, 4, 5}, sorted(levels)
    assert sum(d <= 2 for d in levels) >= 2
    assert sum(d >= 4 for d in levels) >= 2


# -- each scenario as a lesson ----------------------------------------------------------------


@pytest.mark.parametrize("sid", IDS)
def test_each_has_a_red_herring(sid):
    sc = SCENARIOS[sid]
    herring = any(ev.red_herring for ev in sc.timeline)
    noise = any(svc.noise for svc in sc.services)
    assert herring or noise, f"{sid}: no red herring (a red_herring change or a noise line)"


@pytest.mark.parametrize("sid", IDS)
def test_each_has_two_or_three_hints_from_gentle_to_strong(sid):
    costs = [h.cost for h in SCENARIOS[sid].hints]
    assert 2 <= len(costs) <= 3, costs
    assert all(a < b for a, b in zip(costs, costs[1:])), f"{sid}: hint costs must increase: {costs}"


@pytest.mark.parametrize("sid", IDS)
def test_each_states_objectives_par_and_tags(sid):
    sc = SCENARIOS[sid]
    assert sc.objectives, f"{sid}: no objectives"
    assert "par" in sc.model_fields_set, f"{sid}: par is not written out"
    assert sc.tags, f"{sid}: no tags"


@pytest.mark.parametrize("sid", IDS)
def test_each_briefing_reads_like_a_page(sid):
    sc = SCENARIOS[sid]
    assert sc.page, f"{sid}: name the alert that pages"
    assert f"PAGE: {sc.page}" in sc.briefing, f"{sid}: the briefing names the alert that paged"
    assert re.search(r"\bon[ -]call\b", sc.briefing, re.I), f"{sid}: the briefing says who is on call"


@pytest.mark.parametrize("sid", IDS)
def test_each_debrief_is_a_blameless_postmortem(sid):
    debrief = SCENARIOS[sid].debrief
    missing = [h for h in HEADINGS if f"## {h}\n" not in debrief]
    assert not missing, f"{sid}: debrief lacks {missing}"
    positions = [debrief.index(f"## {h}\n") for h in HEADINGS]
    assert positions == sorted(positions), f"{sid}: headings out of order"


@pytest.mark.parametrize("sid", IDS)
def test_each_keeps_a_moderate_size(sid):
    sc = SCENARIOS[sid]
    assert 20 * 60 <= sc.duration <= 60 * 60
    callers = {c for svc in sc.services for c in svc.calls}
    entry = sum(svc.rps or 0 for svc in sc.services if svc.name not in callers)
    assert 20 <= entry <= 80, f"{sid}: entry traffic {entry} rps"
    if sc.difficulty >= 4:  # hard ones are big: the cause hides among many moving parts
        assert 15 <= len(sc.services) <= 40, f"{sid}: {len(sc.services)} services"
    else:
        assert 4 <= len(sc.services) <= 12, f"{sid}: {len(sc.services)} services"


@pytest.mark.parametrize("sid", IDS)
def test_each_is_fair_on_its_own_signals(sid):
    sc = SCENARIOS[sid]
    tel = synthesize(sc)
    findings = lint(sc, tel)
    assert not findings, "\n".join(f"{f.keypath}: {f.message}" for f in findings)
    assert 20_000 <= tel.logs.num_rows <= 150_000, f"{sid}: {tel.logs.num_rows} log lines"
