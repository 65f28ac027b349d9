"""The command palette's "noun: verb" commands, made from the key bindings themselves.

Every binding has an id of the form `noun.verb` (`clock.pause`, `hypothesis.add`,
`diagnosis.submit`); the palette offers each binding active where it was opened as
"clock: pause", with its description as help and its key beside it. One list, so the palette,
the footer and the help screen can never disagree about what can be done.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# Cursor movement and the like: keys, not commands anyone looks up by name.
SKIP_NOUNS = {"rows", "help"}


def command_name(binding_id: str) -> str:
    noun, _, verb = binding_id.partition(".")
    return f"{noun.replace('-', ' ')}: {verb.replace('-', ' ')}" if verb else noun


def _chain(screen) -> list:
    """The nodes whose bindings apply on `screen`: the focused widget up to the app."""
    focused = screen.focused
    return list(focused.ancestors_with_self) if focused is not None else [screen, screen.app]


def binding_commands(screen) -> list[tuple[str, str, str, object, str]]:
    """(name, description, key, node, action) of each named binding of the focused widget and
    its ancestors: including those whose key a nearer widget shadows (the log view's `p` pins
    a line; the screen's `p`, 'evidence: pin', is still a command)."""
    out: dict[str, tuple[str, str, str, object, str]] = {}
    for node in _chain(screen):
        for _key, b in node._bindings:  # noqa: SLF001 - the bindings as the keymap left them
            if not b.id or not b.description or b.id.partition(".")[0] in SKIP_NOUNS:
                continue
            name = command_name(b.id)
            if name not in out:  # the nearest node's binding wins, as its key does
                out[name] = (name, b.description, screen.app.get_key_display(b), node, b.action)
    return sorted(out.values())


class BindingCommands(Provider):
    async def discover(self) -> Hits:
        for name, description, key, node, action in binding_commands(self.screen):
            yield DiscoveryHit(f"{name}  ({key})", partial(self._run, node, action), text=name, help=description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, description, key, node, action in binding_commands(self.screen):
            score = max(matcher.match(name), matcher.match(description) * 0.8)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self._run, node, action),
                    text=name,
                    help=f"{description}  ({key})",
                )

    async def _run(self, node, action: str) -> None:
        await self.app.run_action(action, node)
