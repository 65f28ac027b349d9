"""Import benchmark: prints MB/s and peak memory beside baselines measured in the same run.

    python tests/bench/bench_import.py [--mb 50]

Budget (issue 18): `dojo import` at least 15 MB/s and at most 300 MB peak memory on a 50 MB input,
streaming rather than reading whole files. The input is the sanitize benchmark's realistic log
(nginx access, sshd syslog and application lines, mixed in one file, from Faker pools built once).
Each figure is a separate process: the peak RSS is that process's own. Baselines on the same
file in the same run: `wc -l`, and Python reading it line by line (the floor of any per-line
reader), so a busy machine shows up in them too.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

BUDGET_MB_S = 15.0
BUDGET_PEAK_MB = 300.0

SCENARIO = """id: bench-import
title: Import benchmark
difficulty: 1
duration: 6h
start: 2026-03-10T00:00:00Z
briefing: benchmark
services:
  - {name: web, kind: lb, calls: [checkout], rps: 10}
  - {name: checkout, kind: http}
timeline:
  - {at: 10m, kind: traffic_surge, service: web, params: {factor: 4}}
answer:
  accepted: [{service: web, fault: traffic_surge}]
"""

READ_LINES = "import sys\nn = 0\nfor line in open(sys.argv[1], encoding='utf-8'):\n    n += len(line)\n"


def measured(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one command in its own process."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "dt = time.perf_counter() - t\n"
        "if r.returncode: sys.exit(r.stderr.decode()[-2000:])\n"
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr}")
    seconds, peak = out.stdout.split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    from bench_sanitize import write_log

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "app.log"
        t = time.perf_counter()
        size = write_log(log, args.mb)
        mb = size / 1e6
        print(f"input: {mb:.1f} MB realistic log, written in {time.perf_counter() - t:.1f}s")
        rows = []
        wc = shutil.which("wc")
        if wc:
            rows.append(("wc -l", *measured([wc, "-l", str(log)])))
        rows.append(("python: read lines", *measured([sys.executable, "-c", READ_LINES, str(log)])))
        for label, extra in (("dojo import --no-sanitize", ["--no-sanitize"]), ("dojo import", ["--secret", "b"])):
            scenario = folder / "bench.yaml"
            scenario.write_text(SCENARIO)
            shutil.rmtree(folder / "bench.signals", ignore_errors=True)
            cmd = [sys.executable, "-m", "dojo", "import", str(log), "--scenario", str(scenario), "--service", "web"]
            rows.append((label, *measured(cmd + extra)))
        base = rows[-3][1]
        print(f"{'':28} {'seconds':>8} {'MB/s':>8} {'x read':>8} {'peak MB':>8}")
        for label, seconds, peak in rows:
            print(f"{label:28} {seconds:8.2f} {mb / seconds:8.1f} {seconds / base:8.1f} {peak:8.0f}")
        for label, seconds, peak in rows[-2:]:
            speed_ok = mb / seconds >= BUDGET_MB_S
            peak_ok = peak <= BUDGET_PEAK_MB
            print(
                f"{label}: {mb / seconds:.1f} MB/s "
                f"({'within' if speed_ok else 'OVER'} the {BUDGET_MB_S:g} MB/s budget), "
                f"peak {peak:.0f} MB ({'within' if peak_ok else 'OVER'} the {BUDGET_PEAK_MB:g} MB budget)"
            )


if __name__ == "__main__":
    main()
