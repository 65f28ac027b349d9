"""The fast scan: RE2 (through pyarrow) cuts text into plain pieces and candidates.

Python's re tries a pattern at every position of the text, which for a pattern of this size runs
at a few MB/s; RE2 runs it as an automaton and releases the GIL while it does. It cannot call back
into Python, so it wraps each match in marker bytes (\\x01) and the text is split on them: pieces
at even positions are plain text, at odd positions candidates.

For a chunk of a file, scan() goes further without Python: pyarrow splits the marked text,
picks out the candidates and dictionary-encodes them, so that Python sees each distinct
candidate of the chunk once (a 4 MB log chunk holds about 65,000 candidates but 12,000 distinct
ones), and Scan.join() puts the replacements back in C. All of it releases the GIL, so a thread
can scan the next chunk while Python replaces the candidates of this one.

Text that already contains a marker byte (rare: binary-ish logs) is cut by Python's re instead,
slower but the same result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

START, END = b"\x01", b"\x02"
# One marker on both sides: a match adds exactly two, so splitting on it alternates plain text and
# candidates even when two candidates touch. END is never written; it stays reserved, so that the
# fallback test (marker bytes in the input) is unchanged.
_WRAP = "\x01\\0\x01"


@dataclass
class Scan:
    """A chunk cut by the scan: its pieces, and its candidates as distinct values + positions."""

    pieces: pa.LargeBinaryArray  # plain, candidate, plain, ..., plain
    uniques: list[bytes]  # the distinct candidates
    index: np.ndarray  # for each candidate in order, its position in uniques

    def counts(self) -> list[int]:
        """How many times each distinct candidate occurs."""
        return np.bincount(self.index, minlength=len(self.uniques)).tolist()

    def join(self, replacements: list[bytes]) -> bytes:
        """The text with candidate uniques[i] replaced by replacements[i] everywhere."""
        n = len(self.pieces)
        if n == 1:
            return self.pieces[0].as_py()
        both = pa.concat_arrays([self.pieces, pa.array(replacements, pa.large_binary())])
        order = np.arange(n, dtype=np.int64)
        order[1::2] = n + self.index
        out = both.take(pa.array(order))
        # A fresh array holds its values back to back: the data buffer between the first and the
        # last offset is the joined text.
        offsets = np.frombuffer(out.buffers()[1], dtype=np.int64)
        lo, hi = int(offsets[out.offset]), int(offsets[out.offset + len(out)])
        data = out.buffers()[2]
        return data.slice(lo, hi - lo).to_pybytes() if data is not None else b""


class Finder:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._bytes_re = re.compile(pattern.encode("ascii"))

    def split(self, data: bytes) -> list[bytes]:
        """[plain, candidate, plain, candidate, ..., plain]: the candidates at the odd indexes."""
        if START in data or END in data:
            return self._split_python(data)
        marked = pc.replace_substring_regex(pa.array([data], pa.large_binary()), self.pattern, _WRAP)
        return marked[0].as_py().split(START)

    def scan(self, data: bytes) -> Scan | None:
        """The chunk cut into pieces and distinct candidates (None if it holds marker bytes)."""
        if START in data or END in data:
            return None
        marked = pc.replace_substring_regex(pa.array([data], pa.large_binary()), self.pattern, _WRAP)
        pieces = pc.split_pattern(marked, START.decode()).flatten()
        n = len(pieces)
        if n == 1:
            return Scan(pieces, [], np.zeros(0, dtype=np.int64))
        encoded = pieces.take(pa.array(np.arange(1, n, 2))).dictionary_encode()
        return Scan(pieces, encoded.dictionary.to_pylist(), encoded.indices.to_numpy().astype(np.int64))

    def split_many(self, values: list[bytes]) -> dict[int, list[bytes]]:
        """The pieces of those values that hold a candidate, by index; the others are untouched."""
        if not values:
            return {}
        arr = pa.array(values, pa.large_binary())
        hits = np.flatnonzero(pc.match_substring_regex(arr, self.pattern).to_numpy(zero_copy_only=False))
        if not len(hits):
            return {}
        marked = pc.replace_substring_regex(arr.take(pa.array(hits)), self.pattern, _WRAP).to_pylist()
        out: dict[int, list[bytes]] = {}
        for i, m in zip(hits.tolist(), marked):
            original = values[i]
            if START in original or END in original:
                out[i] = self._split_python(original)
            else:
                out[i] = m.split(START)
        return out

    def _split_python(self, data: bytes) -> list[bytes]:
        pieces: list[bytes] = []
        pos = 0
        for m in self._bytes_re.finditer(data):
            if m.end() == m.start():
                continue
            pieces.append(data[pos : m.start()])
            pieces.append(m.group())
            pos = m.end()
        pieces.append(data[pos:])
        return pieces
