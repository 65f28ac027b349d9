"""What a scenario problem looks like: one line, `path:line: keypath: message`, with the fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

# A location in the scenario data as the YAML spells it: ("timeline", 2, "for").
Loc = tuple[str | int, ...]


class Problem(NamedTuple):
    """A problem found in parsed data, before anyone knows which line it came from."""

    loc: Loc
    message: str


@dataclass
class ScenarioError(Exception):
    path: str
    line: int | None
    keypath: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        # One line always: a message that quotes the author's text must not break the format.
        message = " ".join(self.message.splitlines())
        return f"{where}: {self.keypath + ': ' if self.keypath else ''}{message}"


class ScenarioErrors(Exception):
    def __init__(self, errors: list[ScenarioError]):
        errors = sorted(errors, key=lambda e: (e.path, e.line or 0, e.keypath))
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def keypath(loc: Loc) -> str:
    """("timeline", 2, "for") -> "timeline[2].for"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        # Keys come from the author's file; quote any that would be unreadable or span lines.
        name = part if _PLAIN_KEY.fullmatch(part) else repr(part)
        out += f".{name}" if out else name
    return out


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def suggest(word: str, choices: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for the closest choice, or "" when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
