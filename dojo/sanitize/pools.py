"""Seeded pools of realistic names, built once per process.

Pseudonyms are picked from these pools by an HMAC index, so a value's pseudonym depends only on the
secret and the value, never on a Faker call made while reading. The pools are made from Faker's own
name and word lists and its user-name formats, shuffled by a fixed seed: calling Faker itself costs
about 0.2 ms a name, which would make building a few thousand of them the slowest part of a run.
The seed is fixed (not the secret) so that every run, and --check, sees the same pools.
"""

from __future__ import annotations

import functools
import random
import re

POOL_SEED = 20260310
USER_POOL_SIZE = 8192
_ASCII_WORD = re.compile(r"[a-z]{3,12}\Z")


def _names() -> tuple[list[str], list[str], list[str]]:
    from faker.providers.lorem.en_US import Provider as Lorem
    from faker.providers.person.en_US import Provider as Person

    def clean(words: object) -> list[str]:
        return sorted({w.lower() for w in words if _ASCII_WORD.match(w.lower())})  # type: ignore[attr-defined]

    firsts = clean(list(Person.first_names_female) + list(Person.first_names_male))
    return firsts, clean(Person.last_names), clean(Lorem.word_list)


@functools.cache
def user_pool() -> tuple[str, ...]:
    """User names in Faker's formats: first.last, last.first, first + 2 digits, initial + last."""
    firsts, lasts, _ = _names()
    rng = random.Random(POOL_SEED)
    formats = (
        lambda f, l: f"{f}.{l}",
        lambda f, l: f"{l}.{f}",
        lambda f, l: f"{f}{rng.randrange(10, 100)}",
        lambda f, l: f"{f[0]}{l}",
    )
    pool: dict[str, None] = {}
    while len(pool) < USER_POOL_SIZE:
        pool[rng.choice(formats)(rng.choice(firsts), rng.choice(lasts))] = None
    return tuple(pool)


@functools.cache
def label_pool() -> tuple[str, ...]:
    """Host-name labels: surnames and plain words, as Faker's domain_word would give."""
    _, lasts, words = _names()
    pool = sorted(set(lasts) | set(words))
    random.Random(POOL_SEED).shuffle(pool)
    return tuple(pool)
