"""A sanitize run: inputs checked up front, each file through its format, outputs and report written.

Every problem with the command line is found before anything is written, and reported as one
line naming the file (InputError, exit 2). Problems with a file's content are not errors: a
binary file is refused, undecodable bytes and broken JSON lines are passed through or scrubbed
as text; all of it is counted in the report.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from dojo.folderlock import FolderBusy, folder_lock

from . import detect, formats, propagate, readers
from .parallel import Engine
from .readers import (
    GZIP_ERRORS,
    SNIFF_SIZE,
    DecompressionLimit,
    TooLong,
    binary_reason,
    iter_chunks,
    open_input,
    plain_name,
)
from .report import MAX_LINE_NUMBERS, FileReport, RunReport

REPORT_NAME = "report.json"
PSEUDONYMS_NAME = "pseudonyms.txt"
RESERVED_NAMES = frozenset({REPORT_NAME, PSEUDONYMS_NAME})
PARALLEL_MIN_BYTES = 16 << 20  # below this, starting workers costs more than it saves


class InputError(Exception):
    """A bad command line: one line, naming the file."""


@dataclass(frozen=True)
class Options:
    out: Path
    secret: bytes
    secret_given: bool
    shift: timedelta | None = None
    shift_text: str | None = None
    keep: tuple[str, ...] = ()
    mapping: Path | None = None
    jobs: int = 1
    fmt: str | None = None
    real_key_prefixes: bool = False  # key pseudonyms keep sk_live_, AKIA, ...: secret scanners will flag them
    chunk_size: int | None = None  # bytes read at a time (readers.CHUNK_SIZE); tests make it small


def default_jobs() -> int:
    """Worker processes for large files: 1 (no workers) unless four or more cores are free now.

    One process already keeps two cores busy (two threads scan ahead while Python replaces), and
    workers scan and replace in turn, so on two cores they are slower (measured: see
    tests/bench/bench_sanitize.py). With four free cores or more, workers take all but one of them
    (the main process fills in the stateful pseudonyms), at most 4.
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    free = round(cores - busy)
    return 1 if free < 4 else min(4, free - 1)


def plan(
    inputs: list[Path], out: Path, mapping: Path | None = None, symlinks: list[Path] | None = None
) -> list[tuple[Path, Path]]:
    """(source, output path relative to out) for every input file; InputError on a bad one.
    symlinks: gets the links inside input folders, which are not followed."""
    out_abs = out.resolve()
    planned: list[tuple[Path, Path]] = []
    seen: dict[Path, Path] = {}
    for given in inputs:
        if not given.exists():
            raise InputError(f"{given}: no such file or directory")
        src = given.resolve()
        if src == out_abs or out_abs in src.parents:
            raise InputError(f"{given}: is inside the output folder {out}")
        if given.is_dir():
            if src in out_abs.parents:
                raise InputError(f"{given}: the output folder {out} is inside it; put the output elsewhere")
            files = sorted(p for p in given.rglob("*") if p.is_file() and not p.is_symlink())
            if symlinks is not None:
                symlinks += sorted(p for p in given.rglob("*") if p.is_symlink())
            pairs = [(p, plain_name(Path(given.resolve().name) / p.relative_to(given))) for p in files]
        elif given.is_file():
            pairs = [(given, plain_name(Path(given.name)))]
        else:
            raise InputError(f"{given}: not a regular file or folder")
        for src_file, rel in pairs:
            if not os.access(src_file, os.R_OK):
                raise InputError(f"{src_file}: cannot be read (permission denied)")
            if str(rel) in RESERVED_NAMES:
                raise InputError(f"{src_file}: is named {rel}, which the report uses; rename it")
            if rel in seen:
                raise InputError(f"{src_file}: has the same name as {seen[rel]}; sanitize them into separate folders")
            seen[rel] = src_file
            planned.append((src_file, rel))
    if mapping is not None:
        m = mapping.resolve()
        if m == out_abs or out_abs in m.parents:
            raise InputError(f"{mapping}: the mapping holds the original values; keep it outside {out}")
        if m in {s.resolve() for s, _ in planned}:
            raise InputError(f"{mapping}: is one of the inputs")
    return planned


# advance(bytes read so far, bytes in all inputs): for a progress bar (the gzip ones count as read
# uncompressed, so the ratio can pass 1).
Advance = Callable[[int, int], None]


def sanitize(
    inputs: list[Path],
    options: Options,
    progress: Callable[[str], None] | None = None,
    advance: Advance | None = None,
) -> RunReport:
    links: list[Path] = []
    report = sanitize_planned(plan(inputs, options.out, options.mapping, links), options, progress, advance)
    if links:
        report.symlinks = [str(link) for link in links]
        report.write(options.out / REPORT_NAME)
    return report


def sanitize_planned(
    pairs: list[tuple[Path, Path]],
    options: Options,
    progress: Callable[[str], None] | None = None,
    advance: Advance | None = None,
) -> RunReport:
    """Each (source, name under `options.out`) through its format, in order, with one set of
    pseudonym tables; the report and pseudonyms.txt are written beside the outputs."""
    options.out.mkdir(parents=True, exist_ok=True)
    try:
        with folder_lock(options.out):
            return _run(pairs, options, progress, advance)
    except FolderBusy:
        raise InputError(
            f"{options.out}: another dojo sanitize is writing into this folder; wait for it to finish or choose "
            "another --out"
        ) from None


def _run(
    pairs: list[tuple[Path, Path]],
    options: Options,
    progress: Callable[[str], None] | None,
    advance: Advance | None = None,
) -> RunReport:
    big = any(src.stat().st_size >= PARALLEL_MIN_BYTES for src, _ in pairs)
    report = RunReport(
        secret="given" if options.secret_given else "random",
        shift=options.shift_text,
        # --mapping needs every pair in one place: one process.
        jobs=options.jobs if big and not options.mapping else 1,
    )
    started = time.perf_counter()
    meter = _Meter(advance, sum(src.stat().st_size for src, _ in pairs)) if advance else None
    with Engine(
        secret=options.secret,
        shift=options.shift,
        keep=options.keep,
        record=options.mapping is not None,
        jobs=report.jobs,
        real_prefixes=options.real_key_prefixes,
    ) as engine:
        engine.start()
        for src, rel in pairs:
            name = _sanitized_name(engine, rel)
            if progress:
                progress(f"{src} -> {options.out / name}")
            report.files.append(
                _one_file(engine, src, options.out / name, name, options.fmt, meter, options.chunk_size)
            )
        _spread_users(engine, options.out, report)
    report.seconds = time.perf_counter() - started
    report.distinct = {kind: len(table) for kind, table in engine.tables.forward.items() if table}
    report.replaced = engine.totals_replaced
    report.kept = engine.totals_kept
    report.timestamps_shifted = engine.totals_shifted
    report.write(options.out / REPORT_NAME)
    _write_pseudonyms(engine, options.out / PSEUDONYMS_NAME)
    if options.mapping is not None:
        _write_mapping(engine, options.mapping)
    return report


def _spread_users(engine: Engine, out: Path, report: RunReport) -> None:
    """A user name replaced anywhere is replaced everywhere (see propagate.py)."""
    names = {k: v for k, v in engine.tables.spellings(detect.USERNAME).items() if propagate.worth_spreading(k)}
    if not names:
        return
    produced = [
        v for kind in (detect.USERNAME, detect.HOSTNAME, detect.EMAIL) for v in engine.tables.spellings(kind).values()
    ]
    spreader = propagate.Spreader(names, produced)
    for fr in report.files:
        if not fr.refused and (out / fr.name).is_file():
            engine.totals_replaced[detect.USERNAME] += spreader.file(out / fr.name)


def _sanitized_name(engine: Engine, rel: Path) -> Path:
    # File names can name people and hosts too (bob@acme.com.log): scrub each part.
    parts = engine.direct.scrub_strings(list(rel.parts))
    engine.take_direct_counts(keep=False)  # names are not content: leave them out of the counts
    return Path(*parts)


class _Meter:
    """Bytes read so far, passed on to the caller's progress bar."""

    def __init__(self, advance: Advance, total: int) -> None:
        self.advance, self.total, self.done = advance, total, 0

    def __call__(self, n: int) -> None:
        self.done += n
        self.advance(self.done, self.total)


def _one_file(
    engine: Engine,
    src: Path,
    dst: Path,
    name: Path,
    forced: str | None,
    meter: _Meter | None = None,
    chunk_size: int | None = None,
) -> FileReport:
    fr = FileReport(name=str(name))
    try:
        with open_input(src) as fh:
            _scrub_file(engine, src, fh, dst, fr, forced, meter, chunk_size)
    except GZIP_ERRORS as exc:
        # Whatever was written of it is gone with its .part; the rest of the run goes on.
        fr.refused = f"corrupt or truncated gzip ({exc}); check it with gzip -t"
    except DecompressionLimit as exc:  # the same: its .part is gone, the other files go on
        fr.refused = str(exc).removeprefix(f"{src}: ")
    except TooLong as exc:
        fr.refused = str(exc)
    return fr


def _scrub_file(
    engine: Engine,
    src: Path,
    fh: BinaryIO,
    dst: Path,
    fr: FileReport,
    forced: str | None,
    meter: _Meter | None = None,
    chunk_size: int | None = None,
) -> None:
    head = fh.read(SNIFF_SIZE)
    if isinstance(fh, gzip.GzipFile):
        fr.add_note("decompressed (gzip)")
    reason = binary_reason(head)
    if reason is not None:
        fr.refused = reason
        return
    fmt = forced or formats.detect_format(plain_name(src), head)
    fr.format = fmt
    fh.seek(0)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    try:
        with open(tmp, "wb") as out:
            if fmt == formats.JSON:
                _json_document(engine, fh, out, fr)
            else:
                ctx = formats.csv_context(engine.direct, plain_name(src), head) if fmt == formats.CSV else None
                chunks = iter_chunks(fh, chunk_size or readers.CHUNK_SIZE, balanced_quotes=fmt == formats.CSV)
                parallel = src.stat().st_size >= PARALLEL_MIN_BYTES
                _write_chunks(engine.run(fmt, _counting(chunks, fr, meter), ctx, parallel=parallel), out, fr)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()


def _counting(chunks: Iterator[bytes], fr: FileReport, meter: _Meter | None = None) -> Iterator[bytes]:
    for chunk in chunks:
        fr.bytes += len(chunk)
        if meter is not None:
            meter(len(chunk))
        yield chunk


def _write_chunks(
    results: Iterator[formats.ChunkResult], out: io.BufferedWriter | io.BufferedIOBase, fr: FileReport
) -> None:
    for res in results:
        out.write(res.data)
        for n in res.fallback_lines:
            if len(fr.json_fallback_at) < MAX_LINE_NUMBERS:
                fr.json_fallback_at.append(fr.lines + n)
        fr.json_fallback_lines += len(res.fallback_lines)
        if res.unclosed_quote and "never closes" not in fr.note:
            fr.add_note(
                f"a quoted field in the lines from {fr.lines + 1} on never closes: they were scrubbed as plain text"
            )
        fr.lines += res.lines
        fr.invalid_utf8_lines += res.invalid_utf8


def _json_document(engine: Engine, fh: BinaryIO, out: io.BufferedWriter, fr: FileReport) -> None:
    # A single JSON document is the one thing read whole: it has to be parsed whole.
    limit = readers.max_line_bytes()
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLong(
            f"a JSON document over {limit / 1e6:,.0f} MB (DOJO_MAX_LINE_MB) is read whole: refused; "
            f"convert it to JSON lines (one record a line) or export a shorter window"
        )
    fr.bytes = len(data)
    fr.lines = data.count(b"\n")
    scrubbed, why = formats.json_document(engine.direct, data)
    engine.take_direct_counts()
    if scrubbed is not None:
        out.write(scrubbed)
        return
    fr.add_note(f"{why}: scrubbed as plain text")
    fr.lines = 0
    _write_chunks(engine.run(formats.PLAIN, iter_chunks(io.BytesIO(data)), None, parallel=False), out, fr)


def _write_pseudonyms(engine: Engine, path: Path) -> None:
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write("# Pseudonyms this run put in place of IPs, names, MACs and cards: no original value.\n")
        fh.write("# dojo sanitize --check accepts them; see docs/sanitize.md.\n")
        for kind, value in engine.tables.pseudonyms():
            fh.write(f"{kind}\t{value}\n")


def _write_mapping(engine: Engine, path: Path) -> None:
    mapping: dict[str, dict[str, str]] = {}
    for kind, pairs in engine.tables.recorded.items():
        mapping.setdefault(kind, {}).update(pairs)
    for kind, pairs in (engine.direct.tagged.recorded or {}).items():
        mapping.setdefault(kind, {}).update(pairs)
    doc = {"warning": "This file holds the ORIGINAL values. Keep it private; never ship it.", "mapping": mapping}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
