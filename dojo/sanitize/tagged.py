"""Pseudonyms for the kinds that live in huge spaces: UUIDs, tokens, keys, passwords, JWTs.

A collision between two 122-bit UUIDs or two 30-character tokens is out of reach, and these
values are often unique per line (request ids), so they are derived afresh from HMAC(secret,
value) every time and never stored: memory stays flat however long the file, and any process can
compute them. They keep their shape: a known key prefix (sk_live_, AKIA, ghp_), the alphabet
(hex stays hex, upper stays upper), the length, punctuation and padding; a UUID keeps its
version and variant; a JWT stays three base64url parts that decode to JSON.

Their last five characters are a public checksum of the rest (a "tag"). That is how --check
knows a pseudonym it did not make in this run from a leftover, without being told the secret.
An original value passes that test by chance once in 100,000.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import zlib

from . import detect, pools
from .keyed import Hmac

TAGGED = (
    detect.UUID,
    detect.API_KEY,
    detect.BEARER,
    detect.JWT,
    detect.URL_PASSWORD,
    detect.SECRET,
    detect.HEX_ID,
    detect.FINGERPRINT,
    detect.PRIVATE_KEY,
)
# Kinds whose punctuation is structure (the colons of a fingerprint, the line breaks of a PEM body):
# the tag is over their letters and digits only, and the punctuation is put back where it was.
UNPUNCTUATED = frozenset({detect.FINGERPRINT, detect.PRIVATE_KEY})

# A pseudonym keeps a key's shape but not its vendor's prefix: secret scanners and push protection
# look for the real prefixes (sk_live_, AKIA, xoxb-, ...) and would flag a committed scenario. These
# look-alikes are used by no vendor, so no scanner matches them; --real-key-prefixes keeps the real ones.
SAFE_PREFIX = {
    "sk_live_": "sk_demo_",
    "sk_test_": "sk_demo_",
    "rk_live_": "rk_demo_",
    "rk_test_": "rk_demo_",
    "pk_live_": "pk_demo_",
    "pk_test_": "pk_demo_",
    "AKIA": "AKEX",
    "ASIA": "ASEX",
    "AGPA": "AGEX",
    "AIDA": "AIEX",
    "AROA": "AREX",
    "ANPA": "ANEX",
    "AIPA": "AIEX",
    "ghp_": "gxp_",
    "gho_": "gxo_",
    "ghu_": "gxu_",
    "ghs_": "gxs_",
    "ghr_": "gxr_",
    "github_pat_": "github_xxx_",
    "xoxa-": "xoza-",
    "xoxb-": "xozb-",
    "xoxp-": "xozp-",
    "xoxo-": "xozo-",
    "xoxs-": "xozs-",
    "xoxr-": "xozr-",
    "AIza": "AIzx",
    "glpat-": "glxat-",
    "npm_": "npx_",
    "pypi-": "pypx-",
}

_TAG_SEED = 0x646F6A6F  # "dojo"
_TAG_LEN = 5
_RECENT = 100_000
_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_JWT_ALGS = frozenset("HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512 PS256 PS384 PS512 EdDSA none".split())


def tag(text: str) -> str:
    """Five digits that depend on all of text, with no secret: the mark of a stateless pseudonym.

    A checksum, not a MAC: it only has to tell our pseudonyms from originals, and it runs once
    per never-seen value, so it is the cheapest one that mixes every character (CRC-32).
    """
    # Case-blind, so that an upper-case UUID pseudonym checks out like its lower-case form.
    return str(zlib.crc32(text.lower().encode("utf-8", "surrogatepass"), _TAG_SEED) % 10**_TAG_LEN).zfill(_TAG_LEN)


def _tag_lower_ascii(text: str) -> str:
    """tag() of text that is already lower-case ASCII (a UUID pseudonym): the same digits, sooner."""
    return "%05d" % (zlib.crc32(text.encode("ascii"), _TAG_SEED) % 100_000)


def is_tagged(value: str, kind: str | None = None) -> bool:
    if kind in UNPUNCTUATED:
        value = _STRUCTURE.sub("", value)
    body = value.rstrip("=")
    return len(body) > _TAG_LEN + 2 and body[-_TAG_LEN:] == tag(body[:-_TAG_LEN])


_HEX_LOWER = frozenset("0123456789abcdef")
_HEX_UPPER = frozenset("0123456789ABCDEF")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")


_HEX_DIGITS = "0123456789abcdef"
_HEX_VALUE = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}

_PUNCT = re.compile(r"[^A-Za-z0-9]")
_STRUCTURE = re.compile(r"\\[nr]|[^A-Za-z0-9]")  # in a PEM body inside JSON, \n is one break


def _alphabet(chars: frozenset[str]) -> str:
    """The alphabet a token was drawn from, judged by the characters it uses."""
    if chars and chars <= _HEX_LOWER:
        return "0123456789abcdef"
    if chars and chars <= _HEX_UPPER:
        return "0123456789ABCDEF"
    if chars and chars <= _DIGITS:
        return "0123456789"
    return (
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ" if chars & _UPPER else "")
        + ("abcdefghijklmnopqrstuvwxyz" if chars & _LOWER or not chars & _UPPER else "")
        + "0123456789"
    )


@functools.lru_cache(maxsize=64)
def _alphabet_table(alphabet: str) -> bytes:
    """A bytes.translate table mapping any byte to a character of the alphabet."""
    return bytes(ord(alphabet[b % len(alphabet)]) for b in range(256))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Tagged:
    """Stateless pseudonyms: a pure function of the secret and the value."""

    def __init__(self, secret: bytes, *, record: bool = False, real_prefixes: bool = False) -> None:
        self.mac = Hmac(secret)
        self.real_prefixes = real_prefixes
        # Only for --mapping (which runs in one process): original -> pseudonym, by kind.
        self.recorded: dict[str, dict[str, str]] | None = {} if record else None
        self._recent: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, value: str) -> str:
        # Sessions reuse their token and JWT for many lines: remember the recent ones (bounded;
        # the result does not depend on it).
        key = (kind, value)
        out = self._recent.get(key)
        if out is not None:
            return out
        if kind == detect.UUID:
            out = self._uuid(value)
        elif kind == detect.JWT:
            out = self._jwt(value)
        elif kind in UNPUNCTUATED:
            out = self._unpunctuated(kind, value)
        else:
            out = self._token(kind, value)
        if len(self._recent) >= _RECENT:
            self._recent.clear()
        self._recent[key] = out
        if self.recorded is not None:
            self.recorded.setdefault(kind, {})[value] = out
        return out

    def _bytes(self, kind: str, key: str, size: int) -> bytes:
        seed = self.mac(f"{kind}\x00{key}".encode("utf-8", "surrogatepass"))
        return hashlib.shake_256(seed).digest(size)

    def _uuid(self, value: str) -> str:
        key = value.lower()
        h = self.mac(b"uuid\x00" + key.encode("ascii")).hex()
        # Keep the version digit and the variant's top bits, so the UUID stays the same kind.
        variant = _HEX_DIGITS[(_HEX_VALUE[key[19]] & 0xC) | (_HEX_VALUE[h[16]] & 0x3)]
        out = f"{h[:8]}-{h[8:12]}-{key[14]}{h[13:16]}-{variant}{h[17:20]}-{h[20:27]}"
        out += _tag_lower_ascii(out)
        return out.upper() if value.isupper() else out

    def _token(self, kind: str, value: str) -> str:
        m = detect._API_KEY.match(value)
        prefix = m.group() if m else ""
        out_prefix = prefix if self.real_prefixes else SAFE_PREFIX.get(prefix, prefix)
        pad = len(value) - len(value.rstrip("="))
        body = value[len(prefix) : len(value) - pad]
        size = max(len(body), _TAG_LEN + 3)
        # Same alphabet as the original (hex stays hex, upper stays upper), drawn in C: random
        # bytes through a translation table. Punctuation stays where it was.
        chars = self._bytes(kind, value, size).translate(_alphabet_table(_alphabet(frozenset(body)))).decode()
        if not body.isalnum():
            kept = list(chars)
            for m in _PUNCT.finditer(body):
                kept[m.start()] = m.group()
            chars = "".join(kept)
        out = out_prefix + chars
        out = out[:-_TAG_LEN] + tag(out[:-_TAG_LEN])
        return out + "=" * pad

    def _unpunctuated(self, kind: str, value: str) -> str:
        body = _STRUCTURE.sub("", value)
        size = max(len(body), _TAG_LEN + 3)
        chars = self._bytes(kind, value, size).translate(_alphabet_table(_alphabet(frozenset(body)))).decode()
        chars = chars[:-_TAG_LEN] + tag(chars[:-_TAG_LEN])
        out: list[str] = []
        # Walk the original: its punctuation stays in place, its letters and digits come from chars.
        it = iter(chars)
        i = 0
        while i < len(value):
            m = _STRUCTURE.match(value, i)
            if m is not None:
                out.append(m.group())
                i = m.end()
            else:
                out.append(next(it, ""))
                i += 1
        out.append("".join(it))
        return "".join(out)

    def _jwt(self, value: str) -> str:
        header_b64, payload_b64, signature = value.split(".")
        alg = "HS256"
        try:
            header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
            if isinstance(header, dict) and header.get("alg") in _JWT_ALGS:
                alg = header["alg"]
        except ValueError:
            pass
        r = int.from_bytes(self._bytes(detect.JWT, value, 16), "big")
        users = pools.user_pool()
        header_out = _b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
        payload_out = _b64url(
            json.dumps({"sub": users[r % len(users)], "iat": 1_700_000_000 + r % 10**8}, separators=(",", ":")).encode()
        )
        size = max(len(signature), 16)
        sig = "".join(_B64URL[b % 64] for b in self._bytes(detect.JWT + "-sig", value, size))
        out = f"{header_out}.{payload_out}.{sig}"
        return out[:-_TAG_LEN] + tag(out[:-_TAG_LEN])
