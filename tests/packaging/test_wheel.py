"""The package as a user gets it: a wheel built from this checkout, installed in a fresh venv
outside the checkout, lists every built-in scenario and plays one headless to a solve.

The rest of the suite imports the checkout itself (tests/conftest.py puts it first on the path),
so only this test notices a scenario, a style sheet or a data file left out of the wheel.

The wheel goes in with `--no-deps`, and the fresh venv borrows this test run's installed
dependencies (a .pth line) instead of installing them again: that install was most of this
module's time. What the user's `pip install` would fetch is still checked: the wheel declares
exactly pyproject's dependencies, and `pip check` in the fresh venv finds every one of them
installed in a version the wheel accepts.
"""

from __future__ import annotations

import email
import fcntl
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
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
def wheel(tmp_path_factory) -> Path:
    """The wheel, built once per test run: under `pytest -n` every worker that runs a test of this
    module shares the one the first built (a lock over the run's shared folder), since two builds
    from the same checkout at once write the same build folders and break each other."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this run's, not the last run's
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dist = shared / "wheel-dist"
        if not any(dist.glob("*.whl")):
            tmp = tmp_path_factory.mktemp("build")
            # sdist first, then the wheel from it (build's default): no stale build/ folder in the
            # checkout can slip into the wheel, and the sdist is proved complete on the way. Without
            # an isolated build env (the test extra has the build system's setuptools): CI's own
            # `pip install -e .` already builds through the declared build requirements.
            _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"), str(ROOT)],
                 cwd=tmp, env=_clean_env(tmp / "home"))  # fmt: skip
            (tmp / "dist").rename(dist)  # whole, or not at all, for the next worker
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> tuple[Path, dict[str, str], Path]:
    """(the venv's `dojo`, its environment, a folder outside the checkout to run it in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env(tmp / "home")
    venv.create(tmp / "venv", with_pip=False)
    bin_dir = tmp / "venv" / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # pip of this test run installs into the fresh venv (--python); the venv sees nothing of this
    # run yet, so pip cannot take the checkout's own install for the wheel's.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp, env=env)  # fmt: skip
    # Then the dependencies: this run's site-packages, after the venv's own on the path. A .pth
    # line only adds a folder; the .pth files inside it (the checkout's editable hook) do not run.
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp,
                     env=env).stdout.strip())  # fmt: skip
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz_test_run_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    work = tmp / "elsewhere"
    work.mkdir()
    return bin_dir / "dojo", env, work


def test_the_wheel_requires_exactly_the_projects_dependencies(wheel):
    with zipfile.ZipFile(wheel) as zf:
        (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        declared = email.message_from_bytes(zf.read(meta)).get_all("Requires-Dist")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # The extras' requirements are listed with an `extra == ...` marker; the rest must be ours.
    needed = sorted(r.replace(" ", "") for r in declared if "extra ==" not in r)
    assert needed == sorted(d.replace(" ", "") for d in project["dependencies"])


def test_the_installed_package_is_not_the_checkout(installed):
    dojo, env, work = installed
    where = _run([str(dojo.parent / "python"), "-c", "import dojo; print(dojo.__file__)"], cwd=work, env=env)
    assert not Path(where.stdout.strip()).is_relative_to(ROOT)
    assert Path(where.stdout.strip()).is_relative_to(dojo.parent.parent)  # the wheel's copy, in the venv


def test_the_installed_wheels_requirements_are_all_met(installed):
    dojo, env, work = installed
    _run([sys.executable, "-m", "pip", "--python", str(dojo.parent / "python"), "check"], cwd=work, env=env)


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
