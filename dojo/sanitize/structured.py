"""JSON values: scrub every string, recursively, and let the keys say what a value is.

The structure is never touched, so the output parses as the same JSON. A key can decide a value
that would look like nothing on its own: {"user": "frank"}, {"host": "build-3"}, {"password":
"hunter2"}, or an epoch number under a time key when shifting. OpenTelemetry and Jaeger keep
attributes as {"key": "enduser.id", "value": {"stringValue": "frank"}}: there the sibling "key"
names the value, and the wrapper keys (stringValue, ...) pass it down; so do the name and id
fields of an object under a user or host key (ECS: {"user": {"name": "frank"}}).

Strings without such a key are collected from a whole batch of documents and scrubbed in one
scan (scrubber.scrub_strings), which is much cheaper than one scan per string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .scrubber import TIME, Scrubber

_WRAPPERS = frozenset({"value", "stringValue", "intValue", "doubleValue", "arrayValue", "values", "kvlistValue"})
# Fields that an object under a user or host key names by its parent (Elastic Common Schema:
# {"user": {"name": "frank", "id": "1042"}}, {"host": {"name": "build-3"}}).
_NAMED_BY_PARENT = frozenset({"name", "full_name", "id", "hostname"})
SHORTEST = 4  # no detector matches fewer characters (a.io)


class JsonScrubber:
    def __init__(self, scrubber: Scrubber) -> None:
        self.s = scrubber

    def scrub(self, docs: list[Any]) -> list[Any]:
        """Scrub a batch of parsed documents; containers change in place, the list is returned."""
        holder = list(docs)  # top-level strings need a container to be replaced in
        slots: list[tuple[Any, Any]] = []
        self._walk(holder, None, slots)
        if slots:
            old = [c[k] for c, k in slots]
            new = self.s.scrub_strings(old)
            for (c, k), before, after in zip(slots, old, new):
                if after is not before:
                    c[k] = after
        return holder

    def _walk(self, root: list[Any], root_ctx: str | None, slots: list[tuple[Any, Any]]) -> None:
        # Iterative, with everything bound locally: this visits every node of every line.
        s = self.s
        context = s.context
        in_context = s.scrub_in_context
        shift = s.shift_epoch if s.shifter is not None else None
        add = slots.append
        stack: list[tuple[Any, str | None]] = [(root, root_ctx)]
        pop, push = stack.pop, stack.append
        while stack:
            node, ctx = pop()
            if type(node) is dict:
                attr = node.get("key")
                attr_ctx = context(attr) if type(attr) is str and "value" in node else None
                items: Iterable[tuple[Any, Any]] = node.items()
            else:
                attr_ctx = None
                items = enumerate(node)
            for k, v in items:
                if type(node) is dict:
                    own = context(k) if type(k) is str else None
                    if own is None:
                        if attr_ctx is not None and k == "value":
                            own = attr_ctx
                        elif ctx is not None and (k in _WRAPPERS or (k in _NAMED_BY_PARENT and ctx != TIME)):
                            own = ctx
                else:
                    own = ctx
                t = type(v)
                if t is str:
                    if own is not None:
                        if own == TIME:
                            shifted = shift(v) if shift is not None else None
                            if shifted is not None:
                                node[k] = shifted
                                continue
                        else:
                            new = in_context(own, v)
                            if new is not None:
                                node[k] = new
                                continue
                    if len(v) >= SHORTEST:
                        add((node, k))
                elif t is dict or t is list:
                    push((v, own))
                elif own == TIME and shift is not None and (t is int or t is float):
                    shifted = shift(v)
                    if shifted is not None:
                        node[k] = shifted
