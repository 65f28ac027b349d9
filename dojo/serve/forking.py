"""`dojo serve`'s side of the warm fork server: start it in a private folder, wait until it has
imported everything, hand out the launcher command each tab runs, and stop it with the server."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .forkserver import READY, forking_possible

LAUNCHER = Path(__file__).with_name("launch.py")
# The imports and the warm incident's mapping, on a busy 2-core machine, with room to spare.
START_S = 90.0
STOP_S = 5.0


class ForkServerError(Exception):
    """Why the fork server is not running; `dojo serve` then starts each tab as a plain process."""


def _die_with_parent() -> None:
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ForkServerProcess:
    """The running fork server; `launch(args)` is the command a tab runs to get a dojo from it."""

    def __init__(self, folder: Path, proc: subprocess.Popen):
        self.folder = folder
        self.socket = folder / "fork.sock"
        self.proc = proc
        self.warmed = 0  # incidents it holds mapped for its forks

    @classmethod
    def start(
        cls,
        game: str | None = None,
        db: str | None = None,
        key: str | None = None,
        warm: Sequence[str] = (),
        timeout: float = START_S,
    ) -> ForkServerProcess:
        """Start it and wait until it is ready; it warms the game's incident (with the key) and
        the scenarios in `warm` (files or built-in ids)."""
        why = forking_possible()
        if why is not None:
            raise ForkServerError(why)
        # A folder only this user can enter (mkdtemp makes it 0700): the first of two locks on
        # the socket, the second being the server's check of the peer's uid.
        base = os.environ.get("XDG_RUNTIME_DIR")
        folder = Path(tempfile.mkdtemp(prefix="dojo-serve-", dir=base if base and os.path.isdir(base) else None))
        argv = [sys.executable, "-m", "dojo.serve.forkserver", "--socket", str(folder / "fork.sock")]
        env = dict(os.environ)
        # Not in its environment: a forked dojo's /proc/PID/environ is the server's as it started.
        env.pop("DOJO_GAME_KEY", None)
        if game is not None:
            argv += ["--game", game] + (["--db", db] if db else [])
            if key:
                argv.append("--key-on-stdin")
        for ref in warm:
            argv += ["--warm", ref]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
            assert proc.stdin is not None
            with proc.stdin:
                if game is not None and key:
                    proc.stdin.write(key.encode() + b"\n")
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ForkServerError(f"cannot start it ({exc.strerror or exc})") from None
        server = cls(folder, proc)
        try:
            server._wait_ready(timeout)
        except ForkServerError:
            server.stop()
            raise
        return server

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise ForkServerError(f"it was not ready within {timeout:.0f} s")
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                continue
            chunk = os.read(fd, 256)
            if not chunk:
                raise ForkServerError(f"it exited with status {self.proc.wait()}")
            line += chunk
        word, _, count = line.decode(errors="replace").partition(" ")
        if word != READY:
            raise ForkServerError(f"it said {line[:80]!r}")
        self.warmed = int(count) if count.strip().isdigit() else 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def launch(self, args: Sequence[str]) -> list[str]:
        """The command a tab runs: the launcher, which asks this server for `dojo ARGS`. Run as a
        file, isolated and without site-packages (-I -S): it needs only the standard library, and
        every tab pays for whatever its interpreter loads."""
        return [sys.executable, "-I", "-S", str(LAUNCHER), str(self.socket), *args]

    def stop(self) -> None:
        """End the server (tabs already running keep going: each is tied to its own launcher)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)
