"""CSV rows scrubbed in place, without the csv module, for the rows that allow it.

A row on one line is its fields between the delimiters that are not inside quotes. numpy finds the
fields of a whole chunk at once; a field under a user, host or secret column (named by the
header) is scrubbed by that context, once per distinct value, and every other field as the lines
of one text (spans.py), as csv_chunk would scrub the cells one by one. The new fields go back
where the old ones were, so the row keeps its bytes apart from them: the csv writer would write
the same row, since a pseudonym holds no delimiter, quote or line break.

A quoted field ("...", inner quotes doubled) is unquoted, scrubbed, and quoted again. Rows with a
quote elsewhere, blank rows and rows with a stray carriage return go through the csv module
(formats.csv_chunk), as does a chunk with a quoted field across lines, or any chunk when
timestamps are shifted (epoch numbers in time columns). A test checks both ways read the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .finder import START, Scan
from .scrubber import DOB, HOST, IDENT, NATID, PERSON, PHONE, POD, SECRET, USER, Scrubber
from .spans import cut, joined, merge_lines, put, scrub_in_context, scrub_lines, splice
from .structured import SHORTEST

_QUOTE, _NL, _CR = 34, 10, 13
_CONTEXTS = (USER, HOST, SECRET, IDENT, PERSON, PHONE, NATID, DOB, POD)


@dataclass
class Prepared:
    chunk: bytes
    flat: np.ndarray  # per line: taken here
    starts: np.ndarray  # of the fields
    stops: np.ndarray
    values: pa.LargeBinaryArray  # the fields, unquoted
    quoted: np.ndarray  # per field: was quoted
    contexts: np.ndarray  # per field: USER, HOST, SECRET or ""
    text: np.ndarray  # the fields scrubbed as text: indexes into values
    scan: Scan | None
    joined: bytes


def prepare(
    s: Scrubber, chunk: bytes, delimiter: str, columns: tuple[str | None, ...], header: bytes
) -> Prepared | None:
    """Find the plain rows and cut their fields; None if the chunk goes through the csv module."""
    if s.shifter is not None or START in chunk or not chunk or len(delimiter) != 1:
        return None
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None  # undecodable rows are counted by the csv path
    b = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(b == _NL)
    if not len(ends) or ends[-1] != len(b) - 1:
        ends = np.append(ends, len(b))
    starts = np.concatenate(([0], ends[:-1] + 1))
    n_lines = len(ends)
    quote_at = np.flatnonzero(b == _QUOTE)
    quotes = np.bincount(np.searchsorted(ends, quote_at), minlength=n_lines)
    if (quotes % 2).any():
        return None  # a quoted field across lines: rows are not lines here
    # A row's content ends before its \r\n or \n.
    stops = ends - ((ends > starts) & (b[np.maximum(ends - 1, 0)] == _CR))
    carriage = np.bincount(np.searchsorted(ends, np.flatnonzero(b == _CR)), minlength=n_lines)
    flat = (stops > starts) & (carriage == (stops < ends))
    if header:
        lines = pc.split_pattern(pa.array([chunk], pa.large_binary()), "\n").flatten()[:n_lines]
        is_header = pc.equal(pc.replace_substring(lines, "\r", ""), pa.scalar(header, pa.large_binary()))
        is_header = is_header.to_numpy(zero_copy_only=False)
    else:
        is_header = np.zeros(n_lines, dtype=bool)

    # Fields: from each row start or delimiter to the next delimiter or row end. A delimiter with
    # an odd number of quotes before it on its row is inside a quoted field.
    delims = np.flatnonzero(b == ord(delimiter))
    delim_row = np.searchsorted(ends, delims)
    quotes_before = np.searchsorted(quote_at, delims) - np.searchsorted(quote_at, starts[delim_row])
    delims = delims[(quotes_before % 2 == 0) & flat[delim_row]]
    rows = np.flatnonzero(flat)
    field_starts = np.sort(np.concatenate((starts[rows], delims + 1)))
    field_stops = np.sort(np.concatenate((stops[rows], delims)))
    field_row = np.searchsorted(ends, field_starts)
    # A field with quotes must be quoted whole ("..."), its inner quotes doubled; else the csv
    # module reads the row.
    in_field = np.searchsorted(quote_at, field_stops) - np.searchsorted(quote_at, field_starts)
    quoted = (in_field > 0) & (field_stops - field_starts >= 2)
    quoted &= (b[np.minimum(field_starts, len(b) - 1)] == _QUOTE) & (b[np.maximum(field_stops - 1, 0)] == _QUOTE)
    values = cut(chunk, field_starts, field_stops)
    where_quoted = np.flatnonzero(quoted)
    inner = cut(chunk, field_starts[where_quoted] + 1, field_stops[where_quoted] - 1)
    undoubled = pc.replace_substring(inner, '""', "")
    bad_quotes = pc.match_substring(undoubled, '"').to_numpy(zero_copy_only=False)
    odd = np.zeros(n_lines, dtype=bool)
    odd[field_row[(in_field > 0) & ~quoted]] = True
    odd[field_row[where_quoted[bad_quotes]]] = True
    flat &= ~odd
    keep = flat[field_row]
    if not keep.any():
        return None
    values = put(values, where_quoted, pc.replace_substring(inner, '""', '"'))
    values = values.filter(pa.array(keep))
    quoted = quoted[keep]
    field_starts, field_stops, field_row = field_starts[keep], field_stops[keep], field_row[keep]

    first = np.searchsorted(field_row, field_row, side="left")
    column = np.arange(len(field_starts)) - first
    by_column = np.array([c if c in _CONTEXTS else "" for c in columns] + [""], dtype=object)
    ctx = by_column[np.minimum(column, len(columns))]
    ctx[is_header[field_row]] = ""
    long_enough = pc.binary_length(values).to_numpy(zero_copy_only=False) >= SHORTEST
    text = np.flatnonzero((ctx == "") & long_enough)
    text_joined = joined(values.take(pa.array(text)))
    scan = s.finder.scan(text_joined) if text_joined else None
    return Prepared(chunk, flat, field_starts, field_stops, values, quoted, ctx, text, scan, text_joined)


def finish(s: Scrubber, p: Prepared, other: Callable[[bytes], tuple[bytes, list[int]]]) -> bytes:
    """The chunk scrubbed: plain rows here, the others through other(rows) -> (bytes, _)."""
    new = p.values
    if len(p.text):
        new = put(new, p.text, scrub_lines(s, p.joined, p.scan))
    new = scrub_in_context(s, p.values, p.contexts, np.flatnonzero(p.contexts != ""), new)
    requote = np.flatnonzero(p.quoted)
    if len(requote):
        doubled = pc.replace_substring(new.take(pa.array(requote)), '"', '""')
        quote = pa.scalar(b'"', pa.large_binary())
        new = put(new, requote, pc.binary_join_element_wise(quote, doubled, quote, pa.scalar(b"", pa.large_binary())))
    out = splice(p.chunk, p.starts, p.stops, new)
    data, _ = merge_lines(p.chunk, out, np.flatnonzero(~p.flat).tolist(), other)
    return data
