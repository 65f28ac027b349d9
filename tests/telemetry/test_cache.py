"""The incident cache: a second open skips synthesis, keys change with what shapes the bytes,
writes are atomic under kill and concurrency, eviction keeps the limit, a damaged entry is rebuilt,
and the mapped columns are read in place."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from dojo.scenario.model import Scenario
from dojo.telemetry import cache as cache_mod
from dojo.telemetry import mapped
from dojo.telemetry import synthesize as synth_mod
from dojo.telemetry.cache import Cache, cache_key, parse_size

ROOT = Path(__file__).resolve().parents[2]


def tiny(seed: int = 5, title: str = "tiny", **extra) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "tiny",
            "title": title,
            "difficulty": 1,
            "duration": "10m",
            "seed": seed,
            "briefing": "test",
            "services": [
                {"name": "edge", "kind": "lb", "calls": ["api"], "rps": 40},
                {"name": "api", "kind": "http", "calls": ["db"]},
                {"name": "db", "kind": "db"},
            ],
            "timeline": [{"at": "4m", "kind": "dependency_latency", "service": "db", "for": "3m"}],
            "answer": {"accepted": [{"service": "db", "fault": "dependency_latency"}]},
            **extra,
        }
    )


@pytest.fixture
def counted(monkeypatch):
    """Counts calls of the real synthesizer."""
    calls = []
    real = synth_mod.synthesize

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(synth_mod, "synthesize", spy)
    return calls


def same(a, b) -> None:
    assert a.logs.equals(b.logs)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    pd.testing.assert_frame_equal(a.spans, b.spans, check_dtype=False)
    pd.testing.assert_frame_equal(a.events, b.events, check_dtype=False)
    assert (a.seed, a.start, a.grid) == (b.seed, b.start, b.grid)
    assert a.truth == b.truth


def test_second_open_skips_synthesis_and_serves_the_same_incident(tmp_path, counted):
    sc = tiny()
    fresh = synth_mod.synthesize(sc)
    counted.clear()
    cache = Cache(tmp_path)
    first = cache.synthesize(sc)
    assert len(counted) == 1 and cache.misses == 1
    second = Cache(tmp_path).synthesize(sc)  # another process's view: a new Cache on the same folder
    assert len(counted) == 1, "the second open must not synthesize"
    same(fresh, first)
    same(fresh, second)


def test_the_key_changes_with_everything_that_shapes_the_bytes(tmp_path, monkeypatch):
    base = cache_key(tiny())
    assert cache_key(tiny()) == base
    assert cache_key(tiny(title="other")) != base
    assert cache_key(tiny(seed=6)) != base
    monkeypatch.setattr(cache_mod, "SYNTHESIS_VERSION", cache_mod.SYNTHESIS_VERSION + 1)
    assert cache_key(tiny()) != base
    monkeypatch.undo()
    import dojo

    monkeypatch.setattr(dojo, "__version__", "99.0")
    assert cache_key(tiny()) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache_mod, "_code_hash", lambda: "changed synthesis code")
    assert cache_key(tiny()) != base


def test_the_key_changes_with_the_bytes_of_imported_files(tmp_path):
    (tmp_path / "logs.jsonl").write_text('{"ts": "2026-03-10T14:00:01Z", "msg": "a"}\n')
    sc = tiny(imports={"logs": "logs.jsonl"})
    sc._base_dir = tmp_path
    before = cache_key(sc)
    assert cache_key(sc) == before
    (tmp_path / "logs.jsonl").write_text('{"ts": "2026-03-10T14:00:01Z", "msg": "b"}\n')
    assert cache_key(sc) != before


def test_the_mapped_columns_are_read_in_place(tmp_path):
    from dojo.engine.queries import Signals

    tel = Cache(tmp_path).synthesize(tiny())
    message = tel.logs.column("message").chunk(0)
    assert mapped.locate(message.buffers()[2].address, 1) is not None
    sig = Signals(tel)
    assert mapped.locate(sig.message.buffers()[2].address, 1) is not None, "Signals copied the log column"
    # The literal search runs in the mapping, and finds what a search on the heap finds.
    heap = Signals(synth_mod.synthesize(tiny()))
    needle = sig.message[5].as_py()[:12]
    found = sig.text.literal_rows(needle, 0, len(sig.message))
    assert sig.text._bytes is not None and not isinstance(sig.text._bytes.blob, bytes)
    offsets = sig.text._bytes.offsets  # the row offsets too: searched where they are, not copied
    assert mapped.locate(offsets.__array_interface__["data"][0], offsets.nbytes) is not None
    assert list(found) == list(heap.text.literal_rows(needle, 0, len(heap.message)))
    assert len(found) > 0


def test_concurrent_writers_of_one_key_leave_one_whole_entry(tmp_path):
    sc = tiny()
    tel = synth_mod.synthesize(sc)
    key = cache_key(sc)
    a = cache_mod.write_entry(tmp_path, key, tel)
    b = cache_mod.write_entry(tmp_path, key, tel)  # the loser of the rename: discards its copy
    assert a == b
    assert [p.name for p in tmp_path.iterdir()] == [key]
    same(tel, cache_mod.read_entry(a, sc))


WARM = """
import sys, time
sys.path.insert(0, {root!r})
import dojo.telemetry
from tests.telemetry.test_cache import tiny
from dojo.telemetry.cache import Cache
go = {go!r}
while time.time() < go:
    time.sleep(0.005)
tel = Cache(__import__("pathlib").Path({folder!r})).synthesize(tiny())
print(tel.logs.num_rows)
"""


def test_two_processes_warming_the_same_key_both_succeed(tmp_path):
    go = time.time() + 3.0  # both start synthesizing at the same moment
    code = WARM.format(root=str(ROOT), go=go, folder=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1] and int(outs[0]) > 0
    assert [p.name for p in tmp_path.iterdir()] == [cache_key(tiny())]
    assert Cache(tmp_path).get(tiny()) is not None


KILLED = """
import sys, time, pathlib
sys.path.insert(0, {root!r})
import dojo.telemetry
from tests.telemetry.test_cache import tiny
from dojo.telemetry import cache
real = cache._write_table
def slow(path, table):
    size = real(path, table)
    if path.name == "metrics.arrow":
        pathlib.Path({marker!r}).write_text("half")
        time.sleep(60)
    return size
cache._write_table = slow
cache.Cache(pathlib.Path({folder!r})).synthesize(tiny())
"""


def test_a_kill_mid_write_leaves_nothing_that_is_served(tmp_path, counted):
    folder, marker = tmp_path / "cache", tmp_path / "marker"
    code = KILLED.format(root=str(ROOT), marker=str(marker), folder=str(folder))
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = [p.name for p in folder.iterdir()]
    assert len(left) == 1 and left[0].startswith(".tmp-"), left
    cache = Cache(folder)
    assert cache.get(tiny()) is None and cache.entries() == []
    counted.clear()
    tel = cache.synthesize(tiny())
    assert len(counted) == 1 and tel.logs.num_rows > 0
    cache._sweep(older_than=0.0)
    assert [p.name for p in folder.iterdir()] == [cache_key(tiny())]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no-meta", "bad-meta", "missing-table"])
def test_a_damaged_entry_is_rebuilt(tmp_path, counted, damage):
    sc = tiny()
    good = synth_mod.synthesize(sc)
    Cache(tmp_path).synthesize(sc)  # not kept: damaging a file in place under a live mapping is a SIGBUS
    entry = tmp_path / cache_key(sc)
    logs = entry / "logs.arrow"
    if damage == "truncate":
        data = logs.read_bytes()
        logs.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        data = bytearray(logs.read_bytes())
        data[-40:] = b"\xff" * 40  # the footer: same size, unreadable
        logs.write_bytes(bytes(data))
    elif damage == "no-meta":
        (entry / "meta.json").unlink()
    elif damage == "bad-meta":
        (entry / "meta.json").write_text("{not json")
    else:
        (entry / "spans.arrow").unlink()
    counted.clear()
    again = Cache(tmp_path).synthesize(sc)
    assert len(counted) == 1, "a damaged entry must be synthesized again"
    same(good, again)
    counted.clear()
    Cache(tmp_path).synthesize(sc)
    assert counted == [], "the rebuilt entry is served"


def test_eviction_keeps_the_limit_and_removes_the_least_recently_used(tmp_path):
    cache = Cache(tmp_path, limit=10**12)
    for seed in (1, 2, 3):
        cache.synthesize(tiny(), seed=seed)
        time.sleep(0.02)
    sizes = {e.seed: e.size for e in cache.entries()}
    old = time.time() - 100
    for seed, age in ((1, 0), (2, 50), (3, 30)):  # seed 2 least recently used, then 3, then 1
        meta = tmp_path / cache_key(tiny(), seed) / "meta.json"
        os.utime(meta, (old + age * 0 - age, old - age))
    Cache(tmp_path).synthesize(tiny(), seed=1)  # a hit: seed 1 is now the most recently used
    cache.limit = sizes[1] + sizes[3] + 1
    removed = cache.evict()
    assert [e.seed for e in removed] == [2]
    assert sorted(e.seed for e in cache.entries()) == [1, 3]
    cache.limit = 1
    cache.synthesize(tiny(), seed=4)  # a new entry is kept even alone over the limit
    assert [e.seed for e in cache.entries()] == [4]


def test_a_zero_limit_keeps_nothing_and_still_plays(tmp_path):
    tel = Cache(tmp_path, limit=0).synthesize(tiny())
    assert tel.logs.num_rows > 0
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_cache_off_synthesizes_every_time(tmp_path, monkeypatch, counted):
    monkeypatch.setenv("DOJO_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DOJO_CACHE", "off")
    cache_mod.synthesize_cached(tiny())
    cache_mod.synthesize_cached(tiny())
    assert len(counted) == 2 and list(tmp_path.iterdir()) == []


def test_a_held_incident_is_served_in_process_without_reading_it_again(tmp_path, monkeypatch, counted):
    """What the fork server of `dojo serve` holds, its forks get as the very same tables and
    frames (their pages shared), under the caller's own scenario object; another seed or cache
    folder is not served from it."""
    monkeypatch.setattr(cache_mod, "_HELD", {})
    monkeypatch.setenv("DOJO_CACHE_DIR", str(tmp_path / "a"))
    held = cache_mod.hold(tiny())
    assert len(counted) == 1
    real_read = cache_mod.read_entry
    reads = []
    monkeypatch.setattr(cache_mod, "read_entry", lambda *a: reads.append(a) or real_read(*a))
    mine = tiny()
    got = cache_mod.synthesize_cached(mine)
    assert got.logs is held.logs and got.metrics is held.metrics and got.scenario is mine
    assert reads == [] and len(counted) == 1
    assert cache_mod.synthesize_cached(tiny(), seed=6).logs is not held.logs
    assert Cache(tmp_path / "b").synthesize(tiny()).logs is not held.logs
    assert len(counted) == 3


def test_sizes_parse_and_a_bad_one_is_explained():
    assert parse_size("2G") == 2 * 1024**3
    assert parse_size("500M") == 500 * 1024**2
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)
    assert parse_size("0") == 0
    with pytest.raises(cache_mod.CacheError, match="not a size"):
        parse_size("lots")


def test_the_engine_session_plays_from_the_cache(tmp_path, monkeypatch, counted):
    from dojo.engine.session import Session
    from dojo.store import Store

    monkeypatch.setenv("DOJO_CACHE_DIR", str(tmp_path / "cache"))
    store = Store.open(tmp_path / "a.sqlite3")
    Session.start(tiny(), store, clock="manual").close()
    Session.start(tiny(), store, clock="manual").close()
    assert len(counted) == 1


HOLD = """
import sys, pathlib
sys.path.insert(0, {root!r})
import dojo.telemetry
from tests.telemetry.test_cache import tiny
from dojo.telemetry.cache import Cache
from dojo.engine.queries import Signals
sig = Signals(Cache(pathlib.Path({folder!r})).synthesize(tiny()))
sig.text.literal_rows("zzz-not-there", 0, len(sig.message))  # reads every message page
print("up", flush=True)
sys.stdin.readline()
"""


def mapping_of(pid: int, name: str) -> tuple[int, int]:
    """(Rss, Pss) in kB of the process's mapping of a file named `name`."""
    rss = pss = 0
    inside = False
    with open(f"/proc/{pid}/smaps") as fh:
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:  # a mapping's first line
                inside = line.rstrip().endswith(name)
            elif inside and head[0] == "Rss:":
                rss += int(head[1])
            elif inside and head[0] == "Pss:":
                pss += int(head[1])
    return rss, pss


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_two_processes_share_the_pages_of_one_incident(tmp_path):
    Cache(tmp_path).synthesize(tiny())
    code = HOLD.format(root=str(ROOT), folder=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)]
    try:
        assert procs[0].stdout.readline().strip() == "up"
        alone_rss, alone_pss = mapping_of(procs[0].pid, "logs.arrow")
        assert alone_rss > 0 and alone_pss == pytest.approx(alone_rss, abs=8)  # all its own while alone
        procs.append(
            subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        )
        assert procs[1].stdout.readline().strip() == "up"
        for p in procs:
            rss, pss = mapping_of(p.pid, "logs.arrow")
            # Each resident page of the mapping is counted half to each: one copy for both.
            assert rss >= alone_rss * 0.9 and pss <= rss * 0.6, (rss, pss)
    finally:
        for p in procs:
            p.communicate("\n", timeout=30)


def test_logs_mapped_ahead_are_the_very_table_the_read_serves(tmp_path):
    """The early workspace maps the logs before the engine reads the entry: the read then takes
    that table, so the log pane and the engine share one mapping."""
    sc = tiny()
    cache = Cache(tmp_path)
    cache.synthesize(sc)
    folder = tmp_path / cache_key(sc)
    early = cache_mod.premap_logs(folder)
    assert early is not None and early.num_rows > 0
    tel = Cache(tmp_path).synthesize(sc)
    assert tel.logs is early
    assert Cache(tmp_path).synthesize(sc).logs is not early  # taken once: the next read maps its own


def test_logs_mapped_ahead_of_a_broken_entry_are_none(tmp_path):
    sc = tiny()
    cache = Cache(tmp_path)
    cache.synthesize(sc)
    folder = tmp_path / cache_key(sc)
    with open(folder / "logs.arrow", "r+b") as fh:
        fh.truncate(100)
    assert cache_mod.premap_logs(folder) is None
    assert cache_mod.premap_logs(tmp_path / "no-such-entry") is None


def test_logs_mapped_ahead_of_a_held_incident_are_the_held_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_CACHE_DIR", str(tmp_path))
    sc = tiny()
    tel = cache_mod.hold(sc)
    try:
        assert cache_mod.premap_logs(tmp_path / cache_key(sc)) is tel.logs
    finally:
        cache_mod.let_go(tmp_path, cache_key(sc))
