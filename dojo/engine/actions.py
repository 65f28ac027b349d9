"""What a learner can do to the system, as a form and as a sentence: the kinds of action
(Session.act takes CHANGE_KINDS), the services each applies to, the parameters worth offering for
each, typed text turned into those parameters, and an action told back ("you restarted payments").

The TUI's action dialog and the debrief read this; the engine still validates every action
itself (Session.act), so a form that offered too much would be refused, never obeyed blindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dojo.scenario.model import Scenario
from dojo.telemetry.changes import CHANGE_PARAMS
from dojo.telemetry.faults import Param

from .errors import QueryError


@dataclass(frozen=True)
class ActionKind:
    kind: str  # a CHANGE_KINDS name, as Session.act takes it
    label: str  # in the form's picker
    params: tuple[str, ...]  # CHANGE_PARAMS offered, in this order
    required: tuple[str, ...] = ()
    note: str = ""  # what the form says under the picker


# The params a learner would reach for with each kind. The physics takes any change param with any
# kind (dojo/telemetry/changes.py); a form offering them all would read like an API reference.
ACTION_KINDS: dict[str, ActionKind] = {
    a.kind: a
    for a in (
        ActionKind("restart", "restart", ("share", "warmup_s"), note="instances go down, and come back once warmed up"),
        ActionKind("scale", "scale", ("replicas", "warmup_s"), required=("replicas",)),
        ActionKind(
            "feature_flag", "flip a feature flag", ("flag", "shed"), note="shed: share of requests turned away (503)"
        ),
        ActionKind(
            "config_change",
            "change a config",
            ("flag", "retries", "retry_budget", "max_queue_ms", "consumers"),
            note="give the settings to change; empty ones stay as they are",
        ),
        ActionKind("deploy", "redeploy", (), note="the running version rolled out again (no version to pick)"),
    )
}

# Services a learner cannot operate: a third party's API is not theirs to restart or scale.
NOT_OURS = frozenset({"external"})


def action_services(scenario: Scenario, kind: str) -> list[str]:
    """The services `kind` applies to, in the scenario's order."""
    if kind not in ACTION_KINDS:
        return []
    return [s.name for s in scenario.services if s.kind not in NOT_OURS]


def param_spec(name: str) -> Param:
    return CHANGE_PARAMS[name]


def parse_params(kind: str, raw: dict[str, str]) -> dict[str, Any]:
    """Typed params from the form's text boxes (empty: not given). QueryError names the first
    field that is wrong and what it must be."""
    spec = ACTION_KINDS.get(kind)
    if spec is None:
        raise QueryError(f"kind: a learner's action is one of {', '.join(ACTION_KINDS)}, not {kind!r}")
    out: dict[str, Any] = {}
    for name in spec.params:
        text = (raw.get(name) or "").strip()
        if not text:
            if name in spec.required:
                raise QueryError(f"{name}: required for {spec.label} ({param_spec(name).help})")
            continue
        p = param_spec(name)
        value: Any = text
        if p.type in (int, float):
            try:
                number = float(text)
            except ValueError:
                raise QueryError(f"{name}: must be a number, not {text!r}") from None
            value = int(number) if p.type is int and number.is_integer() else number
        why = p.check(value)
        if why is not None:
            raise QueryError(f"{name}: {why}")
        out[name] = value
    if kind == "config_change" and not set(out) - {"flag"}:
        raise QueryError("config_change: give at least one setting to change (retries, max_queue_ms, ...)")
    return out


def _settings(params: dict[str, Any], skip: tuple[str, ...] = ()) -> str:
    shown = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items() if k not in skip]
    return f" ({', '.join(shown)})" if shown else ""


def describe_action(kind: str, service: str, params: dict[str, Any]) -> str:
    """The action in a sentence whose subject is the learner: "restarted payments"."""
    if kind == "restart":
        return f"restarted {service}" + _settings(params)
    if kind == "scale":
        rest = {k: v for k, v in params.items() if k != "replicas"}
        to = f" to {params['replicas']} replicas" if "replicas" in params else ""
        return f"scaled {service}{to}" + _settings(rest)
    if kind in ("feature_flag", "config_change"):
        what = "flipped" if kind == "feature_flag" else "changed"
        name = params.get("flag") or ("a feature flag" if kind == "feature_flag" else "a config")
        return f"{what} {name} on {service}" + _settings(params, skip=("flag",))
    if kind == "deploy":
        return f"redeployed {service}" + _settings(params)
    return f"{kind.replace('_', ' ')} on {service}" + _settings(params)
