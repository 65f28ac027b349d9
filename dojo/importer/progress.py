"""A progress bar for long imports: on stderr, only when it is a terminal, at most five times a
second, and wiped when done (the report that follows is what stays)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

LONG = 8_000_000  # bytes: below this an import is over before a bar would help
WIDTH = 30


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None, force: bool = False):
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = force or (total >= LONG and isatty())
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.drawn = False

    def __call__(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.drawn_at < 0.2 and self.done < self.total:
            return
        self.drawn_at = now
        share = min(self.done / self.total, 1.0)
        filled = int(share * WIDTH)
        rate = self.done / 1e6 / max(now - self.started, 1e-6)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%} "
            f"{self.done / 1e6:,.1f}/{self.total / 1e6:,.1f} MB {rate:,.1f} MB/s"
        )
        self.stream.flush()
        self.drawn = True

    def phase(self, text: str) -> None:
        """A one-line word about a step that has no bar of its own (it is wiped by the next draw)."""
        if self.enabled:
            self.stream.write(f"\r{text}")
            self.stream.flush()
            self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False
