"""What every command needs: load a scenario or explain why not, fail with one line."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from dojo.terminal_text import visible


def echo(message: object = "", err: bool = False, nl: bool = True) -> None:
    """`click.echo` for anything a person reads: scenario and imported text in it (titles, paths,
    error messages quoting input) cannot drive the terminal; newlines and tabs stay."""
    text = visible(message)
    # In pieces smaller than the stream's buffer: CPython drops the error of a single large write
    # that fails part-way (ulimit -f, a full disk) and the output would end short with exit 0.
    pieces = [text[at : at + CHUNK] for at in range(0, len(text), CHUNK)] or [""]
    for piece in pieces[:-1]:
        click.echo(piece, err=err, nl=False)
    click.echo(pieces[-1], err=err, nl=nl)


CHUNK = 4096


def positive_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A click callback: '30m', '90s' or '1h30m' as seconds, above zero; None when not given."""
    if value is None:
        return None
    from dojo.scenario.durations import DurationError, parse_duration

    try:
        seconds = parse_duration(value)
    except DurationError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds <= 0:
        raise click.BadParameter("give a positive duration like 30m")
    return seconds


def fail(message: str, code: int = 1) -> NoReturn:
    echo(f"dojo: {message}", err=True)
    sys.exit(code)


def end_cleanly_on_sigterm() -> None:
    """A `kill` (SIGTERM) unwinds like Ctrl-C: half-written files are removed, finished ones stay."""
    import signal

    def stop(signum, frame) -> NoReturn:
        click.echo("dojo: terminated; nothing half-written is left behind", err=True)
        sys.exit(143)

    signal.signal(signal.SIGTERM, stop)


def load_or_exit(ref: str, budget: bool = True):
    """A Scenario from a path or built-in id; on any problem, its errors on stderr and exit 1.
    With `budget`, a scenario whose signals would not fit the size budget is refused here too,
    before any command starts synthesizing it."""
    import dojo.telemetry  # noqa: F401 - lends the loader the fault library (dojo.scenario.hooks)
    from dojo.scenario import ScenarioErrors, load_scenario, resolve_scenario

    try:
        path = resolve_scenario(ref)
        sc = load_scenario(path)
        if budget:
            from dojo.commands.library import check_budget

            check_budget(sc, path)
        return sc
    except ScenarioErrors as exc:
        for err in exc.errors:
            echo(str(err), err=True)
        sys.exit(1)
