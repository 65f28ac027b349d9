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

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .finder import START, Scan
from .scrubber import DOB, HOST, IDENT, NATID, PERSON, PHONE, POD, SECRET, USER, Scrubber
from .spans import cut, merge_lines, put, scrub_in_context, scrub_lines, splice
from .spans import joined as spans_joined
from .structured import SHORTEST as _SHORTEST

_QUOTE, _BACKSLASH, _NL, _COLON, _SPACE = 34, 92, 10, 58, 32
# One flat object: strings (JSON escapes allowed, no raw control characters), numbers and literals,
# at most one space around ':' and ','. Nothing outside its strings can hold a value to scrub.
_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*"'
_SCALAR = r"(?:" + _STRING + r"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"
_MEMBER = _STRING + r" ?: ?" + _SCALAR
_FLAT = r"^\{ ?(?:" + _MEMBER + r"(?: ?, ?" + _MEMBER + r")*)? ?\}\r?$"
_CONTEXTS = (USER, HOST, SECRET, IDENT, PERSON, PHONE, NATID, DOB, POD)
_LINE_BREAK = re.compile("[\n\r\x01\x02]")  # or a scan marker: not a line of the joined text


@dataclass
class Prepared:
    """A chunk's flat lines, found and cut, with their text values already scanned."""

    chunk: bytes
    flat: np.ndarray  # per line: taken here
    starts: np.ndarray  # of the values' contents (after the opening quote)
    stops: np.ndarray  # of the values' contents (the closing quote)
    values: pa.LargeBinaryArray  # the values' contents
    contexts: np.ndarray  # per value: USER, HOST, SECRET or ""
    escaped: np.ndarray  # per value: holds a JSON escape, other than \" in a text value
    text: np.ndarray  # the values scrubbed as text: indexes into values (with \" decoded)
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
    flat = _flat_lines(chunk, len(ends))
    if not flat.any():
        return None

    # The strings of the flat lines: their quotes pair up, once the escaped ones are left out.
    quotes = np.flatnonzero(b == _QUOTE)
    quotes = quotes[flat[np.searchsorted(ends, quotes)]]
    after_backslash = np.flatnonzero(b[quotes - 1] == _BACKSLASH)  # a flat line starts with {
    if len(after_backslash):
        # One backslash before: escaped. More: count them (rare).
        single = b[quotes[after_backslash] - 2] != _BACKSLASH
        longer = after_backslash[~single].tolist()
        escaped_quotes = np.concatenate(
            (after_backslash[single], np.array([i for i in longer if _escaped(chunk, int(quotes[i]))], dtype=np.int64))
        )
        quotes = np.delete(quotes, escaped_quotes)
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
    spans = cut(chunk, opens + 1, closes)
    keys = spans.take(pa.array(np.flatnonzero(is_key))).dictionary_encode()
    key_names = [_text(k) for k in keys.dictionary.to_pylist()]
    key_code = np.full(len(opens), -1, dtype=np.int64)
    key_code[is_key] = keys.indices.to_numpy(zero_copy_only=False)
    if "key" in key_names:
        flat[line_of[key_code == key_names.index("key")]] = False
    values = np.flatnonzero(is_value & flat[line_of])
    if not len(values):
        return None
    contexts = [s.context(k) for k in key_names]
    value_ctx = np.array([c if c in _CONTEXTS else "" for c in contexts] + [""], dtype=object)[key_code[values - 1]]
    value_spans = spans.take(pa.array(values))
    # The structured path leaves strings shorter than any detector's match alone (structured.py).
    long_enough = pc.binary_length(value_spans).to_numpy(zero_copy_only=False) >= _SHORTEST
    # Values are scanned as the lines of one text, the escaped quotes in them (the commonest
    # escape: a quoted word in a message) decoded; values with other escapes, and escaped values
    # under a user, host or secret key, are decoded whole and scrubbed one by one (finish).
    backslashes = pc.count_substring(value_spans, "\\").to_numpy(zero_copy_only=False)
    only_quotes = backslashes == pc.count_substring(value_spans, '\\"').to_numpy(zero_copy_only=False)
    in_text = (value_ctx == "") & only_quotes
    escaped = (backslashes > 0) & ~in_text
    text = np.flatnonzero(in_text & long_enough)
    lines = pc.replace_substring(value_spans.take(pa.array(text)), '\\"', '"')
    joined = spans_joined(lines)
    scan = s.finder.scan(joined) if joined else None
    return Prepared(chunk, flat, opens[values] + 1, closes[values], value_spans, value_ctx, escaped, text, scan, joined)


def finish(
    s: Scrubber, p: Prepared, structured: Callable[[Scrubber, bytes], tuple[bytes, list[int]]]
) -> tuple[bytes, list[int]]:
    """The chunk scrubbed: flat lines here, the others through structured(lines) -> (bytes,
    fallback line numbers within them); and the 1-based fallback line numbers in the chunk."""
    new = p.values
    if len(p.text):
        # Back to JSON: the only escape these values had was \", and scrubbing adds no other.
        lines = pc.replace_substring(scrub_lines(s, p.joined, p.scan), '"', '\\"')
        new = put(new, p.text, lines)
    new = scrub_in_context(s, p.values, p.contexts, np.flatnonzero((p.contexts != "") & ~p.escaped), new)
    new = _scrub_escaped(s, p.values, p.contexts, np.flatnonzero(p.escaped), new)
    out = splice(p.chunk, p.starts, p.stops, new)
    return merge_lines(p.chunk, out, np.flatnonzero(~p.flat).tolist(), lambda lines: structured(s, lines))


def _flat_lines(chunk: bytes, n_lines: int) -> np.ndarray:
    """Which lines are one flat object: one RE2 match per line."""
    lines = pc.split_pattern(pa.array([chunk], pa.large_binary()), "\n").flatten()
    return pc.match_substring_regex(lines[:n_lines], _FLAT).to_numpy(zero_copy_only=False)


def _scrub_escaped(
    s: Scrubber, spans: pa.LargeBinaryArray, ctx: np.ndarray, where: np.ndarray, new: pa.LargeBinaryArray
) -> pa.LargeBinaryArray:
    """The values holding escapes: decoded, scrubbed as the structured path would, written back
    in JSON (as ASCII if they were); an unchanged value keeps its bytes."""
    if not len(where):
        return new
    raws = spans.take(pa.array(where)).to_pylist()
    decoded = [json.loads(b'"' + raw + b'"') for raw in raws]
    results = list(raws)
    as_text: list[int] = []
    for j, (value, c) in enumerate(zip(decoded, ctx[where].tolist())):
        got = s.scrub_in_context(c, value) if c else None
        if got is not None:
            results[j] = _json_string(got, raws[j]) if got != value else raws[j]
        elif len(value) >= _SHORTEST:
            as_text.append(j)
    # As the lines of one text, like the values without escapes, unless they hold line breaks.
    lines = [j for j in as_text if not _LINE_BREAK.search(decoded[j])]
    singles = [j for j in as_text if _LINE_BREAK.search(decoded[j])]
    if lines:
        joined = b"\n".join(decoded[j].encode("utf-8", "surrogatepass") for j in lines)
        scan = s.finder.scan(joined)
        out = (s.scrub_scan(scan) if scan is not None else s.scrub_bytes(joined)).split(b"\n")
        for j, scrubbed in zip(lines, out):
            value = scrubbed.decode("utf-8", "surrogatepass")
            if value != decoded[j]:
                results[j] = _json_string(value, raws[j])
    if singles:
        for j, got in zip(singles, s.scrub_strings([decoded[j] for j in singles])):
            if got != decoded[j]:
                results[j] = _json_string(got, raws[j])
    return put(new, where, pa.array(results, pa.large_binary()))


def _json_string(value: str, raw: bytes) -> bytes:
    """value as the inside of a JSON string: ASCII with escapes if the original was ASCII."""
    try:
        return json.dumps(value, ensure_ascii=raw.isascii())[1:-1].encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        return json.dumps(value)[1:-1].encode("ascii")


def _escaped(chunk: bytes, quote: int) -> bool:
    """Whether the quote at this position follows an odd run of backslashes."""
    run = 0
    while chunk[quote - 1 - run] == _BACKSLASH:
        run += 1
    return run % 2 == 1


def _text(key: bytes) -> str:
    return json.loads(b'"' + key + b'"') if b"\\" in key else key.decode("utf-8")
