"""`dojo import`: bring real logs, metrics and traces into a scenario."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from .common import fail


@click.command("import")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scenario", "scenario_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The scenario file to attach the signals to.")
@click.option("--format", "fmt", type=click.Choice(["auto", "log", "jsonl", "csv", "otlp-logs", "otlp-metrics", "otlp-traces", "jaeger", "prometheus"]), default="auto", show_default=True, help="The input format (auto: sniffed per file).")
@click.option("--service", default=None, help="Service name for records that carry none (default: the file's name).")
@click.option("--year", type=click.IntRange(1970, 2100), default=None, help="Year for syslog timestamps, which have none (default: this year).")
@click.option("--replace", "replace", default="", help="Comma-separated signals the import replaces (logs,metrics,traces); the others are mixed with synthetic ones.")
@click.option("--no-sanitize", is_flag=True, help="Keep the material as it is. Only for data that holds no personal data or secrets.")
@click.option("--secret", default=None, help="Secret for consistent pseudonyms across runs (see 'dojo sanitize').")
def import_cmd(inputs: tuple[Path, ...], scenario_path: Path, fmt: str, service: str | None, year: int | None, replace: str, no_sanitize: bool, secret: str | None) -> None:
    """Import real telemetry INPUTS into a scenario: plain logs (ISO 8601, syslog, Apache/nginx,
    epoch timestamps), JSON lines logs, OTLP JSON logs/metrics/traces, Jaeger JSON traces,
    Prometheus range-query JSON and CSV metrics (a time column, one column per series).

    The signals are sanitized (no IPs, e-mails, user names, tokens... left), written beside the
    scenario in <scenario>.signals/, and the scenario's `imports:` is set to them. A report says
    what was read and what was skipped, and why."""
    from dojo.importer.run import ImportResult, imports_block, read_file, set_imports, write

    kinds = [k.strip() for k in replace.split(",") if k.strip()]
    bad = [k for k in kinds if k not in ("logs", "metrics", "traces", "events")]
    if bad:
        fail(f"--replace: {', '.join(bad)} is not one of logs, metrics, traces, events", 2)
    if not scenario_path.is_file():
        fail(f"{scenario_path}: no such scenario file; create one with 'dojo new'", 2)
    for p in inputs:
        if not p.is_file():
            fail(f"{p}: no such file", 2)

    result = ImportResult()
    for p in inputs:
        read_file(p, result, fmt=fmt, service=service, year=year)
    out = scenario_path.parent / f"{scenario_path.stem}.signals"
    with tempfile.TemporaryDirectory() as tmp:
        staged = write(result, Path(tmp))
        if not staged:
            _report(result)
            fail("nothing to import: no file held records the dojo can read (see the report above)")
        if not no_sanitize:
            staged = _sanitize(staged, secret)
        out.mkdir(exist_ok=True)
        files = {}
        for kind, path in staged.items():
            files[kind] = out / path.name
            shutil.copyfile(path, files[kind])
    _report(result)
    text = scenario_path.read_text(encoding="utf-8")
    scenario_path.write_text(set_imports(text, imports_block(files, scenario_path.parent, kinds)), encoding="utf-8")
    click.echo(f"wrote {', '.join(str(f) for f in files.values())}")
    click.echo(f"set imports: in {scenario_path}" + ("" if not no_sanitize else " (NOT sanitized)"))
    _check_window(result, scenario_path)


def _sanitize(staged: dict[str, Path], secret: str | None) -> dict[str, Path]:
    from dojo.sanitize.api import SanitizeRefused, sanitize_files

    out_dir = next(iter(staged.values())).parent / "sanitized"
    try:
        mapping = sanitize_files(list(staged.values()), out_dir, secret=secret)
    except SanitizeRefused as exc:
        fail(f"not imported: the sanitizer refused {exc}; nothing was written")
    return {kind: mapping[path] for kind, path in staged.items()}


def _report(result) -> None:
    for rep in result.reports:
        click.echo(f"{rep.path}: {rep.format or '?'}: {rep.records:,} record(s)")
        for reason, n in rep.skipped.items():
            click.echo(f"  skipped {n:,}: {reason}")
        for note in rep.notes:
            click.echo(f"  note: {note}")


def _check_window(result, scenario_path: Path) -> None:
    """Say plainly when the imported times fall outside the scenario's clock."""
    from dojo.scenario import ScenarioErrors, load_scenario

    span = result.time_range()
    try:
        sc = load_scenario(scenario_path)
    except ScenarioErrors as exc:
        for err in exc.errors:
            click.echo(str(err), err=True)
        sys.exit(1)
    if span is None:
        return
    first, last = span
    offset = (first - sc.start).total_seconds()
    end = (last - sc.start).total_seconds()
    if offset < 0 or end > sc.duration:
        click.echo(
            f"note: the imported signals run from {first:%Y-%m-%dT%H:%M:%SZ} to {last:%Y-%m-%dT%H:%M:%SZ}; "
            f"the scenario starts at {sc.start:%Y-%m-%dT%H:%M:%SZ} and lasts {sc.duration:g}s, so rows outside are dropped. "
            f"Set start: {first:%Y-%m-%dT%H:%M:%SZ} and a duration that covers them."
        )
