"""`dojo serve` benchmark: what a browser tab costs and how fast it answers.

    python tests/bench/bench_serve.py [--runs 3] [--tabs 2,4,6]

Needs Chromium on PATH and Playwright (see tests/serve/browser.py). Every figure is measured in
this run and printed beside its baseline:

- page load to the library drawn (xterm.js shows "scenario library"), a fresh tab each run,
  against a trivial Textual app served by plain textual-serve on the same machine;
- memory per open tab: proportional set size (/proc/PID/smaps_rollup) of one tab's dojo process
  on the library, then with a typical built-in scenario (checkout-retry-storm, 45 min incident)
  open in the workspace and replaying;
- with N tabs in the workspace at once (the clock running in each), how long a key takes from the
  browser to the redrawn screen in every tab (space: the clock bar turns to paused and back), and
  the CPU each replaying tab's dojo uses; then an extrapolation, printed as one, to a 2-core,
  24 GB machine: tabs that fit in memory, and tabs whose replay the cores carry at 70 % use.

The browser here runs on the same cores as the server (at a game day it runs on the players'
machines), so the key times are an upper bound; the machine may be shared, so rerun before
trusting a close call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tests.serve.browser import (  # noqa: E402
    ServeProcess,
    chromium_path,
    free_port,
    open_dojo,
    press,
    wait_for,
    wait_for_text,
)

SCENARIO = "checkout-retry-storm"
KEY_BUDGET_S = 0.200
TRIVIAL = """
from textual.app import App
from textual.widgets import Static
class Trivial(App):
    BINDINGS = [("space", "toggle", "Toggle")]
    paused = False
    def compose(self):
        yield Static("trivial app ready ▶ ×1", id="bar")
    def action_toggle(self):
        self.paused = not self.paused
        self.query_one("#bar", Static).update("trivial app ready " + ("⏸ paused" if self.paused else "▶ ×1"))
Trivial().run()
"""
FIRST_LINE_HAS = """(text) => {
  const t = window.__dojoTerminals[0];
  const l = t && t.buffer.active.getLine(t.buffer.active.viewportY);
  return !!l && l.translateToString(true).includes(text);
}"""


def pss(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no Pss in smaps_rollup")


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def trivial_server(tmp: Path):
    """Plain textual-serve on a trivial app: the floor any served Textual app pays."""
    import subprocess

    script = tmp / "trivial.py"
    script.write_text(TRIVIAL)
    port = free_port()
    code = (
        "from textual_serve.server import Server;"
        f"Server({f'{sys.executable} {script}'!r}, host='127.0.0.1', port={port}).serve()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}/"


def page_load(browser, url: str, text: str) -> float:
    t0 = time.perf_counter()
    page = open_dojo(browser, url)
    wait_for_text(page, text, timeout=60)
    took = time.perf_counter() - t0
    page.close()
    return took


def open_scenario(page) -> None:
    wait_for_text(page, "scenario library", timeout=60)
    press(page, "/")
    time.sleep(0.5)
    page.keyboard.type(SCENARIO, delay=20)
    press(page, "Enter")  # to the table, its one row selected
    time.sleep(0.5)
    press(page, "Enter")
    wait_for_text(page, "Ready. Enter starts the clock", timeout=120)
    press(page, "Enter")
    wait_for(page, lambda t: "▶ ×1" in t and "Logs ·" in t, timeout=120)
    time.sleep(1.0)


def key_time(page) -> float:
    """Space pauses: the time until the first line shows it (watched inside the page, every
    animation frame), then space again resumes."""
    press(page)
    t0 = time.perf_counter()
    page.keyboard.press("Space")
    page.wait_for_function(FIRST_LINE_HAS, arg="⏸ paused", polling="raf", timeout=30_000)
    took = time.perf_counter() - t0
    page.keyboard.press("Space")
    page.wait_for_function(FIRST_LINE_HAS, arg="▶ ×1", polling="raf", timeout=30_000)
    return took


def tmux_text(session: str) -> str:
    import subprocess

    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def tmux_wait(session: str, test, timeout: float = 180.0, poll: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test(tmux_text(session)):
            return
        time.sleep(poll)
    raise RuntimeError(f"tmux never got there:\n{tmux_text(session)}")


def terminal_key_times(home: Path, cols: int, rows: int, runs: int = 5) -> list[float]:
    """The same key on the same screen in a terminal (tmux, the size of the browser's terminal):
    what the dojo itself takes, without the web server, the websocket and xterm.js."""
    import shutil
    import subprocess

    if shutil.which("tmux") is None:
        return []
    name = f"bench-serve-{os.getpid()}"
    cmd = f"cd {ROOT} && DOJO_HOME={home} {sys.executable} -m dojo play {SCENARIO}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), cmd], check=True)
    try:
        tmux_wait(name, lambda t: "Ready. Enter starts the clock" in t)
        subprocess.run(["tmux", "send-keys", "-t", name, "Enter"], check=True)
        tmux_wait(name, lambda t: "▶ ×1" in t and "Logs ·" in t)
        time.sleep(2.0)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", name, "Space"], check=True)
            tmux_wait(name, lambda t: "⏸ paused" in t.splitlines()[0], 30, poll=0.01)
            times.append(time.perf_counter() - t0)
            subprocess.run(["tmux", "send-keys", "-t", name, "Space"], check=True)
            tmux_wait(name, lambda t: "▶ ×1" in t.splitlines()[0], 30)
        return times
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def cpu_per_tab(pids: list[int], seconds: float = 10.0) -> float:
    import psutil

    procs = [psutil.Process(p) for p in pids]
    before = [sum(p.cpu_times()[:2]) for p in procs]
    time.sleep(seconds)
    after = [sum(p.cpu_times()[:2]) for p in procs]
    return statistics.mean((a - b) / seconds for a, b in zip(after, before))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tabs", default="2,4")
    args = ap.parse_args()
    if chromium_path() is None:
        sys.exit("bench_serve: needs chromium on PATH (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    server = ServeProcess(tmp / "home", "--max-sessions", "64")
    server.wait_listening()
    trivial, trivial_url = trivial_server(tmp)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            time.sleep(1.0)
            base = [page_load(browser, trivial_url, "trivial app ready") for _ in range(args.runs)]
            dojo = [page_load(browser, server.url, "scenario library") for _ in range(args.runs)]
            b, d = statistics.median(base), statistics.median(dojo)
            print(f"page load to drawn, median of {args.runs}: dojo library {d:.2f} s; trivial Textual app {b:.2f} s;"
                  f" ratio {d / b:.1f}x")  # fmt: skip

            page = open_dojo(browser, trivial_url)
            wait_for_text(page, "trivial app ready")
            time.sleep(1.0)
            floor = statistics.median([key_time(page) for _ in range(5)])
            print(f"key to redraw, trivial Textual app, one tab: median {floor * 1000:.0f} ms (the floor here)")
            page.close()

            page = open_dojo(browser, server.url)
            wait_for_text(page, "scenario library")
            time.sleep(2.0)  # the library warms up its imports in the background
            [child] = server.dojos()  # the tab's dojo (forked from the fork server), not its launcher
            library_pss = pss(child.pid)
            open_scenario(page)
            time.sleep(2.0)
            workspace_pss = pss(child.pid)
            cols, rows = page.evaluate("() => [window.__dojoTerminals[0].cols, window.__dojoTerminals[0].rows]")
            browser_keys = [key_time(page) for _ in range(5)]
            terminal_keys = terminal_key_times(tmp / "home", cols, rows)
            if terminal_keys:
                bk, tk = statistics.median(browser_keys), statistics.median(terminal_keys)
                print(f"key to redraw on {SCENARIO}'s workspace, {cols}x{rows}: browser tab {bk * 1000:.0f} ms; "
                      f"the same dojo in a terminal (tmux) {tk * 1000:.0f} ms; ratio {bk / tk:.1f}x")  # fmt: skip
            print(f"memory of one tab's dojo (PSS): library {mib(library_pss)}; "
                  f"{SCENARIO} in the workspace {mib(workspace_pss)}")  # fmt: skip
            page.close()
            time.sleep(3.0)

            for n in [int(x) for x in args.tabs.split(",")]:
                pages = [open_dojo(browser, server.url) for _ in range(n)]
                for pg in pages:
                    open_scenario(pg)
                pids = [c.pid for c in server.children() if "dojo" in " ".join(c.cmdline())]
                cpu = cpu_per_tab(pids)
                times = [key_time(pg) for pg in pages for _ in range(3)]
                total_pss = sum(pss(pid) for pid in pids)
                worst, med = max(times), statistics.median(times)
                verdict = "within" if worst <= KEY_BUDGET_S else "OVER"
                print(f"{n} tabs replaying: key to redraw median {med * 1000:.0f} ms ({med / floor:.1f}x the floor), "
                      f"worst {worst * 1000:.0f} ms ({verdict} the {KEY_BUDGET_S * 1000:.0f} ms budget); "
                      f"CPU per tab {cpu * 100:.1f} % of a core; PSS {mib(total_pss / n)} per tab")  # fmt: skip
                for pg in pages:
                    pg.close()
                time.sleep(3.0)
                last_cpu, last_pss = cpu, total_pss / n
            by_memory = int((24 * 2**30 - 2**30) // last_pss)
            by_cpu = int(2 * 0.7 / max(last_cpu, 1e-3))
            print(f"extrapolated (not measured) for 2 cores, 24 GB: memory holds ~{by_memory} replaying tabs; "
                  f"the cores carry ~{by_cpu} at 70 % use; the smaller, ~{min(by_memory, by_cpu)}, is the estimate. "
                  f"Measured up to {args.tabs.split(',')[-1]} tabs here.")  # fmt: skip
            browser.close()
    finally:
        server.interrupt()
        trivial.terminate()
        trivial.wait(10)
        os.system(f"rm -rf {tmp}")


if __name__ == "__main__":
    main()
