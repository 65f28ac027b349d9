"""Worker processes give exactly the output and counts of one process."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dojo.sanitize import readers
from dojo.sanitize import run as run_module

from . import samples
from .conftest import leaks, run


def test_workers_match_one_process(tmp_path, catalog, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    samples.write_plain(src / "app.log", catalog)
    samples.write_jsonl(src / "events.jsonl", catalog)
    samples.write_csv(src / "payments.csv", catalog)
    monkeypatch.setattr(readers, "CHUNK_SIZE", 700)  # many chunks, so both workers get some
    monkeypatch.setattr(run_module, "PARALLEL_MIN_BYTES", 0)
    kw = dict(shift=timedelta(hours=-5), shift_text="-5h")
    one = run(sorted(src.iterdir()), tmp_path / "one", jobs=1, **kw)
    two = run(sorted(src.iterdir()), tmp_path / "two", jobs=2, **kw)
    assert two.jobs == 2
    for name in ("app.log", "events.jsonl", "payments.csv"):
        a, b = (tmp_path / "one" / name).read_text(), (tmp_path / "two" / name).read_text()
        assert a == b, name
        assert leaks(b, catalog) == []
    assert one.replaced == two.replaced and one.kept == two.kept
    assert one.timestamps_shifted == two.timestamps_shifted > 0
    assert (tmp_path / "one" / "pseudonyms.txt").read_text() == (tmp_path / "two" / "pseudonyms.txt").read_text()


@pytest.mark.parametrize(
    "cores, load, jobs",
    [(2, 0.0, 1), (2, 1.5, 1), (4, 0.0, 3), (4, 1.0, 1), (8, 0.2, 4), (16, 12.0, 3), (1, 0.0, 1)],
)
def test_default_jobs_only_uses_workers_with_four_free_cores(monkeypatch, cores, load, jobs):
    monkeypatch.setattr(run_module.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(run_module.os, "getloadavg", lambda: (load, load, load))
    assert run_module.default_jobs() == jobs
