"""`dojo import`: bring real logs, metrics and traces into a scenario."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from .common import echo, end_cleanly_on_sigterm, fail
from .sanitize import LIMITS


@click.command("import", epilog=LIMITS + " No file over DOJO_MAX_IMPORT_MB (200) MB is imported.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="INPUTS...")
@click.option(
    "--scenario",
    "scenario_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The scenario file to attach the signals to.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        [
            "auto",
            "log",
            "jsonl",
            "csv",
            "otlp-logs",
            "otlp-metrics",
            "otlp-traces",
            "jaeger",
            "prometheus",
            "prometheus-text",
            "prometheus-remote",
            "loki",
            "cloudwatch",
            "cloudtrail",
            "k8s-events",
            "changes",
        ]
    ),
    default="auto",
    show_default=True,
    help="The input format (auto: sniffed per file).",
)
@click.option("--service", default=None, help="Service name for records that carry none (default: the file's name).")
@click.option(
    "--year",
    type=click.IntRange(1970, 2100),
    default=None,
    help="Year for syslog timestamps, which have none (default: this year).",
)
@click.option(
    "--replace",
    "replace",
    default="",
    help=(
        "Comma-separated signals the import replaces (logs,metrics,traces,events; one with no file becomes none); the "
        "others are mixed with synthetic ones."
    ),
)
@click.option(
    "--no-sanitize",
    is_flag=True,
    help="Keep the material as it is. Only for data that holds no personal data or secrets.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="OLD=NEW",
    help=(
        "Call a real service (or metric) OLD by the scenario's NEW; OLD may be a glob. Repeatable. Pod, ECS and "
        "per-file names are mapped by rule first (checkout-7d9f8b6c5-x2x9q -> checkout)."
    ),
)
@click.option("--secret", default=None, help="Secret for consistent pseudonyms across runs (see 'dojo sanitize').")
def import_cmd(
    inputs: tuple[Path, ...],
    scenario_path: Path,
    fmt: str,
    service: str | None,
    year: int | None,
    replace: str,
    no_sanitize: bool,
    maps: tuple[str, ...],
    secret: str | None,
) -> None:
    """Import real telemetry INPUTS (files, or folders of them) into a scenario. Each file is sniffed
    and read by its own rules: plain logs (ISO 8601, syslog, Apache/nginx access and error, ALB/ELB,
    BGL, HDFS, epoch timestamps), JSON lines (nested or prefixed levels), journald JSON, Loki
    query_range, CloudWatch Logs and CloudTrail exports, OTLP JSON logs/metrics/traces, Jaeger
    JSON, Prometheus range-query, remote-read JSON and text exposition, Kubernetes events, deploy
    and config-change lists, and CSV files by their header (logs, spans, metrics, changes); gzip
    files are read as the text inside. Symbolic links inside folders are not followed.

    Each file is sanitized before it is read (no IPs, e-mails, user names, tokens... left). Pod,
    task and per-file names become service names by rule (--map for the rest); a warning names
    any service or metric the scenario does not have. The signals are written beside the scenario
    in <scenario>.signals/ and the scenario's `imports:` points at them. A run replaces the kinds
    of signal it brings and keeps those an earlier run brought. A report says what was read and
    what was skipped, and why; a CSV whose quoting would lose rows stops the import at its line.
    See docs/import.md."""
    from dojo.scenario.model import SIGNAL_KINDS

    kinds = [k.strip() for k in replace.split(",") if k.strip()]
    bad = [k for k in kinds if k not in SIGNAL_KINDS]
    if bad:
        fail(f"--replace: {', '.join(bad)} is not one of logs, metrics, traces, events", 2)
    if not scenario_path.is_file():
        fail(f"{scenario_path}: no such scenario file; create one with 'dojo new'", 2)
    from dojo.importer.names import Mapping

    try:
        mappings = [Mapping.parse(m) for m in maps]
    except ValueError as exc:
        fail(str(exc), 2)
    inputs, links = _files(inputs)
    from dojo.folderlock import FolderBusy, folder_lock

    end_cleanly_on_sigterm()
    try:
        with folder_lock(scenario_path.parent):
            _import(inputs, scenario_path, fmt, service, year, kinds, no_sanitize, secret, mappings, links)
    except FolderBusy:
        fail(f"{scenario_path.parent}: another dojo import is writing beside this scenario; wait for it to finish", 2)


def _import(
    inputs, scenario_path: Path, fmt: str, service, year, kinds: list[str], no_sanitize: bool, secret, mappings, links
) -> None:
    from dojo.importer.csvfiles import QuotingError
    from dojo.importer.names import rename
    from dojo.importer.readers import FileReport
    from dojo.importer.run import ImportResult, imports_block, read_file, set_imports, write
    from dojo.telemetry.export import atomic_write

    # The scenario must be sound before anything is written beside it.
    raw = scenario_path.read_bytes()
    parsed = _scenario_or_exit(raw, scenario_path)
    earlier = parsed.imports
    text = raw.decode("utf-8")  # the loader has just proved it is UTF-8

    import pyarrow as pa

    from dojo.importer.progress import Progress

    # Arrow's default allocator keeps what the writer frees for reuse: 65 MB more peak on a 50 MB log.
    pa.set_memory_pool(pa.system_memory_pool())

    result = ImportResult()
    progress = Progress(sum(_size(p) for p in inputs), "reading")
    for link in links:
        rep = FileReport(str(link), notes=["not read: a symbolic link inside a folder; give its target to import it"])
        rep.skip("whole file: symbolic link not followed")
        result.reports.append(rep)
    out = scenario_path.parent / f"{scenario_path.stem}.signals"
    with tempfile.TemporaryDirectory() as tmp:
        pseudonyms = None
        if no_sanitize:
            sources = {p: p for p in inputs}
        else:
            # The raw files are scrubbed first, each line in its own context (an access log's user
            # is known by its place at the start of a line), and only then parsed.
            from dojo.sanitize.api import sanitize_files

            progress.phase(f"sanitizing {len(inputs)} file(s), {progress.total / 1e6:,.1f} MB ...")
            scrubbed = sanitize_files(list(inputs), Path(tmp) / "scrubbed", secret=secret)
            sources, pseudonyms = scrubbed.files, scrubbed.pseudonyms
            for p, why in scrubbed.refused.items():
                rep = FileReport(str(p), notes=[f"not read: the sanitizer refused it ({why})"])
                rep.skip("whole file: refused by the sanitizer")
                result.reports.append(rep)
        for p in inputs:
            if p in sources:
                try:
                    read_file(sources[p], result, fmt=fmt, service=service, year=year, name=str(p), progress=progress)
                except QuotingError as exc:
                    progress.close()
                    fail(f"{exc}; nothing was imported")
        progress.phase(f"writing {len(result.logs) + len(result.points) + len(result.spans):,} records ...")
        renames = rename(result, mappings)
        staged = write(result, Path(tmp) / "staged")
        progress.close()
        if not staged:
            _report(result)
            fail("nothing to import: no file held records the dojo can read (see the report above)")
        out.mkdir(exist_ok=True)
        files = {}
        for kind, path in staged.items():
            files[kind] = out / path.name
            _replace(path, files[kind])
        if pseudonyms is not None:
            _merge_pseudonyms(pseudonyms, out / pseudonyms.name)
    _report(result)
    for line in renames:
        echo(f"named: {line}")
    # Signals imported before and not imported now stay, with their replace setting.
    kept = {
        k: v
        for k, v in (earlier.files() if earlier else {}).items()
        if k not in files and (scenario_path.parent / v).is_file()
    }
    replace_all = [k for k in (earlier.replace if earlier else []) if k in kept and k not in kinds] + kinds
    block = imports_block(
        {**{k: scenario_path.parent / v for k, v in kept.items()}, **files}, scenario_path.parent, replace_all
    )
    with atomic_write(scenario_path) as fh:
        fh.write(set_imports(text, block))
    echo(f"wrote {', '.join(str(f) for f in files.values())}")
    if kept:
        echo(f"kept from an earlier import: {', '.join(kept.values())}")
    echo(f"set imports: in {scenario_path}" + ("" if not no_sanitize else " (NOT sanitized)"))
    _check_window(result, parsed)
    _warn_names(result, parsed)


def _warn_names(result, sc) -> None:
    """Warn about imported services and metrics the scenario (`sc`, as parsed before the import:
    its services are what matter) does not have, from what was just read."""
    from dojo.telemetry.imported import name_warnings

    services = {
        "logs": result.logs.services(),
        "metrics": list(dict.fromkeys(p.service for p in result.points)),
        "traces": list(dict.fromkeys(s.service for s in result.spans)),
        "events": list(dict.fromkeys(c.service for c in result.changes)),
    }
    for line in name_warnings(sc, services, list(dict.fromkeys(p.metric for p in result.points))):
        echo(f"warning: {line}", err=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _files(inputs: tuple[Path, ...]) -> tuple[tuple[Path, ...], list[Path]]:
    """The files to read: each file given, and the files in each folder given (all levels, in
    name order, hidden ones left out); and the symbolic links met inside folders, which are not
    followed (as `dojo sanitize` does not: a link may point anywhere, outside the bundle)."""
    files: list[Path] = []
    links: list[Path] = []
    for p in inputs:
        if p.is_dir():
            found = []
            for f in sorted(p.rglob("*")):
                if any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                if f.is_symlink():
                    links.append(f)
                elif f.is_file():
                    found.append(f)
            if not found:
                fail(f"{p}: the folder holds no files to import" + (" (only symbolic links)" if links else ""), 2)
            files += found
        elif p.is_file():
            files.append(p)
        else:
            fail(f"{p}: no such file or folder" if not p.exists() else f"{p}: not a regular file or folder", 2)
    return tuple(files), links


def _scenario_or_exit(raw: bytes, path: Path):
    import dojo.telemetry  # noqa: F401 - lends the loader the fault library (dojo.scenario.hooks)
    from dojo.scenario import ScenarioErrors
    from dojo.scenario.loader import parse_scenario

    try:
        return parse_scenario(raw, str(path))
    except ScenarioErrors as exc:
        for err in exc.errors:
            echo(str(err), err=True)
        echo("dojo: nothing imported; fix the scenario first ('dojo validate')", err=True)
        sys.exit(1)


def _merge_pseudonyms(new: Path, target: Path) -> None:
    """Keep every pseudonym any import put in the folder, so `dojo sanitize --check` passes on it."""
    from dojo.telemetry.export import atomic_write

    lines = target.read_text(encoding="utf-8", errors="surrogateescape").splitlines() if target.is_file() else []
    seen = set(lines)
    for line in new.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if line not in seen:
            seen.add(line)
            lines.append(line)
    with atomic_write(target) as fh:
        fh.write("\n".join(lines) + "\n")


def _replace(src: Path, dst: Path) -> None:
    """Copy src over dst so that a reader (or a kill) sees the old file or the new one, never half."""
    from dojo.telemetry.export import atomic_write

    with open(src, "rb") as fh, atomic_write(dst, "wb") as out:
        shutil.copyfileobj(fh, out, 16 << 20)


def _report(result) -> None:
    for rep in result.reports:
        if rep.format == "(all files)":
            for note in rep.notes:
                echo(f"{rep.path}, all files: {note}")
            continue
        echo(f"{rep.path}: {rep.format or '?'}: {rep.records:,} record(s)")
        for reason, n in rep.skipped.items():
            echo(f"  skipped {n:,}: {reason}")
        for note in rep.notes:
            echo(f"  note: {note}")


def _check_window(result, sc) -> None:
    """Say plainly when the imported times fall outside the scenario's clock (`sc`: the scenario as
    parsed before the import; its start and duration are what matter, and reading the signals
    back just to compare times would cost as much again as the import)."""
    span = result.time_range()
    if span is None:
        return
    first, last = span
    offset = (first - sc.start).total_seconds()
    end = (last - sc.start).total_seconds()
    if offset < 0 or end > sc.duration:
        echo(
            f"note: the imported signals run from {first:%Y-%m-%dT%H:%M:%SZ} to {last:%Y-%m-%dT%H:%M:%SZ}; "
            f"the scenario starts at {sc.start:%Y-%m-%dT%H:%M:%SZ} and lasts {sc.duration:g}s, so rows outside are "
            "dropped. "
            f"Set start: {first:%Y-%m-%dT%H:%M:%SZ} and a duration that covers them."
        )
