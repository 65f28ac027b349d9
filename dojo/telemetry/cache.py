"""Synthesized incidents kept on disk, memory-mapped by every process that plays them.

An entry is a folder named by the key (a hash of everything that shapes the bytes: the scenario's
canonical content, the seed, the bytes of its imported files, SYNTHESIS_VERSION and the versions
of the packages whose output it depends on) holding one uncompressed Arrow IPC file per signal
and a `meta.json` written last. Opening an entry maps the files read-only and shared, so the OS
page cache holds one copy of a scenario's logs for every player on the machine; a process keeps
only its own small indexes.

Writes go to a hidden temporary folder, are fsynced, and are published by one rename: a reader
sees a whole entry or none, a kill mid-write leaves only a temporary folder that is never served
(and is swept later), and of two processes warming the same key the first rename wins while the
second discards its copy. Anything wrong with an entry (missing, truncated, unreadable, of another
format) makes it a miss: it is removed and synthesized again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import mmap
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .fastopen import CARD_DIR, CODE_DIR, PACKAGES

if TYPE_CHECKING:  # pragma: no cover
    from dojo.scenario.model import Scenario

    from .model import Telemetry

# Bump when synthesis changes the bytes it makes for the same scenario and seed (physics, voices,
# pools, ordering): old entries then stop matching and are never served.
SYNTHESIS_VERSION = 9  # 9: a retry cut by its caller's cancellation ends cancelled; 8: bucket-local draws, for actions
# The layout of an entry folder; bump when it changes.
FORMAT = 1
DEFAULT_LIMIT = 2 * 1024**3
# A temporary folder older than this belongs to a writer that died; it is swept.
STALE_TMP_S = 3600.0
TABLES = ("logs", "metrics", "spans", "events")

Progress = Callable[[str, float], None]


class CacheError(Exception):
    """A cache setting that cannot be used (a bad DOJO_CACHE_LIMIT, an unwritable folder)."""


def cache_dir() -> Path:
    env = os.environ.get("DOJO_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("debugging-dojo", appauthor=False)) / "incidents"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    m = _SIZE.match(text)
    if not m:
        raise CacheError(f"DOJO_CACHE_LIMIT: {text!r} is not a size; write e.g. 2G, 500M or 0 to keep nothing")
    power = " KMGT".index(m.group(2).upper() or " ")
    return int(float(m.group(1)) * 1024**power)


def cache_limit() -> int:
    env = os.environ.get("DOJO_CACHE_LIMIT")
    return DEFAULT_LIMIT if not env else parse_size(env)


def enabled() -> bool:
    return os.environ.get("DOJO_CACHE", "on").lower() not in ("off", "0", "no", "false")


# -- the key ---------------------------------------------------------------------------------


@functools.cache
def _memo_versions(root: Path | None) -> dict[str, str]:
    from .fastopen import code_versions

    return code_versions(root)


def _memo_root() -> Path | None:
    """Where the code hash is memoized: the cache folder, when there is one to write."""
    return cache_dir() if enabled() else None


def _package_versions() -> dict[str, str]:
    return {k: v for k, v in _memo_versions(_memo_root()).items() if k in PACKAGES}


def _code_hash() -> str:
    """The bytes of the code that synthesizes (this package and the scenario model): a checkout
    whose synthesis changed without a bump of SYNTHESIS_VERSION still never serves stale incidents.
    Hashed once per installed version (dojo.telemetry.fastopen), not on every launch."""
    return _memo_versions(_memo_root())["code"]


def _versions() -> dict[str, str]:
    import dojo

    return {
        "dojo": dojo.__version__, "synthesis": str(SYNTHESIS_VERSION), "format": str(FORMAT), "code": _code_hash(),
        **_package_versions(),
    }  # fmt: skip


def _import_hashes(scenario: Scenario) -> dict[str, str]:
    if scenario.imports is None:
        return {}
    base = scenario.base_dir or Path(".")
    out = {}
    for kind, rel in scenario.imports.files().items():
        h = hashlib.sha256()
        try:
            with open(base / rel, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        except OSError as exc:
            h.update(f"unreadable: {exc.strerror}".encode())  # synthesis will report it; the key must just differ
        out[kind] = h.hexdigest()
    return out


def cache_key(scenario: Scenario, seed: int | None = None) -> str:
    """What determines the bytes, hashed: two keys are equal only when synthesis would be."""
    doc = {
        "scenario": json.loads(scenario.model_dump_json(by_alias=True)),
        "seed": scenario.seed if seed is None else int(seed),
        "imports": _import_hashes(scenario),
        "versions": _versions(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


# -- one entry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryInfo:
    key: str
    path: Path
    scenario_id: str
    title: str
    seed: int
    size: int
    created: float
    used: float
    log_lines: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_table(path: Path, table: Any) -> int:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    # One record batch per file: a column is then one contiguous mapped array, which the engine
    # uses as is (combine_chunks of one chunk copies nothing).
    table = table.combine_chunks()
    with pa.OSFile(str(path), "wb") as sink:
        with ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(1, table.num_rows))
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
    return path.stat().st_size


def _frame_table(frame: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars in the ground truth
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_entry(root: Path, key: str, tel: Telemetry) -> Path:
    """Publish `tel` under `key` atomically; returns the entry's folder (ours or a concurrent
    writer's, whichever rename came first)."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    tmp = root / f".tmp-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        sizes = {
            "logs": _write_table(tmp / "logs.arrow", tel.logs),
            "metrics": _write_table(tmp / "metrics.arrow", _frame_table(tel.metrics)),
            "spans": _write_table(tmp / "spans.arrow", _frame_table(tel.spans)),
            "events": _write_table(tmp / "events.arrow", _frame_table(tel.events)),
        }
        meta = {
            "format": FORMAT,
            "key": key,
            "scenario_id": tel.scenario.id,
            "title": tel.scenario.title,
            "seed": int(tel.seed),
            "start": tel.start.isoformat(),
            "grid": float(tel.grid),
            "sizes": sizes,
            "log_lines": int(tel.logs.num_rows),
            "truth": tel.truth,
            "created": time.time(),
            "versions": _versions(),
        }
        with open(tmp / "meta.json", "w", encoding="utf-8") as fh:
            json.dump(meta, fh, default=_json_default)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        try:
            os.rename(tmp, final)  # atomic; fails if another writer published first
        except OSError:
            if not (final / "meta.json").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # theirs is the same bytes
        else:
            _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


class BadEntry(Exception):
    """An entry that cannot be served as it is; the reason says why."""


# Tables mapped ahead of their entry's read (premap), by (path, size): the read takes them.
_PREMAPPED: dict[tuple[str, int], Any] = {}


def premap_logs(folder: Path) -> Any | None:
    """Map the log table of the published entry `folder` now, with pyarrow alone (the workspace
    paints the logs before the engine that reads the entry has loaded); the next read of this
    entry takes this very table rather than mapping the file again, and an incident this process
    holds (`hold`, a warm fork) gives its own. None if the entry is not whole."""
    held = _HELD.get((str(folder.parent), folder.name))
    if held is not None:
        return held.logs
    name = "logs"
    try:
        with open(folder / "meta.json", encoding="utf-8") as fh:
            size = int(json.load(fh)["sizes"][name])
        path = folder / f"{name}.arrow"
        table = _map_table(path, size)
    except (OSError, ValueError, KeyError, TypeError, BadEntry):
        return None
    _PREMAPPED[(str(path), size)] = table
    return table


def _map_table(path: Path, expected_size: int) -> Any:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from . import mapped

    early = _PREMAPPED.pop((str(path), expected_size), None)
    if early is not None:
        return early

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadEntry(f"{path.name}: {exc.strerror}") from None
    if size != expected_size:
        raise BadEntry(f"{path.name}: {size} bytes, expected {expected_size} (truncated?)")
    with open(path, "rb") as fh:
        if size == 0:
            raise BadEntry(f"{path.name}: empty")
        # MAP_SHARED, read-only: every process mapping this file reads the same page-cache pages.
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    buf = pa.py_buffer(mm)
    try:
        table = ipc.open_file(pa.BufferReader(buf)).read_all()
        table.validate()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise BadEntry(f"{path.name}: {exc}") from None
    mapped.register(mm, buf)
    return table


def _frame(table: Any) -> Any:
    return table.to_pandas()


def read_entry(folder: Path, scenario: Scenario) -> Telemetry:
    """The Telemetry of a published entry, its tables mapped; BadEntry if anything is wrong."""
    from datetime import datetime

    from .model import LOG_SCHEMA, Telemetry

    try:
        with open(folder / "meta.json", encoding="utf-8") as fh:
            meta = json.load(fh)
    except FileNotFoundError:
        raise BadEntry("meta.json missing") from None
    except (OSError, ValueError) as exc:
        raise BadEntry(f"meta.json: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("sizes"), dict):
        raise BadEntry("meta.json: not an entry of this format")
    try:
        tables = {name: _map_table(folder / f"{name}.arrow", int(meta["sizes"][name])) for name in TABLES}
        if not tables["logs"].schema.equals(LOG_SCHEMA):
            raise BadEntry("logs.arrow: another schema")
        tel = Telemetry(
            scenario=scenario,
            seed=int(meta["seed"]),
            start=datetime.fromisoformat(meta["start"]),
            grid=float(meta["grid"]),
            logs=tables["logs"],
            metrics=_frame(tables["metrics"]),
            spans=_frame(tables["spans"]),
            events=_frame(tables["events"]),
            truth=meta.get("truth") or {},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadEntry(f"meta.json: {exc}") from None
    try:
        os.utime(folder / "meta.json")  # the LRU clock: last used now
    except OSError:
        pass  # a read-only cache still serves
    return tel


def _remove(folder: Path) -> None:
    """Remove an entry: renamed aside first, so no reader ever sees half of it. Processes that
    have it mapped keep reading it: unlinking a mapped file leaves the mapping valid."""
    trash = folder.parent / f".trash-{folder.name}-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(folder, trash)
    except OSError:
        return  # already gone (another process removed it)
    shutil.rmtree(trash, ignore_errors=True)


# -- the cache -------------------------------------------------------------------------------


class Cache:
    def __init__(self, root: Path | None = None, limit: int | None = None):
        self.root = root if root is not None else cache_dir()
        self.limit = cache_limit() if limit is None else limit
        self.hits = 0
        self.misses = 0

    def has(self, scenario: Scenario, seed: int | None = None) -> bool:
        return (self.root / cache_key(scenario, seed) / "meta.json").is_file()

    def get(self, scenario: Scenario, seed: int | None = None) -> Telemetry | None:
        folder = self.root / cache_key(scenario, seed)
        if not folder.is_dir():
            return None
        try:
            return read_entry(folder, scenario)
        except BadEntry:
            _remove(folder)  # rebuilt by the caller
            return None

    def synthesize(self, scenario: Scenario, seed: int | None = None, progress: Progress | None = None) -> Telemetry:
        """The incident from the cache, or synthesized and stored for the next process."""
        key = cache_key(scenario, seed)
        held = _HELD.get((str(self.root), key))
        if held is not None:  # mapped before this process was forked: shared, not even re-read
            self.hits += 1
            if progress is not None:
                progress("done", 1.0)
            return dataclasses.replace(held, scenario=scenario)
        folder = self.root / key
        if folder.is_dir():
            try:
                tel = read_entry(folder, scenario)
            except BadEntry:
                _remove(folder)
            else:
                self.hits += 1
                if progress is not None:
                    progress("done", 1.0)
                return tel
        self.misses += 1
        from .synthesize import synthesize

        tel = synthesize(scenario, seed=seed, progress=progress)
        if self.limit <= 0:
            return tel
        try:
            folder = write_entry(self.root, key, tel)
            self.evict(keep=key)
            # Serve the mapped copy: the heap copy synthesis made is then freed, and this process
            # shares its pages with every other player of the scenario.
            return read_entry(folder, scenario)
        except (OSError, BadEntry):
            return tel  # a full disk or an unwritable cache costs speed, never the attempt

    def entries(self) -> list[EntryInfo]:
        out: list[EntryInfo] = []
        if not self.root.is_dir():
            return out
        for folder in self.root.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                meta_path = folder / "meta.json"
                with open(meta_path, encoding="utf-8") as fh:
                    meta = json.load(fh)
                size = sum(f.stat().st_size for f in folder.iterdir())
                used = meta_path.stat().st_mtime
                out.append(
                    EntryInfo(
                        key=folder.name, path=folder, scenario_id=str(meta.get("scenario_id", "?")),
                        title=str(meta.get("title", "")), seed=int(meta.get("seed", 0)), size=size,
                        created=float(meta.get("created", used)), used=used,
                        log_lines=_log_lines(meta),
                    )
                )  # fmt: skip
            except (OSError, ValueError, TypeError):
                continue  # half-removed or foreign: not an entry
        return sorted(out, key=lambda e: e.used, reverse=True)

    def evict(self, keep: str | None = None) -> list[EntryInfo]:
        """Remove least-recently-used entries until the cache fits its limit (never `keep`), and
        sweep temporary folders left by writers that died."""
        self._sweep()
        entries = self.entries()
        total = sum(e.size for e in entries)
        removed = []
        for e in sorted(entries, key=lambda e: e.used):
            if total <= self.limit:
                break
            if e.key == keep:
                continue
            _remove(e.path)
            total -= e.size
            removed.append(e)
        return removed

    def _sweep(self, older_than: float = STALE_TMP_S) -> None:
        if not self.root.is_dir():
            return
        now = time.time()
        for folder in self.root.iterdir():
            if folder.name.startswith((".tmp-", ".trash-")):
                try:
                    if now - folder.stat().st_mtime >= older_than:
                        shutil.rmtree(folder, ignore_errors=True)
                except OSError:
                    continue

    def clear(self) -> int:
        """Remove every entry (and any temporary folder); returns how many entries went."""
        n = 0
        for e in self.entries():
            _remove(e.path)
            n += 1
        self._sweep(older_than=0.0)
        for memo in (CARD_DIR, CODE_DIR):  # the briefing cards and the code hash go with the entries
            shutil.rmtree(self.root / memo, ignore_errors=True)
        return n


def _log_lines(meta: dict) -> int:
    return int(meta.get("log_lines", 0))


_DEFAULT: Cache | None = None


def default_cache() -> Cache:
    """The process's cache on the configured folder (re-read when DOJO_CACHE_DIR changes)."""
    global _DEFAULT
    root = cache_dir()
    if _DEFAULT is None or _DEFAULT.root != root:
        _DEFAULT = Cache(root)
    return _DEFAULT


def synthesize_cached(scenario: Scenario, seed: int | None = None, progress: Progress | None = None) -> Telemetry:
    """synthesize() through the machine's cache (straight synthesis when DOJO_CACHE=off)."""
    if not enabled():
        from .synthesize import synthesize

        return synthesize(scenario, seed=seed, progress=progress)
    return default_cache().synthesize(scenario, seed=seed, progress=progress)


# Incidents a long-lived process keeps mapped for the processes it forks (the fork server of
# `dojo serve`, dojo/serve/forkserver.py), by cache folder and key. Empty in every other process.
_HELD: dict[tuple[str, str], Telemetry] = {}


def hold(scenario: Scenario, seed: int | None = None) -> Telemetry:
    """Map the incident (synthesizing it first if it is not cached) and keep it in this process:
    every later `synthesize` of it here, and in every process forked from here, gets these very
    tables and frames, whose pages the forks share with this process."""
    cache = default_cache()
    tel = cache.synthesize(scenario, seed=seed)
    _HELD[(str(cache.root), cache_key(scenario, seed))] = tel
    return tel


def hold_cached(cache: Cache, scenario: Scenario, seed: int | None = None) -> tuple[str, Telemetry] | None:
    """As `hold`, for an incident already in `cache` only (None when it is not: mapping is quick,
    synthesizing is not, and the warm dojo must not make other launches wait on it); returns its
    key with it, for `let_go`."""
    key = cache_key(scenario, seed)
    tel = _HELD.get((str(cache.root), key))
    if tel is None:
        tel = cache.get(scenario, seed)
        if tel is None:
            return None
        _HELD[(str(cache.root), key)] = tel
    return key, tel


def let_go(root: Path, key: str) -> None:
    """Stop holding an incident (forks made from now on map it themselves)."""
    _HELD.pop((str(root), key), None)


def warm(scenario: Scenario, seed: int | None = None) -> bool:
    """Make sure the incident is cached before players arrive; True if it already was."""
    if not enabled():
        return False
    cache = default_cache()
    before = cache.hits
    cache.synthesize(scenario, seed=seed)
    return cache.hits > before
