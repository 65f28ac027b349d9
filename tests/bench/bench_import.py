"""Import benchmark: prints MB/s and peak memory beside baselines measured in the same run.

    python tests/bench/bench_import.py [--mb 50]

Budget (issue 18): `dojo import` at least 15 MB/s and at most 300 MB peak memory on a 50 MB input,
streaming rather than reading whole files. The input is the sanitize benchmark's realistic log
(nginx access, sshd syslog and application lines, mixed in one file, from Faker pools built once).
Each figure is a separate process: the peak RSS is that process's own. Baselines on the same
file in the same run: `wc -l`, and Python reading it line by line (the floor of any per-line
reader), so a busy machine shows up in them too. Each command runs --runs times (3) and the
median is kept; the CPU seconds (user + system) are printed beside the wall seconds, as on a
shared machine they say more than the clock does.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
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


def measured(cmd: list[str], runs: int = 1, before=None) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak RSS in MB) of one command in its own process: the median of
    `runs` runs (`before` is called ahead of each)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "dt = time.perf_counter() - t\n"
        "if r.returncode: sys.exit(r.stderr.decode()[-2000:])\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(dt, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)\n"
    )
    got = []
    for _ in range(runs):
        if before is not None:
            before()
        out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr}")
        got.append(tuple(float(x) for x in out.stdout.split()))
    return tuple(statistics.median(column) for column in zip(*got))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
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
            rows.append(("wc -l", *measured([wc, "-l", str(log)], args.runs)))
        rows.append(("python: read lines", *measured([sys.executable, "-c", READ_LINES, str(log)], args.runs)))
        scenario = folder / "bench.yaml"

        def fresh() -> None:
            scenario.write_text(SCENARIO)
            shutil.rmtree(folder / "bench.signals", ignore_errors=True)

        for label, extra in (("dojo import --no-sanitize", ["--no-sanitize"]), ("dojo import", ["--secret", "b"])):
            cmd = [sys.executable, "-m", "dojo", "import", str(log), "--scenario", str(scenario), "--service", "web"]
            rows.append((label, *measured(cmd + extra, args.runs, fresh)))
        base = rows[-3][1]
        print(f"median of {args.runs} run(s)")
        print(f"{'':28} {'seconds':>8} {'MB/s':>8} {'x read':>8} {'CPU s':>8} {'MB/CPU s':>8} {'peak MB':>8}")
        for label, seconds, cpu, peak in rows:
            print(
                f"{label:28} {seconds:8.2f} {mb / seconds:8.1f} {seconds / base:8.1f} {cpu:8.2f} "
                f"{mb / max(cpu, 1e-3):8.1f} {peak:8.0f}"
            )
        for label, seconds, cpu, peak in rows[-2:]:
            speed_ok = mb / seconds >= BUDGET_MB_S
            peak_ok = peak <= BUDGET_PEAK_MB
            print(
                f"{label}: {mb / seconds:.1f} MB/s by the clock, {mb / cpu:.1f} MB per CPU second "
                f"({'within' if speed_ok else 'OVER'} the {BUDGET_MB_S:g} MB/s budget by the clock), "
                f"peak {peak:.0f} MB ({'within' if peak_ok else 'OVER'} the {BUDGET_PEAK_MB:g} MB budget)"
            )


if __name__ == "__main__":
    main()
