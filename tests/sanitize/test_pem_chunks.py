"""A PEM private key block that straddles a read-chunk boundary is still one block: chunks end on
line boundaries and an open block is carried into the next chunk."""

from __future__ import annotations

import io

from dojo.sanitize import readers
from dojo.sanitize.check import Checker
from dojo.sanitize.readers import iter_chunks

from .conftest import run
from .leakcases import RSA_PEM

BODY = [line for line in RSA_PEM.splitlines() if "-----" not in line]
FILLER = "".join(f"2026-03-10T14:03:{i % 60:02d}Z app[12]: loading keys, step {i}\n" for i in range(12))
LOG = FILLER + "deploy: private key follows\n" + RSA_PEM + FILLER


def _boundaries_inside_the_block() -> list[int]:
    """Chunk sizes at which the plain line-cut would end a chunk between BEGIN and END."""
    data = LOG.encode()
    begin, end = data.index(b"-----BEGIN"), data.index(b"-----END")
    return [size for size in range(64, 2 * len(data)) if begin < data.rfind(b"\n", 0, size) + 1 <= end][::7]


def test_a_chunk_never_ends_inside_a_pem_block():
    sizes = _boundaries_inside_the_block()
    assert sizes  # the case is real: without the carry these sizes cut the block
    for size in sizes:
        chunks = list(iter_chunks(io.BytesIO(LOG.encode()), size))
        assert b"".join(chunks) == LOG.encode()
        holding = [c for c in chunks if b"-----BEGIN" in c]
        assert len(holding) == 1 and b"-----END" in holding[0], size


def test_a_block_straddling_the_boundary_is_scrubbed_and_checked(tmp_path):
    src = tmp_path / "deploy.log"
    src.write_text(LOG)
    for size in _boundaries_inside_the_block()[:4]:
        out = tmp_path / f"out{size}"
        run([src], out, chunk_size=size)
        text = (out / "deploy.log").read_text()
        assert [b for b in BODY if b in text] == [], size
        assert "-----BEGIN RSA PRIVATE KEY-----" in text and text.count("\n") == LOG.count("\n")
        assert [f.kind for f in Checker(chunk_size=size).check(src, lambda m: None)] == ["private_key"]
        assert list(Checker(chunk_size=size).check(out / "deploy.log", lambda m: None)) == []


def test_a_begin_that_never_ends_does_not_hold_the_file(monkeypatch):
    monkeypatch.setattr(readers, "MAX_PEM", 2000)
    data = "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 60 + "\n" + FILLER * 40  # cut short: no END
    chunks = list(iter_chunks(io.BytesIO(data.encode()), 256))
    assert b"".join(chunks) == data.encode()
    assert max(map(len, chunks)) <= 2000 + 2 * 256  # carried up to MAX_PEM, then cut as ever
    assert len(chunks) > 10
