"""Does the debrief tell the story its own telemetry shows?

Two give-aways a learner notices at once:
- a time without its clock: `At 15:00 ...` while the logs print 14:16 UTC. Scenario offsets are
  written T+mm:ss, clock times hh:mm UTC (the notation of the workspace and the logs);
- a number the charts contradict: "latency rises to about 1 s" while p99 shows 6 s. A latency
  the debrief states must be within a factor of two of some latency the scenario's services
  actually reach (p50 or p99, any bucket; the services the sentence names, if it names any).
"""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np

from dojo.scenario.model import Scenario
from dojo.telemetry.model import Telemetry

BARE_TIME = re.compile(r"(?<![\w+:.])(\d{1,2}):(\d{2})(?::\d{2})?(?![\w:])(?!\s*UTC)")
LATENCY_WORDS = re.compile(r"\b(latency|latencies|p99|p50|response time|slow(er)?|takes?|took)\b", re.I)
DURATION = re.compile(r"\b(\d+(?:\.\d+)?)\s?(ms|s|seconds?)\b")
FACTOR = 2.0


def time_findings(sc: Scenario) -> list[str]:
    """One finding for all the bare times of a debrief, with the first as the example."""
    bare = list(BARE_TIME.finditer(sc.debrief))
    if not bare:
        return []
    m = bare[0]
    minutes, seconds = int(m.group(1)), int(m.group(2))
    hint = ""
    if minutes * 60 + seconds <= sc.duration:
        clock = (sc.start + timedelta(seconds=minutes * 60 + seconds)).strftime("%H:%M")
        hint = f"; if {m.group(0)!r} is scenario time, write T+{minutes:02d}:{seconds:02d} (the logs print {clock} UTC)"
    return [
        f"debrief writes {len(bare)} time(s) without their clock: write T+mm:ss for scenario time or hh:mm UTC "
        f"for the clock{hint}"
    ]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n\s*[-*]\s+|\n\n", text) if s.strip()]


def number_findings(sc: Scenario, tel: Telemetry) -> list[str]:
    m = tel.metrics
    lat = m[m["metric"].isin(["latency_p50_ms", "latency_p99_ms"])].dropna(subset=["value"])
    if lat.empty:
        return []
    out = []
    names = sc.service_names
    for sentence in _sentences(sc.debrief):
        if not LATENCY_WORDS.search(sentence):
            continue
        named = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", sentence)]
        values = lat[lat["service"].isin(named)]["value"].to_numpy() if named else lat["value"].to_numpy()
        if len(values) == 0:
            values = lat["value"].to_numpy()
        for d in DURATION.finditer(sentence):
            ms = float(d.group(1)) * (1.0 if d.group(2) == "ms" else 1000.0)
            if ms <= 0:
                continue
            near = np.any((values >= ms / FACTOR) & (values <= ms * FACTOR))
            if not near:
                where = ", ".join(named) if named else "any service"
                out.append(
                    f"debrief says {d.group(0)!r} but latency on {where} is never within {FACTOR:g}x of it "
                    f"(it spans {values.min():.0f}..{values.max():.0f} ms): {sentence.strip()[:80]!r}"
                )
    return out


def findings(sc: Scenario, tel: Telemetry) -> list[str]:
    if not sc.debrief:
        return []
    return time_findings(sc) + number_findings(sc, tel)
