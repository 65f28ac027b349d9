"""A learner's action against a whole synthesis of the changed scenario, measured in the same run.

    python tests/bench/bench_actions.py [--runs N]

For the large scenario (20 services, 2 h, ~1,000,000 lines) and a small built-in, an action (a
restart of a service mid-incident, taken by the engine as a player does: on the incident read
from the cache, Session.act) is timed against synthesize() of the scenario with that change in
its timeline, which gives the same bytes (tests/engine/test_actions.py). Printed: the median of
N runs of each, and their ratio (action / whole synthesis); below 1 the action is the cheaper.
The first action of an attempt also runs the physics (the cache holds signals, not the state);
a second action resumes the state the first left, and is timed too.
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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

os.environ["DOJO_CACHE"] = "off"  # the cache below is this run's own; nothing of a user's is read

from large import large_scenario  # noqa: E402

from dojo.builtin import scenarios_dir  # noqa: E402
from dojo.engine.session import Session  # noqa: E402
from dojo.scenario import load_scenario  # noqa: E402
from dojo.scenario.model import Scenario, TimelineEvent  # noqa: E402
from dojo.store import Store  # noqa: E402
from dojo.telemetry.cache import Cache  # noqa: E402
from dojo.telemetry.synthesize import synthesize  # noqa: E402


def _changed(sc: Scenario, at: float, service: str) -> Scenario:
    ev = TimelineEvent.model_validate({"at": at, "kind": "restart", "service": service})
    return sc.model_copy(update={"timeline": [*sc.timeline, ev]})


def measure(sc: Scenario, service: str, after_page_s: float, runs: int, tmp: Path) -> dict[str, float]:
    cache = Cache(tmp / f"cache-{sc.id}")
    cache.synthesize(sc)
    tel = cache.synthesize(sc)  # mapped, as a second player opens it
    first, second, whole = [], [], []
    for k in range(runs):
        store = Store.open(tmp / f"{sc.id}-{k}.sqlite3")
        s = Session.start(sc, store, telemetry=tel, clock="manual")
        s.advance(after_page_s)
        t0 = time.perf_counter()
        result = s.act("restart", service)
        first.append(time.perf_counter() - t0)
        s.advance(60)
        t0 = time.perf_counter()
        s.act("restart", service)
        second.append(time.perf_counter() - t0)
        store.close()
        changed = _changed(sc, result.at, service)
        t0 = time.perf_counter()
        synthesize(changed)
        whole.append(time.perf_counter() - t0)
    return {
        "at": result.at,
        "duration": sc.duration,
        "first": statistics.median(first),
        "second": statistics.median(second),
        "whole": statistics.median(whole),
        "lines": tel.n_logs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}; median of {args.runs} runs each")
    cases = [
        (large_scenario(), "checkout", 600.0),
        (load_scenario(scenarios_dir() / "checkout-retry-storm.yaml"), "checkout", 120.0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for sc, service, after in cases:
            r = measure(sc, service, after, args.runs, Path(tmp))
            print(
                f"{sc.id}: {r['lines']:,} lines, {r['duration'] / 60:g} min, restart at {r['at'] / 60:.1f} min | "
                f"whole synthesis {r['whole']:.2f} s | first action {r['first']:.2f} s "
                f"(ratio {r['first'] / r['whole']:.2f}) | second action {r['second']:.2f} s "
                f"(ratio {r['second'] / r['whole']:.2f}) | part of the run after the action "
                f"{1 - r['at'] / r['duration']:.0%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
