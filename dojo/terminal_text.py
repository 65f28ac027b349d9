"""Text from scenarios and imported artifacts, made harmless for a terminal.

Scenario authors and imported logs are not trusted: a title holding ESC [2J clears the learner's
screen, OSC 0 renames their window, CR and BS overwrite what was printed, and a bidi override
(U+202E) makes `moc.evil` read as `live.com`. Everything the dojo shows from those sources goes
through `visible()` (or `visible_line()` for one-line cells), which spells such characters as
escapes a person can read (`\\e[2J`, `\\r`, `\\u202e`) instead of letting the terminal act on them.
Rich markup is the TUI's business: it builds `rich.text.Text` from these strings, never markup.

No textual or rich here: the CLI, the engine's error messages and the TUI all share this module.
"""

from __future__ import annotations

import re
import unicodedata

_NAMED = {0x07: "\\a", 0x08: "\\b", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r", 0x1B: "\\e", 0x7F: "\\x7f"}

# Format characters that change how the surrounding text is laid out or read rather than being
# shown: bidi embeddings, overrides and isolates, marks, line/paragraph separators, interlinear
# annotations, invisible operators and tag characters (used to hide text from a reader).
_FORMAT = (
    [0x061C, 0x200B, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB]
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x206A))
    + list(range(0xE0000, 0xE0080))
)


def _table(keep: str) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_FORMAT]:
        if chr(code) in keep:
            continue
        if code in _NAMED:
            table[code] = _NAMED[code]
        elif code == 0x0A:
            table[code] = "\\n"
        elif code == 0x09:
            table[code] = "\\t"
        elif code < 0x100:
            table[code] = f"\\x{code:02x}"
        elif code < 0x10000:
            table[code] = f"\\u{code:04x}"
        else:
            table[code] = f"\\U{code:08x}"
    return table


_MULTILINE = _table(keep="\n\t")
_ONE_LINE = _table(keep="")


def _pattern(table: dict[int, str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")


_MULTILINE_RE = _pattern(_MULTILINE)
_ONE_LINE_RE = _pattern(_ONE_LINE)


def visible(text: object) -> str:
    """`text` with every control character, escape sequence introducer and layout-changing format
    character spelled out; newlines and tabs stay (for briefings, debriefs, multi-line reports)."""
    s = text if isinstance(text, str) else str(text)
    if _MULTILINE_RE.search(s) is None:  # the usual case costs one scan
        return s
    return s.translate(_MULTILINE)


def visible_line(text: object) -> str:
    """As `visible`, for one line of a table or pane: newlines and tabs are spelled out too."""
    s = text if isinstance(text, str) else str(text)
    if _ONE_LINE_RE.search(s) is None:
        return s
    return s.translate(_ONE_LINE)


def unsafe_characters(text: str, *, multiline: bool = True) -> list[str]:
    """The distinct characters `visible` would spell out, as `U+XXXX NAME`, for lint warnings."""
    found = sorted(set((_MULTILINE_RE if multiline else _ONE_LINE_RE).findall(text)))
    return [f"U+{ord(ch):04X} {unicodedata.name(ch, _control_name(ch))}" for ch in found]


def _control_name(ch: str) -> str:
    return {"\x1b": "ESCAPE", "\r": "CARRIAGE RETURN", "\x08": "BACKSPACE", "\x07": "BELL"}.get(ch, "CONTROL")
