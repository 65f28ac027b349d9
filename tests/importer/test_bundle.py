"""Done when: a real-style bundle imports in one command into a scenario whose services are the
real ones; the fault shows at its minute in metrics, logs (with levels) and traces; the change
events are on the timeline; lint passes; a player diagnoses it; and the output checks clean."""

from click.testing import CliRunner

from dojo.cli import cli

from .bundle import ONSET, SCENARIO, write_bundle


def test_a_real_style_bundle_imports_and_plays(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    scenario = tmp_path / "incident.yaml"
    scenario.write_text(SCENARIO)
    res = CliRunner().invoke(
        cli,
        [
            "import",
            str(bundle),
            "--scenario",
            str(scenario),
            "--replace",
            "logs,metrics,traces,events",
            "--map",
            "ErrorRate=error_rate",
            "--map",
            "CpuUsageRate(%)=cpu_pct",
            "--map",
            "frontend-access=frontend",
            "--secret",
            "bundle",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "warning" not in res.stderr, res.stderr
    lint = CliRunner().invoke(cli, ["lint", str(scenario)])
    assert lint.exit_code == 0, lint.output

    from dojo.engine import Session
    from dojo.scenario import load_scenario
    from dojo.store import Store

    sc = load_scenario(scenario)
    assert {s.name for s in sc.services} == {"frontend", "checkout", "currencyservice"}
    s = Session.start(sc, Store.open(tmp_path / "dojo.sqlite3"), clock="manual")
    try:
        s.advance(1500)
        # Logs, with levels, from each layout; none before the onset.
        for service in ("frontend", "checkout", "currencyservice"):
            errors = s.logs(service=service, level="ERROR", order="oldest", limit=1000)
            assert errors.count > 50, service
            assert ONSET <= errors.lines[0].t < ONSET + 60, (service, errors.lines[0])
        # Metrics: the pod CSV under the scenario's names, leaving normal at its minute.
        series = s.metrics(service="frontend", metric="error_rate")
        before = [v for t, v in series.points if t < ONSET]
        after = [v for t, v in series.points if t >= ONSET]
        assert max(before) < 0.01 and min(after) > 0.3
        # Traces: error spans in currencyservice from the onset.
        failed = s.traces(service="currencyservice", status="error", order="oldest", limit=500)
        assert failed.count > 50 and failed.traces[0].t >= ONSET and failed.traces[0].status == "error"
        # Change events: the deploy list and the k8s events on the timeline; the page fires after the onset.
        changes = s.events_list(kind="changes")
        kinds = {(e.kind, e.service) for e in changes.events}
        assert ("deploy", "currencyservice") in kinds and ("scale", "currencyservice") in kinds
        assert ("k8s_event", "currencyservice") in kinds
        alerts = s.events_list(kind="alerts")
        fired = [e.t for e in alerts.events if e.kind == "alert_firing" and e.name == "FrontendErrors"]
        assert fired and ONSET <= fired[0] <= ONSET + 120
        # A player: from the page to the deepest failing service's error line, pinned, diagnosed.
        line = s.logs(service="currencyservice", contains="KeyError", limit=1).lines[0]
        s.pin(line.id)
        verdict = s.diagnose("currencyservice", "code_defect", "v2.0.0 reads a rates key the feed lacks")
        assert verdict.correct, verdict
    finally:
        s.close()


def _imported(tmp_path):
    bundle = write_bundle(tmp_path / "bundle")
    scenario = tmp_path / "incident.yaml"
    scenario.write_text(SCENARIO)
    args = ["import", str(bundle), "--scenario", str(scenario), "--secret", "bundle", "--replace", "logs"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return tmp_path / "incident.signals"


def test_the_bundle_signals_check_clean(tmp_path):
    signals = _imported(tmp_path)
    check = CliRunner().invoke(cli, ["sanitize", "--check", str(signals)])
    assert check.exit_code == 0, check.output


def test_nothing_identifying_survives_the_bundle_import(tmp_path):
    signals = _imported(tmp_path)
    raw = "".join(f.read_text() for f in signals.iterdir() if f.is_file() and f.name != "pseudonyms.txt")
    for leak in ("alice.smith", "bob.jones", "81.2.69.142", "175.16.199.7", "cf787dd48-vpjrd", "7d9f8b6c5-x2x9q"):
        assert leak not in raw, leak
