"""Incident physics and signal synthesis: faults, logs, metrics, traces, alerts, export.

Importing this package lends the scenario loader the fault library and the reader of imported
signal files (dojo.scenario.hooks): the scenario layer sits below this one and never imports it.
Both are looked up on first use, so importing the package costs nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dojo.scenario import hooks as _hooks

if TYPE_CHECKING:  # pragma: no cover
    from dojo.scenario.model import Scenario


def _fault_library() -> Mapping[str, _hooks.FaultSpec]:
    from .faults import FAULTS

    return FAULTS


def _read_imports(scenario: Scenario, path: Path) -> None:
    from .imported import read_on_load

    read_on_load(scenario, path)


def _change_params() -> Mapping[str, _hooks.ParamSpec]:
    from .changes import CHANGE_PARAMS

    return CHANGE_PARAMS


_hooks.provide(faults=_fault_library, read_imports=_read_imports, change_params=_change_params)
