"""`dojo cache`: see, warm and clear the synthesized incidents kept on disk."""

from __future__ import annotations

import time

import click

from .common import echo, fail, load_or_exit


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - the loop returns


def _age(t: float) -> str:
    s = max(0.0, time.time() - t)
    for unit, width in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= width:
            return f"{s / width:.0f}{unit} ago"
    return f"{s:.0f}s ago"


def _cache():
    from dojo.telemetry.cache import Cache, CacheError

    try:
        return Cache()
    except CacheError as exc:
        fail(str(exc), 2)


@click.group("cache")
def cache_cmd() -> None:
    """The synthesized incidents kept on disk: a scenario opened once opens instantly after, and
    every process playing it shares one copy in memory.

    \b
    Folder: $DOJO_CACHE_DIR, else the platform's per-user cache folder.
    Size limit: $DOJO_CACHE_LIMIT (e.g. 2G, 500M; default 2G); least recently used go first.
    DOJO_CACHE=off synthesizes every time and writes nothing.

    The warm dojo: a terminal launch starts a background server that later
    launches fork from, with the imports done and recently played incidents
    mapped ('dojo cache info' shows it). It ends after $DOJO_WARM_IDLE (default
    15m) unused; 'dojo cache stop' ends it now; DOJO_FORK_SERVER=off never
    starts or uses one.
    """


@cache_cmd.command("list")
def list_cmd() -> None:
    """List the cached incidents, most recently used first."""
    cache = _cache()
    entries = cache.entries()
    if not entries:
        echo(f"no cached incidents in {cache.root}")
        return
    echo(f"{'scenario':<34} {'seed':>10} {'lines':>9} {'size':>10}  {'used':<9}  key")
    for e in entries:
        echo(f"{e.scenario_id:<34} {e.seed:>10} {e.log_lines:>9} {_size(e.size):>10}  {_age(e.used):<9}  {e.key}")


@cache_cmd.command("info")
def info_cmd() -> None:
    """Where the cache is, its size against its limit, and how many incidents it holds."""
    cache = _cache()
    entries = cache.entries()
    total = sum(e.size for e in entries)
    echo(f"folder    {cache.root}")
    echo(f"entries   {len(entries)}")
    echo(f"size      {_size(total)} of {_size(cache.limit)} (least recently used evicted beyond that)")
    from dojo.telemetry.cache import SYNTHESIS_VERSION, enabled

    echo(f"synthesis version {SYNTHESIS_VERSION}; cache {'on' if enabled() else 'off (DOJO_CACHE)'}")
    _show_warm()


def _pss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            got = dict(line.split(":", 1) for line in fh if ":" in line)
        return int(got["Pss"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None


def _show_warm() -> None:
    from dojo.serve.warm import query

    state = query("status")
    if state is None:
        echo("warm dojo not running (a terminal launch starts one; DOJO_FORK_SERVER=off never does)")
        return
    pid = int(state["pid"])
    pss = _pss(pid)
    idle = float(state.get("idle") or 0)
    held = state.get("held") or []
    echo(
        f"warm dojo pid {pid}, memory (PSS) {_size(pss) if pss is not None else '?'},"
        f" {state.get('dojos', 0)} dojo(s) forked alive,"
        f" ends after {f'{idle / 60:g} min' if idle else 'never'} idle ($DOJO_WARM_IDLE); stop: dojo cache stop"
    )
    for h in held:
        echo(f"  holds {h['scenario']} (seed {h['seed']}, {h['lines']} lines, {_size(h['size'])})")
    if not held:
        echo("  holds no incident yet (it maps a cached one when a play of it comes through)")


def _stop_warm() -> int | None:
    """Stop this user's warm dojo; its pid, or None when none ran."""
    from dojo.serve.warm import query

    state = query("stop")
    return int(state["stopping"]) if state and "stopping" in state else None


@cache_cmd.command("stop")
def stop_cmd() -> None:
    """Stop the warm dojo (the background server terminal launches fork from); dojos it started live on."""
    pid = _stop_warm()
    echo(f"stopped the warm dojo (pid {pid})" if pid is not None else "no warm dojo was running")


@cache_cmd.command("clear")
def clear_cmd() -> None:
    """Remove every cached incident, and stop the warm dojo that holds some (players that have one
    open keep reading it)."""
    cache = _cache()
    # It holds entries mapped and would go on serving them: it goes with them.
    pid = _stop_warm()
    if pid is not None:
        echo(f"stopped the warm dojo (pid {pid})")
    n = cache.clear()
    echo(f"removed {n} cached incident{'s' if n != 1 else ''} from {cache.root}")


@cache_cmd.command("warm")
@click.argument("scenarios", nargs=-1, metavar="SCENARIO...")
@click.option("--all", "every", is_flag=True, help="Every built-in scenario.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Override the scenarios' seed.")
def warm_cmd(scenarios, every, seed) -> None:
    """Synthesize SCENARIO... into the cache now (ids or paths), so they open instantly."""
    if not scenarios and not every:
        fail("name scenarios to warm (ids or paths), or give --all", 2)
    refs = list(scenarios)
    if every:
        from dojo.builtin import find_scenarios, scenarios_dir

        refs += [str(p) for p in find_scenarios([scenarios_dir()])]
    from dojo.telemetry.cache import CacheError, enabled

    if not enabled():
        fail("the cache is off (DOJO_CACHE=off); unset it to warm", 2)
    cache = _cache()
    for ref in refs:
        sc = load_or_exit(ref)
        began = time.perf_counter()
        hits = cache.hits
        try:
            cache.synthesize(sc, seed=seed)
        except (CacheError, ValueError, OSError) as exc:
            fail(f"{ref}: cannot synthesize: {exc}")
        if not cache.has(sc, seed):
            fail(f"{ref}: could not write to the cache folder {cache.root}; check its permissions and free space")
        what = "cached already" if cache.hits > hits else "synthesized"
        echo(f"{sc.id:<34} {what} ({time.perf_counter() - began:.2f} s)")
