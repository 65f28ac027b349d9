"""One writer per folder: a run that writes into a folder holds an advisory lock on it.

Two `dojo sanitize` runs into one --out (or two `dojo import` runs beside one scenario) would
otherwise interleave their files and reports. The lock is taken on the folder itself, so nothing
is left behind; it goes when the process ends, however it ends. Where the platform has no flock
(Windows), runs are not serialized.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]


class FolderBusy(RuntimeError):
    """Another process is writing into the folder."""


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder for this process; FolderBusy at once if another holds it."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(str(folder)) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
