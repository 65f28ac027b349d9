"""Reading scenario YAML safely, keeping the line of every key and item.

We compose (YAML's node graph, which carries marks) rather than load, and build plain Python data
ourselves, so that any later error about ("timeline", 2, "for") can name its line. The composer is
ours too: it refuses anchors and aliases (alias bombs, and shared structure nobody needs in a
scenario) and explicit tags (`!!python/object` and friends) before anything is built, and it
caps nesting so a hostile file cannot exhaust the stack. Scalars are built by PyYAML's safe
constructor, so values mean what they mean under `yaml.safe_load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .errors import Loc, ScenarioError, ScenarioErrors, keypath

MAX_BYTES = 1_000_000  # the largest real scenario is a few kB
MAX_DEPTH = 16  # the format nests at most 6 deep (answer.evidence[0].metric.name)
MAX_NODES = 50_000  # bounds the work a 1 MB file of tiny items could ask for

_CORE = "tag:yaml.org,2002:"
# Implicit tags we build with PyYAML's safe constructor; anything else stays text.
_BUILT = {f"{_CORE}{t}" for t in ("null", "bool", "int", "float", "timestamp")}


class _Fatal(Exception):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message


@dataclass
class Document:
    """Plain data (dicts, lists, scalars) plus the line of every key and item in it."""

    data: Any
    lines: dict[Loc, int]
    # Problems that do not stop validation (a duplicate key): reported with the model's errors.
    errors: list[ScenarioError] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        """The line of `loc`, or of the nearest enclosing key or item that exists in the file
        (a missing key is reported at the mapping that lacks it)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1


def _line(node_or_event: Any) -> int:
    return int(node_or_event.start_mark.line) + 1


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Composer(Composer):
    """PyYAML's composer without anchors, aliases or tags, and with depth and size caps."""

    if TYPE_CHECKING:  # provided by the Parser and Resolver it is mixed with in _Loader

        def peek_event(self) -> Any: ...
        def check_event(self, *choices: type[Event]) -> bool: ...
        def get_event(self) -> Any: ...
        def descend_resolver(self, current_node: Node | None, current_index: Any) -> None: ...
        def ascend_resolver(self) -> None: ...

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[tuple[int, str]] = []
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Fatal(_line(self.peek_event()), f"more than {MAX_NODES} values; a scenario is far smaller than that")
        if self.check_event(AliasEvent):
            event = self.get_event()
            self.refused.append(
                (_line(event), f"aliases (*{event.anchor}) are not allowed; write the value out in full")
            )
            # A stand-in keeps the walk going so that every refusal in the file is reported.
            return ScalarNode(f"{_CORE}null", "", event.start_mark, event.end_mark)
        event = self.peek_event()
        if event.anchor is not None:
            self.refused.append(
                (_line(event), f"anchors (&{event.anchor}) are not allowed; write each value out in full")
            )
        if event.tag is not None:
            self.refused.append(
                (_line(event), f"tags are not allowed ({_show_tag(event.tag)}); remove it and write a plain value")
            )
        self.descend_resolver(parent, index)
        no_anchor: Any = None  # anchors are refused above
        node: Node
        if self.check_event(ScalarEvent):
            node = self.compose_scalar_node(no_anchor)
        else:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Fatal(_line(event), f"nested more than {MAX_DEPTH} levels deep; a scenario never needs that")
            if self.check_event(SequenceStartEvent):
                node = self.compose_sequence_node(no_anchor)
            else:
                assert self.check_event(MappingStartEvent)
                node = self.compose_mapping_node(no_anchor)
            self.depth -= 1
        self.ascend_resolver()
        return node


class _Loader(Reader, Scanner, Parser, _Composer, Resolver):
    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        Resolver.__init__(self)


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser does it all
    _FastLoader = None
else:

    class _FastLoader(_Composer, CParser, Resolver):  # type: ignore[no-redef]
        """libyaml's events (about 20x faster to parse) composed by our refusing composer: a
        hostile 1 MB file costs a fraction of a second rather than seconds."""

        def __init__(self, text: str):
            CParser.__init__(self, text)
            _Composer.__init__(self)
            Resolver.__init__(self)


# Common YAML mistakes, by the start of PyYAML's text, with what to do about them. Where the
# mistake is an opening that never closes, the line to fix is where it opened (the context),
# not where the parser gave up.
_SYNTAX_HINTS = [
    ("mapping values are not allowed here", "a ':' in the middle of a value; put the value in quotes", False),
    ("found character '\\t'", "a tab; indent with spaces", False),
    ("could not find expected ':'", "a key without ': ' after it, or a broken indentation", False),
    (
        "expected a single document",
        "more than one document; keep one scenario per file and remove the second '---'",
        False,
    ),
    ("while scanning a quoted scalar", "a quote that is never closed; close it", True),
    ("while parsing a flow", "an unclosed '[' or '{'; close it or write the list as lines starting with '- '", True),
    ("found unexpected ':'", "a ':' where YAML does not expect one; put the value in quotes", False),
    ("expected <block end>, but found '-'", "a '- ' item at the wrong indentation; line the items up", False),
]


def _syntax_error(exc: yaml.MarkedYAMLError) -> _Fatal:
    text = " ".join(p for p in (exc.context, exc.problem) if p)
    known = (
        (hint, at_context)
        for start, hint, at_context in _SYNTAX_HINTS
        if text.startswith(start) or (exc.problem or "").startswith(start)
    )
    hint, at_context = next(known, (exc.problem or exc.context or "cannot parse", False))
    mark = (exc.context_mark if at_context else None) or exc.problem_mark or exc.context_mark
    return _Fatal(mark.line + 1 if mark else 1, f"YAML syntax error: {hint}")


def decode(raw: bytes) -> str:
    """Text from bytes, or a _Fatal that says which byte on which line is wrong."""
    if len(raw) > MAX_BYTES:
        raise _Fatal(1, f"larger than the limit of {MAX_BYTES / 1e6:g} MB; a scenario is a few kB")
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise _Fatal(line, f"binary data (a NUL byte at offset {nul}); a scenario is a UTF-8 text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _Fatal(
            line, f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}; save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _compose(text: str) -> tuple[Node | None, list[tuple[int, str]]]:
    if _FastLoader is not None:
        try:
            return _run(_FastLoader, text)
        except yaml.YAMLError:
            pass  # explained below by the pure-Python parser, whose messages the hints know
    try:
        return _run(_Loader, text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise _Fatal(line, f"character U+{exc.character:04X} is not allowed in YAML; delete it") from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except RecursionError:
        # Only reachable if the caps above are raised carelessly; never let it become a traceback.
        raise _Fatal(1, "nested too deeply") from None


def _summarized(refused: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Anchors and aliases as one line (an alias bomb is dozens of them: one fix, one line), as are
    tags; each line at the first place and with how many more there are."""
    out: list[tuple[int, str]] = []
    groups: dict[str, list[tuple[int, str]]] = {}
    for line, message in refused:
        kind = "tags" if message.startswith("tags") else "refs"
        groups.setdefault(kind, []).append((line, message))
    for kind, items in groups.items():
        line, message = items[0]
        if len(items) > 1:
            rest = len(items) - 1
            what = "tags" if kind == "tags" else "anchors and aliases"
            message = f"{message.split(';')[0]} (and {rest} more {what} after it); write every value out in full"
        out.append((line, message))
    return out


def _run(cls: type, text: str) -> tuple[Node | None, list[tuple[int, str]]]:
    loader = None
    try:
        loader = cls(text)  # the pure-Python reader checks every character here
        return loader.get_single_node(), _summarized(loader.refused)
    finally:
        if loader is not None:
            loader.dispose()


class _Builder:
    """Plain data from a node tree, recording the line of every key and item on the way."""

    def __init__(self, path: str):
        self.path = path
        self.scalars = SafeConstructor()
        self.lines: dict[Loc, int] = {}
        self.errors: list[ScenarioError] = []

    def build(self, node: Node, loc: Loc) -> Any:
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self._error(_line(key_node), loc, "a key must be a plain name, not a list or mapping")
                    continue
                # The key as written: `on:` is the key "on" here, not YAML 1.1's boolean True.
                key = key_node.value
                if key in out:
                    first = self.lines[loc + (key,)]
                    self._error(_line(key_node), loc + (key,), f"duplicate key (first at line {first}); keep one")
                    continue
                self.lines[loc + (key,)] = _line(key_node)
                out[key] = self.build(value_node, loc + (key,))
            return out
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.lines[loc + (i,)] = _line(item)
                items.append(self.build(item, loc + (i,)))
            return items
        if node.tag in _BUILT:
            try:
                return self.scalars.construct_object(node)
            except (ValueError, OverflowError, yaml.YAMLError):
                return node.value  # e.g. 2026-02-30 looks like a date but is not; let the model say so
        return node.value

    def _error(self, line: int, loc: Loc, message: str) -> None:
        self.errors.append(ScenarioError(self.path, line, keypath(loc), message))


def read_yaml(source: bytes | str, path: str) -> Document:
    """The document in `source` (data None when it is empty), or ScenarioErrors naming each line
    that cannot be accepted."""
    if isinstance(source, str):
        # Through bytes, so text and files meet the same checks (size, NUL, lone surrogates).
        source = source.encode("utf-8", "surrogatepass")
    try:
        root, refused = _compose(decode(source))
    except _Fatal as fatal:
        raise ScenarioErrors([ScenarioError(path, fatal.line, "", fatal.message)]) from None
    if refused:
        raise ScenarioErrors([ScenarioError(path, line, "", message) for line, message in refused])
    if root is None:
        return Document(None, {(): 1})
    builder = _Builder(path)
    data = builder.build(root, ())
    builder.lines[()] = _line(root)
    return Document(data, builder.lines, builder.errors)
