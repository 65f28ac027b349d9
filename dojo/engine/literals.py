"""Literals a regex cannot match without: the prefilter that makes most regex searches fast.

`required_literals(r"timed out after \\d+ms")` is `["timed out after "]`: every match contains
that text, so only rows containing it need RE2 at all. For `(503 Service|connection error)` it
is both branches' literals (a match contains one of them). RE2 still decides every row that
survives, so the prefilter can only save time, never change an answer - provided it is sound,
which is why anything unusual (case-insensitive parts, syntax Python's parser does not share
with RE2) gives None: no prefilter, the plain row-wise scan.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

try:  # the parser behind `re`; stable for decades, but private, so any surprise means "no prefilter"
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    P = C = None

MIN_LITERAL = 3  # shorter literals match too often to be worth a pass


def required_literals(pattern: str) -> list[str] | None:
    """Strings of which every match contains at least one, or None when there is no useful set."""
    if P is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = P.parse(pattern)
    except Exception:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        best = _sequence(list(parsed))
    except Exception:
        return None
    if best is None or min(len(s) for s in best) < MIN_LITERAL:
        return None
    return best


def _sequence(nodes: list[Any]) -> list[str] | None:
    """The most selective required set of a sequence: a run of literals, or a group's set."""
    options: list[list[str]] = []
    run: list[str] = []
    for op, av in nodes:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.append(["".join(run)])
            run = []
        if op is C.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if add_flags & (re.IGNORECASE | re.VERBOSE):
                continue
            inner = _sequence(list(sub))
            if inner is not None:
                options.append(inner)
        elif op is C.BRANCH:
            alts = [_sequence(list(branch)) for branch in av[1]]
            if all(a is not None for a in alts):
                options.append([s for a in alts for s in a])  # type: ignore[union-attr]
    if run:
        options.append(["".join(run)])
    if not options:
        return None
    return max(options, key=lambda o: (min(len(s) for s in o), -len(o)))
