"""The fault library: every module in this package registers one fault kind.

Adding a kind is one new module here; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import FAULTS, GROUP_FIELDS, LINE_FIELDS, FaultKind, Param, Template, register

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "base":
        importlib.import_module(f"{__name__}.{_mod.name}")


def fault_of(event) -> str | None:
    """The fault kind a timeline event sets off: its own kind, or the `fault` a change carries
    in its params (an operator command, a flag that enables a broken path); else None."""
    if event.kind in FAULTS:
        return event.kind
    carried = event.params.get("fault") if event.params else None
    return carried if carried in FAULTS else None


__all__ = ["fault_of", "FAULTS", "GROUP_FIELDS", "LINE_FIELDS", "FaultKind", "Param", "Template", "register"]
