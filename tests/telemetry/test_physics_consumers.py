"""A worker consuming a queue: the queue drains as fast as the worker's ready instances can."""

import pytest

from dojo.scenario.errors import ScenarioErrors
from dojo.scenario.loader import parse_scenario

from .test_physics_state import mean, run, tiny

PIPELINE = [
    {"name": "api", "kind": "http", "calls": ["jobs"], "rps": 40},
    {"name": "jobs", "kind": "queue"},
    {"name": "mailer", "kind": "worker", "consumes": "jobs", "calls": ["smtp"]},
    {"name": "smtp", "kind": "external"},
]


def test_a_consumer_takes_what_the_producers_publish():
    st = run(tiny(PIPELINE))
    mailer, jobs = st.index("mailer"), st.index("jobs")
    assert abs(mean(st.rps[mailer], 60, 1200) - mean(st.rps[jobs], 60, 1200)) < 1.0
    assert st.queue_age_s[jobs].max() < 20


def test_pausing_the_workers_grows_the_backlog_and_they_drain_it_faster_after():
    pause = {"at": "5m", "kind": "feature_flag", "service": "mailer", "params": {"consumers": 0}, "for": "4m"}
    st = run(tiny(PIPELINE, [pause]))
    mailer, jobs, smtp = st.index("mailer"), st.index("jobs"), st.index("smtp")
    assert mean(st.rps[mailer], 320, 530) == 0.0  # paused: nothing taken
    assert mean(st.rps[smtp], 320, 530) == 0.0
    depth = st.flow_out.depth[jobs]
    assert depth[53] > 40 * 200  # four minutes of publishes wait
    # Back: the workers run flat out (above the publish rate) until the backlog is gone.
    assert mean(st.rps[mailer], 550, 600) > 1.5 * mean(st.rps[jobs], 550, 600)
    assert depth[-1] < 1.0


def test_a_worker_restart_slows_the_drain_while_it_comes_back():
    restart = {"at": "5m", "kind": "restart", "service": "mailer", "params": {"warmup_s": 240}}
    st = run(tiny(PIPELINE, [restart]))
    jobs = st.index("jobs")
    assert st.queue_age_s[jobs][31:40].max() > 30
    assert st.queue_age_s[jobs][:29].max() < 20


@pytest.mark.parametrize(
    "services, message",
    [
        ([{**PIPELINE[2], "consumes": "api"}], "'api' is a http, not a queue"),
        ([{**PIPELINE[2], "consumes": "jbos"}], "no service named 'jbos'"),
        ([{**PIPELINE[2], "calls": ["api"]}], "the queue it consumes"),
        ([{**PIPELINE[2], "kind": "http"}], "only a worker consumes a queue"),
    ],
)
def test_a_wrong_consumer_is_refused(services, message):
    import json

    svcs = [PIPELINE[0], PIPELINE[1], *services, PIPELINE[3]]
    text = json.dumps(
        {
            "id": "tiny",
            "title": "tiny",
            "difficulty": 1,
            "duration": "20m",
            "seed": 5,
            "briefing": "test",
            "services": svcs,
            "answer": {"accepted": [{"service": "api", "fault": "no_fault"}]},
        }
    )
    with pytest.raises(ScenarioErrors, match=message):
        parse_scenario(text, "x.yaml")
