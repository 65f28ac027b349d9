"""`dojo lint`: prove scenarios fair on their synthesized signals."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from .common import echo
from .library import _PATHS, _files, _load_all

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def keypath_loc(keypath: str) -> tuple:
    """'answer.evidence[0]' -> ('answer', 'evidence', 0), the loader's location form."""
    return tuple(int(idx) if idx else name for name, idx in _PART.findall(keypath))


def is_builtin(path: Path) -> bool:
    """A scenario of the built-in library (its debrief is held to the telemetry as an error)."""
    from dojo.scenario.loader import builtin_dir

    try:
        return path.resolve().is_relative_to(builtin_dir().resolve())
    except OSError:
        return False


@click.command("lint")
@_PATHS
@click.option("--strict", is_flag=True, help="Treat warnings as findings that fail the lint.")
@click.option(
    "--difficulty",
    "show_difficulty",
    is_flag=True,
    help="Also print each scenario's measured difficulty and its factors (docs/scoring.md).",
)
def lint_cmd(paths: tuple[Path, ...], strict: bool, show_difficulty: bool) -> None:
    """Prove scenarios fair (default: the built-in ones).

    Synthesizes each scenario and checks that every evidence selector matches after the fault's
    onset and not (or far more rarely) before it; that accepted answers name a service and fault
    the scenario has; that red herrings do not show the answer's evidence; that every alert
    fires and the page comes after the onset; that a scenario tagged postmortem names its
    source; and that the evidence holds up (each line in its service's voice, SQL that parses on
    tables the database owns, routes the topology has, no success slower than its callers wait,
    no numbers without traffic). It also measures the difficulty (hops, signals, services
    moving, red herrings, a quiet cause, evidence delay, the scripted reasoner's steps) and warns
    when the stars are more than one away from it. A debrief that writes a time without its clock
    (T+mm:ss or hh:mm UTC) or a latency the charts never show is a warning, an error for a
    built-in scenario. One line per finding, `file:line: key:
    message`; exit 1 when any scenario is unfair (warnings too with --strict)."""
    from dojo.authoring.difficulty import difficulty_findings, measure, reasoner_steps
    from dojo.authoring.lint import Finding, hostile_text, lint
    from dojo.scenario.yamlsafe import read_yaml

    # Through the incident cache, as play does: linting a scenario again while writing its
    # debrief, or one already played, does not synthesize it again.
    from dojo.telemetry.cache import synthesize_cached as synthesize

    files, errors = _files(paths)
    loaded, load_errors = _load_all(files, budget=True)
    errors += load_errors
    for err in errors:
        echo(str(err))
    unfair = 0
    for path, sc in loaded:
        tel = synthesize(sc)
        doc = read_yaml(path.read_bytes(), str(path))
        played: list[Finding] = []
        try:
            steps = reasoner_steps(sc, tel)
        except Exception as exc:  # noqa: BLE001 - a player's bug must not hide the scenario's findings
            steps = None
            played.append(
                Finding(
                    "difficulty",
                    f"the scripted reasoner failed ({type(exc).__name__}: {exc}); measured without its steps",
                    "warning",
                )
            )
        measured = measure(sc, tel, steps)
        if show_difficulty:
            echo(f"{path}: difficulty: {sc.difficulty} star{'s' * (sc.difficulty != 1)}, {measured.describe()}")
        checked = lint(sc, tel, strict_debrief=is_builtin(path))
        located = [(keypath_loc(f.keypath), f) for f in checked + played + difficulty_findings(sc, measured)]
        located += hostile_text(doc.data)
        findings = [f for _, f in located]
        failing = [f for f in findings if f.severity == "error" or strict]
        for loc, f in located:
            label = "" if f.severity == "error" else "warning: "
            echo(f"{path}:{doc.line_of(loc)}: {f.keypath}: {label}{f.message}")
        unfair += bool(failing)
    total = len(files)
    if errors or unfair:
        echo(f"{unfair + len({e.path for e in errors})} of {total} scenario{'s' * (total != 1)} unfair or invalid")
        sys.exit(1)
    echo(f"{total} scenario{'s' * (total != 1)} fair")
