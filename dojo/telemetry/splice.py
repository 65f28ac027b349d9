"""An incident changed at a moment `at` by a learner's action: the cached incident before `at`,
the re-simulated one from `at` on, held together without copying the part before.

The physics is causal (dojo/telemetry/actions.py): with the action inserted, nothing before it
changes. So an attempt that acts keeps reading everything before `at` from the cached incident
(slices of its memory-mapped tables, shared with every other player) and holds in its own memory
only what was synthesized for the time after. The cut is where a learner's view is already
fixed: log lines and events before `at` (seen, perhaps pinned), metric buckets and traces that
closed before the bucket holding `at` began.

`after` is any Telemetry of the changed incident whose rows from the cut on are right; rows before
the cut are ignored. dojo.telemetry.actions.act makes it from the state at `at`'s bucket,
rendering only the buckets from there on (a whole synthesis with the action inserted also fits).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa

from .model import Telemetry


def bucket_start(at: float, grid: float) -> float:
    return math.floor(at / grid + 1e-9) * grid


def _rows_before(times: pa.ChunkedArray | pa.Array | np.ndarray, at: float) -> int:
    arr = times.to_numpy() if not isinstance(times, np.ndarray) else times
    return int(np.searchsorted(arr, at, side="left"))


def _metrics_cut(base: pd.DataFrame, after: pd.DataFrame, cut: float) -> pd.DataFrame:
    m = pd.concat([base[base["t"] < cut], after[after["t"] >= cut]], ignore_index=True)
    # Back to the model's order: series in base's order of appearance, each by t.
    series = m.groupby(["service", "metric"], sort=False).ngroup().to_numpy()
    return m.iloc[np.lexsort((m["t"].to_numpy(), series))].reset_index(drop=True)


def _spans_cut(base: pd.DataFrame, after: pd.DataFrame, cut: float) -> pd.DataFrame:
    """Whole traces: base's that began before the cut, after's that began from it on."""
    began_b = base.groupby("trace_id")["t"].transform("min") if len(base) else base["t"]
    began_a = after.groupby("trace_id")["t"].transform("min") if len(after) else after["t"]
    sp = pd.concat([base[began_b < cut], after[began_a >= cut]], ignore_index=True)
    return sp.sort_values(["t", "trace_id"], kind="stable", ignore_index=True)


def splice(base: Telemetry, after: Telemetry, at: float) -> Telemetry:
    """`base` up to `at`, `after` from `at` on. The logs are a two-chunk table whose first chunk
    is a zero-copy slice of `base.logs`; the later lines are numbered on from the earlier ones,
    so every pin id taken before the action still names the same line."""
    if after.scenario.id != base.scenario.id or after.grid != base.grid or after.seed != base.seed:
        raise ValueError("splice: both incidents must be the same scenario, seed and grid")
    cut = bucket_start(at, base.grid)
    k = _rows_before(base.logs.column("t"), at)
    j = _rows_before(after.logs.column("t"), at)
    head = base.logs.slice(0, k)
    tail = after.logs.slice(j)
    ids = pa.array(np.arange(k, k + tail.num_rows, dtype=np.int64))
    tail = tail.set_column(tail.schema.get_field_index("id"), "id", ids)
    # Dictionary columns: the two halves may list services or hosts in another order; Arrow keeps
    # a dictionary per chunk, so each chunk decodes right.
    logs = pa.concat_tables([head, tail.cast(head.schema)])
    return replace(
        after,
        logs=logs,
        metrics=_metrics_cut(base.metrics, after.metrics, cut),
        spans=_spans_cut(base.spans, after.spans, cut),
        events=pd.concat(
            [base.events[base.events["t"] < at], after.events[after.events["t"] >= at]], ignore_index=True
        ),
    )
