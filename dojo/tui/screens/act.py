"""ActionScreen: change the system (restart, scale, flip a flag, change a config, redeploy).

Dismisses with {kind, service, params} (None: cancelled), the arguments of `Session.act`. The form
offers, for the kind picked, the services it applies to and the parameters worth giving
(dojo/engine/actions.py); typed text is turned into those parameters here and a wrong one is named
under the fields. Whether the action can be taken now (the incident's last bucket, a value the
physics refuses) is the engine's to say when it is sent.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from dojo.engine.actions import ACTION_KINDS, param_spec, parse_params
from dojo.engine.errors import QueryError

from ..plain import plain
from ..widgets.plain_input import PlainInput
from .base import DojoModal

# Every parameter any kind offers, in the order the form lists them: what the action is about
# first (the count, the flag, the setting), how it is carried out (share, warm-up) last.
LAST = ("share", "warmup_s")
FIELDS = sorted(
    dict.fromkeys(name for spec in ACTION_KINDS.values() for name in spec.params), key=lambda name: name in LAST
)


def field_label(name: str) -> str:
    p = param_spec(name)
    words = p.help.removeprefix("restart: ")  # the form shows it only for a restart
    bounds = f" ({p.min:g}..{p.max:g})" if p.min is not None and p.max is not None else ""
    return f"{name}: {words}{bounds}"


class ActionScreen(DojoModal[dict | None]):
    BINDINGS = [
        Binding("ctrl+s", "take", "Take the action", id="action.take"),
        Binding("escape", "cancel", "Cancel", id="action.cancel"),
    ]

    def __init__(self, services: dict[str, list[str]], service: str | None = None, grid: float = 10.0):
        """`services`: kind -> the services it applies to; `service`: the one to start on (where
        the learner was looking); `grid`: the time bucket, to say when the change lands."""
        super().__init__(classes="dialog-screen")
        self.services, self.start_service, self.grid = services, service, grid

    def compose(self) -> ComposeResult:
        kinds = [k for k in ACTION_KINDS if self.services.get(k)]
        with Vertical(classes="dialog", id="action"):
            yield Static("Act on the system", classes="dialog-title")
            # No clock time here: the replay runs on while the dialog is open.
            yield Static(
                f"It takes effect at the start of the next {self.grid:g} s bucket after you take it; "
                "the incident from then on is played again with it. What came before stays as it was.",
                classes="dialog-body",
            )
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(ACTION_KINDS[k].label, k) for k in kinds],
                    allow_blank=False,
                    value=kinds[0] if kinds else Select.NULL,
                    id="action-kind",
                )
                yield Select([], prompt="service", id="action-service")
            yield Static("", classes="dialog-label", id="action-note")
            for name in FIELDS:
                # A Static wraps a long description; a Label would cut it at the dialog's edge.
                yield Static(field_label(name), classes="dialog-label", id=f"action-label-{name}")
                yield PlainInput("", id=f"action-{name}", compact=True)  # a number or a name: one row
            yield Static("", classes="dialog-error", id="action-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="action-cancel")
                yield Button("Take it (ctrl+s)", id="action-take", variant="warning")

    def on_mount(self) -> None:
        self._kind_shown()
        self.query_one("#action-kind", Select).focus()

    @property
    def kind(self) -> str | None:
        value = self.query_one("#action-kind", Select).value
        return value if isinstance(value, str) else None

    @on(Select.Changed, "#action-kind")
    def _kind_changed(self) -> None:
        self._kind_shown()

    def _kind_shown(self) -> None:
        """The services and fields of the kind picked; the service picked stays if it applies."""
        kind = self.kind
        spec = ACTION_KINDS.get(kind or "")
        services = self.services.get(kind or "", [])
        picker = self.query_one("#action-service", Select)
        keep = picker.value if isinstance(picker.value, str) else self.start_service
        picker.set_options([(plain(s), s) for s in services])
        if keep in services:
            picker.value = keep
        elif len(services) == 1:
            picker.value = services[0]
        offered = set(spec.params if spec else ())
        required = set(spec.required if spec else ())
        for name in FIELDS:
            shown = name in offered
            self.query_one(f"#action-label-{name}").display = shown
            box = self.query_one(f"#action-{name}", Input)
            box.display = shown
            box.placeholder = "required" if name in required else "empty: as it is"
        note = self.query_one("#action-note", Static)
        note.update(spec.note if spec else "")
        note.display = bool(spec and spec.note)
        self.query_one("#action-error", Static).update("")

    def fields(self) -> dict:
        """The action as Session.act takes it; QueryError names what is missing or wrong."""
        kind = self.kind
        if kind is None:
            raise QueryError("pick what to do")
        service = self.query_one("#action-service", Select).value
        if not isinstance(service, str):
            raise QueryError("pick the service to act on")
        raw = {name: self.query_one(f"#action-{name}", Input).value for name in ACTION_KINDS[kind].params}
        return {"kind": kind, "service": service, "params": parse_params(kind, raw)}

    def action_take(self) -> None:
        try:
            fields = self.fields()
        except QueryError as exc:
            self.query_one("#action-error", Static).update(plain(str(exc)))
            return
        self.dismiss(fields)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_take()

    @on(Button.Pressed, "#action-take")
    def _take(self) -> None:
        self.action_take()

    @on(Button.Pressed, "#action-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
