"""`dojo serve`: the dojo in a browser, one dojo process per tab (docs/facilitating.md)."""

from __future__ import annotations

import errno
import os
import sys

import click

from .common import echo, fail


def tab_args(game: str | None, db: str | None) -> list[str]:
    """What each tab's dojo is asked: the library exactly as `dojo` in a terminal, or with a
    game, the join screen that asks for a team code."""
    if game is None:
        return []
    return ["join", "--game", game] + (["--db", db] if db else [])


def tab_command(game: str | None, db: str | None) -> list[str]:
    """A tab's plain process: the same interpreter as the server, so the same install."""
    return [sys.executable, "-m", "dojo", *tab_args(game, db)]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; 0.0.0.0 for every network.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--max-sessions",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Open tabs at most; further tabs get a page saying the dojo is full (default: sized for this machine).",
)
@click.option("--game", default=None, metavar="GAME", help="Serve a game day: each tab asks for a team's join code.")
@click.option("--db", default=None, help="With --game: the game's database URL or file (default $DOJO_DB).")
@click.option(
    "--key",
    default=None,
    help="With --game: the facilitator key (or $DOJO_GAME_KEY); the incident is then prepared before teams arrive.",
)
@click.option(
    "--fork/--no-fork",
    default=True,
    show_default=True,
    help="Start tabs from a warm fork server that has imported the dojo (and mapped the game's incident) "
    "once, so each tab shares that memory; --no-fork starts every tab as a fresh process.",
)
def serve_cmd(
    host: str, port: int, max_sessions: int | None, game: str | None, db: str | None, key, fork: bool
) -> None:
    """Serve the dojo in a web browser: every tab runs its own dojo, as in a terminal.

    Listens on this machine only unless --host says otherwise. Each tab's dojo is forked from a
    warm fork server (imports done once, shared by every tab; Linux), or started as a fresh
    process where that is not possible. Ctrl-C stops the server and every tab's dojo; unfinished
    attempts stay resumable (`dojo play ID --resume`, or Resume in the library).
    """
    from dojo.serve.limits import default_max_sessions, reach_line

    if (db is not None or key is not None) and game is None:
        fail("--db and --key go with --game (the game's); the library uses your local store", code=2)
    key = key or os.environ.get("DOJO_GAME_KEY")
    if game is not None:
        _check_game(game, db, key)
    line = reach_line(host, port)
    if line is not None:
        echo(line, err=True)
    from dojo.serve.server import DojoServer

    limit = max_sessions or default_max_sessions()
    forks = _fork_server(game, db, key) if fork else None
    argv = tab_command(game, db) if forks is None else forks.launch(tab_args(game, db))
    server = DojoServer(argv, host=host, port=port, max_sessions=limit)
    try:
        server.serve()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use; pick another with --port")
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    finally:
        if forks is not None:
            forks.stop()


def _fork_server(game: str | None, db: str | None, key: str | None):
    """The warm fork server, or None (with one line saying why) when tabs must start plain."""
    from dojo.serve.forking import ForkServerError, ForkServerProcess

    try:
        return ForkServerProcess.start(game, db, key)
    except ForkServerError as exc:
        echo(f"dojo serve: no fork server ({exc}); each tab starts a dojo of its own, with its own memory", err=True)
        return None


def _check_game(game: str, db: str | None, key: str | None, who: str = "dojo serve") -> None:
    """A wrong game or database fails here, once, rather than in every tab. With the facilitator's
    key the game's incident is also put in the machine's cache, so that the first team to join
    does not wait for its synthesis (the key is what may read the game's scenario)."""
    from .gameday import game_store

    with game_store(db) as store:
        if key is None:
            if store.latest_id(game.strip()) == 0:
                fail(f"no game {game!r} in {store.shown}; 'dojo gameday create' prints the game's id")
            echo(f"{who}: give --key (or DOJO_GAME_KEY) to prepare the incident before the teams join", err=True)
            return
        _warm(store.facilitator_view(game.strip(), key.strip(), 0)[0], who)


def _warm(row, who: str = "dojo serve") -> None:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from dojo.gameday.team import load_game_scenario
    from dojo.telemetry.cache import enabled, warm

    if not enabled():
        return
    scenario = load_game_scenario(row.settings, row.id)
    echo(f"{who}: preparing the incident of game {row.id}...", err=True, nl=False)
    # In a process of its own: the synthesized incident would otherwise stay in the server's memory.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        cached = pool.submit(warm, scenario, int(row.settings["seed"])).result()
    echo(" already cached" if cached else " ready", err=True)
