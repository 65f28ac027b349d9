"""Which Arrow buffers live in a memory-mapped cache file, so a reader that needs a bytes-like
object with `find` (the literal text search) can search the mapping itself instead of copying
the column into the process: the mapping's pages are shared with every other player.
"""

from __future__ import annotations

import mmap
import weakref
from typing import Any

# base address -> (the mapping, its size). Weak: the Arrow buffers made over a mapping keep it
# alive, and its entry goes with the last of them (a mapped table freed is a mapping unmapped).
_MAPS: dict[int, tuple[weakref.ref[mmap.mmap], int]] = {}


def register(mm: mmap.mmap, buf: Any) -> None:
    """`buf` is a pyarrow buffer made over `mm` (pa.py_buffer)."""
    base = buf.address
    _MAPS[base] = (weakref.ref(mm), buf.size)
    weakref.finalize(mm, _MAPS.pop, base, None)


def locate(address: int, size: int) -> tuple[mmap.mmap, int] | None:
    """The mapping holding [address, address + size) and the offset of `address` in it, or None
    when that memory is not a registered mapping (a synthesized table on the heap)."""
    for base, (ref, length) in list(_MAPS.items()):
        mm = ref()
        if mm is not None and base <= address and address + size <= base + length:
            return mm, address - base
    return None
