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
