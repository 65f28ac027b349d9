"""`dojo cache`, as a user runs it: warm, list, info, clear, and clear errors for bad input."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dojo.cli import cli

ROOT = Path(__file__).resolve().parents[2]
TINY = {
    "id": "tiny-cache",
    "title": "A tiny incident",
    "difficulty": 1,
    "duration": "10m",
    "seed": 3,
    "briefing": "test",
    "services": [{"name": "api", "kind": "http", "calls": ["db"], "rps": 30}, {"name": "db", "kind": "db"}],
    "timeline": [{"at": "4m", "kind": "dependency_latency", "service": "db", "for": "3m"}],
    "answer": {"accepted": [{"service": "db", "fault": "dependency_latency"}]},
}


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DOJO_CACHE", raising=False)
    monkeypatch.delenv("DOJO_CACHE_LIMIT", raising=False)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False))
    return path


def run(*args):
    return CliRunner().invoke(cli, ["cache", *args])


def test_warm_list_info_clear(env, tmp_path):
    first = run("warm", str(env))
    assert first.exit_code == 0, first.output
    assert "tiny-cache" in first.output and "synthesized" in first.output
    again = run("warm", str(env))
    assert "cached already" in again.output
    listed = run("list")
    assert listed.exit_code == 0 and "tiny-cache" in listed.output and " 3 " in listed.output
    info = run("info")
    assert "entries   1" in info.output and str(tmp_path / "cache") in info.output
    cleared = run("clear")
    assert cleared.exit_code == 0 and "removed 1 cached incident " in cleared.output
    assert "no cached incidents" in run("list").output
    assert list((tmp_path / "cache").iterdir()) == []


def test_warm_with_another_seed_is_another_entry(env):
    run("warm", str(env))
    run("warm", str(env), "--seed", "9")
    assert run("info").output.count("entries   2") == 1


def test_warm_needs_scenarios(env):
    res = run("warm")
    assert res.exit_code == 2 and "name scenarios to warm" in res.output


def test_warm_of_a_broken_scenario_names_the_file_and_line(env):
    env.write_text(env.read_text().replace("duration: 10m", "duration: ten minutes"))
    res = run("warm", str(env))
    assert res.exit_code == 1
    assert "tiny.yaml:" in res.output and "duration" in res.output and "Traceback" not in res.output


def test_warm_with_the_cache_off_says_so(env, monkeypatch):
    monkeypatch.setenv("DOJO_CACHE", "off")
    res = run("warm", str(env))
    assert res.exit_code == 2 and "DOJO_CACHE=off" in res.output


def test_a_bad_size_limit_is_one_line(env):
    out = subprocess.run(
        [sys.executable, "-m", "dojo", "cache", "info"],
        capture_output=True, text=True, cwd=ROOT, env={**__import__("os").environ, "DOJO_CACHE_LIMIT": "lots"},
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "dojo: DOJO_CACHE_LIMIT: 'lots' is not a size; write e.g. 2G, 500M or 0 to keep nothing"
    ]


def test_the_cache_modules_import_nothing_heavy():
    probe = (
        "import sys\nimport dojo.cli, dojo.commands.cache, dojo.telemetry.cache, dojo.telemetry.mapped\n"
        "print(' '.join(m for m in ('numpy', 'pandas', 'pyarrow', 'faker', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == []


def test_gameday_create_warms_the_cache_before_printing_codes(env, tmp_path, monkeypatch):
    from dojo.telemetry import synthesize as synth_mod

    calls = []
    real = synth_mod.synthesize
    monkeypatch.setattr(synth_mod, "synthesize", lambda *a, **k: calls.append(a) or real(*a, **k))
    res = CliRunner().invoke(
        cli, ["gameday", "create", str(env), "--team", "red", "--seed", "7", "--db", str(tmp_path / "game.sqlite3")]
    )
    assert res.exit_code == 0, res.output
    assert "join code" in res.output
    assert len(calls) == 1, "warmed once; the game itself is created from the cache"
    listed = run("list").output
    assert "tiny-cache" in listed and " 7 " in listed


def test_warm_all_warms_every_builtin_scenario(env, tmp_path, monkeypatch):
    folder = tmp_path / "library"
    folder.mkdir()
    env.rename(folder / "tiny.yaml")
    monkeypatch.setenv("DOJO_SCENARIOS", str(folder))
    res = run("warm", "--all")
    assert res.exit_code == 0, res.output
    assert res.output.count("synthesized") == 1 and "tiny-cache" in run("list").output
