"""CI runs the README's test command verbatim, then the checks, and fails when any step fails."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_test_command() -> str:
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    (command,) = [b for b in blocks if "pytest" in b]
    return command.strip()


def test_ci_runs_the_readme_command_verbatim_then_the_checks():
    run = (ROOT / ".ci" / "run").read_text()
    assert f"({readme_test_command()})" in run.splitlines()
    assert "set -euo pipefail" in run and run.rstrip().endswith(".ci/check")
    check = (ROOT / ".ci" / "check").read_text()
    for tool in ('ruff" check dojo tests', "mypy", "lint-imports"):
        assert tool in check


def _executable(path: Path, text: str) -> None:
    path.write_text("#!/usr/bin/env bash\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _ci(tmp_path: Path, pytest_exit: int, venv_exit: int = 0) -> tuple[int, bool]:
    """Run a copy of .ci/run with python3, pip and python faked: (exit status, checks ran)."""
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    _executable(repo / ".ci" / "check", f"touch {tmp_path / 'checked'}\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    _executable(fake / "python3", f"mkdir -p .venv/bin && touch .venv/bin/activate && exit {venv_exit}\n")
    _executable(fake / "pip", "exit 0\n")
    _executable(fake / "python", f"exit {pytest_exit}\n")
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, timeout=60)
    return done.returncode, (tmp_path / "checked").exists()


def test_ci_passes_and_checks_when_the_tests_pass(tmp_path):
    assert _ci(tmp_path, pytest_exit=0) == (0, True)


def test_ci_fails_on_failed_tests_on_no_tests_and_on_a_failed_setup(tmp_path):
    assert _ci(tmp_path / "failed", pytest_exit=1) == (1, False)
    assert _ci(tmp_path / "none", pytest_exit=5) == (5, False)  # pytest: no tests collected
    assert _ci(tmp_path / "setup", pytest_exit=0, venv_exit=1) == (1, False)
