"""Keys a browser keeps for itself (dojo serve): no binding may need one. A page cannot take
ctrl+w, ctrl+t or ctrl+n from Chrome or Firefox: the key closes or opens a tab or a window and
the dojo never sees it. Every binding on such a key needs another key for the same action."""

import importlib
import inspect
import pkgutil

from textual.app import App
from textual.dom import DOMNode
from textual.widgets import Input

import dojo.tui

RESERVED = {
    "ctrl+w", "ctrl+t", "ctrl+n",
    "ctrl+shift+w", "ctrl+shift+t", "ctrl+shift+n",
    "ctrl+tab", "ctrl+shift+tab",
}  # fmt: skip

# Textual's own editing keys that a browser takes (inherited by our subclasses too), each with what
# does the same job: nothing the dojo asks for needs them.
KNOWN = {
    (Input, "delete_left_word"): "ctrl+u clears to the left; backspace deletes a character",
}


def known(cls, action: str) -> bool:
    return any(issubclass(cls, base) and action == act for base, act in KNOWN)


def dom_classes():
    """Every app, screen and widget class of the dojo's TUI, and Textual's widgets it composes."""
    seen = {}
    for info in pkgutil.walk_packages(dojo.tui.__path__, "dojo.tui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, DOMNode):
                seen[f"{value.__module__}.{value.__qualname__}"] = value
    return list(seen.values())


def offenders(classes, app_bindings):
    found = []
    for cls in classes:
        bindings = [b for group in cls._merged_bindings.key_to_bindings.values() for b in group]
        if not issubclass(cls, App):
            bindings += app_bindings  # an app's keys work on every screen
        for b in bindings:
            if b.key not in RESERVED:
                continue
            others = [o.key for o in bindings if o.action == b.action and o.key not in RESERVED]
            if not others and not known(cls, b.action):
                found.append(f"{cls.__module__}.{cls.__name__}: {b.key} -> {b.action}")
    return sorted(set(found))


def test_no_binding_needs_a_key_the_browser_keeps():
    classes = dom_classes()
    names = {c.__name__ for c in classes}
    assert {"DojoApp", "TeamApp", "WorkspaceScreen", "LibraryScreen", "Input", "TextArea"} <= names
    apps = [c for c in classes if issubclass(c, App) and c.__module__.startswith("dojo.")]
    for app in apps:
        app_bindings = [b for group in app._merged_bindings.key_to_bindings.values() for b in group]
        assert offenders(classes, app_bindings) == []


def test_the_audit_catches_a_reserved_key_without_an_alternative():
    from textual.binding import Binding
    from textual.widget import Widget

    class Greedy(Widget):
        BINDINGS = [Binding("ctrl+n", "new_thing", "New"), Binding("ctrl+w,x", "close", "Close")]

    assert offenders([Greedy], []) == [f"{__name__}.Greedy: ctrl+n -> new_thing"]
