"""DiagnosisScreen: the service and fault kind from pickers fed by the briefing, the triggering
change where the scenario asks for it, and an explanation kept for the debrief.

Dismisses with {service, fault, explanation, trigger} (None: cancelled). Only the shape is
checked here (both pickers chosen, some words of why, explained in the form itself); whether it
is right is the engine's to say. It opens on the learner's draft: the last diagnosis sent, or the
guess of the hypothesis under the journal's cursor.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Select, Static, TextArea

from dojo.engine.api import Briefing

from ..data.units import span
from ..plain import plain, visible
from ..widgets.plain_input import PlainTextArea
from .base import DojoModal


class DiagnosisScreen(DojoModal[dict | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit diagnosis", id="diagnosis.send"),
        Binding("escape", "cancel", "Cancel", id="diagnosis.cancel"),
    ]

    def __init__(
        self,
        briefing: Briefing,
        changes: list[tuple[Content, str]] | None = None,
        draft: dict | None = None,
        wrong_so_far: int = 0,
    ):
        """`briefing`: Session.briefing(); `changes`: (label, event id) of the change events so
        far, labelled with their notes, when the scenario asks for the trigger; `draft`: the
        fields to start from (the last diagnosis sent, or the current hypothesis's guess)."""
        super().__init__(classes="dialog-screen")
        self.briefing, self.changes, self.draft, self.wrong_so_far = briefing, changes or [], draft or {}, wrong_so_far

    def compose(self) -> ComposeResult:
        b, d = self.briefing, self.draft
        penalty = span(b.wrong_penalty_s)
        tried = f" (you have {self.wrong_so_far} wrong so far)" if self.wrong_so_far else ""
        with Vertical(classes="dialog", id="diagnosis"):
            yield Static("Diagnosis", classes="dialog-title")
            yield Static(
                f"A correct diagnosis ends the attempt; a wrong one adds {penalty} to your time{tried}.",
                classes="dialog-body",
            )
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(plain(s.name), s.name) for s in b.services],
                    prompt="service at fault",
                    id="diagnosis-service",
                    value=d.get("service") or Select.NULL,
                )
                yield Select(
                    [(plain(name), name) for name in b.faults],
                    prompt="kind of fault",
                    id="diagnosis-fault",
                    value=d.get("fault") or Select.NULL,
                )
            yield Static("", id="diagnosis-fault-help", classes="dialog-label")
            if b.require_trigger:
                yield Label("The change that set it off", classes="dialog-label")
                yield Select(
                    self.changes,
                    prompt="trigger (a change event)",
                    id="diagnosis-trigger",
                    value=d.get("trigger") or Select.NULL,
                )
            yield Label("Why? (a sentence or two; it is kept for your debrief)", classes="dialog-label")
            # The draft may be a teammate's hypothesis text: shown spelled out, as everywhere.
            yield PlainTextArea(visible(d.get("explanation", "")), id="diagnosis-explanation")
            yield Static("", classes="dialog-error", id="diagnosis-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="diagnosis-cancel")
                yield Button("Submit (ctrl+s)", id="diagnosis-submit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#diagnosis-service", Select).focus()
        self._describe_fault()
        if self.draft.get("explanation"):
            self.query_one(TextArea).select_all()  # last time's words: kept to build on, replaced by typing

    @on(Select.Changed, "#diagnosis-fault")
    def _describe_fault(self) -> None:
        fault = self.query_one("#diagnosis-fault", Select).value
        text = self.briefing.faults.get(fault, "") if isinstance(fault, str) else ""
        self.query_one("#diagnosis-fault-help", Static).update(text)

    def _value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    def fields(self) -> dict:
        trigger = self._value("#diagnosis-trigger") if self.briefing.require_trigger else None
        return {
            "service": self._value("#diagnosis-service"),
            "fault": self._value("#diagnosis-fault"),
            "explanation": self.query_one(TextArea).text,
            "trigger": trigger,
        }

    def action_submit(self) -> None:
        fields = self.fields()
        missing = [
            name for name, key in (("the service", "service"), ("the kind of fault", "fault")) if not fields[key]
        ]
        error = f"choose {' and '.join(missing)}" if missing else ""
        if not fields["explanation"].strip():
            why = "write why in a sentence or two: the evidence that convinced you (it is kept for your debrief)"
            error = f"{error}; and {why}" if error else why
        if self.briefing.require_trigger and not fields["trigger"]:
            error = error or "choose the change that set it off"
        if error:
            self.query_one("#diagnosis-error", Static).update(error)
            return
        self.dismiss(fields)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#diagnosis-submit")
    def _submit(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#diagnosis-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
