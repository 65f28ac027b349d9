"""A `dojo serve` in a subprocess and a real browser (the system's Chromium, driven by
Playwright) looking at it as a person would: the text of the terminal is read back from xterm.js
in the page, keys are typed into it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HOW = (
    "needs Chromium and Playwright for Python: apt-get install -y chromium (so 'chromium' is on PATH) "
    "and pip install -e '.[test]'"
)

# Installed before the page's own scripts run. textual-serve keeps its xterm.js terminal in a
# closure; its constructor assigns `this.terminal = new Terminal(...)`, so a setter on
# Object.prototype sees that assignment, keeps the object for the test and then steps aside
# (an own property takes over). Only objects with a terminal buffer are kept.
TERMINAL_HOOK = """
window.__dojoTerminals = [];
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active) window.__dojoTerminals.push(value);
  },
});
"""

READ_SCREEN = """() => {
  const t = window.__dojoTerminals[0];
  if (!t) return '';
  const b = t.buffer.active, out = [];
  for (let y = 0; y < t.rows; y++) {
    const l = b.getLine(b.viewportY + y);
    out.push(l ? l.translateToString(true) : '');
  }
  return out.join('\\n');
}"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """`python -m dojo serve ...` in its own process group, with its own DOJO_HOME."""

    def __init__(self, home: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None):
        self.port = port or free_port()
        self.home = home
        environ = {**os.environ, "DOJO_HOME": str(home), **(env or {})}
        environ.pop("TEXTUAL_DRIVER", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dojo", "serve", "--port", str(self.port), *args],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}/"

    def wait_listening(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dojo serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("dojo serve did not listen")

    def descendants(self) -> list:
        import psutil

        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def children(self) -> list:
        """Every process serving a tab: a launcher and the dojo forked for it, or a plain dojo."""
        server = {p.pid for p in self.fork_server()}
        return [p for p in self.descendants() if p.pid not in server]

    def dojos(self) -> list:
        """One process per open tab: the dojo itself (forked, or plain), not its launcher."""
        return [p for p in self.children() if LAUNCHER not in _cmdline(p)]

    def fork_server(self) -> list:
        """The fork server itself (the dojos forked from it share its command line)."""
        return [p for p in self.descendants() if FORK_SERVER in _cmdline(p) and p.ppid() == self.proc.pid]

    def interrupt(self, timeout: float = 30.0) -> tuple[int, str, str]:
        """Ctrl-C, as at the server's terminal (SIGINT to the server), then its exit."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def close(self) -> None:
        import psutil

        children = self.descendants()  # before the server goes: then they are no longer its children
        fork_server = self.fork_server()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        # The fork server hears its parent die (SIGTERM) and removes its socket's folder: let it.
        psutil.wait_procs(fork_server, timeout=5)
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


FORK_SERVER = "dojo.serve.forkserver"
LAUNCHER = "serve/launch.py"


def _cmdline(process) -> str:
    import psutil

    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def screen_text(page) -> str:
    return page.evaluate(READ_SCREEN)


def wait_for_text(page, text: str, timeout: float = 30.0) -> str:
    """The screen's text once `text` shows on it (the assertion names what was there instead)."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen_text(page)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never showed; the screen was:\n{shown}")


def wait_for(page, test, timeout: float = 30.0) -> str:
    """The screen's text once `test(text)` holds."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen_text(page)
        if test(shown):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"the screen never got there; it was:\n{shown}")


def open_dojo(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.add_init_script(TERMINAL_HOOK)
    page.goto(url)
    return page


def press(page, *keys: str) -> None:
    page.focus(".xterm-helper-textarea")
    for key in keys:
        page.keyboard.press(key)
