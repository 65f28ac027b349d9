"""HypothesisScreen: write a hypothesis, or change one (its status, text, guess).

Dismisses with the fields to send to the engine (None: cancelled): for a new hypothesis its text
and optional service and fault kind; for an existing one only what changed, since the engine
refuses an update that changes nothing.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from ..plain import plain, visible_line
from ..widgets.plain_input import PlainInput
from .base import DojoModal

STATUSES = [("open", "open"), ("ruled out", "ruled_out"), ("confirmed", "confirmed")]


# The same in every scenario, and about none of them: an example here would suggest an answer.
PLACEHOLDER = "what you think is happening, in your own words"


class HypothesisScreen(DojoModal[dict | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="hypothesis.save"),
        Binding("escape", "cancel", "Cancel", id="hypothesis.cancel"),
    ]

    def __init__(self, services: list[str], faults: list[str], hypothesis: Any = None):
        super().__init__(classes="dialog-screen")
        self.services, self.faults, self.hypothesis = services, faults, hypothesis

    def compose(self) -> ComposeResult:
        h = self.hypothesis
        with Vertical(classes="dialog", id="hypothesis"):
            yield Static(f"Hypothesis {h.id}" if h else "New hypothesis", classes="dialog-title")
            yield Label("What do you think is going on?", classes="dialog-label")
            yield PlainInput(h.text if h else "", placeholder=PLACEHOLDER, id="hypothesis-text")
            yield Label("Your guess, if you have one (optional)", classes="dialog-label")
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(plain(s), s) for s in self.services],
                    prompt="service",
                    id="hypothesis-service",
                    value=h.service if h and h.service else Select.NULL,
                )
                yield Select(
                    [(plain(f), f) for f in self.faults],
                    prompt="fault kind",
                    id="hypothesis-fault",
                    value=h.fault if h and h.fault else Select.NULL,
                )
            if h is not None:
                yield Label("Status", classes="dialog-label")
                yield Select(STATUSES, allow_blank=False, value=h.status, id="hypothesis-status")
            yield Static("", classes="dialog-error", id="hypothesis-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="hypothesis-cancel")
                yield Button("Save (ctrl+s)", id="hypothesis-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#hypothesis-text", Input).focus()

    def _value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    def fields(self) -> dict:
        text = self.query_one("#hypothesis-text", Input).value.strip()
        out = {"text": text, "service": self._value("#hypothesis-service"), "fault": self._value("#hypothesis-fault")}
        h = self.hypothesis
        if h is None:
            return out
        out["status"] = self._value("#hypothesis-status")
        # The box shows a teammate's text spelled out: unchanged means unchanged from that spelling.
        was = {**{k: getattr(h, k) for k in out}, "text": visible_line(h.text)}
        return {k: v for k, v in out.items() if v is not None and v != was[k]}

    def action_save(self) -> None:
        fields = self.fields()
        if self.hypothesis is None and not fields["text"]:
            self.query_one("#hypothesis-error", Static).update("write the hypothesis in a few words")
            return
        if self.hypothesis is not None and not fields:
            self.dismiss(None)  # nothing changed: nothing to tell the engine
            return
        self.dismiss(fields)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#hypothesis-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#hypothesis-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
