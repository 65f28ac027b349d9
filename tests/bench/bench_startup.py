"""Start-up benchmark: from process start to an interactive library screen, as `dojo` does it.

    python tests/bench/bench_startup.py [--runs 7]

Each run is a fresh process (a warm disk cache, a cold interpreter): the parent notes the time,
starts the child, and the child reports the moment the library has its scenarios listed and
has answered a key (the cursor moved). Baselines in the same run: a bare interpreter, and a
trivial Textual app (a two-row table) answering a key the same way. Budget (issue: the TUI): the library
interactive within 1.0 s. Then, once it is up, the longest stall of the UI while the engine
thread imports what opening a scenario needs (numpy, pandas, pyarrow, faker: `warm_up`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGET_S = 1.0
SIZE = (120, 40)

# The child: exactly the imports `dojo` makes (dojo.cli, then the app), then the app, headless.
DOJO_CHILD = """
import asyncio, sys, time
import dojo.cli
from textual import events
from dojo.tui.app import DojoApp
from dojo.tui.screens.library import LibraryScreen

app = DojoApp()

async def probe(pilot):
    while not (isinstance(app.screen, LibraryScreen) and app.screen.shown):
        await asyncio.sleep(0.002)
    await asyncio.sleep(0)  # the first frame
    # A key, as a terminal would send it, and the moment it has moved the cursor: not
    # Pilot.press, which also waits for every queue to drain (a measure of the test harness).
    table = app.screen.query_one("#library-table")
    table.add_row("x", "", "", "", "", "") if table.row_count < 2 else None
    before = table.cursor_row
    app.post_message(events.Key("down", None))
    while table.cursor_row == before:
        await asyncio.sleep(0.001)
    ready = time.time()
    # Now the stalls while the engine thread warms up the data stack.
    worst, last = 0.0, time.perf_counter()
    deadline = last + {watch}
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        worst, last = max(worst, now - last - 0.005), now
    warmed = "pandas" in sys.modules and "pyarrow" in sys.modules
    print(f"READY {{ready!r}} {{worst!r}} {{warmed}}", flush=True)
    app.exit()

app.run(headless=True, size={size}, auto_pilot=probe)
"""

TRIVIAL_CHILD = """
import asyncio, time
from textual import events
from textual.app import App
from textual.widgets import DataTable

class Trivial(App):
    def compose(self):
        table = DataTable(cursor_type="row")
        table.add_columns("a", "b")
        table.add_rows([("1", "2"), ("3", "4")])
        yield table

async def probe(pilot):
    await asyncio.sleep(0)
    table = pilot.app.query_one(DataTable)
    before = table.cursor_row
    pilot.app.post_message(events.Key("down", None))
    while table.cursor_row == before:
        await asyncio.sleep(0.001)
    print(f"READY {{time.time()!r}} 0.0 False", flush=True)
    pilot.app.exit()

Trivial().run(headless=True, size={size}, auto_pilot=probe)
"""


def run_child(code: str, home: Path) -> tuple[float, float, bool]:
    env = {**os.environ, "DOJO_HOME": str(home), "PYTHONPATH": str(ROOT)}
    started = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("READY")), None)
    if line is None:
        raise SystemExit(f"child failed:\n{out.stdout}\n{out.stderr}")
    _, ready, worst, warmed = line.split()
    return float(ready) - started, float(worst), warmed == "True"


def bare_python() -> float:
    started = time.time()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--watch", type=float, default=4.0, help="seconds to watch for UI stalls after start-up")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        bare, trivial, dojo, stalls, warmed = [], [], [], [], []
        for _ in range(args.runs):  # interleaved, so that machine load hits both alike
            bare.append(bare_python())
            trivial.append(run_child(TRIVIAL_CHILD.format(size=SIZE), home)[0])
            seconds, worst, done = run_child(DOJO_CHILD.format(size=SIZE, watch=args.watch), home)
            dojo.append(seconds)
            stalls.append(worst)
            warmed.append(done)

    med = statistics.median
    ok = lambda good: "ok" if good else "OVER BUDGET"  # noqa: E731
    print(f"start-up to an interactive screen, {args.runs} fresh processes each (median, best)")
    print(f"  bare python -c pass ..................... {med(bare) * 1000:6.0f} ms  {min(bare) * 1000:6.0f} ms")
    print(f"  trivial Textual app (baseline) .......... {med(trivial) * 1000:6.0f} ms  {min(trivial) * 1000:6.0f} ms")
    print(
        f"  dojo library screen ..................... {med(dojo) * 1000:6.0f} ms  {min(dojo) * 1000:6.0f} ms"
        f"   {med(dojo) / med(trivial):.2f}x the baseline, +{(med(dojo) - med(trivial)) * 1000:.0f} ms   budget "
        f"{BUDGET_S:.1f} s: {ok(med(dojo) <= BUDGET_S)}"
    )
    print(f"  longest UI stall while the data stack warms up in the background: {med(stalls) * 1000:.0f} ms median, "
          f"{max(stalls) * 1000:.0f} ms worst"
          f" (warm-up finished within {args.watch:g} s in {sum(warmed)} of {len(warmed)} runs)")  # fmt: skip
    print(f"  (load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
