"""The retold incidents keep the mechanisms of their public reports: a grace period between the
change and the failure, overloads that outlive their trigger, a cache that comes back cold, and
no change the record does not have. Each would fail if the retelling slid back to a stand-in."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from dojo.scenario import load_scenario
from dojo.telemetry.synthesize import synthesize

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"


@cache
def _load(sid: str):
    sc = load_scenario(LIBRARY / f"{sid}.yaml")
    return sc, synthesize(sc)


def _series(sid: str, service: str, metric: str, t0: float, t1: float) -> np.ndarray:
    _, tel = _load(sid)
    m = tel.metrics
    sel = m[(m.service == service) & (m.metric == metric) & (m.t >= t0) & (m.t < t1)]
    assert len(sel), f"{sid}: no {service}/{metric} between {t0} and {t1}"
    return sel.value.to_numpy(dtype=float)


def _events(sid: str) -> dict[str, object]:
    sc, _ = _load(sid)
    return {ev.id: ev for ev in sc.timeline if ev.id}


def test_identity_quota_refuses_writes_after_a_grace_period_and_reads_go_stale():
    sid = "identity-quota-zero"
    sc, tel = _load(sid)
    ev = _events(sid)
    quota = ev["quota"]
    # The real chain: a storage allocation cut to zero, not a request quota answered with 429s.
    assert quota.kind == "quota_exhaustion" and quota.params["mode"] == "storage"
    assert not any(e.kind in ("disk_full", "replication_lag") for e in sc.timeline)
    # The cut lands with the quota run; enforcement waits out the grace period, and nothing
    # changes at the onset itself.
    assert quota.at == ev["enforce"].at and quota.params["grace_s"] >= 600
    onset = quota.at + quota.params["grace_s"]
    assert not [e for e in sc.timeline if abs(e.at - onset) < 60 and e.kind in ("config_change", "deploy")]
    assert sc.answer.accepted[0].fault == "quota_exhaustion"
    # Quiet and fresh during the grace period, stale and failing after it.
    assert _series(sid, "account-store", "error_rate", quota.at, onset).max() < 0.05
    assert _series(sid, "account-store", "replication_lag_s", 0, onset).max() == 0
    assert _series(sid, "account-store", "replication_lag_s", onset + 300, onset + 600).min() > 60
    # Writes refused, reads served: the operations are seen apart.
    assert _series(sid, "account-store", "error_rate{op=write-account}", onset + 30, onset + 600).mean() > 0.9
    assert _series(sid, "account-store", "error_rate{op=read-account}", onset + 30, onset + 600).mean() < 0.01
    # Identity refuses the stale data: its own 5xx are the outage.
    assert _series(sid, "identity", "error_rate", onset + 180, onset + 600).mean() > 0.5
    lines = tel.logs.filter(tel.logs.column("t").to_numpy() > onset + 120).column("message").to_pylist()
    assert any(m.startswith("500 ") and "stale read refused" in m for m in lines)
    assert any("storage quota exceeded" in m for m in lines)
    assert not any("rate limit exceeded" in m for m in lines)


def _storm_outlives(sid: str, service: str, metric: str, trigger: str, fix: str, above: float) -> None:
    ev = _events(sid)
    end = ev[trigger].end
    assert end is not None, f"{sid}: the trigger {trigger} must end for the storm to outlive it"
    between = _series(sid, service, metric, end + 60, ev[fix].at)
    after = _series(sid, service, metric, ev[fix].at + 180, ev[fix].at + 300)
    assert between.min() > above, f"{sid}: the overload ended with its trigger: {between}"
    assert after.max() < above, f"{sid}: the fix did not end it: {after}"


def test_kv_store_lease_collapse_is_metastable_after_dns_returns():
    sid = "kv-store-dns-record"
    sc, _ = _load(sid)
    assert not any(e.kind == "queue_lag" for e in sc.timeline)
    ev = _events(sid)
    assert ev["retry-policy"].kind == "metastable_retry_storm"
    assert ev["lapsed"].at >= ev["fix"].at  # the burst comes when DNS is back
    _storm_outlives(sid, "droplet-fleet", "cpu_pct", "lapsed", "throttle", 80)
    # Launches keep failing after the DNS fix, until the throttle.
    assert _series(sid, "instance-api", "error_rate", ev["lapsed"].at + 240, ev["throttle"].at).min() > 0.5


def test_slack_cold_cache_refills_slowly_and_the_overload_outlives_the_swaps():
    sid = "boot-cache-emptied"
    ev = _events(sid)
    assert ev["rollout"].kind == "restart" and ev["boot-retries"].kind == "metastable_retry_storm"
    _storm_outlives(sid, "channels-db", "cpu_pct", "emptied", "hotfix", 85)
    hit = _series(sid, "memcached", "cache_hit_pct", ev["emptied"].at + 300, ev["hotfix"].at)
    assert hit[0] < hit[-1] < 90, f"the cache should refill slowly: {hit}"


def test_google_red_button_sets_off_a_herd_that_outlives_it():
    sid = "api-policy-null-fields"
    ev = _events(sid)
    assert ev["no-backoff"].kind == "metastable_retry_storm"
    assert ev["herd"].at >= ev["red-button"].at
    _storm_outlives(sid, "policy-store", "cpu_pct", "herd", "throttle", 80)


@pytest.mark.parametrize("sid", ["edge-waf-cpu", "proxy-feature-file"])
def test_no_invented_red_herring_changes(sid):
    sc, _ = _load(sid)
    assert not [e for e in sc.timeline if e.red_herring], "a red herring the public record does not have"
