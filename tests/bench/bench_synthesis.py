"""Synthesis benchmark: prints figures and ratios against a baseline measured in the same run.

    python tests/bench/bench_synthesis.py

Budgets (issue: scenario model and synthesis): at least 500,000 log lines/s and at least 50x a
per-line Faker loop producing lines of the same shape; the large scenario (20 services, 2 h,
~1,000,000 lines, plus metrics and traces) in at most 4 s and 600 MB peak memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

BUDGET_LINES_PER_S = 500_000
BUDGET_RATIO = 50
BUDGET_SECONDS = 4.0
BUDGET_MB = 600


def per_line_faker(n: int) -> float:
    """The naive way: one Faker call per field per line. Returns lines/s."""
    import random

    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(1)
    rnd = random.Random(1)
    start = datetime(2026, 3, 10, 14, tzinfo=timezone.utc)
    lines = []
    t0 = time.perf_counter()
    for i in range(n):
        ts = (start + timedelta(milliseconds=i * 7)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        svc = rnd.choice(["checkout", "payments", "catalog"])
        lines.append(
            f"{ts} INFO  {svc} {svc}-{fake.lexify('?????????')}-{fake.lexify('?????')} "
            f"{fake.http_method()} /api/v1/{svc}/{fake.random_int(1000, 99999)} 200 {rnd.randint(5, 400)}ms "
            f"client={fake.ipv4_public()}"
        )
    return n / (time.perf_counter() - t0)


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
from large import large_scenario
from dojo.telemetry.synthesize import synthesize
sc = large_scenario()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
stages = {{}}
last = [time.perf_counter(), None]
def progress(what, frac):
    # A call marks the start of a stage: time since the previous call belongs to the previous stage.
    now = time.perf_counter()
    if last[1] is not None:
        stages[last[1]] = now - last[0]
    last[0], last[1] = now, what
t0 = time.perf_counter()
tel = synthesize(sc, progress=progress)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"wall": wall, "lines": tel.n_logs, "spans": len(tel.spans),
                  "traces": int(tel.spans["trace_id"].nunique()), "metrics": len(tel.metrics),
                  "events": len(tel.events), "peak_mb": peak, "base_mb": base, "stages": stages}}))
"""


def large_run() -> dict:
    code = CHILD.format(here=str(HERE), root=str(HERE.parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    naive = per_line_faker(20_000)
    runs = [large_run() for _ in range(3)]
    best = min(runs, key=lambda r: r["wall"])
    peak = max(r["peak_mb"] for r in runs)
    rate = best["lines"] / best["wall"]
    ratio = rate / naive
    print("synthesis benchmark (2 cores)")
    print(f"  per-line Faker loop:        {naive:12,.0f} lines/s  (baseline, same run)")
    print(f"  synthesizer, whole scenario:{rate:12,.0f} lines/s  = {ratio:.0f}x the per-line loop")
    print(
        f"  large scenario: {best['lines']:,} log lines, {best['metrics']:,} metric points, "
        f"{best['traces']:,} traces / {best['spans']:,} spans, {best['events']} events"
    )
    print(
        f"  wall time (best of 3):     {best['wall']:.2f} s   stages: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in best["stages"].items())
    )
    print(
        f"  peak RSS:                  {peak:.0f} MB (of which {best['base_mb']:.0f} MB is the interpreter and imports)"
    )
    checks = [
        (f"lines/s >= {BUDGET_LINES_PER_S:,}", rate >= BUDGET_LINES_PER_S),
        (f"speed-up >= {BUDGET_RATIO}x", ratio >= BUDGET_RATIO),
        (f"large scenario <= {BUDGET_SECONDS} s", best["wall"] <= BUDGET_SECONDS),
        (f"peak memory <= {BUDGET_MB} MB", peak <= BUDGET_MB),
    ]
    for name, ok in checks:
        print(f"  {verdict(ok)}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
