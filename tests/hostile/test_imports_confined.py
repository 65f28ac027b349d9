"""A shared scenario reads only files in its own folder: no absolute paths, no `..`, no symlink
out, nothing over the size limit; each refused at validate with one line naming file:line and key."""

import json
import os

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.scenario import ScenarioErrors, load_scenario

from .scenario import FIXTURE

EVENT = json.dumps({"ts": "2026-03-10T14:20:00Z", "kind": "deploy", "service": "checkout", "name": "deploy x"})


def scenario(folder, rel):
    text = FIXTURE.read_text() + f"imports:\n  events: {json.dumps(rel)}\n"
    path = folder / "shared.yaml"
    path.write_text(text)
    return path, len(text.splitlines())


@pytest.fixture
def secret(tmp_path):
    """A file of the player's, outside the scenario's folder."""
    (tmp_path / "home").mkdir()
    f = tmp_path / "home" / "secret.jsonl"
    f.write_text(EVENT + "\n")
    (tmp_path / "game").mkdir()
    return f


def _validate_line(path):
    res = CliRunner().invoke(cli, ["validate", str(path)], color=True)
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert len(lines) == 2, res.output
    return lines[0]


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "dotdot inside"])
def test_paths_that_leave_the_folder_are_refused(tmp_path, secret, kind):
    rel = {"absolute": str(secret), "dotdot": "../home/secret.jsonl", "dotdot inside": "x/../../home/secret.jsonl"}[
        kind
    ]
    path, line = scenario(tmp_path / "game", rel)
    first = _validate_line(path)
    assert first.startswith(f"{path}:{line}: imports.events: "), first
    assert "absolute path" in first or "'..' leaves the scenario's folder" in first
    with pytest.raises(ScenarioErrors):
        load_scenario(path)


def test_a_symlink_out_is_refused_and_one_inside_is_read(tmp_path, secret):
    game = tmp_path / "game"
    (game / "shared.signals").mkdir()
    os.symlink(secret, game / "shared.signals" / "events.jsonl")
    path, line = scenario(game, "shared.signals/events.jsonl")
    assert "a symlink to outside the scenario's folder" in _validate_line(path)
    os.symlink(tmp_path / "home", game / "linked")  # a folder symlinked out: the same
    path, line = scenario(game, "linked/secret.jsonl")
    assert "a symlink to outside" in _validate_line(path)

    (game / "mine.jsonl").write_text(EVENT + "\n")
    os.symlink(game / "mine.jsonl", game / "shared.signals" / "inside.jsonl")
    path, _ = scenario(game, "shared.signals/inside.jsonl")
    assert load_scenario(path).imports.events == "shared.signals/inside.jsonl"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    (tmp_path / "big.jsonl").write_text((EVENT + "\n") * 20_000)  # about 2 MB
    path, line = scenario(tmp_path, "big.jsonl")
    monkeypatch.setenv("DOJO_MAX_IMPORT_MB", "1")
    first = _validate_line(path)
    assert first.startswith(f"{path}:{line}: imports.events: 'big.jsonl': 2 MB, over the 1 MB limit"), first
    monkeypatch.setenv("DOJO_MAX_IMPORT_MB", "5")
    assert load_scenario(path).imports is not None


def test_reading_refuses_too_even_without_the_loader(tmp_path, secret):
    from dojo.telemetry.imported import ImportedSignalError, load_imports

    path, _ = scenario(tmp_path / "game", "x.jsonl")
    (tmp_path / "game" / "x.jsonl").write_text(EVENT + "\n")
    sc = load_scenario(path)
    sc = sc.model_copy(update={"imports": sc.imports.model_copy(update={"events": "../home/secret.jsonl"})})
    sc._base_dir = tmp_path / "game"  # a scenario built in code, never through the loader's check
    with pytest.raises(ImportedSignalError, match="leaves the scenario's folder"):
        load_imports(sc)
