from __future__ import annotations

import re
from pathlib import Path

import pytest

from dojo.sanitize.run import Options, sanitize

from .samples import Catalog, make_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return make_catalog()


def run(inputs: list[Path], out: Path, secret: bytes = b"test-secret", **kw) -> object:
    return sanitize(inputs, Options(out=out, secret=secret, secret_given=True, **kw))


def leaks(text: str, catalog: Catalog) -> list[tuple[str, str]]:
    """Every original value still present in text, as a whole token."""
    found = []
    for kind, values in catalog.originals().items():
        for value in values:
            # A plain substring search first: most values are nowhere in the text, and the regex
            # (run per value over the whole text) was most of the big-file tests' time.
            if value in text and re.search(r"(?<![A-Za-z0-9])" + re.escape(value) + r"(?![A-Za-z0-9])", text):
                found.append((kind, value))
    return found
