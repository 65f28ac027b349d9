"""The debrief's times carry their clock, and its numbers are the telemetry's."""

from __future__ import annotations

import numpy as np
import pytest

from dojo.authoring.debrief import findings
from dojo.authoring.lint import lint
from dojo.telemetry.synthesize import synthesize
from tests.telemetry.scenarios import shop


@pytest.fixture(scope="module")
def tel():
    return synthesize(shop(duration="20m"))


def _with(tel, debrief: str):
    sc = tel.scenario.model_copy(update={"debrief": debrief})
    return sc


def test_a_bare_time_is_flagged_with_both_readings(tel):
    sc = _with(tel, "At 15:00 checkout starts to fail.")
    (f,) = findings(sc, tel)
    assert "1 time(s) without their clock" in f and "T+15:00" in f and "14:15 UTC" in f
    assert findings(_with(tel, "At T+15:00 (14:15 UTC) checkout starts to fail."), tel) == []


def test_a_latency_the_charts_never_show_is_flagged(tel):
    m = tel.metrics
    p99 = m[(m.service == "checkout") & (m.metric == "latency_p99_ms")]["value"].dropna()
    true_ms = float(np.median(p99))
    ok = _with(tel, f"checkout latency sits at about {true_ms:.0f} ms.")
    assert findings(ok, tel) == []
    wrong = _with(tel, f"checkout latency rises to about {true_ms * 20 / 1000:.1f} s.")
    (f,) = findings(wrong, tel)
    assert "never within 2x" in f and "checkout" in f


def test_lint_reports_them_as_warnings(tel):
    sc = _with(tel, "At 15:00 checkout latency rises to about 900 s.")
    found = [f for f in lint(sc, tel) if f.keypath == "debrief"]
    assert len(found) == 2 and {f.severity for f in found} == {"warning"}


def test_for_the_built_in_library_they_are_errors(tel):
    sc = _with(tel, "At 15:00 checkout latency rises to about 900 s.")
    found = [f for f in lint(sc, tel, strict_debrief=True) if f.keypath == "debrief"]
    assert len(found) == 2 and {f.severity for f in found} == {"error"}


def test_the_command_line_holds_only_built_in_scenarios_to_it(tmp_path):
    from dojo.commands.lint import is_builtin
    from dojo.scenario.loader import builtin_dir

    assert is_builtin(builtin_dir() / "edge-waf-cpu.yaml")
    assert not is_builtin(tmp_path / "edge-waf-cpu.yaml")
