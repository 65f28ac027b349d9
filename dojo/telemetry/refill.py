"""A cache restarted cold refills by demand, not by the clock.

Every miss stores the key it asked for, so the share of its key space a cache holds grows with
the requests it gets: over a bucket of n requests spread over K keys, a share (1 - e^(-n/K)) of
the keys still missing is asked for and stored. Its hit ratio is that share of its warm hit
ratio. So the refill takes as long as the traffic takes to ask for the keys: shedding load at
the door to save the database behind a cold cache also slows the cache's recovery, which keeps
the database exposed for longer (Slack, 2022).

Solved after each pass of the flow, from the requests that pass sent the cache; the next pass
sizes the callers' database calls by the new hit ratio. Causal and carried from bucket to
bucket (the share held), so a run resumed at t starts from what the cache held then.
"""

from __future__ import annotations

import math

import numpy as np

from .state import State


def refill(st: State, admitted: np.ndarray, start: np.ndarray | None = None) -> np.ndarray | None:
    """Set `st.cache_hit` of every cache restarted cold from the requests/s it served
    (`admitted`, (S,T)); returns the share of its keys each holds at the end of each bucket
    ((S,T), 1 for the others), or None when no cache was restarted. `start` (S,) is the share
    held at the end of the bucket before a resumed window."""
    if not st.cache_refill:
        return None
    grid, off = float(st.scenario.grid), st.offset
    warm = np.ones((st.S, st.T))
    for s, restarts in st.cache_refill.items():
        at = {j: (share, keys) for j, share, keys, _ in restarts}
        held = 1.0 if start is None else float(start[s])
        keys = restarts[0][2]
        served = admitted[s].tolist()
        out = [0.0] * st.T
        for j in range(st.T):
            if j + off in at:  # restarted: the restarted share of it comes back empty
                share, keys = at[j + off]
                held *= 1.0 - share
            n = served[j] * grid
            held += (1.0 - held) * -math.expm1(-n / keys)
            out[j] = held
        warm[s] = out
        st.cache_hit[s] = st.cache_base[s] * warm[s]
    return warm


def first_guess(st: State) -> None:
    """The hit ratio of each cache restarted cold as if it got its normal traffic: where the
    physics starts from before it knows the traffic. Bucket by bucket from the restart's time
    alone (no state carried), so a resumed window guesses what the whole run guessed."""
    grid = float(st.scenario.grid)
    j = np.arange(st.T) + st.offset
    for s, restarts in st.cache_refill.items():
        held = np.ones(st.T)
        for j0, share, keys, normal in restarts:
            since = (j - j0 + 1) * grid
            fill = -np.expm1(-np.clip(since, 0.0, None) * normal / keys)
            held = np.where(j >= j0, (held * (1.0 - share)) + (1.0 - held * (1.0 - share)) * fill, held)
        st.cache_hit[s] = st.cache_base[s] * held

