"""Garbage-collector settings for a UI that holds a large incident in memory.

Measured on the 1M-line benchmark: with default settings a full collection walked every object
alive (the libraries, the telemetry, every cached strip) and stopped the UI for 200-300 ms at
random moments while scrolling. Freezing what exists once the data is loaded takes it out of
every later collection, and a larger first threshold makes collections rarer; what a UI frame
allocates dies young either way.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def settle_after_load() -> None:
    """Call once the telemetry is loaded and the panes are fed."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
