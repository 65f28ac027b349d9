"""Rendering and reordering log text in slices, so no scenario overflows pyarrow's 2 GiB string
arrays (32-bit offsets). The limit is lowered here so the slicing runs on small data."""

import numpy as np
import pyarrow as pa

from dojo.telemetry import logs
from dojo.telemetry.synthesize import synthesize

from .scenarios import shop


def test_take_in_slices_keeps_order_and_bounds_every_slice(monkeypatch):
    monkeypatch.setattr(logs, "CHUNK_BYTES", 1000)
    values = pa.chunked_array(
        [pa.array([f"line {i:05d} " + "x" * (i % 50) for i in range(n0, n0 + 3000)]) for n0 in (0, 3000)]
    )
    order = np.random.default_rng(1).permutation(6000)
    out = logs.take_in_slices(values, order)
    assert out.to_pylist() == values.combine_chunks().take(pa.array(order)).to_pylist()
    assert out.num_chunks > 10
    assert all(sum(len(x) for x in chunk.to_pylist()) <= 1000 for chunk in out.chunks)


def test_big_groups_render_in_slices_with_every_line_whole(monkeypatch):
    monkeypatch.setattr(logs, "CHUNK_BYTES", 4096)  # 1024-row slices (the floor)
    rendered: list[int] = []
    original = logs.LogBuilder._render

    def spy(self, g, bucket, n, lo=0):
        rendered.append(n)
        return original(self, g, bucket, n, lo)

    monkeypatch.setattr(logs.LogBuilder, "_render", spy)
    tel = synthesize(shop(duration="20m"))
    assert max(rendered) <= 1024 and len(rendered) > len(set(rendered))
    messages = tel.logs.column("message").to_pylist()
    assert len(messages) == tel.logs.num_rows > 5000
    assert not any("{" in m and "}" in m and "{path}" in m for m in messages)
    assert all(m for m in messages)
