"""Log rows as text: the plain line of logs.log, built column-wise for any slice of rows.

`2026-03-10T14:03:12.345Z ERROR checkout checkout-7d9f8c6b5-x2k4p call to payments timed out`
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.vocabulary import LEVELS

from .arrays import indices, numpy_of, strings, text

# Built without pa.array (dojo.telemetry.arrays): the log pane paints with these before pandas loads.
_MS_TEXT = strings([f"{i:03d}Z" for i in range(1000)])
_NOTHING, _SPACE = text(""), text(" ")
_LEVEL_PAD = {name: f"{name:<5}" for name in LEVELS}


def timestamps(start: datetime, t: np.ndarray) -> pa.Array:
    """ISO 8601 UTC with milliseconds, without a strftime per line: one string per distinct
    second, then a take and a join (per-line strftime in Arrow costs 2 s a million)."""
    ms = np.rint(np.asarray(t, dtype=float) * 1000).astype(np.int64)
    if len(ms) == 0:
        return strings([])
    sec = ms // 1000
    first = int(sec.min())
    n = int(sec.max()) - first + 1
    seconds = strings([(start + timedelta(seconds=first + k)).strftime("%Y-%m-%dT%H:%M:%S.") for k in range(n)])
    return pc.binary_join_element_wise(seconds.take(indices(sec - first)), _MS_TEXT.take(indices(ms % 1000)), _NOTHING)


def _decoded(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def plain_lines(logs: pa.Table, start: datetime) -> pa.Array:
    """The plain-text line of every row of `logs` (slice the table first for a page)."""
    if logs.num_rows == 0:
        return strings([])
    level = logs.column("level").combine_chunks()
    padded = level.dictionary.to_pylist()
    pad = strings([_LEVEL_PAD.get(x, x) for x in padded]).take(level.indices)
    return pc.binary_join_element_wise(
        timestamps(start, numpy_of(logs.column("t"))),
        pad,
        _decoded(logs.column("service")),
        _decoded(logs.column("host")),
        _decoded(logs.column("message")),
        _SPACE,
    )


def sample_note(p: float) -> str:
    """How request lines are sampled, in the words the screens and the headless replies use."""
    if p >= 1.0:
        return "every request logged"
    return f"1 in {1 / p:.3g} requests logged"
