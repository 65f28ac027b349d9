"""JSON values: scrub every string, recursively, and let the keys say what a value is.

The structure is never touched, so the output parses as the same JSON. A key can decide a value
that would look like nothing on its own: {"user": "frank"}, {"host": "build-3"}, {"password":
"hunter2"}, or an epoch number under a time key when shifting. OpenTelemetry and Jaeger keep
attributes as {"key": "enduser.id", "value": {"stringValue": "frank"}}: there the sibling "key"
names the value, and the wrapper keys (stringValue, ...) pass it down.

Strings without such a key are collected from a whole batch of documents and scrubbed in one
scan (scrubber.scrub_strings), which is much cheaper than one scan per string.
"""

from __future__ import annotations

from typing import Any

from .scrubber import HOST, SECRET, TIME, USER, Scrubber

_WRAPPERS = frozenset({"value", "stringValue", "intValue", "doubleValue", "arrayValue", "values", "kvlistValue"})
_SHORTEST = 4  # no detector matches fewer characters (a.io)


class JsonScrubber:
    def __init__(self, scrubber: Scrubber) -> None:
        self.s = scrubber

    def scrub(self, docs: list[Any]) -> list[Any]:
        """Scrub a batch of parsed documents; containers change in place, the list is returned."""
        holder = list(docs)  # top-level strings need a container to be replaced in
        slots: list[tuple[Any, Any]] = []
        for i, doc in enumerate(holder):
            self._visit(holder, i, doc, None, slots)
        if slots:
            old = [c[k] for c, k in slots]
            new = self.s.scrub_strings(old)
            for (c, k), before, after in zip(slots, old, new):
                if after is not before:
                    c[k] = after
        return holder

    def _visit(self, container: Any, key: Any, value: Any, ctx: str | None, slots: list[tuple[Any, Any]]) -> None:
        if isinstance(value, str):
            if ctx in (USER, HOST, SECRET):
                new = self.s.scrub_in_context(ctx, value)
                if new is not None:
                    container[key] = new
                    return
            elif ctx == TIME:
                shifted = self.s.shift_epoch(value)
                if shifted is not None:
                    container[key] = shifted
                    return
            if len(value) >= _SHORTEST:
                slots.append((container, key))
        elif isinstance(value, dict):
            attr = value.get("key")
            attr_ctx = self.s.context(attr) if isinstance(attr, str) and "value" in value else None
            for k, v in value.items():
                own = self.s.context(k) if isinstance(k, str) else None
                if own is None:
                    if attr_ctx is not None and k == "value":
                        own = attr_ctx
                    elif ctx is not None and k in _WRAPPERS:
                        own = ctx
                self._visit(value, k, v, own, slots)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._visit(value, i, v, ctx, slots)
        elif ctx == TIME and isinstance(value, (int, float)) and not isinstance(value, bool):
            shifted = self.s.shift_epoch(value)
            if shifted is not None:
                container[key] = shifted
