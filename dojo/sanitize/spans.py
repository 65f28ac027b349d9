"""Values at byte spans of a chunk, scrubbed in bulk and spliced back: shared by the flat paths of
the structured formats (flatjson.py, flatcsv.py).

The values are an Arrow array over the chunk's own bytes. Values whose key or column says what
they are (user, host, secret) are scrubbed by that context, each distinct (context, value) once;
the others are scanned as the lines of one text (each value starts a line, as it starts its own
text when a parsed record is scrubbed string by string), so that Python sees each distinct
candidate once. Splicing puts the new values where the old ones were, in C.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from .scrubber import Scrubber
from .structured import SHORTEST


def cut(chunk: bytes, starts: np.ndarray, stops: np.ndarray) -> pa.LargeBinaryArray:
    """chunk[starts[i]:stops[i]] for every i (spans in order, not overlapping), without a copy."""
    if not len(starts):
        return pa.array([], pa.large_binary())
    offsets = np.empty(2 * len(starts), dtype=np.int64)
    offsets[0::2] = starts
    offsets[1::2] = stops
    whole = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(chunk)]
    )
    return whole.take(pa.array(np.arange(0, len(offsets) - 1, 2)))


def joined(values: pa.LargeBinaryArray) -> bytes:
    """The values as the lines of one text (they must hold no line break)."""
    n = len(values)
    if not n:
        return b""
    seps = pa.array([b"\n"] * (n - 1), pa.large_binary())
    order = np.empty(2 * n - 1, dtype=np.int64)
    order[0::2] = np.arange(n)
    order[1::2] = n + np.arange(n - 1)
    return _contiguous(pa.concat_arrays([values, seps]).take(pa.array(order)))


def scrub_lines(s: Scrubber, text: bytes, scan: object) -> pa.LargeBinaryArray:
    """The lines of a joined text, scrubbed (scan: its Finder.scan, made ahead, or None)."""
    scrubbed = s.scrub_scan(scan) if scan is not None else s.scrub_bytes(text)  # type: ignore[arg-type]
    return pa.array(scrubbed.split(b"\n"), pa.large_binary())


def scrub_in_context(
    s: Scrubber, values: pa.LargeBinaryArray, ctx: np.ndarray, which: np.ndarray, new: pa.LargeBinaryArray
) -> pa.LargeBinaryArray:
    """new, with the values at indexes `which` scrubbed by their context ctx[i] (USER, HOST,
    SECRET), each distinct pair once. A value its context does not decide is scrubbed as text,
    as a parsed record's would be."""
    if not len(which):
        return new
    pairs = pa.array(ctx[which].astype(str)).dictionary_encode()
    vals = values.take(pa.array(which)).dictionary_encode()
    n_ctx = len(pairs.dictionary)
    code = vals.indices.to_numpy(zero_copy_only=False).astype(np.int64) * n_ctx + pairs.indices.to_numpy(
        zero_copy_only=False
    )
    uniq, inverse, counts = np.unique(code, return_inverse=True, return_counts=True)
    ctx_names, val_list = pairs.dictionary.to_pylist(), vals.dictionary.to_pylist()
    results: list[bytes] = []
    for c, n in zip(uniq.tolist(), counts.tolist()):
        original = val_list[c // n_ctx]
        got = s.scrub_in_context(ctx_names[c % n_ctx], original.decode("utf-8"), times=n)
        if got is not None:
            results.append(got.encode("utf-8", "surrogateescape"))
        elif len(original) >= SHORTEST:
            results.append(s.scrub_bytes(original) if n == 1 else _scrub_repeated(s, original, n))
        else:
            results.append(original)
    table = pa.array(results, pa.large_binary())
    return put(new, which, table.take(pa.array(inverse.ravel())))


def _scrub_repeated(s: Scrubber, value: bytes, n: int) -> bytes:
    # Counted n times, as n occurrences would be.
    return s.scrub_bytes(b"\n".join([value] * n)).split(b"\n", 1)[0]


def put(arr: pa.LargeBinaryArray, where: np.ndarray, values: pa.Array) -> pa.LargeBinaryArray:
    """arr with arr[where[i]] = values[i]."""
    both = pa.concat_arrays([arr, values])
    order = np.arange(len(arr), dtype=np.int64)
    order[where] = len(arr) + np.arange(len(where))
    return both.take(pa.array(order))


def splice(chunk: bytes, starts: np.ndarray, stops: np.ndarray, new: pa.LargeBinaryArray) -> bytes:
    """The chunk with bytes [starts[i], stops[i]) replaced by new[i] (spans in order)."""
    offsets = np.empty(2 * len(starts) + 2, dtype=np.int64)
    offsets[0], offsets[-1] = 0, len(chunk)
    offsets[1:-1:2] = starts
    offsets[2:-1:2] = stops
    pieces = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(chunk)]
    )
    n = len(pieces)
    order = np.arange(n, dtype=np.int64)
    order[1::2] = n + np.arange(len(starts))
    return _contiguous(pa.concat_arrays([pieces, new]).take(pa.array(order)))


def merge_lines(
    chunk: bytes, out: bytes, rest: list[int], other: Callable[[bytes], tuple[bytes, list[int]]]
) -> tuple[bytes, list[int]]:
    """out (the chunk with its flat lines scrubbed) with the lines at indexes `rest` replaced by
    what other() makes of them, line for line; and other's 1-based fallback line numbers, made
    line numbers in the chunk."""
    if not rest:
        return out, []
    lines_in, lines_out = chunk.split(b"\n"), out.split(b"\n")
    done, fallback = other(b"".join(lines_in[i] + b"\n" for i in rest))
    for i, line in zip(rest, done.split(b"\n")):
        lines_out[i] = line
    return b"\n".join(lines_out), [rest[n - 1] + 1 for n in fallback]


def _contiguous(arr: pa.LargeBinaryArray) -> bytes:
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    lo, hi = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    data = arr.buffers()[2]
    return data.slice(lo, hi - lo).to_pybytes() if data is not None and hi > lo else b""
