"""Game ids, facilitator keys and team join codes.

A join code is five words from a list of 256 (40 random bits from `secrets`), easy to read aloud
and to type back in any case with spaces or dashes ("amber tiger olive delta maple"). The
facilitator key is 128 bits of URL-safe text: it is pasted, never read aloud. The store keeps only
SHA-256 hashes of both; an online guesser facing 2^40 codes per team gets nowhere.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from importlib.resources import files

CODE_WORDS = 5


@lru_cache(maxsize=1)
def words() -> tuple[str, ...]:
    text = files("dojo.gameday").joinpath("words.txt").read_text(encoding="utf-8")
    out = tuple(w.strip() for w in text.splitlines() if w.strip())
    if len(out) != 256 or len(set(out)) != 256:
        raise RuntimeError("dojo/gameday/words.txt must hold 256 distinct words")
    return out


def join_code() -> str:
    pool = words()
    return "-".join(secrets.choice(pool) for _ in range(CODE_WORDS))


def facilitator_key() -> str:
    return secrets.token_urlsafe(16)


def game_id() -> str:
    # Not a secret (it is shown on the projector); short enough to type.
    return "g-" + secrets.token_hex(4)


def code_bits() -> float:
    import math

    return CODE_WORDS * math.log2(len(words()))
