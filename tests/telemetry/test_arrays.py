"""Arrow arrays built from their buffers equal pyarrow's own conversions, and building them (and
the log lines a page paints) never imports pandas, which pyarrow's conversions do."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from dojo.telemetry.arrays import indices, numpy_of, strings, text
from dojo.telemetry.text import plain_lines, timestamps
from dojo.tui.data.log_rows import LogColumns


def test_the_arrays_equal_pyarrows_own():
    words = ["", "a", "héllo", "日本", "x" * 300]
    assert strings(words).equals(pa.array(words, pa.string()))
    assert strings([]).equals(pa.array([], pa.string()))
    assert text(" ").equals(pa.scalar(" "))
    rows = np.array([3, 0, 2], dtype=np.int32)
    assert indices(rows).equals(pa.array(rows.astype(np.int64)))
    chunked = pa.chunked_array([pa.array([1.5, 2.5, 3.5]), pa.array([4.5])])
    assert numpy_of(chunked).tolist() == [1.5, 2.5, 3.5, 4.5]
    assert numpy_of(pa.array([1, 2, 3, 4], pa.int64()).slice(1, 2)).tolist() == [2, 3]  # an offset is honoured
    assert numpy_of(pa.array([1, None], pa.int64())).tolist()[0] == 1  # nulls: pyarrow's conversion
    assert numpy_of(pa.chunked_array([], pa.int8())).dtype == np.int8


def test_timestamps_are_those_of_a_strftime_per_line():
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
    t = np.array([0.0, 0.0004, 1.9996, 61.25, 3600.5])
    want = [(start + timedelta(milliseconds=round(x * 1000))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" for x in t]
    assert timestamps(start, t).to_pylist() == want


def test_a_mapped_log_page_is_painted_without_pandas(tmp_path):
    from tests.tui.apps import _telemetry

    logs = _telemetry(None).logs
    path = tmp_path / "logs.arrow"
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, logs.schema) as writer:
        writer.write_table(logs)
    want = plain_lines(logs.take(pa.array(np.arange(100, 164))), _telemetry(None).start).to_pylist()
    code = f"""
import sys
from datetime import datetime
from pathlib import Path
import numpy as np
from dojo.telemetry.cache import _map_table
from dojo.telemetry.arrays import indices
from dojo.telemetry.text import plain_lines
from dojo.tui.data.log_rows import LogColumns
import dojo.tui.screens.workspace
path = Path({str(path)!r})
cols = LogColumns(_map_table(path, path.stat().st_size))
assert cols.visible(1e9) == {logs.num_rows}
start = datetime.fromisoformat({_telemetry(None).start.isoformat()!r})
lines = plain_lines(cols.table.take(indices(np.arange(100, 164))), start)
print(repr(lines.to_pylist()))
print(' '.join(m for m in ('pandas', 'pydantic', 'sqlalchemy', 'faker') if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    printed, loaded = out.stdout.splitlines()
    assert printed == repr(want)
    assert loaded == ""
    cols = LogColumns(logs)
    assert cols.t.tolist() == logs.column("t").to_pylist()
    assert cols.ids.tolist() == logs.column("id").to_pylist()


def test_field_widths_are_the_widest_of_each_field_in_bytes():
    from dojo.tui.data.log_rows import field_widths

    logs = _logs()
    # Services and hosts from their dictionaries (every one the incident has: an upper bound).
    names = [logs.column(name).chunk(0).dictionary.to_pylist() for name in ("service", "host")]
    widest = [max(len(v.encode()) for v in values) for values in [*names, logs.column("message").to_pylist()]]
    assert list(field_widths(logs)) == widest
    assert LogColumns(logs).widths == tuple(widest)
    assert LogColumns(logs, (1, 2, 3)).widths == (1, 2, 3)  # a card's, taken as they are
    assert field_widths(logs.slice(0, 0)) == (0, 0, 0)


def _logs():
    from tests.tui.apps import _telemetry

    return _telemetry(None).logs
