"""JSON lines scrubbed in place, without parsing, for the lines that allow it.

Most JSON log lines are one flat object of strings, numbers and literals, with no escapes. For such
a line the structured path (parse, walk, scrub each string, dump) does nothing that a byte-level
pass cannot, and it costs about 50 us a line in Python. Here numpy finds the strings of a whole
chunk at once: each string is the raw bytes between two quotes, a string followed by ':' is a key,
and a value's key is the string just before it. Values under a user, host or secret key are
scrubbed by that context (once per distinct pair); every other value is scrubbed as text, all of
a chunk's values together as the lines of one text through the chunk scan (scrubber.scrub_scan),
so that each value starts a line as it starts its own text in the structured path. The new values
go back where the old ones were: the line keeps its formatting to the byte.

A line is taken this way only if it is one flat object: it starts with '{' and ends with '}', its
quotes pair up, it holds no backslash (so no escapes) and no control character inside a string,
outside its strings there is nothing but JSON punctuation, digits and the letters of true, false
and null, it has a single '{' and '}' and no '[', every string is followed by ':' ',' or '}' (one
space allowed), and no key is "key" (OpenTelemetry names an attribute's value by a sibling key).
Every other line, and every line when timestamps are shifted (epoch numbers under time keys), goes
the structured way. A test checks that both ways give the same JSON on generated lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .finder import START, Scan
from .scrubber import HOST, SECRET, USER, Scrubber
from .structured import SHORTEST as _SHORTEST

_QUOTE, _BACKSLASH, _NL, _COLON, _SPACE = 34, 92, 10, 58, 32
# A flat object with each string written S, at most one space around ':' and ','. What is not a
# string must be a JSON number or literal, so that nothing outside strings can hold a value to scrub.
_SCALAR = r"(?:S|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"
_MEMBER = r"S ?: ?" + _SCALAR
_FLAT = r"^\{ ?(?:" + _MEMBER + r"(?: ?, ?" + _MEMBER + r")*)? ?\}\r?$"
_CONTEXTS = (USER, HOST, SECRET)


@dataclass
class Prepared:
    """A chunk's flat lines, found and cut, with their text values already scanned."""

    chunk: bytes
    flat: np.ndarray  # per line: taken here
    starts: np.ndarray  # of the values' contents (after the opening quote)
    stops: np.ndarray  # of the values' contents (the closing quote)
    values: pa.LargeBinaryArray  # the values' contents
    contexts: np.ndarray  # per value: USER, HOST, SECRET or ""
    text: np.ndarray  # the values scrubbed as text: indexes into values
    scan: Scan | None  # of those values joined by line breaks (None: cut in Python)
    joined: bytes


def prepare(s: Scrubber, chunk: bytes) -> Prepared | None:
    """Find the flat lines and scan their text values; None if the chunk goes the structured way.

    numpy, pyarrow and RE2 without the GIL: a thread can prepare the next chunk while Python
    finishes this one.
    """
    if s.shifter is not None or START in chunk or not chunk:
        return None
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None  # undecodable lines are counted by the structured path
    b = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(b == _NL)
    if not len(ends) or ends[-1] != len(b) - 1:
        ends = np.append(ends, len(b))  # a last line without a line break
    starts = np.concatenate(([0], ends[:-1] + 1))
    flat = _flat_lines(b, starts, ends)
    if not flat.any():
        return None

    # The strings of the flat lines: quotes pair up within each of them.
    quotes = np.flatnonzero(b == _QUOTE)
    quotes = quotes[flat[np.searchsorted(ends, quotes)]]
    opens, closes = quotes[0::2], quotes[1::2]
    if not len(opens):
        return None
    line_of = np.searchsorted(ends, opens)
    # _FLAT allows one space at most before a ':'.
    after = b[np.minimum(closes + 1, len(b) - 1)]
    after2 = b[np.minimum(closes + 2, len(b) - 1)]
    is_key = (after == _COLON) | ((after == _SPACE) & (after2 == _COLON))
    # A value's key is the string before it, on the same line (_FLAT makes it so).
    is_value = ~is_key
    spans = _pieces(chunk, opens, closes)
    keys = spans.take(pa.array(np.flatnonzero(is_key))).dictionary_encode()
    key_names = keys.dictionary.to_pylist()
    key_code = np.full(len(opens), -1, dtype=np.int64)
    key_code[is_key] = keys.indices.to_numpy(zero_copy_only=False)
    if b"key" in key_names:
        flat[line_of[key_code == key_names.index(b"key")]] = False
    values = np.flatnonzero(is_value & flat[line_of])
    if not len(values):
        return None
    contexts = [s.context(k.decode()) for k in key_names]
    value_ctx = np.array([c if c in _CONTEXTS else "" for c in contexts] + [""], dtype=object)[
        key_code[values - 1]
    ]
    value_spans = spans.take(pa.array(values))
    # The structured path leaves strings shorter than any detector's match alone (structured.py).
    long_enough = pc.binary_length(value_spans).to_numpy(zero_copy_only=False) >= _SHORTEST
    text = np.flatnonzero((value_ctx == "") & long_enough)
    joined = _join(value_spans.take(pa.array(text)), b"\n") if len(text) else b""
    scan = s.finder.scan(joined) if joined else None
    return Prepared(chunk, flat, opens[values] + 1, closes[values], value_spans, value_ctx, text, scan, joined)


def finish(
    s: Scrubber, p: Prepared, structured: Callable[[Scrubber, bytes], tuple[bytes, list[int]]]
) -> tuple[bytes, list[int]]:
    """The chunk scrubbed: flat lines here, the others through structured(lines) -> (bytes,
    fallback line numbers within them); and the 1-based fallback line numbers in the chunk."""
    new = p.values
    if len(p.text):
        scrubbed = s.scrub_scan(p.scan) if p.scan is not None else s.scrub_bytes(p.joined)
        new = _put(new, p.text, pa.array(scrubbed.split(b"\n"), pa.large_binary()))
    new = _scrub_in_context(s, p.values, p.contexts, new)
    lines_out = _splice(p.chunk, p.starts, p.stops, new).split(b"\n")
    fallback: list[int] = []
    rest = np.flatnonzero(~p.flat).tolist()
    if rest:
        lines_in = p.chunk.split(b"\n")
        done, rest_fallback = structured(s, b"".join(lines_in[i] + b"\n" for i in rest))
        for i, line in zip(rest, done.split(b"\n")):
            lines_out[i] = line
        fallback = [rest[n - 1] + 1 for n in rest_fallback]
    return b"\n".join(lines_out), fallback


def _flat_lines(b: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which lines are one flat object (strings checked for escapes and control bytes; their
    placement by _FLAT on the line with each string collapsed to an S)."""
    n_lines = len(ends)
    is_quote = b == _QUOTE
    quote_lines = np.searchsorted(ends, np.flatnonzero(is_quote))
    ok = np.bincount(quote_lines, minlength=n_lines) % 2 == 0
    parity = np.cumsum(is_quote, dtype=np.int32) & 1
    if not ok.all():
        # A line with an odd number of quotes turns the parity of those after it: set it right.
        flips = np.zeros(n_lines, dtype=np.int32)
        flips[1:] = np.cumsum(~ok)[:-1] & 1
        parity ^= np.repeat(flips, np.diff(np.append(starts, len(b)))).astype(np.int32)
    inside = parity.astype(bool)  # an opening quote and what follows it, up to the closing one
    bad = np.flatnonzero((b == _BACKSLASH) | (inside & (b < 32) & ~is_quote))
    ok[np.searchsorted(ends, bad)] = False
    # The skeleton: each string becomes one S, the rest stays; line breaks always stay.
    opening = is_quote & inside
    skeleton = np.where(opening, np.uint8(ord("S")), b)[(~inside & ~is_quote) | opening | (b == _NL)]
    lines = pc.split_pattern(pa.array([skeleton.tobytes()], pa.large_binary()), "\n").flatten()
    ok &= pc.match_substring_regex(lines[:n_lines], _FLAT).to_numpy(zero_copy_only=False)
    return ok


def _pieces(chunk: bytes, opens: np.ndarray, closes: np.ndarray) -> pa.LargeBinaryArray:
    """The contents of the strings (between their quotes), as an array over the chunk's bytes."""
    offsets = np.empty(2 * len(opens), dtype=np.int64)
    offsets[0::2] = opens + 1
    offsets[1::2] = closes
    whole = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(chunk)]
    )
    return whole.take(pa.array(np.arange(0, len(offsets) - 1, 2)))


def _scrub_in_context(
    s: Scrubber, spans: pa.LargeBinaryArray, ctx: np.ndarray, new: pa.LargeBinaryArray
) -> pa.LargeBinaryArray:
    """The values under a user, host or secret key, by that context: each distinct pair once.
    A value the key does not decide is scrubbed as text, as the structured path does."""
    in_context = np.flatnonzero(ctx != "")
    if not len(in_context):
        return new
    pairs = pa.array(ctx[in_context].astype(str)).dictionary_encode()
    vals = spans.take(pa.array(in_context)).dictionary_encode()
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
        elif len(original) >= _SHORTEST:
            results.append(s.scrub_bytes(original) if n == 1 else _scrub_repeated(s, original, n))
        else:
            results.append(original)
    table = pa.array(results, pa.large_binary())
    return _put(new, in_context, table.take(pa.array(inverse.ravel())))


def _scrub_repeated(s: Scrubber, value: bytes, n: int) -> bytes:
    # Counted n times, as n occurrences would be.
    return s.scrub_bytes(b"\n".join([value] * n)).split(b"\n", 1)[0]


def _put(arr: pa.LargeBinaryArray, where: np.ndarray, values: pa.Array) -> pa.LargeBinaryArray:
    both = pa.concat_arrays([arr, values])
    order = np.arange(len(arr), dtype=np.int64)
    order[where] = len(arr) + np.arange(len(where))
    return both.take(pa.array(order))


def _join(arr: pa.LargeBinaryArray, sep: bytes) -> bytes:
    """The values joined by sep (sep must be a single byte)."""
    n = len(arr)
    seps = pa.array([sep] * max(n - 1, 0), pa.large_binary())
    order = np.empty(max(2 * n - 1, 0), dtype=np.int64)
    order[0::2] = np.arange(n)
    order[1::2] = n + np.arange(n - 1)
    return _contiguous(pa.concat_arrays([arr, seps]).take(pa.array(order)))


def _splice(chunk: bytes, starts: np.ndarray, stops: np.ndarray, new: pa.LargeBinaryArray) -> bytes:
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


def _contiguous(arr: pa.LargeBinaryArray) -> bytes:
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    lo, hi = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    data = arr.buffers()[2]
    return data.slice(lo, hi - lo).to_pybytes() if data is not None and hi > lo else b""
