"""A throwaway PostgreSQL server for the tests, from the machine's own binaries.

Found by `pg_config --bindir`, else /usr/lib/postgresql/*/bin. initdb refuses to run as root, so
as root the cluster belongs to the `postgres` user and commands run through runuser. Trust auth on
127.0.0.1 and a free port; the data folder is removed at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOW = (
    "PostgreSQL server binaries not found: install them (Debian: apt-get install postgresql) "
    "so that 'pg_config --bindir' or /usr/lib/postgresql/*/bin has initdb and pg_ctl"
)


def bindir() -> Path | None:
    found = []
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            found.append(out)
        except (OSError, subprocess.SubprocessError):
            pass
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for d in found:
        if d and (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, *, options: str = "") -> None:
        """`options`: more server settings (-c name=value ...), e.g. to load pg_stat_statements."""
        self.options = options
        bd = bindir()
        if bd is None:
            raise RuntimeError(HOW)
        self.bin = bd
        self.root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="dojo-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self._watch()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "dojo")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/dojo"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60, cwd="/")

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=300"
        if self.options:
            opts += " " + self.options
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def _watch(self) -> None:
        # pg_ctl daemonizes the server, so a test process that dies (killed run, crashed xdist
        # worker) would leave it running for ever: a detached watcher stops it and removes its
        # folder once the process that started it is gone.
        ctl = " ".join([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        if self.root:
            ctl = f"runuser -u postgres -- {ctl}"
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
            f"[ -d {self.data} ] && {ctl} >/dev/null 2>&1; rm -rf {self.dir}"
        )
        subprocess.Popen(
            ["sh", "-c", script],
            start_new_session=True,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_until(check, timeout: float = 5.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
