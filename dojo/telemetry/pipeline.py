"""The telemetry pipeline as part of the system: when a service that carries the others'
metrics or logs fails, for whatever reason (its own fault, a dependency of it that failed, an
overload), the learner's dashboards go blank or freeze and log lines are lost for as long as it
fails. Nothing is scheduled: the outage of the instruments follows from the state.
"""

from __future__ import annotations

import numpy as np

from .state import State

MODES = {"blank": 1, "stale": 2}  # as observability_outage's


def pipeline_outages(st: State) -> None:
    """Mark, from the propagated error rates, the buckets whose metrics or logs the learner never
    receives. Run after propagate()."""
    for p, svc in enumerate(st.scenario.services):
        pipe = svc.pipeline
        if pipe is None:
            continue
        down = np.asarray(st.err[p] > pipe.fails_above)
        if not down.any():
            continue
        for s in range(st.S):
            if s == p:
                continue  # its own meta-monitoring still sees it
            if pipe.carries == "metrics":
                st.stale[s] = st.stale[s].astype(bool) | down
                st.stale_mode[s] = MODES[pipe.mode]
            else:
                st.logs_lost[s] = st.logs_lost[s] | down
