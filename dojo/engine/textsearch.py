"""Finding text in a million log messages quickly, without a Python loop per line.

Three tools, cheapest first:

- a literal is found by one `bytes.find` scan over the message column's bytes as a single block
  (C, memchr-driven), stepping match to match: work per match, not per line;
- a regex is prefiltered on the literals every match needs (`literals.required_literals`), and
  RE2 runs only on the rows that contain one;
- otherwise RE2 (pyarrow's match_substring_regex) runs on every row, split across threads.
  A literal goes through RE2 too when it falls back: Arrow's own substring kernel is ~2x slower.
"""

from __future__ import annotations

import math
import mmap
import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dojo.telemetry import mapped

from .errors import QueryError
from .literals import required_literals

# Past this many matches the block scan's per-match steps cost more than RE2's row-wise scan.
LITERAL_MAX_MATCHES = 20_000
# Below this many rows one thread is quicker than splitting the work.
PARALLEL_MIN_ROWS = 200_000
_RE2_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


def re2_literal(text: str) -> str:
    """A regex that matches `text` literally."""
    return _RE2_META.sub(r"\\\1", text)


def check_regex(pattern: str) -> None:
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        detail = str(exc).split(":", 1)[-1].strip()
        raise QueryError(f"invalid regex {pattern!r}: {detail} (RE2 syntax: no lookaround or backreferences)") from None


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 4), thread_name_prefix="dojo-query")
    return _POOL


def match_mask(arr: pa.Array | pa.ChunkedArray, pattern: str) -> np.ndarray:
    """Rows of a string array that match an RE2 pattern, as a numpy bool mask. Large arrays are
    cut in slices matched on several threads (Arrow's kernels release the GIL)."""
    n = len(arr)
    workers = min(os.cpu_count() or 1, 4)
    if n < PARALLEL_MIN_ROWS or workers < 2:
        whole: np.ndarray = pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
        return whole
    step = math.ceil(n / workers)
    parts = list(_pool().map(lambda i: pc.match_substring_regex(arr.slice(i, step), pattern), range(0, n, step)))
    return np.concatenate([p.to_numpy(zero_copy_only=False) for p in parts])


class MessageBytes:
    """A string column's UTF-8 bytes as one block, with each row's offsets."""

    def __init__(self, arr: pa.Array):
        n = len(arr)
        width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
        # The column's own offsets, as they are (mapped, for a cached incident: shared, not copied
        # into this process), and `shift` from them to positions in `blob`.
        self.offsets = (
            np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + n + 1]
            if n
            else np.zeros(1, np.int64)
        )
        start, stop = int(self.offsets[0]), int(self.offsets[-1])
        data = arr.buffers()[2] if n else None
        # A column mapped from the incident cache is searched in its mapping (mmap has `find`):
        # its pages are shared with every other player, and nothing is copied.
        where = mapped.locate(data.address + start, stop - start) if data is not None else None
        self.blob: bytes | mmap.mmap
        if where is not None:
            self.blob, base = where
            self.shift = base - start
        else:
            # One copy, made once: bytes.find needs a bytes object (a memoryview has no find).
            self.blob = bytes(memoryview(data)[start:stop]) if data is not None else b""
            self.shift = -start

    def find_rows(self, text: str, lo: int, hi: int) -> np.ndarray | None:
        """Rows in [lo, hi) that contain `text`, or None if there are too many matches."""
        needle = text.encode()
        shift = self.shift
        end = int(self.offsets[hi]) + shift
        find, found = self.blob.find, []
        p = find(needle, int(self.offsets[lo]) + shift, end)
        while p >= 0:
            found.append(p)
            if len(found) > LITERAL_MAX_MATCHES:
                return None
            p = find(needle, p + 1, end)  # +1, not +len: a match that straddles two rows must not hide a real one
        pos = np.array(found, dtype=np.int64) - shift  # back to the column's own offsets
        rows = np.searchsorted(self.offsets, pos, side="right") - 1
        # The blob has no separators between rows.
        inside = pos + len(needle) <= np.asarray(self.offsets[rows + 1], dtype=np.int64)
        return np.unique(rows[inside])


class ChunkedBytes:
    """MessageBytes of each chunk of a chunked column, searched as one."""

    def __init__(self, column: pa.ChunkedArray):
        self.parts = [MessageBytes(c) for c in column.chunks]
        self.starts = np.cumsum([0] + [len(c) for c in column.chunks])

    def find_rows(self, text: str, lo: int, hi: int) -> np.ndarray | None:
        found = []
        for part, start, stop in zip(self.parts, self.starts[:-1], self.starts[1:]):
            a, b = max(lo, start), min(hi, stop)
            if a >= b:
                continue
            rows = part.find_rows(text, int(a - start), int(b - start))
            if rows is None:
                return None
            found.append(rows + start)
        return np.concatenate(found) if found else np.zeros(0, np.int64)


class TextSearch:
    """Fast paths over one string column; each returns candidate rows or None (no fast path)."""

    def __init__(self, column: pa.Array | pa.ChunkedArray):
        self.column = column
        self._bytes: MessageBytes | ChunkedBytes | None = None  # built on the first literal search

    def literal_rows(self, text: str, lo: int, hi: int) -> np.ndarray | None:
        if self._bytes is None:
            self._bytes = (
                ChunkedBytes(self.column) if isinstance(self.column, pa.ChunkedArray) else MessageBytes(self.column)
            )
        return self._bytes.find_rows(text, lo, hi)

    def prefilter(self, regex: str, lo: int, hi: int) -> np.ndarray | None:
        """Rows containing a literal every match of `regex` needs; RE2 must still decide them."""
        needed = required_literals(regex)
        if not needed:
            return None
        found = []
        for text in needed:
            rows = self.literal_rows(text, lo, hi)
            if rows is None:
                return None
            found.append(rows)
        return np.unique(np.concatenate(found))


# Private-use characters that bracket each match in `match_spans`; a text holding one is not marked.
_OPEN, _CLOSE = "\ue000", "\ue001"


def match_spans(texts: list[str], pattern: str, ignore_case: bool = False) -> list[list[tuple[int, int]]]:
    """For each text, the (start, end) of every non-empty match of the RE2 `pattern`: what a view
    marks in the few lines on screen. RE2 here too, so marking, like filtering, is linear in the
    text (Python's `re` backtracks: `(a+)+$` on a line of a's would never return)."""
    if not texts:
        return []
    marked = pc.replace_substring_regex(
        pa.array(texts, pa.string()), ("(?i)" if ignore_case else "") + pattern, replacement=f"{_OPEN}\\0{_CLOSE}"
    ).to_pylist()
    out: list[list[tuple[int, int]]] = []
    for text, m in zip(texts, marked, strict=True):
        spans: list[tuple[int, int]] = []
        if _OPEN not in text and _CLOSE not in text:
            at, pos = 0, 0  # at: index in the original text; pos: in the marked one
            while (start := m.find(_OPEN, pos)) >= 0:
                end = m.index(_CLOSE, start)
                at += start - pos
                if end > start + 1:
                    spans.append((at, at + end - start - 1))
                at += end - start - 1
                pos = end + 1
        out.append(spans)
    return out
