"""dojo sanitize: real incident artifacts in, scenario material out, with no personal data left.

A thin shell over dojo.sanitize: options are checked here and every bad one ends in one line on
stderr and exit 2; the work and its rules live in the package.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .common import echo

if TYPE_CHECKING:
    from dojo.sanitize.run import Options

SECRET_ENV = "DOJO_SANITIZE_SECRET"


def _fail(message: str, code: int = 2) -> NoReturn:
    echo(f"dojo sanitize: {message}", err=True)
    sys.exit(code)


LIMITS = (
    "Limits (environment variables): a gzip input decompresses to at most DOJO_MAX_GUNZIP_RATIO (100) times its "
    "size and DOJO_MAX_GUNZIP_MB (2000) MB; a line, or a JSON document read whole, is at most DOJO_MAX_LINE_MB "
    "(256) MB. Past them the file is refused in one line."
)


@click.command("sanitize", context_settings={"help_option_names": ["-h", "--help"]}, epilog=LIMITS)
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Folder for the sanitized files and report.json.")
@click.option(
    "--secret", envvar=SECRET_ENV, help=f"Key for the pseudonyms: same secret, same pseudonyms (or ${SECRET_ENV})."
)
@click.option("--shift", "shift_text", metavar="DURATION", help="Move every timestamp by this much: -3d, 2h, +1h30m.")
@click.option(
    "--mapping", type=click.Path(path_type=Path), help="Also write original -> pseudonym here (holds the originals!)."
)
@click.option(
    "--keep", multiple=True, metavar="VALUE", help="A value to leave as it is (a service name, say); repeatable."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["plain", "jsonl", "csv", "json"]),
    help="Force the format (default: by name and content).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    help=(
        "Worker processes for large files (default: 1, which already uses two cores; with 4+ free cores, all but one, "
        "at most 4)."
    ),
)
@click.option(
    "--real-key-prefixes",
    is_flag=True,
    help="Key pseudonyms keep the vendor's prefix (sk_live_, AKIA, xoxb-): secret scanners will flag them.",
)
@click.option("--check", is_flag=True, help="Scan INPUTS for leftovers instead; exit 1 if any is found.")
@click.option(
    "--allow",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With --check: a pseudonyms.txt to accept; repeatable.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
def sanitize_cmd(
    inputs: tuple[Path, ...],
    out: Path | None,
    secret: str | None,
    shift_text: str | None,
    mapping: Path | None,
    keep: tuple[str, ...],
    fmt: str | None,
    jobs: int | None,
    real_key_prefixes: bool,
    check: bool,
    allow: tuple[Path, ...],
    quiet: bool,
) -> None:
    """Scrub logs, JSON lines, CSV, OTLP and Jaeger JSON (gzip too) of IPs, e-mails, host and user
    names, UUIDs, keys, tokens, passwords, private keys, cards, MACs, AWS accounts, machine and
    project ids, Kubernetes pods, phones, national ids (US SSN, UK NINO, EU and other ids by their
    checksums), birth dates and people's names under their keys, with consistent look-alike
    pseudonyms (keys without their vendor's prefix, see --real-key-prefixes). On a terminal, a
    progress bar for inputs of 8 MB or more.

    \b
      dojo sanitize incident/*.log --out scenarios/x/artifacts --secret "$KEY" --shift -30d
      dojo sanitize --check scenarios/x/artifacts
    """
    if not inputs:
        _fail("no input files; give files or folders to " + ("check" if check else "sanitize"))
    if check:
        for flag, value in (
            ("--out", out),
            ("--mapping", mapping),
            ("--shift", shift_text),
            ("--format", fmt),
            ("--real-key-prefixes", real_key_prefixes),
        ):
            if value:
                _fail(f"{flag} does not go with --check")
        _check(list(inputs), keep, list(allow), quiet)
        return
    if allow:
        _fail("--allow goes with --check")
    if out is None:
        _fail("missing --out DIR: the folder for the sanitized files")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: --out must be a folder, and this is a file")
    from .common import end_cleanly_on_sigterm

    end_cleanly_on_sigterm()
    options = _options(out, secret, shift_text, mapping, keep, fmt, jobs)
    if real_key_prefixes:
        from dataclasses import replace

        options = replace(options, real_key_prefixes=True)
    _sanitize(list(inputs), options, quiet)


def _options(
    out: Path,
    secret: str | None,
    shift_text: str | None,
    mapping: Path | None,
    keep: tuple[str, ...],
    fmt: str | None,
    jobs: int | None,
) -> Options:
    """The run's Options from the command line (the domain imported only now)."""
    from dojo.sanitize.run import Options, default_jobs
    from dojo.sanitize.timeshift import ShiftError, parse_shift

    shift = None
    if shift_text is not None:
        try:
            shift = parse_shift(shift_text)
        except ShiftError as exc:
            _fail(str(exc))
    return Options(
        out=out,
        secret=(secret or secrets.token_hex(32)).encode(),
        secret_given=bool(secret),
        shift=shift,
        shift_text=shift_text,
        keep=keep,
        mapping=mapping,
        jobs=jobs or default_jobs(),
        fmt=fmt,
    )


def _sanitize(inputs: list[Path], options: Options, quiet: bool) -> None:
    from dojo.importer.progress import Progress
    from dojo.sanitize.run import InputError, sanitize

    out, mapping = options.out, options.mapping
    # dojo import's bar: on a terminal only, for inputs of 8 MB or more; made at the first chunk,
    # when the run knows the total.
    bar: Progress | None = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = Progress(total, "sanitizing")
        bar(done - bar.done)

    def line(text: str) -> None:
        if bar is not None:
            bar.close()  # the file's name on its own line, then the bar again
        echo(text, err=True)

    try:
        report = sanitize(inputs, options, None if quiet else line, None if quiet else advance)
    except InputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or out}: {exc.strerror or exc}", 1)
    finally:
        if bar is not None:
            bar.close()
    if mapping is not None:
        echo(
            f"warning: {mapping} holds the ORIGINAL values (IPs, names, secrets) next to their pseudonyms; "
            "keep it private and never put it in a scenario",
            err=True,
        )
    if not quiet:
        echo(report.render())
        echo(f"report: {out / 'report.json'}")
    for f in report.refused:
        if quiet:
            echo(f"dojo sanitize: refused {f.name}: {f.refused}", err=True)
    if report.refused:
        sys.exit(1)


def _check(paths: list[Path], keep: tuple[str, ...], allow: list[Path], quiet: bool) -> None:
    from dojo.sanitize.check import Checker, files_to_check
    from dojo.sanitize.run import InputError

    for a in allow:
        if not a.is_file():
            _fail(f"{a}: no such file (--allow takes a pseudonyms.txt)")
    try:
        files = files_to_check(paths)
    except InputError as exc:
        _fail(str(exc))
    checker = Checker(keep=keep, allow=allow)
    found = 0
    skipped: list[str] = []
    for path in files:
        for finding in checker.check(path, skipped.append):
            echo(str(finding))
            found += 1
    for msg in skipped:
        echo(f"dojo sanitize: {msg}", err=True)
    if found or skipped:
        # Fail closed: a file that could not be read is not proven clean either.
        echo(f"{found} leftover(s) in {len(files)} file(s), {len(skipped)} not checked", err=True)
        sys.exit(1)
    if not quiet:
        echo(f"no leftovers in {len(files)} file(s)", err=True)
