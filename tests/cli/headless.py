"""A headless `dojo play` in a subprocess, driven one JSON line at a time."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


FIXTURES = ROOT / "tests" / "fixtures"


def dojo_env(home: Path, **extra: str) -> dict:
    # Built-in ids resolve to the frozen fixtures, so retuning the library does not move these tests.
    return dict(os.environ, DOJO_HOME=str(home), PYTHONPATH=str(ROOT), DOJO_SCENARIOS=str(FIXTURES), **extra)


def run_dojo(home: Path, *args: str, input: str | None = None, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dojo", *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dojo_env(home, **extra),
        timeout=120,
    )


class Headless:
    def __init__(self, home: Path, *args: str, scenario: str = "checkout-retry-storm"):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dojo", "play", scenario, "--headless", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env=dojo_env(home),
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put(line)
        self.lines.put(None)

    def send(self, obj: dict | str, timeout: float = 60) -> dict:
        """Send one command and wait for its reply: once it is here, it is acknowledged."""
        line = obj if isinstance(obj, str) else json.dumps(obj)
        self.proc.stdin.write(line + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        reply = self.lines.get(timeout=timeout)
        if reply is None:
            raise AssertionError(f"dojo exited: {self.proc.wait()} {self.proc.stderr.read()}")  # type: ignore[union-attr]
        return json.loads(reply)

    def close(self, timeout: float = 60) -> int:
        self.proc.stdin.close()  # type: ignore[union-attr]
        return self.proc.wait(timeout=timeout)
