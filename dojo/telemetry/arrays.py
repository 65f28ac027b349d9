"""Arrow arrays made from Python and numpy, and numpy views of Arrow columns, without pandas.

pyarrow asks its pandas shim whether a value is a pandas object whenever it converts one
(`pa.array` of a list or an ndarray, `pa.scalar`, a Python separator handed to a compute
function, `to_numpy`), and the shim's first question imports pandas: a quarter of a second. The
log pane paints its first screen before pandas is needed for anything else, so the few arrays
that screen makes are built here from their buffers, which pyarrow takes as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

_NUMPY = {
    pa.float64(): np.float64,
    pa.int64(): np.int64,
    pa.int32(): np.int32,
    pa.int16(): np.int16,
    pa.int8(): np.int8,
}


def strings(values: list[str]) -> pa.Array:
    """A string array of `values` (no nulls)."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def text(value: str) -> pa.Scalar:
    """A string scalar (a separator for a compute function)."""
    return strings([value])[0]


def indices(rows: Any) -> pa.Array:
    """Row numbers as an int64 array, for `take`."""
    arr = np.ascontiguousarray(rows, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(arr), [None, pa.py_buffer(arr)])


def numpy_of(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric column as numpy, zero-copy for one chunk. A column with nulls or of another
    type goes through pyarrow's own conversion."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    dtype = _NUMPY.get(column.type)
    if dtype is None or any(c.null_count for c in chunks):
        return column.to_numpy() if isinstance(column, pa.ChunkedArray) else column.to_numpy(zero_copy_only=False)
    parts = [np.frombuffer(c.buffers()[1], dtype=dtype, count=len(c), offset=c.offset * np.dtype(dtype).itemsize)
             for c in chunks if len(c)]  # fmt: skip
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
