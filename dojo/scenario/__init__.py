"""Scenario model, safe YAML loading with file:line errors, and reference checks."""

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
