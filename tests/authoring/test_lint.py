"""The linter proves a scenario fair, and says precisely what makes one unfair."""

import pytest

from dojo.authoring.lint import lint
from dojo.telemetry.synthesize import synthesize
from tests.telemetry.scenarios import shop

SLOW = {"at": "10m", "kind": "dependency_latency", "service": "provider", "params": {"added_ms": 1500}, "for": "10m"}
STORM = {"at": "10m", "kind": "retry_storm", "service": "checkout", "params": {"factor": 4}}
GOOD_EVIDENCE = [
    {"logs": {"service": "checkout", "contains": "retrying request to payments"}},
    {"metric": {"service": "payments", "name": "rps", "rises": "2x"}},
    {"trace": {"service": "checkout", "status": "error"}},
]


def findings(**overrides):
    data = {
        "timeline": [SLOW, STORM],
        "answer": {"accepted": [{"service": "checkout", "fault": "retry_storm"}], "evidence": GOOD_EVIDENCE},
    }
    data.update(overrides)
    timeline = data.pop("timeline")
    sc = shop(timeline, **data)
    return {f.keypath: f.message for f in lint(sc, synthesize(sc))}


def test_a_fair_scenario_has_no_findings():
    assert findings() == {}


def test_evidence_that_never_matches():
    f = findings(
        answer={
            "accepted": [{"service": "checkout", "fault": "retry_storm"}],
            "evidence": [{"logs": {"service": "checkout", "contains": "no such text"}}],
        }
    )
    assert "matches nothing after the onset" in f["answer.evidence[0]"]


def test_evidence_that_is_there_before_the_fault():
    # Health checks are written all the time: they are not evidence of anything.
    f = findings(
        answer={
            "accepted": [{"service": "checkout", "fault": "retry_storm"}],
            "evidence": [{"logs": {"service": "checkout", "contains": "healthz"}}],
        }
    )
    assert "not evidence of the fault" in f["answer.evidence[0]"]


def test_answer_must_name_a_fault_of_the_timeline():
    f = findings(answer={"accepted": [{"service": "payments", "fault": "memory_leak"}], "evidence": GOOD_EVIDENCE})
    assert "timeline has no memory_leak on payments" in f["answer.accepted[0]"]


def test_alert_that_never_fires():
    alerts = [
        {"name": "CheckoutP99High", "service": "checkout", "metric": "latency_p99_ms", "above": 1500, "for": "1m"},
        {"name": "Never", "service": "web", "metric": "cpu_pct", "above": 99.9, "for": "5m"},
    ]
    f = findings(alerts=alerts)
    assert "never fires" in f["alerts[1]"]


def test_page_before_onset_is_noise():
    alerts = [{"name": "Flappy", "service": "web", "metric": "rps", "above": 1, "for": "10s"}]
    f = findings(alerts=alerts)
    assert "before the onset" in f["alerts"]


def test_red_herring_that_gives_the_answer_away():
    herring = {"at": "5m", "kind": "retry_storm", "service": "checkout", "red_herring": True, "params": {"factor": 2}}
    early_slow = {**SLOW, "at": "5m", "for": "3m"}
    f = findings(timeline=[early_slow, herring, SLOW, STORM])
    assert any("red herring" in m for m in f.values())


def test_lint_cli_reports_file_line_and_exits_1(tmp_path):
    from click.testing import CliRunner

    from dojo.cli import cli

    path = tmp_path / "unfair.yaml"
    path.write_text(
        "id: unfair\ntitle: Unfair\ndifficulty: 1\nduration: 20m\nbriefing: x\n"
        "services:\n  - {name: web, kind: http, rps: 20}\n"
        "timeline:\n  - {at: 5m, kind: traffic_surge, service: web}\n"
        "alerts:\n  - {name: Never, service: web, metric: cpu_pct, above: 101}\n"
        "answer:\n  accepted: [{service: web, fault: traffic_surge}]\n  evidence:\n"
        "    - {logs: {service: web, contains: healthz}}\n"
    )
    res = CliRunner().invoke(cli, ["lint", str(path)])
    assert res.exit_code == 1
    assert f"{path}:15: answer.evidence[0]: " in res.output
    assert f"{path}:11: alerts[0]: alert Never never fires" in res.output


def _builtin_files():
    from dojo.commands.library import _files

    files, empty = _files(())
    assert not empty
    return files


def test_lint_cli_with_no_paths_lints_every_built_in_scenario(monkeypatch):
    """`dojo lint` alone means the built-ins: every one of them reaches the check (which the
    test below runs for real, one scenario per test so the workers share them)."""
    from click.testing import CliRunner

    from dojo.cli import cli
    from dojo.commands import lint as lint_command

    seen = []
    monkeypatch.setattr(lint_command, "_load_all", lambda files, budget: (seen.extend(files), ([], []))[1])
    res = CliRunner().invoke(cli, ["lint"])
    assert res.exit_code == 0, res.output
    assert sorted(seen) == sorted(_builtin_files()) and len(seen) >= 20


@pytest.mark.parametrize("path", _builtin_files(), ids=lambda p: p.stem)
def test_lint_cli_builtin_scenarios_are_fair(path):
    from click.testing import CliRunner

    from dojo.cli import cli

    res = CliRunner().invoke(cli, ["lint", str(path)])
    assert res.exit_code == 0, res.output
    assert "1 scenario fair" in res.output


def test_a_fault_set_off_by_a_change_counts_as_that_fault():
    # An operator's config change that sets off the retry storm: the answer is the storm, the
    # change its trigger, and the onset is the change's time.
    change = {"at": "10m", "id": "cfg", "kind": "config_change", "service": "checkout"}
    change["params"] = {"fault": "retry_storm", "factor": 4}
    f = findings(
        timeline=[SLOW, change],
        answer={
            "accepted": [{"service": "checkout", "fault": "retry_storm", "trigger": "cfg"}],
            "evidence": GOOD_EVIDENCE,
        },
    )
    assert f == {}
