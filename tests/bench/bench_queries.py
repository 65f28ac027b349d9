"""Log query benchmark: the engine's substring and regex queries against `grep -c` on the same
lines, measured in the same run.

    python tests/bench/bench_queries.py [--runs N]

The large scenario (20 services, 2 h, ~1,000,000 lines) is synthesized, its lines exported as
logs.log, and each query (count + first page of 50, newest first, over every line: now = the
end) is timed against grep on that file. Budgets (issue: replay engine): substring <= 100 ms and
regex <= 250 ms, each <= 5x grep. Figures are the median of N runs (grep includes its process
start, as a user at a shell pays it). Exit status 1 if a budget is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from large import large_scenario  # noqa: E402

from dojo.engine.api import LogQuery  # noqa: E402
from dojo.engine.queries import Signals  # noqa: E402
from dojo.telemetry.export import write_logs  # noqa: E402
from dojo.telemetry.synthesize import synthesize  # noqa: E402

# (name, engine query, grep arguments, budget ms, gates the exit status); patterns occur only in
# messages, so the engine (which searches the message) and grep (the whole line) count the same lines.
CASES = [
    ("substring", {"contains": "retrying request to payments"}, ["-F", "retrying request to payments"], 100.0, True),
    ("substring, rare", {"contains": "OutOfMemoryError"}, ["-F", "OutOfMemoryError"], 100.0, True),
    ("regex", {"regex": r"timed out after \d+ms"}, ["-E", "timed out after [0-9]+ms"], 250.0, True),
    (
        "regex, alternation",
        {"regex": r"(503 Service Unavailable|connection error)"},
        ["-E", "(503 Service Unavailable|connection error)"],
        250.0,
        True,
    ),
    ("substring, common", {"contains": "client="}, ["-F", "client="], 100.0, False),
    ("regex, no literal", {"regex": r"[0-9a-f]{8}-[0-9a-f]{4}-"}, ["-E", "[0-9a-f]{8}-[0-9a-f]{4}-"], 250.0, False),
]
MAX_RATIO = 5.0


def median_ms(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    t0 = time.perf_counter()
    tel = synthesize(large_scenario())
    synth_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    signals = Signals(tel)
    index_s = time.perf_counter() - t0
    end = tel.duration
    print(f"large scenario: {tel.n_logs:,} log lines, {len(tel.scenario.services)} services, {end / 3600:g} h")
    print(f"synthesis {synth_s:.2f} s; engine index {index_s * 1000:.0f} ms; cpus {os.cpu_count()}")

    env = dict(os.environ, LC_ALL="C")  # grep at its fastest: bytes, no locale decoding
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        write_logs(tel, Path(tmp))
        log = Path(tmp) / "logs.log"
        print(f"logs.log {log.stat().st_size / 1e6:.0f} MB; median of {args.runs} runs\n")
        print(f"{'query':<20} {'lines':>8} {'engine ms':>10} {'grep ms':>8} {'ratio':>6} {'budget':>12}  result")
        for name, query, grep_args, budget, gate in CASES:
            q = LogQuery(limit=50, **query)
            engine_ms, page = median_ms(lambda q=q: signals.logs(q, end), args.runs)
            grep_ms, proc = median_ms(
                lambda grep_args=grep_args: subprocess.run(
                    ["grep", "-c", *grep_args, str(log)], capture_output=True, env=env
                ),
                args.runs,
            )
            grep_count = int(proc.stdout or 0)
            if page.count != grep_count:
                print(f"{name}: engine counts {page.count} lines, grep {grep_count}: not the same lines")
                return 1
            ratio = engine_ms / grep_ms
            ok = engine_ms <= budget and ratio <= MAX_RATIO
            failed |= gate and not ok
            print(
                f"{name:<20} {page.count:>8,} {engine_ms:>10.1f} {grep_ms:>8.1f} {ratio:>5.2f}x "
                f"{f'<={budget:g}ms,<={MAX_RATIO:g}x':>12}  "
                f"{'PASS' if ok else 'FAIL'}{'' if gate else ' (worst case, not gated)'}"
            )
        extra = [
            ("service+level+text", LogQuery(service="checkout", level=["WARN", "ERROR"], contains="payments")),
            ("text in a 10 min window", LogQuery(contains="retrying", since=2400.0, until=3000.0)),
            ("no filter, first page", LogQuery()),
        ]
        print()
        for name, q in extra:
            ms, page = median_ms(lambda q=q: signals.logs(q, end), args.runs)
            print(f"{name:<24} {page.count:>9,} lines {ms:>8.1f} ms  (for information)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.1f} on {os.cpu_count()} cpus (figures are wall time: a busy machine inflates them)")
    print("budgets met" if not failed else "BUDGET MISSED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
