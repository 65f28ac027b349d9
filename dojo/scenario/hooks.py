"""What the layers above lend the scenario loader, so that the scenario layer never imports them.

A scenario names fault kinds and may import real signal files; the fault library and the readers
of those files live in dojo.telemetry, which sits above this package. Telemetry hands both over
when it is imported (dojo/telemetry/__init__.py): whoever loads scenarios for real imports
`dojo.telemetry` first (the commands, the TUI and the test suite do). A loader without them
says so instead of passing a scenario it could not check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from .model import Scenario


class ParamSpec(Protocol):
    """A fault kind's parameter, as the reference checks use it."""

    def check(self, value: object) -> str | None: ...


class FaultSpec(Protocol):
    """A fault kind, as the reference checks use it: its name and its parameters."""

    @property
    def name(self) -> str: ...

    @property
    def params(self) -> Mapping[str, ParamSpec]: ...


class ImportReadError(Exception):
    """An imported signal file that cannot be read: str() is `file:line: message`."""


FaultLibrary = Callable[[], Mapping[str, FaultSpec]]
# Reads a scenario's imported signal files (which exist: the loader checked), raising
# ImportReadError for a bad one; what it reads it keeps for synthesis.
ImportReader = Callable[["Scenario", Path], None]

# The parameters every change event takes (its consequences: replicas, actor, flag, ...).
ChangeParams = Callable[[], Mapping[str, ParamSpec]]

_fault_library: FaultLibrary | None = None
_import_reader: ImportReader | None = None
_change_params: ChangeParams | None = None


def provide(*, faults: FaultLibrary, read_imports: ImportReader, change_params: ChangeParams) -> None:
    global _fault_library, _import_reader, _change_params
    _fault_library, _import_reader, _change_params = faults, read_imports, change_params


def change_params() -> Mapping[str, ParamSpec]:
    if _change_params is None:
        raise RuntimeError("no change parameters: import dojo.telemetry before loading scenarios")
    return _change_params()


def fault_library() -> Mapping[str, FaultSpec]:
    if _fault_library is None:
        raise RuntimeError("no fault library: import dojo.telemetry before loading scenarios")
    return _fault_library()


def read_imports(scenario: Scenario, path: Path) -> None:
    if _import_reader is None:
        raise RuntimeError("no reader for imported signals: import dojo.telemetry before loading scenarios")
    _import_reader(scenario, path)
