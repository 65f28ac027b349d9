"""Scenario model, safe YAML loading with file:line errors, and reference checks.

The names below load on first use (PEP 562), so `dojo.scenario.yamlsafe` can be imported without
the model: the library screen reads its cards with the hardened YAML reader before its first
paint, and pydantic alone costs more than that budget allows.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import (
        ScenarioError,
        ScenarioErrors,
        builtin_dir,
        find_scenarios,
        load_scenario,
        parse_scenario,
        resolve_scenario,
    )
    from .model import Scenario

_WHERE = {
    "Scenario": ".model",
    "ScenarioError": ".loader",
    "ScenarioErrors": ".loader",
    "builtin_dir": ".loader",
    "find_scenarios": ".loader",
    "load_scenario": ".loader",
    "parse_scenario": ".loader",
    "resolve_scenario": ".loader",
}

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioErrors",
    "builtin_dir",
    "find_scenarios",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
