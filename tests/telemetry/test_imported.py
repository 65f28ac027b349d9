"""Imported signals replay like synthetic ones: read back from the formats `dojo generate` writes."""

import shutil
from pathlib import Path

import pytest
import yaml

from dojo.scenario import ScenarioErrors, load_scenario
from dojo.telemetry.export import export
from dojo.telemetry.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "fixtures" / "checkout-retry-storm.yaml"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """An 'incident' exported to files: our stand-in for material an instructor imported."""
    folder = tmp_path_factory.mktemp("real")
    tel = synthesize(load_scenario(SOURCE), seed=99)
    export(tel, folder)
    return folder, tel


def scenario_with_imports(tmp_path, real_folder, imports: dict, **changes) -> Path:
    data = yaml.safe_load(SOURCE.read_text())
    data.update(changes)
    data["imports"] = imports
    target = tmp_path / "imported.yaml"
    (tmp_path / "signals").mkdir(exist_ok=True)
    for name in ("logs.jsonl", "metrics.csv", "traces.otlp.json", "events.jsonl"):
        shutil.copy(real_folder / name, tmp_path / "signals" / name)
    target.write_text(yaml.safe_dump(data))
    return target


def test_replaced_logs_are_the_imported_lines(tmp_path, real):
    folder, source = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/logs.jsonl", "replace": ["logs"]})
    tel = synthesize(load_scenario(path))
    assert tel.logs["message"].to_pylist() == source.logs["message"].to_pylist()
    assert tel.logs["t"].to_pylist() == pytest.approx(source.logs["t"].to_pylist(), abs=1e-3)
    assert tel.logs["id"].to_pylist() == list(range(tel.n_logs))


def test_mixed_signals_keep_both(tmp_path, real):
    folder, source = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/logs.jsonl", "traces": "signals/traces.otlp.json"})
    sc = load_scenario(path)
    alone = synthesize(sc.model_copy(update={"imports": None}))
    tel = synthesize(sc)
    assert tel.n_logs == alone.n_logs + source.n_logs
    assert len(tel.spans) == len(alone.spans) + len(source.spans)
    t = tel.logs["t"].to_numpy()
    assert (t[1:] >= t[:-1]).all()


def test_imported_metrics_win_and_alerts_follow_them(tmp_path, real):
    folder, source = real
    path = scenario_with_imports(
        tmp_path,
        folder,
        {"metrics": "signals/metrics.csv"},
        timeline=[],
        answer={"accepted": [{"service": "checkout", "fault": "no_fault"}]},
    )
    tel = synthesize(load_scenario(path))
    m = tel.metrics
    mine = m[(m.service == "payments") & (m.metric == "rps")]["value"].to_numpy()
    theirs = source.metrics[(source.metrics.service == "payments") & (source.metrics.metric == "rps")][
        "value"
    ].to_numpy()
    assert mine.tolist() == pytest.approx(theirs.tolist())
    # The timeline has no fault, yet the page fires: it is evaluated on the imported series.
    assert (tel.events.kind == "alert_firing").any()


def test_imported_scenario_plays_in_the_engine(tmp_path, real):
    from dojo.engine import Session
    from dojo.store import Store

    folder, _ = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/logs.jsonl", "replace": ["logs"]})
    sc = load_scenario(path)
    store = Store.open(tmp_path / "dojo.sqlite3")
    s = Session.start(sc, store, clock="manual")
    page = s.logs(contains="retrying request to payments")
    assert page.count > 0
    s.pin(page.lines[0].id)
    assert s.diagnose("checkout", "retry_storm", "retries without backoff").correct
    s.close()


def test_missing_imported_file_is_a_load_error(tmp_path, real):
    folder, _ = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/nope.jsonl"})
    with pytest.raises(ScenarioErrors) as err:
        load_scenario(path)
    assert "imports.logs" in str(err.value) and "no such file" in str(err.value)
    assert str(err.value).startswith(f"{path}:")


def test_malformed_imported_file_names_its_line(tmp_path, real):
    folder, _ = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/logs.jsonl"})
    bad = tmp_path / "signals" / "logs.jsonl"
    lines = bad.read_text().splitlines()
    lines[2] = '{"ts": "2026-03-10T14:00:01Z", "msg": '
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioErrors) as err:
        load_scenario(path)
    assert f"{bad}:3: not JSON" in str(err.value)


def test_a_replaced_kind_without_a_file_is_replaced_by_nothing(tmp_path, real):
    # Real logs from an incident that had no tracing: no synthetic traces beside them.
    folder, source = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/logs.jsonl", "replace": ["logs", "traces"]})
    sc = load_scenario(path)
    tel = synthesize(sc)
    assert len(tel.spans) == 0
    assert tel.n_logs == source.n_logs
    assert len(synthesize(sc.model_copy(update={"imports": None})).spans) > 0  # there were some to replace


@pytest.mark.parametrize("kind, name", [("logs", "logs.jsonl"), ("traces", "traces.otlp.json")])
def test_an_imported_file_nested_too_deeply_is_a_load_error(tmp_path, real, kind, name):
    folder, _ = real
    path = scenario_with_imports(tmp_path, folder, {kind: f"signals/{name}"})
    bad = tmp_path / "signals" / name
    bad.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ScenarioErrors) as err:
        load_scenario(path)
    assert "nested too deeply" in str(err.value) and str(bad) in str(err.value)


def test_what_the_loader_read_stays_with_telemetry_and_goes_with_its_scenario(tmp_path, real):
    """The model carries no telemetry cache: the files read at load wait in dojo.telemetry.imported,
    are what synthesis merges (no second read), and are let go with the scenario."""
    import gc

    from dojo.telemetry import imported

    folder, _ = real
    path = scenario_with_imports(tmp_path, folder, {"logs": "signals/logs.jsonl", "replace": ["logs"]})
    sc = load_scenario(path)
    key = id(sc)
    held = imported._READ[key]
    assert held.logs is not None and imported.imported_signals(sc) is held
    assert not any(isinstance(v, imported.Imported) for v in vars(sc).values())
    (tmp_path / "signals" / "logs.jsonl").unlink()  # synthesis must not need the file again
    assert synthesize(sc).n_logs == held.logs.num_rows
    del sc
    gc.collect()
    assert key not in imported._READ
