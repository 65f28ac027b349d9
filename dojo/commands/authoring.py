"""`dojo new` and `dojo preview`: the instructor's commands, thin shells over dojo.authoring."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .common import echo, fail, load_or_exit


class OneLineCommand(click.Command):
    """Usage errors as one line (`dojo: ...`, exit 2) rather than click's usage block."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            fail(exc.format_message(), 2)


def interactive() -> bool:
    """Ask for what is missing only when someone is there to answer."""
    return sys.stdin.isatty()


# -- dojo new ---------------------------------------------------------------------------------


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from dojo.scenario.durations import DurationError, parse_duration

    try:
        return parse_duration(value)
    except DurationError as exc:
        raise click.BadParameter(str(exc)) from None


def _ask_fault() -> str:
    from dojo.telemetry.faults import FAULTS

    for name, kind in sorted(FAULTS.items()):
        echo(f"  {name:<28} {kind.description}")
    return click.prompt("Fault kind", type=click.Choice(sorted(FAULTS)), show_choices=False)


def _ask_services() -> str:
    from dojo.authoring.new import PRESETS, ScaffoldError, parse_services

    def check(value: str) -> str:
        try:
            parse_services(value)
        except ScaffoldError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    echo(f"Services: a preset ({', '.join(PRESETS)}) or name:kind,... like web:lb,api:http,db:db")
    return click.prompt("Services", default="shop", value_proc=check)


def _ask_service(services: str) -> str | None:
    from dojo.authoring.new import parse_services

    names = [n.name for n in parse_services(services)]
    choice = click.prompt(
        "Where the fault strikes (auto: the first service where it shows)",
        type=click.Choice(["auto", *names]),
        default="auto",
    )
    return None if choice == "auto" else choice


def _missing(flag: str, what: str) -> NoReturn:
    fail(f"missing {flag} {what}; stdin is not a terminal, so dojo new cannot ask", 2)


@click.command("new", cls=OneLineCommand)
@click.option("--id", "id_", metavar="SLUG", help="Scenario id: lowercase letters, digits and dashes.")
@click.option("--title", help="One line for the library; default from the fault and service.")
@click.option("--services", metavar="SPEC", help="A preset (minimal, shop, jobs) or name:kind,... [default: shop]")
@click.option("--fault", metavar="KIND", help="The fault kind (see 'dojo faults').")
@click.option("--service", metavar="NAME", help="Where the fault strikes; default the first service where it shows.")
@click.option("--difficulty", type=click.IntRange(1, 5), help="1 (gentle) .. 5 [default: 2]")
@click.option(
    "--duration", default="30m", show_default=True, callback=_duration, help="Simulated length (at least 10m)."
)
@click.option(
    "--rps", type=click.FloatRange(0.1, 5000), default=20.0, show_default=True, help="Entry traffic per entry service."
)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write [default: scenarios/<id>.yaml]"
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def new_cmd(
    id_: str | None,
    title: str | None,
    services: str | None,
    fault: str | None,
    service: str | None,
    difficulty: int | None,
    duration: float,
    rps: float,
    seed: int,
    out: Path | None,
    force: bool,
) -> None:
    """Scaffold a scenario file that validates and lints clean as written, with comments that
    teach the format. In a terminal, asks for what the flags leave out."""
    from dojo.authoring.new import FlagError, Options, ScaffoldError, default_title, scaffold

    ask = interactive()
    if fault is None:
        fault = _ask_fault() if ask else _missing("--fault", "KIND (see 'dojo faults')")
    if services is None:
        services = _ask_services() if ask else "shop"
    if service is None and ask:
        service = _ask_service(services)
    if id_ is None:
        suggestion = f"{service or 'my'}-{fault.replace('_', '-')}"
        id_ = (
            click.prompt("Scenario id", default=suggestion)
            if ask
            else _missing("--id", "SLUG (like checkout-pool-exhausted)")
        )
    if title is None and ask:
        title = click.prompt("Title", default=default_title(fault, service or "a service"))
    if difficulty is None:
        difficulty = click.prompt("Difficulty (1..5)", type=click.IntRange(1, 5), default=2) if ask else 2
    out = out or Path("scenarios") / f"{id_}.yaml"
    if out.exists() and not force:
        fail(f"{out} exists; pass --force to overwrite it, or --out another path")

    opts = Options(
        id=id_,
        fault=fault,
        services=services,
        service=service,
        title=title,
        difficulty=difficulty,
        duration=duration,
        rps=rps,
        seed=seed,
    )
    try:
        result = scaffold(opts)
    except FlagError as exc:
        fail(str(exc), 2)
    except ScaffoldError as exc:
        fail(str(exc))
    write_checked(out, result.text)
    from dojo.scenario.durations import format_duration

    echo(
        f"wrote {out}: {fault} on {result.service} at {format_duration(result.onset)}; {result.page} pages at "
        f"{format_duration(result.page_at)}; "
        f"{len(result.scenario.answer.evidence)} evidence selectors; lint clean"
    )
    for note in result.notes:
        echo(f"  note: {note}")
    echo(f"next: edit it, then 'dojo preview {out}'")


def write_checked(out: Path, text: str) -> None:
    """Write `text` to `out` only once the loader and the linter accept it as written, so a
    scaffold that is not clean never lands (that would be a bug in dojo new)."""
    from dojo.authoring.lint import lint
    from dojo.scenario import ScenarioErrors, load_scenario
    from dojo.telemetry.synthesize import synthesize

    tmp = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        try:
            sc = load_scenario(tmp)
        except ScenarioErrors as exc:
            fail(f"the scaffold does not validate (a bug in dojo new): {exc.errors[0]}")
        errors = [f for f in lint(sc, synthesize(sc)) if f.severity == "error"]
        if errors:
            fail(f"the scaffold does not lint clean (a bug in dojo new): {errors[0].keypath}: {errors[0].message}")
        os.replace(tmp, out)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}; choose another --out")
    finally:
        tmp.unlink(missing_ok=True)


# -- dojo preview -----------------------------------------------------------------------------


@click.command("preview", cls=OneLineCommand)
@click.argument("scenario")
@click.option("--markdown", is_flag=True, help="A Markdown document (tables, fenced blocks) for a review.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Override the scenario's seed.")
def preview_cmd(scenario: str, markdown: bool, seed: int | None) -> None:
    """Show what SCENARIO (a file or a built-in id) gives a learner: topology, timeline, alerts,
    sparklines, sample lines and spans of each fault, what its imported signals bring, where the
    evidence matches, lint findings."""
    from dojo.authoring.preview import build, render_markdown, render_text
    from dojo.telemetry.synthesize import synthesize

    sc = load_or_exit(scenario)
    try:
        tel = synthesize(sc, seed=seed)
    except (KeyError, ValueError) as exc:
        # The loader's reference checks catch these first; a file they miss still gets one line.
        fail(f"{scenario}: cannot synthesize: {exc}")
    report = build(sc, tel)
    echo(render_markdown(report) if markdown else render_text(report), nl=False)
