"""--check: the same detectors, reporting instead of replacing.

A finding is a detected value that is neither kept (localhost, root, documentation ranges, --keep)
nor a pseudonym. Pseudonyms are recognised two ways: the stateless kinds (UUIDs, tokens, JWTs)
carry a checksum tag (tagged.py); the stateful kinds (IPs, names, MACs, cards) are looked up in
the pseudonyms.txt a sanitize run writes beside its outputs, found automatically in the checked
file's folder or above it, or given with --allow. Values are printed masked, never whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import detect, readers
from .detect import Detector
from .finder import Finder
from .keep import Keep
from .patterns import coarse_pattern
from .pseudonyms import normalize
from .readers import GZIP_ERRORS, SNIFF_SIZE, DecompressionLimit, TooLong, binary_reason, iter_chunks, open_input
from .run import PSEUDONYMS_NAME, REPORT_NAME, InputError
from .tagged import TAGGED, is_tagged


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} {self.masked}"


def mask(value: str) -> str:
    """Enough to find it again, never the value: a quarter of it at most, then its length."""
    shown = value[: min(4, len(value) // 4)]
    return f"{shown}{'*' * min(8, len(value) - len(shown))} ({len(value)} chars)"


def load_allowed(path: Path) -> dict[str, set[str]]:
    allowed: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if not line or line.startswith("#") or "\t" not in line:
            continue
        kind, value = line.split("\t", 1)
        allowed.setdefault(kind, set()).add(value)
    return allowed


def files_to_check(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
        if p.is_dir():
            files += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not f.is_symlink() and f.name not in (REPORT_NAME, PSEUDONYMS_NAME)
            )
        elif p.is_file():
            files.append(p)
        else:  # a device or a pipe (/dev/zero) would be read forever: the same refusal as sanitize's
            raise InputError(f"{p}: not a regular file or folder")
    return files


class Checker:
    def __init__(
        self,
        *,
        keep: tuple[str, ...] = (),
        allow: list[Path] = (),  # type: ignore[assignment]
        chunk_size: int | None = None,  # readers.CHUNK_SIZE; tests make it small
    ) -> None:
        self.chunk_size = chunk_size
        self.detector = Detector(timestamps=False)
        self.finder = Finder(coarse_pattern(timestamps=False))
        self.keep = Keep(frozenset(keep))
        self.explicit: dict[str, set[str]] = {}
        for a in allow:
            for kind, values in load_allowed(a).items():
                self.explicit.setdefault(kind, set()).update(values)
        self._near: dict[Path, dict[str, set[str]]] = {}
        self._cache: dict[bytes, list[tuple[str, str]]] = {}

    def check(self, path: Path, skipped: Callable[[str], None]) -> Iterator[Finding]:
        try:
            with open_input(path) as fh:
                yield from self._check(path, fh, skipped)
        except GZIP_ERRORS as exc:
            skipped(f"{path}: not fully checked, corrupt or truncated gzip ({exc})")
        except DecompressionLimit as exc:
            skipped(f"not fully checked: {exc}")
        except TooLong as exc:
            skipped(f"{path}: not fully checked, {exc}")

    def _check(self, path: Path, fh: BinaryIO, skipped: Callable[[str], None]) -> Iterator[Finding]:
        reason = binary_reason(fh.read(SNIFF_SIZE))
        if reason is not None:
            skipped(f"{path}: skipped, {reason}")
            return
        fh.seek(0)
        allowed = self._allowed_near(path)
        line = 1
        for chunk in iter_chunks(fh, self.chunk_size or readers.CHUNK_SIZE):
            pieces = self.finder.split(chunk)
            for i, piece in enumerate(pieces):
                if i % 2 == 0:
                    line += piece.count(b"\n")
                    continue
                for kind, value in self._leftovers(piece, allowed):
                    yield Finding(path, line, kind, mask(value))
                line += piece.count(b"\n")  # a PEM block is one candidate over several lines

    def _leftovers(self, cand: bytes, allowed: dict[str, set[str]]) -> list[tuple[str, str]]:
        found = self._cache.get(cand)
        if found is None:
            text = cand.decode("utf-8", "surrogateescape")
            found = [
                (kind, text[start:end])
                for kind, start, end in self.detector.parts(text)
                if kind != detect.TIMESTAMP and not self.keep(kind, text[start:end])
            ]
            if len(self._cache) < 500_000:
                self._cache[cand] = found
        return [(k, v) for k, v in found if not self._pseudonym(k, v, allowed)]

    def _pseudonym(self, kind: str, value: str, allowed: dict[str, set[str]]) -> bool:
        if kind in TAGGED:
            return is_tagged(value, kind)
        try:
            key = normalize(kind, value)
        except ValueError:
            return False
        return key in allowed.get(kind, ()) or key in self.explicit.get(kind, ())

    def _allowed_near(self, path: Path) -> dict[str, set[str]]:
        """The pseudonyms.txt in the file's folder or the nearest one above it."""
        folder = path.resolve().parent
        if folder not in self._near:
            found: dict[str, set[str]] = {}
            for d in (folder, *folder.parents):
                candidate = d / PSEUDONYMS_NAME
                if candidate.is_file():
                    found = load_allowed(candidate)
                    break
            self._near[folder] = found
        return self._near[folder]
