"""What a cached launch reads before anything heavy: the code's fingerprint, and briefing cards.

Imports only the standard library: `dojo play` calls it before the terminal UI's first paint,
where numpy, pandas, pyarrow, faker and pydantic (most of a second together) must not load.

- The code hash (the bytes of the synthesizing code, part of every cache key) costs tens of
  milliseconds to compute and the installed package versions as much again to look up, on every
  launch. Both are kept in the cache folder under a fingerprint of the files' paths, sizes and
  modification times (and of the data packages' own files), so they are computed once per
  installed version, and again at once when any of those files changes.
- A briefing card is what the briefing screen shows of an incident (the engine's `Briefing`
  and the scenario's tags and objectives), written once an attempt on it has opened: the
  scenario had validated and the incident had been synthesized. It is found by the scenario
  file's bytes, the seed asked for and the code's fingerprint, so the briefing shows before the
  model, its validation and the incident are loaded; the attempt opens behind it. A card whose
  incident has left the cache is not served.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

# The folders whose code decides the bytes synthesis makes (the cache key's code hash) and,
# with the engine, what a briefing says (a card's key).
SYNTHESIS_TREES = ("telemetry", "scenario")
CARD_TREES = ("telemetry", "scenario", "engine")
# Packages whose versions can change the synthesized bytes (random streams, pools, Arrow layout).
PACKAGES = ("numpy", "pandas", "pyarrow", "faker")
CODE_DIR = ".code"
CARD_DIR = ".briefings"
CARD_FORMAT = 1


def _package_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _tree_files(trees: tuple[str, ...]) -> list[Path]:
    root = _package_root()
    out: list[Path] = []
    for tree in trees:
        for folder, dirs, names in os.walk(root / tree):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            out.extend(Path(folder) / n for n in sorted(names) if n.endswith((".py", ".txt")))
    return out


def _package_files() -> list[tuple[str, str | None]]:
    """Each data package and the file whose stat changes when it is reinstalled (found without
    importing it)."""
    from importlib.util import find_spec

    out = []
    for name in PACKAGES:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):  # pragma: no cover - a broken install; still a distinct key
            spec = None
        out.append((name, spec.origin if spec is not None else None))
    return out


def _stat(path: str | Path | None) -> str:
    if path is None:
        return "-"
    try:
        st = os.stat(path)
    except OSError:
        return "?"
    return f"{st.st_size}:{st.st_mtime_ns}"


def fingerprint(trees: tuple[str, ...] = CARD_TREES) -> str:
    """Paths, sizes and modification times of the code in `trees` and of the data packages: cheap
    (a stat per file), and it changes whenever any of them is edited or reinstalled."""
    h = hashlib.sha256()
    root = _package_root()
    for path in _tree_files(trees):
        h.update(f"{path.relative_to(root).as_posix()}={_stat(path)};".encode())
    for name, origin in _package_files():
        h.update(f"{name}@{origin}={_stat(origin)};".encode())
    return h.hexdigest()[:24]


def _content_hash(trees: tuple[str, ...]) -> str:
    root = _package_root()
    h = hashlib.sha256()
    for path in _tree_files(trees):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - a broken install; still a distinct key
            out[name] = "?"
    return out


def _write_json(path: Path, doc: Any) -> None:
    """Atomically, best effort: a read-only or full cache folder costs speed only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex[:8]}")
        tmp.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def code_versions(root: Path | None) -> dict[str, str]:
    """{"code": hash of the synthesizing code, and each data package's version}, memoized in
    `root` (the cache folder; None: computed every time) under the code's fingerprint."""
    fp = fingerprint(SYNTHESIS_TREES)
    memo = None if root is None else root / CODE_DIR / f"{fp}.json"
    if memo is not None:
        got = _read_json(memo)
        if isinstance(got, dict) and isinstance(got.get("code"), str):
            return {str(k): str(v) for k, v in got.items()}
    out = {"code": _content_hash(SYNTHESIS_TREES), **_package_versions()}
    if memo is not None:
        _write_json(memo, out)
    return out


# -- briefing cards ----------------------------------------------------------------------------


def scenario_path(ref: Any) -> Path | None:
    """The file a scenario reference names (a path, or a built-in id), without loading it."""
    if isinstance(ref, Path):
        return ref if ref.is_file() else None
    if not isinstance(ref, str):
        return None
    p = Path(ref)
    if p.is_file():
        return p
    if "/" in ref or os.sep in ref:
        return None
    from dojo.builtin import ENV, SUFFIXES

    # dojo.builtin.scenarios_dir() asks importlib.resources, whose import costs more than this
    # whole lookup; a package installed as files has the folder right here.
    env = os.environ.get(ENV)
    folder = Path(env) if env else _package_root() / "builtin_scenarios"
    if not folder.is_dir():
        from dojo.builtin import scenarios_dir

        folder = scenarios_dir()
    for suffix in SUFFIXES:
        cand = folder / f"{ref}{suffix}"
        if cand.is_file():
            return cand
    return None


def _file_hash(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def source_key(path: Path, seed: int | None) -> str | None:
    """The scenario file's bytes, the seed asked for and the code's fingerprint, hashed; None
    when the file cannot be read."""
    import dojo

    from .cache import SYNTHESIS_VERSION

    digest = _file_hash(path)
    if digest is None:
        return None
    doc = f"{digest}|{seed}|{dojo.__version__}|{SYNTHESIS_VERSION}|{CARD_FORMAT}|{fingerprint(CARD_TREES)}"
    return hashlib.sha256(doc.encode()).hexdigest()[:32]


def model_key(scenario: Any, seed: int | None) -> str:
    """The source key of a scenario given as a model with no file (a script's, a benchmark's):
    its incident's cache key (its whole content) and the code's fingerprint, hashed."""
    import dojo

    from .cache import SYNTHESIS_VERSION, cache_key

    doc = f"model|{cache_key(scenario, seed)}|{seed}|{dojo.__version__}|{SYNTHESIS_VERSION}|{CARD_FORMAT}"
    return hashlib.sha256(f"{doc}|{fingerprint(CARD_TREES)}".encode()).hexdigest()[:32]


def _is_model(ref: Any) -> bool:
    return hasattr(ref, "model_dump_json") and not getattr(ref, "file", None)


def card_source(ref: Any, seed: int | None) -> str | None:
    """The source key a card for `ref` is kept under: taken before the scenario is loaded, so a
    file edited meanwhile leaves the card under bytes that no longer exist, never under new ones."""
    if _is_model(ref):
        return model_key(ref, seed)
    path = scenario_path(ref)
    return None if path is None else source_key(path, seed)


def write_card(root: Path, skey: str, key: str, card: dict, imports: dict[str, Path]) -> None:
    """Keep `card` under the source key `skey` (card_source), its incident cached under `key`;
    `imports` are the signal files it read (their bytes are checked on reading)."""
    files = {str(p): _file_hash(p) for p in imports.values()}
    _write_json(root / CARD_DIR / f"{skey}.json", {"format": CARD_FORMAT, "key": key, "imports": files, "card": card})


def read_card(root: Path, ref: Any, seed: int | None) -> dict | None:
    """The briefing card of a scenario reference opened with `seed`, if one was kept for exactly
    these bytes and this code and its incident is still cached; None otherwise."""
    kept = read_kept(root, ref, seed)
    return None if kept is None else kept[0]


def read_kept(root: Path, ref: Any, seed: int | None) -> tuple[dict, str] | None:
    """`read_card`, and the cache key of the card's incident (its folder under `root`)."""
    skey = card_source(ref, seed)
    if skey is None:
        return None
    doc = _read_json(root / CARD_DIR / f"{skey}.json")
    if not isinstance(doc, dict) or doc.get("format") != CARD_FORMAT or not isinstance(doc.get("card"), dict):
        return None
    key = doc.get("key")
    if not isinstance(key, str) or not (root / key / "meta.json").is_file():
        return None  # its incident was evicted or cleared: the card would outlive what it describes
    imports = doc.get("imports")
    if not isinstance(imports, dict) or any(_file_hash(Path(p)) != h for p, h in imports.items()):
        return None
    return doc["card"], key
