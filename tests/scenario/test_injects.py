"""Injects in a scenario file: validated with a line and a fix, and no part of the fingerprint."""

from __future__ import annotations

from dojo.engine.rules import digest
from dojo.scenario import parse_scenario

from .conftest import FAKE_FAULTS
from .test_loader import edit, errors_of

INJECTS = 'injects:\n  - at: 12m\n    text: "Support: EU customers report failed checkouts"\nhints:'


def test_injects_load_in_scenario_time(shop_text):
    sc = parse_scenario(edit(shop_text, "hints:", INJECTS), "x.yaml", faults=FAKE_FAULTS)
    assert [(i.at, i.text) for i in sc.injects] == [(720.0, "Support: EU customers report failed checkouts")]


def test_an_inject_without_text_or_after_the_end_is_named_by_line(shop_text):
    no_text = edit(shop_text, "hints:", "injects:\n  - at: 12m\nhints:")
    assert any(e.startswith("x.yaml:") and "injects[0].text" in e and "missing" in e for e in errors_of(no_text))
    late = edit(shop_text, "hints:", INJECTS.replace("12m", "2h"))
    [line] = [e for e in errors_of(late) if "injects" in e]
    assert "injects[0].at: 2h is not before the end of the scenario (30m); make it earlier or raise duration" in line
    bad_time = edit(shop_text, "hints:", INJECTS.replace("12m", "soon"))
    assert any("injects[0].at" in e for e in errors_of(bad_time))


def test_injects_leave_the_fingerprint_alone_so_attempts_stay_resumable(shop_text):
    plain = parse_scenario(shop_text, "x.yaml", faults=FAKE_FAULTS)
    with_injects = parse_scenario(edit(shop_text, "hints:", INJECTS), "x.yaml", faults=FAKE_FAULTS)
    assert digest(plain) == digest(with_injects)
