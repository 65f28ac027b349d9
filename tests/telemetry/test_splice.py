"""An action at `at`: the cached incident before it (still mapped), the changed one after it."""

import numpy as np
import pandas as pd
import pytest

from dojo.engine.api import LogQuery
from dojo.engine.queries import Signals
from dojo.telemetry import mapped
from dojo.telemetry.cache import Cache
from dojo.telemetry.splice import bucket_start, splice
from dojo.telemetry.synthesize import synthesize

from .test_cache import tiny

AT = 6 * 60.0  # the action is taken at 6m, inside the dependency fault


@pytest.fixture
def incidents(tmp_path):
    base = Cache(tmp_path).synthesize(tiny())
    changed = tiny(timeline=[{"at": "6m", "kind": "restart", "service": "api"}])
    # tiny() already has a timeline; an action adds to it, as actions.insert_event does.
    sc = tiny()
    sc = sc.model_copy(update={"timeline": [*sc.timeline, *changed.timeline]})
    after = synthesize(sc)
    return base, after, splice(base, after, AT)


def test_before_the_action_is_the_cached_incident_read_in_place(incidents):
    base, _, s = incidents
    k = int(np.searchsorted(base.logs.column("t").to_numpy(), AT))
    head = s.logs.slice(0, k)
    assert head.equals(base.logs.slice(0, k))
    first = s.logs.column("message").chunk(0)
    assert mapped.locate(first.buffers()[2].address, 1) is not None, "the part before the action was copied"


def test_after_the_action_is_the_changed_incident_numbered_on(incidents):
    base, after, s = incidents
    k = int(np.searchsorted(base.logs.column("t").to_numpy(), AT))
    j = int(np.searchsorted(after.logs.column("t").to_numpy(), AT))
    assert s.logs.column("id").to_numpy().tolist() == list(range(s.logs.num_rows))
    assert s.logs.num_rows == k + after.logs.num_rows - j
    assert s.logs.column("message").to_pylist()[k:] == after.logs.column("message").to_pylist()[j:]
    assert s.logs.column("service").to_pylist()[k:] == after.logs.column("service").to_pylist()[j:]
    assert np.all(np.diff(s.logs.column("t").to_numpy()) >= 0)


def test_metrics_spans_and_events_are_cut_where_the_view_is_fixed(incidents):
    base, after, s = incidents
    cut = bucket_start(AT, base.grid)
    before = s.metrics[s.metrics["t"] < cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, base.metrics[base.metrics["t"] < cut].reset_index(drop=True))
    later = s.metrics[s.metrics["t"] >= cut].sort_values(["service", "metric", "t"]).reset_index(drop=True)
    want = after.metrics[after.metrics["t"] >= cut].sort_values(["service", "metric", "t"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(later, want)
    assert set(s.spans["trace_id"]) <= set(base.spans["trace_id"]) | set(after.spans["trace_id"])
    began = s.spans.groupby("trace_id")["t"].min()
    assert all(
        base.spans["trace_id"].isin(began[began < cut].index)
        | (base.spans.groupby("trace_id")["t"].transform("min") >= cut)
    )
    assert list(s.events["kind"]).count("restart") == 1  # the action shows as a change, from its time on


def test_the_engine_plays_a_spliced_incident(incidents):
    _, _, s = incidents
    sig = Signals(s)
    page = sig.logs(LogQuery(limit=5, order="newest"), now=s.duration)
    assert page.count == s.logs.num_rows and page.lines[0].id == f"L{s.logs.num_rows - 1}"


def test_another_scenario_cannot_be_spliced(incidents):
    base, _, _ = incidents
    with pytest.raises(ValueError, match="same scenario"):
        splice(base, synthesize(tiny(), seed=99), AT)


def test_the_engine_reads_a_spliced_incident_without_copying_the_cached_part(incidents):
    from dataclasses import replace

    _, _, s = incidents
    sig = Signals(s)
    assert sig.message.num_chunks == 2
    assert mapped.locate(sig.message.chunk(0).buffers()[2].address, 1) is not None
    flat = Signals(replace(s, logs=s.logs.combine_chunks()))  # the same incident as one copied table
    for q in (
        LogQuery(contains="GET", limit=20),
        LogQuery(regex="time(d )?out", limit=20),
        LogQuery(service="api", level="ERROR", limit=20),
        LogQuery(contains="a", ignore_case=True, service="db", limit=20),
    ):
        a, b = sig.logs(q, now=s.duration), flat.logs(q, now=s.duration)
        assert (a.count, [x.id for x in a.lines]) == (b.count, [x.id for x in b.lines]), q
    assert sig.text._bytes is not None and sig.logs(LogQuery(contains="GET"), now=s.duration).count > 0
