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

__all__ = ["FAULTS", "GROUP_FIELDS", "LINE_FIELDS", "FaultKind", "Param", "Template", "register"]
