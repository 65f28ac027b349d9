"""Sanitizing as a library call, for the importer: files in, scrubbed files out, or an error."""

from __future__ import annotations

import secrets
from pathlib import Path

from .run import Options, sanitize


class SanitizeRefused(RuntimeError):
    pass


def sanitize_files(paths: list[Path], out_dir: Path, *, secret: str | None = None) -> dict[Path, Path]:
    """Scrub each file into `out_dir`; returns input path -> scrubbed path. A file the sanitizer
    refuses (binary, unreadable) raises SanitizeRefused: an importer must never fall back to the
    unscrubbed original."""
    options = Options(out=out_dir, secret=(secret or secrets.token_hex(32)).encode(), secret_given=bool(secret), jobs=1)
    report = sanitize(list(paths), options)
    out = {}
    for src, fr in zip(paths, report.files):
        if fr.refused:
            raise SanitizeRefused(f"{src}: {fr.refused}")
        out[src] = out_dir / fr.name
    return out
