"""The telemetry pipeline fails with what it depends on: dashboards blank, log lines lost."""

from dojo.telemetry.synthesize import synthesize

from .test_physics_state import tiny

KV_DOWN = {
    "at": "5m",
    "kind": "code_defect",
    "service": "kv",
    "for": "5m",
    "params": {"tenant_share": 1.0, "fail_share": 1.0},
}


def system(carries: str, mode: str = "blank"):
    return [
        {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 50},
        {"name": "api", "kind": "http"},
        # Every host's agent writes here; the backend keeps its index in a KV store.
        {
            "name": "metrics-backend",
            "kind": "http",
            "calls": ["kv"],
            "rps": 80,
            "pipeline": {"carries": carries, "mode": mode},
        },
        {"name": "kv", "kind": "db"},
    ]


def points(tel, service, metric, a, b):
    m = tel.metrics
    m = m[(m["service"] == service) & (m["metric"] == metric) & (m["t"] >= a) & (m["t"] < b)]
    return m["value"]


def test_dashboards_go_blank_while_a_dependency_of_the_metrics_backend_fails():
    tel = synthesize(tiny(system("metrics"), [KV_DOWN]))
    assert len(points(tel, "api", "rps", 0, 290)) == 29
    assert len(points(tel, "api", "rps", 310, 590)) == 0  # blank: no points while it is down
    assert len(points(tel, "api", "rps", 610, 1200)) == 59  # back when the backend is
    assert len(points(tel, "metrics-backend", "error_rate", 310, 590)) > 0  # meta-monitoring sees it
    assert points(tel, "metrics-backend", "error_rate", 310, 590).mean() > 0.9
    # The logs pipeline is another one: api's lines still arrive.
    logs = tel.logs.to_pandas()
    assert logs[(logs["service"] == "api")]["t"].between(310, 590).sum() > 100


def test_stale_mode_repeats_the_last_value():
    tel = synthesize(tiny(system("metrics", "stale"), [KV_DOWN]))
    frozen = points(tel, "api", "rps", 310, 590)
    assert len(frozen) == 28 and frozen.nunique() == 1


def test_log_lines_are_lost_while_the_log_pipeline_is_down():
    tel = synthesize(tiny(system("logs"), [KV_DOWN]))
    logs = tel.logs.to_pandas()
    api = logs[logs["service"] == "api"]
    assert not api["t"].between(310, 590).any()
    assert api["t"].between(0, 290).sum() > 100 and api["t"].between(610, 1200).sum() > 100
    assert len(points(tel, "api", "rps", 310, 590)) == 28  # the metrics still arrive


def test_a_healthy_pipeline_loses_nothing():
    plain = synthesize(tiny(system("metrics")))
    assert len(points(plain, "api", "rps", 0, 1200)) == 120


def test_a_frozen_dashboard_stays_frozen_across_an_action():
    from dojo.telemetry.actions import act
    from dojo.telemetry.synthesize import synthesize_with_state

    tel, st = synthesize_with_state(tiny(system("metrics", "stale"), [KV_DOWN]))
    tel2, _ = act(tel, st, {"at": "7m", "kind": "restart", "service": "api"})
    frozen = points(tel2, "api", "rps", 310, 590)
    assert len(frozen) == 28 and frozen.nunique() == 1
    assert frozen.iloc[0] == points(tel, "api", "rps", 310, 590).iloc[0]


def _alerting(mode: str):
    from dojo.scenario.model import Alert

    sc = tiny(
        system("metrics", mode),
        [
            KV_DOWN,  # the metrics pipeline is down from 5m to 10m
            {"at": "2m", "kind": "code_defect", "service": "api", "for": "6m", "params": {"tenant_share": 1.0}},
        ],
    )
    sc = sc.model_copy(
        update={
            "alerts": [
                Alert.model_validate(
                    {"name": "ApiErrors", "service": "api", "metric": "error_rate", "above": 0.5, "for": "1m"}
                )
            ]
        }
    )
    tel = synthesize(sc)
    ev = tel.events[tel.events["kind"].isin(["alert_firing", "alert_resolved"])]
    return [(round(t), k, n) for t, k, n in zip(ev["t"], ev["kind"], ev["name"])]


def test_a_rule_on_missing_metrics_pages_no_data_and_does_not_resolve_silently():
    for mode in ("blank", "stale"):
        events = _alerting(mode)
        errors = [(t, k) for t, k, n in events if n == "ApiErrors"]
        nodata = [(t, k) for t, k, n in events if n == "ApiErrors (no data)"]
        # Fires on the failing api before the pipeline goes down...
        assert errors[0][1] == "alert_firing" and 150 <= errors[0][0] <= 200, (mode, events)
        # ...and stays firing while no points arrive, though api recovered at 8m: it resolves
        # only with the first point received after the pipeline is back (10m).
        assert errors[1] == (610, "alert_resolved"), (mode, events)
        # The no-data alert fires a `for` after the points stop and resolves when they return.
        assert nodata == [(360, "alert_firing"), (610, "alert_resolved")], (mode, events)


def test_no_new_alert_fires_while_the_rule_sees_no_points():
    import numpy as np

    from dojo.scenario.model import Alert
    from dojo.telemetry.alerts import evaluate

    alert = Alert.model_validate({"name": "A", "service": "api", "metric": "rps", "above": 1, "for": "1m"})
    t = np.arange(25) * 10.0
    values = np.full(25, 5.0)
    seen = np.ones(25, dtype=bool)
    seen[3:15] = False  # pending for 30 s when the points stop
    assert evaluate(alert, t, values, 10.0, seen=seen) == [(210.0, "alert_firing", 5.0)]
    assert evaluate(alert, t, values, 10.0) == [(60.0, "alert_firing", 5.0)]
