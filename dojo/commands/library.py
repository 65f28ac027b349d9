"""`dojo list`, `dojo validate`, `dojo schema`, `dojo faults`: the scenario library and its format.

Every problem is one line, `path:line: keypath: message`; no command here ends in a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

import dojo.telemetry  # noqa: F401 - lends the loader the fault library (dojo.scenario.hooks)
from dojo.scenario import Scenario, ScenarioError, ScenarioErrors, builtin_dir, find_scenarios, load_scenario
from dojo.scenario.durations import format_duration

from .common import echo

_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def _files(paths: tuple[Path, ...]) -> tuple[list[Path], list[ScenarioError]]:
    """The scenario files under `paths` (the built-in folder when none), and the paths that
    hold none: a folder without scenarios is worth a line, not silence."""
    files: list[Path] = []
    empty: list[ScenarioError] = []
    if not paths and not builtin_dir().is_dir():
        return [], [
            ScenarioError(
                str(builtin_dir()),
                None,
                "",
                "no built-in scenarios folder here; give paths, or set DOJO_SCENARIOS to a folder",
            )
        ]
    for p in paths or (builtin_dir(),):
        found = find_scenarios([p])
        if p.is_dir() and not found:
            empty.append(ScenarioError(str(p), None, "", "no .yaml or .yml files in this folder"))
        files.extend(found)
    # A file named twice (`dojo validate a.yaml .`) is one file, not a duplicate id.
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(f.resolve(), f)
    return list(unique.values()), empty


def _load_all(files: list[Path], budget: bool = False) -> tuple[list[tuple[Path, Scenario]], list[ScenarioError]]:
    """The scenarios that load; with `budget`, also those whose signals fit the size budget (the
    physics runs, about 30 ms a file: validate, lint and fairness need it, list does not)."""
    loaded: list[tuple[Path, Scenario]] = []
    errors: list[ScenarioError] = []
    for f in files:
        try:
            sc = load_scenario(f)
            if budget:
                check_budget(sc, f)
            loaded.append((f, sc))
        except ScenarioErrors as exc:
            errors.extend(exc.errors)
        except Exception as exc:  # noqa: BLE001 - a bug of ours must still read as one line per file
            errors.append(
                ScenarioError(str(f), None, "", f"internal error ({type(exc).__name__}: {exc}); please report it")
            )
    return loaded, errors


def check_budget(sc: Scenario, path: Path) -> None:
    """ScenarioErrors, one line with the file, line and limit, when the signals would be too big."""
    from dojo.scenario.yamlsafe import read_yaml
    from dojo.telemetry import budget

    budget.check(sc, lines_of=lambda loc: read_yaml(path.read_bytes(), str(path)).line_of(loc))


def _duplicate_ids(loaded: list[tuple[Path, Scenario]]) -> list[ScenarioError]:
    """Ids name scenarios (`dojo play ID`), so two files must not share one."""
    from dojo.scenario.yamlsafe import read_yaml

    first: dict[str, Path] = {}
    out = []
    for path, sc in loaded:
        if sc.id in first:
            line = read_yaml(path.read_bytes(), str(path)).line_of(("id",))
            out.append(
                ScenarioError(
                    str(path), line, "id", f"{sc.id!r} is already the id of {first[sc.id]}; ids must be unique"
                )
            )
        first.setdefault(sc.id, path)
    return out


@click.command("validate")
@_PATHS
def validate_cmd(paths: tuple[Path, ...]) -> None:
    """Check scenario files and folders (default: the built-in scenarios).

    Prints one line per problem, `file:line: key: message`, then a summary; exits 1 if any
    file is invalid."""
    files, errors = _files(paths)
    loaded, load_errors = _load_all(files, budget=True)
    errors += load_errors + _duplicate_ids(loaded)
    for err in errors:
        echo(str(err))
    _warn_imported(loaded)
    bad = len({e.path for e in errors})
    if errors:
        echo(f"{len(errors)} problem{'s' * (len(errors) != 1)} in {bad} of {len(files)} file{'s' * (len(files) != 1)}")
        sys.exit(1)
    echo(f"{len(files)} file{'s' * (len(files) != 1)} valid")


def _warn_imported(loaded) -> None:
    """Imported services and metrics the scenario does not have: a warning each (the file is
    valid, but play would answer "no service ..." for them)."""
    from dojo.telemetry.imported import unknown_names

    for path, sc in loaded:
        for line in unknown_names(sc) if sc.imports is not None else ():
            echo(f"{path}: warning: {line}")


@click.command("schema")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file instead of standard output.",
)
def schema_cmd(out: Path | None) -> None:
    """Print the JSON Schema of the scenario format, for editors.

    With yaml-language-server, put `# yaml-language-server: $schema=PATH` on a scenario's first
    line (PATH relative to the file, or a URL)."""
    from dojo.scenario.schema import scenario_schema

    text = json.dumps(scenario_schema(), indent=2) + "\n"
    if out is None:
        echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        echo(f"dojo: {out}: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(1)
    echo(f"wrote {out}", err=True)


@click.command("list")
@_PATHS
@click.option("--json", "as_json", is_flag=True, help="One JSON array of scenarios on standard output.")
@click.option("-v", "--verbose", is_flag=True, help="Under a retold incident, also list what the retelling changed.")
def list_cmd(paths: tuple[Path, ...], as_json: bool, verbose: bool) -> None:
    """List scenarios (default: the built-in ones): id, difficulty, duration, tags, title.

    A scenario retold from a public postmortem gets a second line, "Retold from <org>'s report
    of <date>: <url>" (with -v, what the retelling changed or invented under it). Files that do
    not load are reported on standard error; the valid ones are still listed, and the exit
    status is 1."""
    from dojo.authoring.credit import credit_lines

    files, errors = _files(paths)
    loaded, load_errors = _load_all(files)
    errors += load_errors
    if as_json:
        rows = [
            {
                "id": sc.id,
                "title": sc.title,
                "difficulty": sc.difficulty,
                "tags": list(sc.tags),
                "duration": sc.duration,
                "path": str(p),
                "source": None
                if sc.source is None
                else {
                    "url": sc.source.url,
                    "org": sc.source.org,
                    "date": sc.source.date.isoformat() if sc.source.date else None,
                    "changes": list(sc.source.changes),
                },
            }
            for p, sc in loaded
        ]
        echo(json.dumps(rows, indent=2))
    elif loaded:
        width = max(len(sc.id) for _, sc in loaded)
        for _, sc in loaded:
            tags = ",".join(sc.tags) or "-"
            echo(f"{sc.id:<{width}}  {'*' * sc.difficulty:<5}  {format_duration(sc.duration):>6}  {sc.title}  [{tags}]")
            if sc.source is not None:
                credit = credit_lines(sc.source.url, sc.source.org, sc.source.date, sc.source.changes)
                for line in credit if verbose else credit[:1]:
                    echo(" " * (width + 2) + line)
    elif not errors:
        echo("no scenarios", err=True)
    for err in errors:
        echo(str(err), err=True)
    if errors:
        sys.exit(1)


@click.command("faults")
@click.option("--json", "as_json", is_flag=True, help="The fault kinds and change kinds as JSON.")
def faults_cmd(as_json: bool) -> None:
    """List the fault kinds a timeline can use, with their parameters, and the change kinds."""
    from dojo.scenario.model import CHANGE_KINDS
    from dojo.telemetry.changes import CHANGE_PARAMS
    from dojo.telemetry.faults import FAULTS

    kinds = [FAULTS[name] for name in sorted(FAULTS)]
    if as_json:
        doc = {
            "faults": [
                {
                    "name": k.name,
                    "description": k.description,
                    "taxonomy": k.taxonomy,
                    "params": [
                        {
                            "name": p.name,
                            "type": p.type.__name__,
                            "default": p.default,
                            "min": p.min,
                            "max": p.max,
                            "help": p.help,
                        }
                        for p in k.params.values()
                    ],
                }
                for k in kinds
            ],
            "changes": list(CHANGE_KINDS),
            "change_params": [
                {"name": p.name, "type": p.type.__name__, "default": p.default, "help": p.help}
                for p in CHANGE_PARAMS.values()
            ],
        }
        echo(json.dumps(doc, indent=2))
        return
    if not kinds:
        echo("no fault kinds registered", err=True)
    for k in kinds:
        echo(f"{k.name}  {k.description}")
        for p in k.params.values():
            limits = f"  [{_bound(p.min)}..{_bound(p.max)}]" if p.min is not None or p.max is not None else ""
            echo(f"    {p.name}: {p.type.__name__} = {p.default!r}{limits}  {p.help}")
    echo(f"changes (harmless without params): {', '.join(CHANGE_KINDS)}")
    for p in CHANGE_PARAMS.values():
        echo(f"    {p.name}: {p.type.__name__}  {p.help}")


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
