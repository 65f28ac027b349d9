"""A user name found once is a user name everywhere: its other occurrences get the same pseudonym.

The detectors find a user where an idiom names one (user=bob, for user bob, /home/bob); the same
name then turns up where nothing says it is a user (/g/g90/bob/run.sh, "bob exceeded quota").
After a run, every output is read once more and each whole-token occurrence of a replaced user
name becomes its pseudonym. The scan is RE2 (through pyarrow) over an alternation of the names:
a chunk with none of them costs one pass in C and is copied as it is.

Left alone: a name inside one of this run's own pseudonyms (an original `henry` inside the
pseudonym `henry.bryce`), names shorter than three characters, numeric ids, and names that are
everyday words of logs (see _COMMON), which would otherwise be replaced in prose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .readers import iter_chunks

MARK = b"\x01"
_WRAP = "\x01\\0\x01"
# Bytes that continue a name: a match must not have one on either side.
_NAME_BYTE = re.compile(rb"[A-Za-z0-9_\x80-\xff]")
# The token around a match, to tell an original from a piece of a pseudonym.
_TOKEN = re.compile(rb"[A-Za-z0-9._+$\x80-\xff-]+")
_HEAD = re.compile(rb"[A-Za-z0-9._+$\x80-\xff-]*\Z")
_MAX_TOKEN = 256  # a longer token is no pseudonym of ours
_COMMON = frozenset(
    """all any app api auth backup build cache check client cloud config cron daemon data debug default
    deploy dev docker error admin event files ftp guest health home host info jenkins job jobs local log
    login logs mail main master monitor net new node none operator ops prod proxy public queue read runner
    server service shell site staging status support sync system temp test tmp update upload user users
    web worker write www""".split()
)


def worth_spreading(name: str) -> bool:
    """Whether a replaced user name is distinctive enough to be replaced wherever it stands."""
    if len(name) < 3 or name.isdigit() or name.lower() in _COMMON or "\\" in name:
        return False
    try:
        name.encode("utf-8")  # not a name with undecodable bytes in it (a Latin-1 line): RE2 takes UTF-8
    except UnicodeEncodeError:
        return False
    return True


class Spreader:
    """Replaces the whole-token occurrences of known user names in finished outputs."""

    def __init__(self, names: dict[str, str], produced: Iterable[str]) -> None:
        self.names = {
            k.encode("utf-8", "surrogateescape"): v.encode("utf-8", "surrogateescape") for k, v in names.items()
        }
        self.produced = {p.encode("utf-8", "surrogateescape") for p in produced}
        ordered = sorted(names, key=len, reverse=True)  # the longest name wins where two overlap
        self.pattern = "|".join(re.escape(n) for n in ordered)
        self._python = re.compile(b"|".join(re.escape(n).encode("utf-8", "surrogateescape") for n in ordered))
        self.replaced = 0

    def file(self, path: Path) -> int:
        """Rewrite path in place (atomically) if it holds a name; the number of names replaced."""
        before = self.replaced
        tmp = path.with_name(path.name + ".part")
        changed = False
        try:
            with open(path, "rb") as src, open(tmp, "wb") as out:
                for chunk in iter_chunks(src):
                    new = self.chunk(chunk)
                    changed = changed or new is not chunk
                    out.write(new)
            if changed:
                os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return self.replaced - before

    def chunk(self, data: bytes) -> bytes:
        """The chunk with the names replaced; the same object when there was nothing to replace."""
        if MARK in data:
            pieces = self._split_python(data)
        else:
            arr = pa.array([data], pa.large_binary())
            if not pc.match_substring_regex(arr, self.pattern)[0].as_py():
                return data
            pieces = pc.replace_substring_regex(arr, self.pattern, _WRAP)[0].as_py().split(MARK)
        if len(pieces) == 1:
            return data
        changed = False
        for i in range(1, len(pieces), 2):
            before, name, after = pieces[i - 1], pieces[i], pieces[i + 1]
            if (before and _NAME_BYTE.fullmatch(before[-1:])) or (after and _NAME_BYTE.fullmatch(after[:1])):
                continue  # part of a longer word
            if self._inside_pseudonym(before, name, after):
                continue
            pieces[i] = self.names[name]
            self.replaced += 1
            changed = True
        return b"".join(pieces) if changed else data

    def _inside_pseudonym(self, before: bytes, name: bytes, after: bytes) -> bool:
        head = _HEAD.search(before[-_MAX_TOKEN:])  # the end of the piece only: pieces can be megabytes
        tail = _TOKEN.match(after, 0, _MAX_TOKEN)
        token = (head.group() if head else b"") + name + (tail.group() if tail else b"")
        if token == name:
            return False
        # henry inside henry.bryce (a user pseudonym) or henry.corp.example (a host pseudonym).
        return any(t in self.produced for t in (token, token.rstrip(b".-"), token.split(b"@")[0]))

    def _split_python(self, data: bytes) -> list[bytes]:
        pieces: list[bytes] = []
        pos = 0
        for m in self._python.finditer(data):
            pieces += [data[pos : m.start()], m.group()]
            pos = m.end()
        pieces.append(data[pos:])
        return pieces
