"""Reading inputs: decompress gzip, refuse what is not text, cut the rest into chunks of whole lines.

A file is never read whole (except a JSON document, which needs parsing whole): chunks of a few
MB, cut at a newline, so a file larger than memory streams through. A line longer than a chunk
makes that chunk longer, up to max_line_bytes(): past that the file is refused (a 1.4 GB line
would otherwise be held, copied and scanned whole). Bytes stay bytes; decoding happens only where
a format needs it.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 4 << 20
# A PEM block is one candidate of the scan from its BEGIN line to its END line, so a chunk never
# ends inside one: it ends before the block's first line instead, unless the block is still open
# after this many bytes (no key is that long; a 16384-bit RSA key is 13 kB): a BEGIN that never ends.
MAX_PEM = 1 << 20
_PEM_BEGIN, _PEM_END = b"-----BEGIN ", b"-----END "
MAX_OPEN_QUOTE = 64 << 20  # a CSV quoted field longer than this is a stray quote, not a field
SNIFF_SIZE = 64 << 10

GZIP_MAGIC = b"\x1f\x8b"
# What a corrupt or truncated gzip stream raises while it is read.
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (GZIP_MAGIC, "gzip-compressed twice: decompress it first (gunzip)"),
    (b"BZh", "bzip2-compressed: decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed: decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed: decompress it first (unzstd)"),
    (b"PK\x03\x04", "a zip archive: unpack it first"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd4\xc3\xb2\xa1", "a packet capture"),
    (b"\xa1\xb2\xc3\xd4", "a packet capture"),
    (b"\x0a\x0d\x0d\x0a", "a packet capture (pcapng)"),
)
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")
# logrotate's copytruncate leaves a run of NULs where the old content was; that is still a log.
_NUL_RUN = re.compile(rb"\x00{8,}")
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x08\x1b")


# A few MB of gzip can hold gigabytes (5 MB of zeros is 5 GB): decompression stops at whichever
# comes first, this many MB or this many times the compressed size (but never below the floor,
# so small files with very repetitive lines still read). Real logs compress 5-30x.
GUNZIP_MB = 2_000
GUNZIP_RATIO = 100
GUNZIP_FLOOR = 64 << 20


# The longest line, and the largest JSON document read whole (DOJO_MAX_LINE_MB): real log lines
# are kB and exports tens of MB; scrubbing one costs a few times its size in memory.
LINE_MB = 256


class TooLong(Exception):
    """A line (or a JSON document) past max_line_bytes(); the message names the line, not the file."""


def max_line_bytes() -> int:
    return _env_int("DOJO_MAX_LINE_MB", LINE_MB) * 1_000_000


def _line_too_long(line: int, limit: int) -> TooLong:
    return TooLong(
        f"line {line} is longer than {limit / 1e6:,.0f} MB (DOJO_MAX_LINE_MB): refused; a log line is a few kB, "
        f"so this file lost its newlines or is not a log"
    )


class DecompressionLimit(Exception):
    """A gzip input that decompresses past its cap; the message names the file and the limit."""


def _env_int(name: str, default: int) -> int:
    import os

    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def gunzip_cap(compressed: int, max_bytes: int | None = None, max_name: str = "") -> tuple[int, str]:
    """(bytes a gzip of `compressed` bytes may decompress to, the limit that sets it, in words)."""
    limit_mb = _env_int("DOJO_MAX_GUNZIP_MB", GUNZIP_MB)
    ratio = _env_int("DOJO_MAX_GUNZIP_RATIO", GUNZIP_RATIO)
    by_size = limit_mb * 1_000_000 if max_bytes is None else min(max_bytes, limit_mb * 1_000_000)
    by_ratio = max(GUNZIP_FLOOR, compressed * ratio)
    if by_ratio < by_size:
        return by_ratio, f"{ratio}x its compressed size (DOJO_MAX_GUNZIP_RATIO)"
    if max_bytes is not None and max_bytes < limit_mb * 1_000_000:
        return by_size, f"{by_size / 1e6:,.0f} MB ({max_name})" if max_name else f"{by_size / 1e6:,.0f} MB"
    return by_size, f"{by_size / 1e6:,.0f} MB (DOJO_MAX_GUNZIP_MB)"


class CappedGzipFile(gzip.GzipFile):
    """gzip.GzipFile that refuses to decompress past `cap` bytes, checked on every read (a bomb
    never gets further than the cap, whatever reads it: chunks, lines or the whole file)."""

    def __init__(self, path: Path, cap: int, limit: str):
        super().__init__(path, "rb")
        self._path, self._cap, self._limit = path, cap, limit

    def _check(self) -> None:
        if self.tell() > self._cap:
            raise DecompressionLimit(
                f"{self._path}: decompresses to more than {self._limit}: refused (a decompression bomb, or a file "
                f"to split first); raise the limit with the environment variable named if it is real"
            )

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:  # whole file: in steps, so the cap is met before memory is
            parts = []
            while part := self.read(1 << 20):
                parts.append(part)
            return b"".join(parts)
        data = super().read(min(size, self._cap + 1))
        self._check()
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        self._check()
        return data

    def readline(self, size: int | None = -1) -> bytes:
        room = self._cap + 1 - self.tell()
        data = super().readline(room if size is None or size < 0 else min(size, room))
        self._check()
        return data


def open_input(path: Path, max_bytes: int | None = None, max_name: str = "") -> BinaryIO:
    """The file's bytes, decompressed on the fly when it is gzip (rotated logs are): by content,
    not by name, so a .gz that is really plain text reads as it is. Decompression is capped
    (gunzip_cap; `max_bytes`, set by `max_name`, lowers it for a reader that holds the whole file)."""
    fh = open(path, "rb")
    if fh.read(2) != GZIP_MAGIC:
        fh.seek(0)
        return fh
    fh.close()
    cap, limit = gunzip_cap(path.stat().st_size, max_bytes, max_name)
    return CappedGzipFile(path, cap, limit)  # type: ignore[return-value]


def plain_name(path: Path) -> Path:
    """The name a (possibly gzip) input's plain-text output takes: a.log.gz -> a.log."""
    return path.with_suffix("") if path.suffix.lower() == ".gz" and path.stem else path


def binary_reason(head: bytes) -> str | None:
    """Why the file starting with head is not text we can scrub, or None if it is text."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"binary file ({what})"
    if head.startswith(_WIDE_BOMS):
        return "UTF-16 text: convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)"
    body = _NUL_RUN.sub(b"", head)
    if b"\x00" in body:
        return "binary file (NUL bytes)"
    if body and len(body) - len(body.translate(None, _CONTROL)) > len(body) // 10:
        return "binary file (control bytes)"
    return None


class UnbalancedChunk(bytes):
    """A CSV chunk cut inside a quoted field that ran past MAX_OPEN_QUOTE: its quotes do not pair."""


def iter_chunks(fh: BinaryIO, size: int = CHUNK_SIZE, *, balanced_quotes: bool = False) -> Iterator[bytes]:
    """Chunks of whole lines, never ending inside a PEM block (see MAX_PEM). balanced_quotes (CSV):
    never cut inside a quoted field, unless the field is still open after MAX_OPEN_QUOTE bytes (a
    stray quote): then at a line end anyway, so the chunk's quotes do not pair up (see
    formats.csv_chunk) and memory stays bounded. A line longer than max_line_bytes() raises TooLong
    naming it."""
    pending: list[bytes] = []
    held, lines, limit = 0, 0, max_line_bytes()
    while True:
        data = fh.read(size)
        if not data:
            rest = b"".join(pending)
            if rest:
                yield rest
            return
        pending.append(data)
        held += len(data)
        if b"\n" not in data:
            if held > limit:
                raise _line_too_long(lines + 1, limit)
            continue  # a line longer than a chunk: keep reading
        buf = b"".join(pending)
        cut = _cut(buf, balanced_quotes)
        if not balanced_quotes:  # (in CSV a block spans lines inside a quoted field, kept whole above)
            cut = _before_open_pem(buf, cut)
        if cut <= 0 and balanced_quotes and len(buf) >= MAX_OPEN_QUOTE:
            cut = _cut(buf, False)
            if cut > 0:
                lines += buf.count(b"\n", 0, cut)
                yield UnbalancedChunk(buf[:cut])
                pending, held = [buf[cut:]], len(buf) - cut
                continue
        if cut <= 0:
            pending = [buf]
            continue
        lines += buf.count(b"\n", 0, cut)
        yield buf[:cut]
        pending, held = [buf[cut:]], len(buf) - cut


def _before_open_pem(buf: bytes, cut: int) -> int:
    """The cut moved back to the start of the line where a PEM block still open at `cut` begins."""
    begin = buf.rfind(_PEM_BEGIN, 0, cut)
    if begin < 0 or buf.find(_PEM_END, begin, cut) >= 0 or cut - begin > MAX_PEM:
        return cut
    return buf.rfind(b"\n", 0, begin) + 1


def _cut(buf: bytes, balanced_quotes: bool) -> int:
    cut = buf.rfind(b"\n") + 1
    if not balanced_quotes or cut <= 0:
        return cut
    # Standard CSV escapes a quote by doubling it, so a newline is outside any field exactly
    # when an even number of quotes precedes it.
    pos = buf.find(b"\n") + 1
    quotes = buf.count(b'"', 0, pos)
    best = pos if quotes % 2 == 0 else 0
    while pos < cut:
        nxt = buf.find(b"\n", pos) + 1
        quotes += buf.count(b'"', pos, nxt)
        pos = nxt
        if quotes % 2 == 0:
            best = pos
    return best


def invalid_utf8_lines(chunk: bytes) -> int:
    """How many lines of the chunk are not valid UTF-8 (they pass through byte for byte)."""
    if chunk.isascii():  # most logs: no need to build the decoded text at all
        return 0
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return 0
    bad = 0
    for line in chunk.split(b"\n"):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    return bad


def decode(chunk: bytes) -> tuple[str, int]:
    """Text for the formats that need it, and the number of lines that were not UTF-8.

    Invalid bytes become lone surrogates (surrogateescape) and are written back as the same bytes.
    """
    try:
        return chunk.decode("utf-8"), 0
    except UnicodeDecodeError:
        return chunk.decode("utf-8", "surrogateescape"), invalid_utf8_lines(chunk)
