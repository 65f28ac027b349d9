"""HMAC-SHA256 of the run's secret, with the key schedule done once.

hmac.digest() sets the key up again on every call, which is most of its cost on short messages;
every never-seen value needs one or more HMACs, so the inner and outer pads are hashed once here
and copied per message (RFC 2104, the same result as hmac.digest).
"""

from __future__ import annotations

import hashlib


class Hmac:
    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()
