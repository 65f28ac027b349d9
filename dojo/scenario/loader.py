"""Loading scenario files: safe YAML, the model, then the cross-references, every problem as one
`path:line: keypath: message` line. Nothing else escapes: a caller catches ScenarioErrors only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from dojo.builtin import SUFFIXES, find_scenarios, scenarios_dir

from .errors import Problem, ScenarioError, ScenarioErrors, keypath
from .messages import explain
from .model import Scenario
from .references import check_references
from .yamlsafe import MAX_BYTES, Document, read_yaml

__all__ = [
    "SUFFIXES",
    "ScenarioError",
    "ScenarioErrors",
    "builtin_dir",
    "find_scenarios",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario",
]

if TYPE_CHECKING:  # pragma: no cover
    from dojo.telemetry.faults import FaultKind


def builtin_dir() -> Path:
    """The built-in scenarios' folder (or $DOJO_SCENARIOS): see dojo.builtin."""
    return scenarios_dir()


def resolve_scenario(ref: str) -> Path:
    p = Path(ref)
    if p.exists():
        return p
    for cand in find_scenarios([builtin_dir()]) if builtin_dir().is_dir() else []:
        if cand.stem == ref:
            return cand
    raise ScenarioErrors([ScenarioError(ref, None, "", "no such file or built-in scenario; see 'dojo list'")])


def load_scenario(path: str | Path, *, faults: Mapping[str, FaultKind] | None = None) -> Scenario:
    """The scenario in the file at `path`, or ScenarioErrors with every problem found in it.
    `faults` replaces the fault library for the reference checks (tests use a small one)."""
    path = Path(path)
    scenario = parse_scenario(_read(path), str(path), faults=faults)
    scenario._base_dir = path.resolve().parent
    _check_imports(scenario, path)
    return scenario


def _check_imports(scenario: Scenario, path: Path) -> None:
    """Imported signal files must be beside the scenario and readable. They are read here, once,
    so a bad file is reported when the scenario loads, with its line, like any other error."""
    if scenario.imports is None:
        return
    from dojo.telemetry.imported import ImportedSignalError, load_imports

    errors = []
    doc = None
    for kind, rel in scenario.imports.files().items():
        if not (path.resolve().parent / rel).is_file():
            doc = doc or read_yaml(_read(path), str(path))
            errors.append(
                ScenarioError(
                    str(path),
                    doc.line_of(("imports", kind)),
                    f"imports.{kind}",
                    f"{rel!r}: no such file beside the scenario; run 'dojo import' or fix the path",
                )
            )
    if errors:
        raise ScenarioErrors(errors)
    try:
        scenario._imported = load_imports(scenario)
    except ImportedSignalError as exc:
        where, _, message = str(exc).partition(": ")
        file, _, line = where.partition(":")
        raise ScenarioErrors([ScenarioError(file, int(line) if line.isdigit() else None, "", message)]) from None


def parse_scenario(
    source: bytes | str, path: str = "<scenario>", *, faults: Mapping[str, FaultKind] | None = None
) -> Scenario:
    """The scenario in `source` (file contents), errors named after `path`."""
    doc = read_yaml(source, path)
    if doc.data is None:
        raise ScenarioErrors(
            [ScenarioError(path, 1, "", "the file is empty; start from the example in docs/scenario-format.md")]
        )
    if not isinstance(doc.data, dict):
        got = "a list" if isinstance(doc.data, list) else f"a single value ({doc.data!r:.40})"
        raise ScenarioErrors(
            [
                ScenarioError(
                    path,
                    doc.line_of(()),
                    "",
                    f"the top level must be a mapping of keys (id: ..., title: ...), not {got}",
                )
            ]
        )
    errors = list(doc.errors)
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        errors += _located(path, doc, explain(exc, doc.data))
        raise ScenarioErrors(errors) from None
    # Duplicate keys already reported would otherwise hide behind a valid-looking result.
    errors += _located(path, doc, check_references(scenario, faults))
    if errors:
        raise ScenarioErrors(errors)
    return scenario


def _located(path: str, doc: Document, problems: list[Problem]) -> list[ScenarioError]:
    return [ScenarioError(path, doc.line_of(p.loc), keypath(p.loc), p.message) for p in problems]


def _read(path: Path) -> bytes:
    """The file's bytes, or ScenarioErrors that says why not (never an OSError traceback)."""
    try:
        if not path.exists():
            raise ScenarioErrors([ScenarioError(str(path), None, "", "no such file")])
        if path.is_dir():
            raise ScenarioErrors(
                [
                    ScenarioError(
                        str(path), None, "", "is a folder; give a .yaml file, or use 'dojo validate' on the folder"
                    )
                ]
            )
        if not path.is_file():
            # A fifo or device could block or never end.
            raise ScenarioErrors([ScenarioError(str(path), None, "", "not a regular file")])
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioErrors(
                [ScenarioError(str(path), 1, "", f"file is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:g} MB")]
            )
        with path.open("rb") as f:
            # One byte over the cap is enough to know it is too big, whatever the file claims.
            return f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioErrors([ScenarioError(str(path), None, "", f"cannot read: {exc.strerror or exc}")]) from None
