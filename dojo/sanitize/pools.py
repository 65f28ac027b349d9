"""Seeded pools of realistic names: shipped as text files, built from Faker's own lists.

Pseudonyms are picked from these pools by an HMAC index, so a value's pseudonym depends only on the
secret and the value, never on a Faker call made while reading. The pools are made from Faker's
name and word lists and its user-name formats, shuffled by a fixed seed (not the secret), so that
every run, and --check, sees the same pools.

They are read from pool_data/ rather than built at run time: importing Faker and building them
took about 0.3 s of every sanitize run on two cores. `python -m dojo.sanitize.pools --write`
rebuilds the files from Faker; a test checks the shipped files are exactly what it builds.
"""

from __future__ import annotations

import functools
import random
import re
import sys
from pathlib import Path

POOL_SEED = 20260310
USER_POOL_SIZE = 8192
DATA = Path(__file__).with_name("pool_data")
USERS_FILE = DATA / "users.txt"
LABELS_FILE = DATA / "labels.txt"
_ASCII_WORD = re.compile(r"[a-z]{3,12}\Z")


@functools.cache
def user_pool() -> tuple[str, ...]:
    return _read(USERS_FILE)


@functools.cache
def person_pool() -> tuple[tuple[str, str], ...]:
    """(first, last) from the user pool's first.last names: people's names, lower case."""
    return tuple(
        (first, last)
        for first, _, last in (u.partition(".") for u in user_pool())
        if last and first.isalpha() and last.isalpha()
    )


@functools.cache
def label_pool() -> tuple[str, ...]:
    return _read(LABELS_FILE)


def _read(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="ascii").split())


# -- building the files from Faker ------------------------------------------------------------------


def _names() -> tuple[list[str], list[str], list[str]]:
    from faker.providers.lorem.en_US import Provider as Lorem
    from faker.providers.person.en_US import Provider as Person

    def clean(words: object) -> list[str]:
        return sorted({w.lower() for w in words if _ASCII_WORD.match(w.lower())})  # type: ignore[attr-defined]

    firsts = clean(list(Person.first_names_female) + list(Person.first_names_male))
    return firsts, clean(Person.last_names), clean(Lorem.word_list)


def build_user_pool() -> tuple[str, ...]:
    """User names in Faker's formats: first.last, last.first, first + 2 digits, initial + last."""
    firsts, lasts, _ = _names()
    rng = random.Random(POOL_SEED)
    formats = (
        lambda first, last: f"{first}.{last}",
        lambda first, last: f"{last}.{first}",
        lambda first, last: f"{first}{rng.randrange(10, 100)}",
        lambda first, last: f"{first[0]}{last}",
    )
    pool: dict[str, None] = {}
    while len(pool) < USER_POOL_SIZE:
        pool[rng.choice(formats)(rng.choice(firsts), rng.choice(lasts))] = None
    return tuple(pool)


def build_label_pool() -> tuple[str, ...]:
    """Host-name labels: surnames and plain words, as Faker's domain_word would give."""
    _, lasts, words = _names()
    pool = sorted(set(lasts) | set(words))
    random.Random(POOL_SEED).shuffle(pool)
    return tuple(pool)


def main(argv: list[str]) -> int:
    if argv != ["--write"]:
        print("usage: python -m dojo.sanitize.pools --write  (rebuilds pool_data/ from Faker)", file=sys.stderr)
        return 2
    DATA.mkdir(exist_ok=True)
    for path, pool in ((USERS_FILE, build_user_pool()), (LABELS_FILE, build_label_pool())):
        path.write_text("\n".join(pool) + "\n", encoding="ascii")
        print(f"{path.name}: {len(pool)} names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
