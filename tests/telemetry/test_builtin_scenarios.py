"""Built-in scenarios synthesize, their evidence holds up, and their page fires only once the fault is
under way."""

from __future__ import annotations

import pytest

from dojo.authoring.realism import check as realism
from dojo.scenario.loader import builtin_dir, find_scenarios, load_scenario
from dojo.telemetry.cache import synthesize_cached as synthesize  # the suite's shared cache
from dojo.telemetry.faults import FAULTS

SCENARIOS = find_scenarios([builtin_dir()])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_page_fires_after_onset_and_not_before(path) -> None:
    sc = load_scenario(path)
    onset = min(ev.at for ev in sc.timeline if ev.kind in FAULTS and not ev.red_herring)
    page = sc.page or sc.alerts[0].name
    tel = synthesize(sc)
    events = tel.events
    # The evidence holds up: the realism linter finds nothing to give the synthesis away.
    assert [f.line() for f in realism(sc, tel)] == []
    fired = events[(events["kind"] == "alert_firing") & (events["name"] == page)]["t"]
    assert len(fired) > 0, f"{page} never fires"
    assert fired.min() > onset
    if "postmortem" in sc.tags:
        # A retelling keeps the record's distractions, which may be background noise rather than
        # a change (an attack everyone suspected), but it keeps some.
        assert any(ev.red_herring for ev in sc.timeline) or any(s.noise for s in sc.services), sc.id
    else:
        assert any(ev.red_herring for ev in sc.timeline), "a starter scenario carries a red herring"
