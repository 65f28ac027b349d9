"""One spelling of each shared word: what telemetry writes is what the format and the engine name."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from dojo.engine.api import LogQuery
from dojo.scenario import load_scenario
from dojo.scenario.vocabulary import LEVELS, METRIC_NAMES
from dojo.telemetry.synthesize import synthesize

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "checkout-retry-storm.yaml"


def test_synthesized_metrics_and_levels_are_the_vocabulary():
    tel = synthesize(load_scenario(FIXTURE))
    assert set(tel.metrics["metric"]) <= set(METRIC_NAMES)
    assert {"rps", "error_rate", "latency_p99_ms"} <= set(tel.metrics["metric"])
    levels = set(tel.logs.column("level").unique().to_pylist())
    assert levels and levels <= set(LEVELS)


def test_queries_take_exactly_the_levels():
    for level in LEVELS:
        assert LogQuery(level=level).level == level
    with pytest.raises(ValidationError):
        LogQuery(level="WARNING")
