"""The briefing is what a pager shows: the alert that paged, its graph up to the page, a runbook
link; never the system's live state, for any built-in scenario."""

from __future__ import annotations

import pytest

from dojo.engine.session import Session
from dojo.scenario.loader import builtin_dir, find_scenarios, load_scenario
from dojo.store import Store
from dojo.telemetry.synthesize import synthesize

SCENARIOS = find_scenarios([builtin_dir()])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_no_briefing_reveals_a_services_live_numbers(path, tmp_path) -> None:
    sc = load_scenario(path)
    with Store.open(tmp_path / "dojo.sqlite3") as store:
        s = Session.start(sc, store, telemetry=synthesize(sc), clock="manual")
        b = s.briefing()
        start = s.clock_state().start
        now = s.overview()
    # The system is named (a diagnosis names a service), never measured.
    assert all(set(x) == {"name", "kind", "calls"} for x in b.to_dict()["services"])
    assert b.page, "a scenario pages the learner"
    g = b.graph
    assert g is not None and g.alert in b.page
    alert = next(a for a in sc.alerts if a.name == g.alert)
    assert (g.service, g.metric) == (alert.service, alert.metric)  # the paging alert's own series, no other
    assert g.points and all(t + s.signals.grid <= start + 1e-9 for t, _ in g.points)  # nothing after the page
    # The graph is the alert's own series, exactly; nothing else the briefing says is a figure of
    # any service's state at the page.
    t, v = s.signals.series[(g.service, g.metric)]
    assert [p[1] for p in g.points] == [round(float(x), 4) for x in v[: len(g.points)]]
    rest = b.to_dict()
    for rules in ("graph", "difficulty", "par_s", "wrong_penalty_s", "hints"):  # not the system's state
        rest.pop(rules)
    said = set(_numbers(rest))
    for row in now.services:
        for value in (row.rps, row.error_rate, row.p99_ms, row.saturation_pct):
            assert value is None or value == 0 or value not in said, f"{row.service}: {value} is in the briefing"


def _numbers(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _numbers(v)
    elif isinstance(x, list):
        for v in x:
            yield from _numbers(v)
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        yield x


def test_the_briefing_has_the_alerts_runbook_when_it_gives_one(tmp_path) -> None:
    sc = load_scenario(builtin_dir() / "checkout-retry-storm.yaml")
    alerts = [a.model_copy(update={"runbook": "https://runbooks.example/checkout-p99"}) for a in sc.alerts]
    sc = sc.model_copy(update={"alerts": alerts})
    with Store.open(tmp_path / "dojo.sqlite3") as store:
        b = Session.start(sc, store, telemetry=synthesize(sc), clock="manual").briefing()
    assert b.runbook == "https://runbooks.example/checkout-p99"
    assert b.to_dict()["graph"]["alert"] == "CheckoutP99High"
