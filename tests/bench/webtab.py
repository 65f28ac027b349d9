"""A `dojo serve` tab without a browser: the command a tab runs, driven over textual-serve's own
protocol (the web driver's packets on stdin and stdout), as the server drives it for a browser.
Used by bench_cache.py to measure tabs forked from the fork server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

from dojo.interactive import WEB_DRIVER

# Escape sequences out, text in: enough to find words on the screen the tab draws.
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")


class WebTab:
    def __init__(self, argv: list[str], env: dict, size: tuple[int, int] = (120, 40)):
        tab_env = {**env, "TEXTUAL_DRIVER": WEB_DRIVER, "TEXTUAL_FPS": "60", "TEXTUAL_COLOR_SYSTEM": "truecolor"}
        tab_env.update(COLUMNS=str(size[0]), ROWS=str(size[1]))
        self.started = time.time()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tab_env,
            start_new_session=True,
        )  # fmt: skip
        self.text = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        if out.readline() != b"__GANGLION__\n":
            return
        while True:
            head = out.read(5)
            if len(head) < 5:
                return
            payload = out.read(int.from_bytes(head[1:], "big"))
            if head[:1] == b"D":
                with self.lock:
                    self.text += ANSI.sub(b"", payload)

    def wait(self, words: str, timeout: float = 180.0) -> float:
        """Seconds since the tab started, once `words` show; what was shown is then forgotten."""
        deadline = time.monotonic() + timeout
        marker = words.encode()
        while time.monotonic() < deadline:
            with self.lock:
                i = self.text.find(marker)
                if i >= 0:
                    self.text = self.text[i + len(marker) :]
                    return time.time() - self.started
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""  # type: ignore[union-attr]
        raise SystemExit(f"the tab never showed {words!r}: {self.text[-800:]!r} {err[-2000:]}")

    def _packet(self, kind: bytes, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(kind + len(data).to_bytes(4, "big") + data)
        self.proc.stdin.flush()

    def keys(self, data: str) -> None:
        self._packet(b"D", data.encode())

    def quit(self) -> None:
        try:
            self._packet(b"M", json.dumps({"type": "quit"}).encode())
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def open_workspace(tab: WebTab) -> float:
    """Briefing, Enter, the workspace's log pane; then a filter over every line (a learner looks
    around). Returns the seconds to the workspace usable."""
    tab.wait("Enter starts the clock")
    tab.keys("\r")
    usable = tab.wait("Logs ·")
    time.sleep(1.0)
    tab.keys("/")
    time.sleep(0.3)
    tab.keys("timeout")
    time.sleep(0.3)
    tab.keys("\r")
    tab.wait("'timeout' ·")
    time.sleep(0.5)  # settle
    return usable


def pss(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        got = dict(line.split(":", 1) for line in fh if ":" in line)
    return int(got["Pss"].split()[0]) * 1024


def forked_children(server_pid: int) -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process(server_pid).children()}


def plain_argv(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "dojo", *args]
