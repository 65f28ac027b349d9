"""The package as a user gets it: a wheel built from this checkout, installed in a fresh venv
outside the checkout, lists every built-in scenario and plays one headless to a solve.

The rest of the suite imports the checkout itself (tests/conftest.py puts it first on the path),
so only this test notices a scenario, a style sheet or a data file left out of the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from dojo.scenario.yamlsafe import read_yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kw)
    assert out.returncode == 0, f"{' '.join(args)} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


def _clean_env(home: Path) -> dict[str, str]:
    """The user's environment: no path into the checkout, no scenario folder override."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DOJO_SCENARIOS", "VIRTUAL_ENV")}
    return {**env, "DOJO_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(the venv's `dojo`, its environment, a folder outside the checkout to run it in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env(tmp / "home")
    dist = tmp / "dist"
    # sdist first, then the wheel from it (build's default): no stale build/ folder in the
    # checkout can slip into the wheel, and the sdist is proved complete on the way.
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=tmp, env=env)
    (wheel,) = dist.glob("*.whl")
    venv.create(tmp / "venv", with_pip=True)
    bin_dir = tmp / "venv" / ("Scripts" if os.name == "nt" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp, env=env)
    work = tmp / "elsewhere"
    work.mkdir()
    return bin_dir / "dojo", env, work


def test_the_installed_package_is_not_the_checkout(installed):
    dojo, env, work = installed
    where = _run([str(dojo.parent / "python"), "-c", "import dojo; print(dojo.__file__)"], cwd=work, env=env)
    assert not Path(where.stdout.strip()).is_relative_to(ROOT)


def test_the_wheel_lists_every_built_in_scenario(installed):
    dojo, env, work = installed
    out = _run([str(dojo), "list", "--json"], cwd=work, env=env)
    listed = {row["id"] for row in json.loads(out.stdout)}
    authored = {read_yaml(p.read_bytes(), str(p)).data["id"] for p in SCENARIOS.glob("*.y*ml")}
    assert authored and listed == authored


def test_the_wheel_plays_a_scenario_headless_to_a_solve(installed):
    dojo, env, work = installed
    path = SCENARIOS / "checkout-retry-storm.yaml"
    data = read_yaml(path.read_bytes(), str(path)).data
    answer = data["answer"]["accepted"][0]
    commands = [
        {"cmd": "advance", "seconds": 24 * 3600},  # past the end: every signal has happened
        {"cmd": "diagnose", "service": answer["service"], "fault": answer["fault"], "explanation": "from the wheel"},
        {"cmd": "quit"},
    ]
    out = _run(
        [str(dojo), "play", data["id"], "--headless", "--clock", "manual"],
        cwd=work,
        env=env,
        input="".join(json.dumps(c) + "\n" for c in commands),
    )
    replies = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["ok"] for r in replies] == [True, True, True], replies
    assert replies[1]["correct"] is True and replies[1]["card"]["outcome"] == "solved"


def test_the_wheel_creates_a_game_with_the_migrations_it_ships(installed):
    """The game tables are made by Alembic revisions inside the package: from the wheel, with no
    checkout and no alembic.ini anywhere, `gameday create` migrates a new store and `status` reads it."""
    dojo, env, work = installed
    db = work / "games.sqlite3"
    out = _run([str(dojo), "gameday", "create", "checkout-retry-storm", "--team", "red", "--db", str(db), "--json"],
               cwd=work, env=env)  # fmt: skip
    created = json.loads(out.stdout)
    status = _run([str(dojo), "gameday", "status", created["game"], "--key", created["key"], "--db", str(db), "--json"],
                  cwd=work, env=env)  # fmt: skip
    assert json.loads(status.stdout)["teams"][0]["team"] == "red"
