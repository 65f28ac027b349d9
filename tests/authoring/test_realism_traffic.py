"""The realism linter's "no-traffic" check: a line about traffic in a bucket where its service
served nothing is a give-away, except work that was in flight when the traffic stopped."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from dojo.authoring.realism import check
from dojo.scenario.model import Scenario
from dojo.telemetry.synthesize import synthesize


def _svc(name, kind="http", calls=(), rps=None):
    timeout = 3000 if kind == "lb" else 300.0
    return {"name": name, "kind": kind, "calls": list(calls), "rps": rps, "timeout_ms": timeout, "replicas": 3}


@pytest.fixture(scope="module")
def cut_off():
    """A worker nobody can resolve from 180 s to 420 s: its traffic stops at once."""
    sc = Scenario.model_validate({
        "id": "prop", "title": "random", "difficulty": 2, "duration": 600.0, "seed": 1256,
        "start": "2026-03-10T14:00:00Z", "grid": 10.0, "log_sample": 0.05, "traces_per_min": 20.0, "briefing": "x",
        "services": [_svc("edge", "lb", ["svc1", "svc2"], 5.0), _svc("svc1", "worker"), _svc("svc2")],
        "timeline": [{"at": 180.0, "kind": "dns_failure", "service": "svc1", "for": 240.0}],
        "answer": {"accepted": [{"service": "svc1", "fault": "dns_failure"}]},
    })  # fmt: skip
    return sc, synthesize(sc)


def _no_traffic(sc, tel):
    return [f for f in check(sc, tel) if f.line().startswith("no-traffic")]


def _moved(tel, at: float):
    """The telemetry with one of svc1's job lines moved to `at`."""
    logs = tel.logs.to_pandas()
    row = logs.index[(logs["service"] == "svc1") & logs["message"].astype(str).str.startswith("processed job")][0]
    logs.loc[row, "t"] = at
    table = pa.Table.from_pandas(logs.sort_values("t", kind="stable"), preserve_index=False).cast(tel.logs.schema)
    return dataclasses.replace(tel, logs=table)


def test_a_job_started_before_the_cut_may_finish_after_it(cut_off):
    sc, tel = cut_off
    assert _no_traffic(sc, _moved(tel, 180.05)) == []


def test_a_job_in_the_middle_of_the_silence_is_a_give_away(cut_off):
    sc, tel = cut_off
    (finding,) = _no_traffic(sc, _moved(tel, 300.0))
    assert "svc1: 1 line(s) about traffic in buckets with 0 req/s" in finding.line()
