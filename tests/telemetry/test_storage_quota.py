"""quota_exhaustion in storage mode: the allocation cut hides behind a grace period, then writes
are refused in the storage's own words, the data goes stale, and a caller that refuses stale
data fails with a 5xx; reads and writes are seen apart."""

import numpy as np
import pyarrow.compute as pc
import pytest

from dojo.scenario.vocabulary import op_metric
from dojo.telemetry.synthesize import synthesize

from .test_physics_state import mean, run, tiny

SERVICES = [
    {"name": "edge", "kind": "lb", "calls": ["identity"], "rps": 50},
    {"name": "identity", "kind": "http", "calls": ["store"]},
    {
        "name": "store",
        "kind": "db",
        "operations": [
            {"name": "read", "share": 0.9},
            {"name": "write", "share": 0.1, "writes": True},
        ],
    },
]
CUT = {
    "at": "1m",
    "kind": "quota_exhaustion",
    "service": "store",
    "for": "10m",
    "params": {"mode": "storage", "grace_s": 240, "rejects_stale_after_s": 30},
}


def test_storage_mode_dynamics():
    st = run(tiny(SERVICES, [CUT]))
    store, identity = st.index("store"), st.index("identity")
    ops = {o.name: o for o in st.ops[store]}
    # The grace period: from the cut at 1m to 5m nothing fails and nothing ages.
    assert mean(ops["write"].err, 60, 290) < 0.01 and st.replication_lag_s[store][:29].max() == 0
    assert mean(st.err[identity], 60, 290) < 0.01
    # Enforced: writes refused in full, reads not at all.
    assert mean(ops["write"].err, 310, 660) > 0.95 and mean(ops["read"].err, 310, 660) < 0.01
    # The data ages by the second while nothing is written.
    lag = st.replication_lag_s[store]
    assert lag[40] == pytest.approx(lag[35] + 50, abs=1)
    # The caller serves it for its first 30 s, then refuses it: its requests fail.
    assert mean(st.err[identity], 300, 320) < 0.3
    assert mean(st.err[identity], 360, 660) > 0.95
    # Quota back (11m): writes accepted, the data catches up, the caller recovers.
    assert mean(ops["write"].err, 700, 1200) < 0.01
    assert lag[75] == 0 and mean(st.err[identity], 760, 1200) < 0.01


def test_request_mode_is_unchanged_and_a_bad_mode_is_refused():
    from dojo.telemetry.faults import FAULTS

    mode = FAULTS["quota_exhaustion"].params["mode"]
    assert mode.check("storage") is None and mode.check("requests") is None
    assert "must be one of" in (mode.check("disk") or "")


@pytest.fixture(scope="module")
def tel():
    return synthesize(tiny(SERVICES, [CUT]))


def _lines(tel, service, t0, t1):
    logs = tel.logs
    t = logs.column("t").to_numpy()
    keep = pc.equal(logs.column("service").cast("string"), service).to_numpy(zero_copy_only=False)
    keep &= (t >= t0) & (t < t1)
    return [m for m, k in zip(logs.column("message").to_pylist(), keep) if k]


def test_the_signals_tell_the_chain(tel):
    refused = [m for m in _lines(tel, "store", 300, 660) if "storage quota exceeded" in m]
    assert len(refused) > 5
    assert all(("UPDATE " in m or "INSERT " in m) for m in refused)  # writes, never a read
    assert not [m for m in _lines(tel, "store", 0, 290) if "quota" in m]  # the grace period is quiet
    stale = [m for m in _lines(tel, "identity", 360, 660) if "stale read refused" in m]
    assert len(stale) > 20 and all(m.startswith("500 ") for m in stale)
    m = tel.metrics
    store = m[m["service"] == "store"].pivot(index="t", columns="metric", values="value")
    assert store[op_metric("error_rate", "write")].loc[310:650].mean() > 0.9
    assert store[op_metric("error_rate", "read")].loc[310:650].mean() < 0.01
    assert store["replication_lag_s"].loc[600] > 250
    sp = tel.spans
    writes = sp[(sp["service"] == "store") & (sp["t"] > 310) & (sp["t"] < 650) & (sp["name"] == "UPDATE store")]
    assert len(writes) > 0 and (writes["status"] == "error").all()
    assert "RESOURCE_EXHAUSTED" in writes["message"].iloc[0]
    ident = sp[(sp["service"] == "identity") & (sp["t"] > 400) & (sp["t"] < 650) & (sp["parent_id"] != "")]
    assert np.mean(ident["status"] == "error") > 0.9
