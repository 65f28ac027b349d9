"""Sanitizing as a library call, for the importer: files in, scrubbed files out."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .run import PSEUDONYMS_NAME, Options, sanitize_planned


@dataclass
class Scrubbed:
    """Where each input's scrubbed copy is, which inputs were refused and why, and the
    pseudonyms.txt that lets `dojo sanitize --check` accept the pseudonyms."""

    files: dict[Path, Path] = field(default_factory=dict)
    refused: dict[Path, str] = field(default_factory=dict)
    pseudonyms: Path | None = None


def sanitize_files(
    paths: list[Path], out_dir: Path, *, secret: str | None = None, progress: Callable[[int], None] | None = None
) -> Scrubbed:
    """Scrub each file into its own folder under `out_dir` (so two inputs may share a name), with
    one set of pseudonym tables for all of them. A refused file (binary, say) has no scrubbed copy:
    a caller must never fall back to the unscrubbed original. progress: told the bytes of each chunk
    read (a bar such as dojo.importer.progress.Progress takes them)."""
    options = Options(out=out_dir, secret=(secret or secrets.token_hex(32)).encode(), secret_given=bool(secret), jobs=1)
    pairs = [(src, Path(str(i)) / src.name) for i, src in enumerate(paths)]
    advance = None
    if progress is not None:
        told = [0]

        def advance(done: int, total: int) -> None:
            progress(done - told[0])
            told[0] = done

    report = sanitize_planned(pairs, options, advance=advance)
    done = Scrubbed(pseudonyms=out_dir / PSEUDONYMS_NAME)
    for src, fr in zip(paths, report.files):
        if fr.refused:
            done.refused[src] = fr.refused
        else:
            done.files[src] = out_dir / fr.name
    return done
