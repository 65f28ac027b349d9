"""An action taken mid-incident on every built-in scenario: before the action, every signal is the
first run's, byte for byte; from it on, every signal and every state series is what a whole
synthesis of the scenario with that change in its timeline gives; taken at a bucket's start,
the whole incident is that synthesis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest

from dojo.builtin import scenarios_dir
from dojo.scenario import load_scenario
from dojo.telemetry.actions import STATE_SERIES, act
from dojo.telemetry.splice import bucket_start
from dojo.telemetry.synthesize import synthesize_with_state

SCENARIOS = sorted(p.stem for p in scenarios_dir().glob("*.yaml"))


def _mid_action(sc) -> dict:
    """A restart of the answer's service half-way through, at a bucket's start (where the engine
    lands an action: Session.act)."""
    n = max(1, math.ceil(sc.duration / sc.grid))
    return {"at": float((n // 2) * sc.grid), "kind": "restart", "service": sc.answer.accepted[0].service}


def _frame(df: pd.DataFrame) -> str:
    return df.reset_index(drop=True).to_csv()


def _check(sc, action: dict | None = None) -> None:
    sid = sc.id
    tel, st = synthesize_with_state(sc)
    action = action or _mid_action(sc)
    acted, after = act(tel, st, action)
    full, whole = synthesize_with_state(after.scenario)
    at = action["at"]
    cut = bucket_start(at, sc.grid)
    for name in STATE_SERIES:
        assert np.array_equal(getattr(after, name), getattr(whole, name), equal_nan=True), f"{sid}: {name}"

    def logs(t, lo, hi):
        times = t.logs.column("t")
        rows = t.logs.filter(pc.and_(pc.greater_equal(times, lo), pc.less(times, hi)))
        return rows.drop_columns(["id"]).cast(full.logs.drop_columns(["id"]).schema)

    # Before the action: the first run's rows.
    assert logs(acted, 0, at).equals(logs(tel, 0, at)), f"{sid}: logs before the action"
    for frame in ("metrics", "events"):
        a, b = getattr(acted, frame), getattr(tel, frame)
        edge = cut if frame == "metrics" else at
        assert _frame(a[a["t"] < edge]) == _frame(b[b["t"] < edge]), f"{sid}: {frame} before the action"
    # From it on: the whole run of the changed scenario's rows.
    assert logs(acted, at, math.inf).equals(logs(full, at, math.inf)), f"{sid}: logs after the action"
    for frame in ("metrics", "events"):
        a, b = getattr(acted, frame), getattr(full, frame)
        edge = cut if frame == "metrics" else at
        assert _frame(a[a["t"] >= edge]) == _frame(b[b["t"] >= edge]), f"{sid}: {frame} after the action"
    if at == cut:  # on a bucket's start: the whole incident is the changed scenario's, row for row
        assert acted.logs.combine_chunks().equals(full.logs.combine_chunks()), f"{sid}: logs"
        for frame in ("metrics", "spans", "events"):
            assert _frame(getattr(acted, frame)) == _frame(getattr(full, frame)), f"{sid}: {frame}"
    began = full.spans.groupby("trace_id")["t"].transform("min") if len(full.spans) else full.spans["t"]
    mine = acted.spans.groupby("trace_id")["t"].transform("min") if len(acted.spans) else acted.spans["t"]
    assert _frame(acted.spans[mine >= cut]) == _frame(full.spans[began >= cut]), f"{sid}: spans after the action"


@pytest.mark.parametrize(
    "action",
    [
        {"at": 723.0, "kind": "config_change", "service": "api", "params": {"retries": 0}},
        {"at": 600.0, "kind": "restart", "service": "backend"},
        {"at": 300.0, "kind": "scale", "service": "backend", "params": {"replicas": 6}},
        {"at": 455.0, "kind": "dependency_latency", "service": "backend", "params": {"added_ms": 300}, "for": "2m"},
    ],
    ids=["retries-off", "restart", "scale", "a-fault"],
)
def test_an_action_gives_the_changed_scenarios_own_signals(action):
    from .test_physics_dynamics import BLIP, CHAIN, STORM
    from .test_physics_state import tiny

    _check(tiny(CHAIN, [BLIP, STORM], duration="25m"), action)


@pytest.mark.slow
@pytest.mark.parametrize("sid", SCENARIOS)
def test_an_action_gives_the_changed_scenarios_own_signals_on_every_builtin(sid):
    _check(load_scenario(scenarios_dir() / f"{sid}.yaml"))
