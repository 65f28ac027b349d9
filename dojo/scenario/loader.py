"""Loading scenario files: safe YAML, the model, then the cross-references, every problem as one
`path:line: keypath: message` line. Nothing else escapes: a caller catches ScenarioErrors only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from dojo.builtin import SUFFIXES, find_scenarios, scenarios_dir

from . import hooks
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
    from .hooks import FaultSpec

MAX_IMPORT_MB = 200


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


def load_scenario(path: str | Path, *, faults: Mapping[str, FaultSpec] | None = None) -> Scenario:
    """The scenario in the file at `path`, or ScenarioErrors with every problem found in it.
    `faults` replaces the fault library for the reference checks (tests use a small one)."""
    path = Path(path)
    scenario = parse_scenario(_read(path), str(path), faults=faults)
    scenario._base_dir = path.resolve().parent
    scenario._file = str(path)
    _check_imports(scenario, path)
    return scenario


def max_import_bytes() -> int:
    """The largest imported signal file read (DOJO_MAX_IMPORT_MB, default 200): its rows cost
    several times its size in memory, and a scenario must never cost more than a few GB."""
    raw = os.environ.get("DOJO_MAX_IMPORT_MB", "").strip()
    return (int(raw) if raw.isdigit() and int(raw) > 0 else MAX_IMPORT_MB) * 1_000_000


def import_problem(folder: Path, rel: str) -> str | None:
    """Why the imported file `rel` may not be read, or None. A shared scenario must not read the
    player's other files: the path is relative, without `..`, and once resolved (symlinks
    followed) it is still inside the scenario's own folder (its `NAME.signals/` included)."""
    p = Path(rel)
    if p.is_absolute() or rel.startswith(("/", "\\", "~")) or (len(rel) > 1 and rel[1] == ":"):
        return (
            f"{rel!r}: an absolute path; imports are files in the scenario's own folder, e.g. NAME.signals/logs.jsonl"
        )
    if ".." in p.parts or ".." in rel.replace("\\", "/").split("/"):
        return f"{rel!r}: '..' leaves the scenario's folder; imports are files in it, e.g. NAME.signals/logs.jsonl"
    try:
        target = (folder / p).resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop
        return f"{rel!r}: cannot be resolved (a symlink loop?); run 'dojo import' again"
    if not target.is_relative_to(folder.resolve()):
        return f"{rel!r}: a symlink to outside the scenario's folder; copy the file in ('dojo import') instead"
    if not target.is_file():
        return f"{rel!r}: no such file beside the scenario; run 'dojo import' or fix the path"
    size = target.stat().st_size
    if size > max_import_bytes():
        return (
            f"{rel!r}: {size / 1e6:,.0f} MB, over the {max_import_bytes() / 1e6:,.0f} MB limit for an imported file "
            f"(DOJO_MAX_IMPORT_MB); import a shorter window of the incident"
        )
    return None


def _check_imports(scenario: Scenario, path: Path) -> None:
    """Imported signal files must be beside the scenario and readable. They are read here, once,
    so a bad file is reported when the scenario loads, with its line, like any other error."""
    if scenario.imports is None:
        return
    errors = []
    doc = None
    for kind, rel in scenario.imports.files().items():
        problem = import_problem(path.resolve().parent, rel)
        if problem is not None:
            doc = doc or read_yaml(_read(path), str(path))
            errors.append(ScenarioError(str(path), doc.line_of(("imports", kind)), f"imports.{kind}", problem))
    if errors:
        raise ScenarioErrors(errors)
    try:
        hooks.read_imports(scenario, path)
    except hooks.ImportReadError as exc:
        where, _, message = str(exc).partition(": ")
        file, _, line = where.partition(":")
        raise ScenarioErrors([ScenarioError(file, int(line) if line.isdigit() else None, "", message)]) from None


def parse_scenario(
    source: bytes | str, path: str = "<scenario>", *, faults: Mapping[str, FaultSpec] | None = None
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
