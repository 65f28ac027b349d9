"""Garbage-collector settings for a UI that holds a large incident in memory.

Measured on the 1M-line benchmark: with default settings a full collection walked every object
alive (the libraries, the telemetry, every cached strip) and stopped the UI for 200-300 ms at
random moments while scrolling. Freezing what exists once the data is loaded takes it out of
every later collection, and a larger first threshold makes collections rarer; what a UI frame
allocates dies young either way.

Before that, while an attempt opens: importing numpy, pandas, pyarrow, pydantic and SQLAlchemy
creates hundreds of thousands of objects that all survive, and each batch of survivors set off
another full collection over everything imported so far. Five of them took about a quarter of the
CPU from launch to the workspace's first screen, and found almost nothing to free. So the app
holds the collector from its start (`hold_during_load`) until the workspace has painted, or a few
seconds have passed, whichever comes first; then one collection settles the heap and freezes it.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000

_held = False  # the collector is off because hold_during_load turned it off


def hold_during_load() -> None:
    """Turn the collector off while an app loads (a no-op if it is off already: whoever turned
    it off turns it back on). Reference counting still frees everything without cycles."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def held() -> bool:
    return _held


def settle_after_load() -> None:
    """Call once the telemetry is loaded and the panes are fed: collect, freeze what survives,
    and end a hold."""
    global _held
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    if _held:
        _held = False
        gc.enable()


def end_hold(settle: bool = True) -> None:
    """End a hold that is still on, settling the heap then (or, not `settle`, only turning the
    collector back on: an app that exits): the app's safety net, so that no path leaves the
    collector off."""
    global _held
    if not _held:
        return
    if settle:
        settle_after_load()
    else:
        _held = False
        gc.enable()
