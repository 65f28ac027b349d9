"""The incidents the per-user warm dojo keeps mapped and indexed for the plays it forks.

Before forking `dojo play SCENARIO`, the server maps that scenario's incident from the cache and
indexes it for queries (what a session would do first), so this fork and every later one of the
same scenario start with both, shared copy-on-write. Only an incident already cached: mapping
takes milliseconds, synthesis seconds, and the server forks nothing while it works; a scenario not
yet cached is synthesized by the forked dojo, as a plain start would. A few are kept, least
recently played dropped first, bounded in count and in bytes (by the cache's own size limit).

Everything is read as the launcher would: its environment (cache folder, cache on or off, limit)
and its folder (a scenario named by a relative path). Any failure leaves the fork to do it itself.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_KEEP = 3


@dataclass
class Held:
    root: Path
    key: str
    telemetry: Any
    size: int
    scenario_id: str
    seed: int
    lines: int


def play_target(argv: list[str]) -> tuple[str, int | None] | None:
    """The scenario and seed a `play` command line asks for; None for anything else (a join, a
    resumed attempt, the library)."""
    if not argv or argv[0] != "play":
        return None
    from dojo.commands.play import play_cmd

    try:
        ctx = play_cmd.make_context("play", list(argv[1:]), resilient_parsing=True)
    except Exception:  # a command line the dojo itself will explain
        return None
    params = ctx.params
    if not params.get("scenario") or params.get("resume") or params.get("join"):
        return None
    return str(params["scenario"]), params.get("seed")


@contextlib.contextmanager
def as_launcher(env: dict, cwd: str) -> Iterator[None]:
    """The launcher's environment and folder for the duration (the server is single-threaded)."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    try:
        os.chdir(cwd)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


class HeldIncidents:
    def __init__(self, keep: int = DEFAULT_KEEP):
        self.keep = keep
        self.held: OrderedDict[tuple[str, str], Held] = OrderedDict()

    def before_fork(self, argv: list, env: dict, cwd: str) -> None:
        target = play_target([str(a) for a in argv])
        if target is None:
            return
        try:
            with as_launcher(env, cwd):
                self._hold(*target)
        except Exception as exc:  # the fork maps (or synthesizes) it itself
            print(f"dojo warm server: not holding {target[0]} ({str(exc)[:200]})", file=sys.stderr, flush=True)

    def _hold(self, ref: str, seed: int | None) -> None:
        from dojo.engine.queries import prebuild
        from dojo.scenario import load_scenario, resolve_scenario
        from dojo.telemetry.cache import Cache, enabled, hold_cached

        if not enabled():
            return
        cache = Cache()
        scenario = load_scenario(resolve_scenario(ref))
        got = hold_cached(cache, scenario, seed)
        if got is None:
            return  # not cached: the fork synthesizes it
        key, tel = got
        slot = (str(cache.root), key)
        if slot in self.held:
            self.held.move_to_end(slot)
            return
        size = sum(f.stat().st_size for f in (cache.root / key).iterdir())
        prebuild(tel)
        self.held[slot] = Held(cache.root, key, tel, size, scenario.id, int(tel.seed), int(tel.logs.num_rows))
        self._trim(cache.limit)
        # The server never collects on its own (its heap is built with the collector off): what
        # the launches so far left in cycles goes now, and the rest, the new incident with it,
        # joins the heap the forks share without their collections touching it.
        gc.collect()
        gc.freeze()

    def _trim(self, limit: int) -> None:
        from dojo.engine.queries import forget_prebuilt
        from dojo.telemetry.cache import let_go

        while len(self.held) > 1 and (len(self.held) > self.keep or sum(h.size for h in self.held.values()) > limit):
            _, old = self.held.popitem(last=False)
            let_go(old.root, old.key)
            forget_prebuilt(old.telemetry)
            # Frozen objects are never collected: thawed here, so that the collection that follows
            # in _hold frees what the dropped incident left in cycles before it freezes the rest.
            gc.unfreeze()

    def describe(self) -> list[dict]:
        return [
            {"scenario": h.scenario_id, "seed": h.seed, "lines": h.lines, "size": h.size}
            for h in reversed(self.held.values())
        ]
