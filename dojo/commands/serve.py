"""`dojo serve`: the dojo in a browser, one dojo process per tab (docs/facilitating.md)."""

from __future__ import annotations

import errno
import sys

import click

from .common import echo, fail


def tab_command(game: str | None, db: str | None) -> list[str]:
    """What each tab runs: the library exactly as `dojo` in a terminal, or with a game, the join
    screen that asks for a team code. The same interpreter as the server, so the same install."""
    argv = [sys.executable, "-m", "dojo"]
    if game is None:
        return argv
    argv += ["join", "--game", game]
    return argv + (["--db", db] if db else [])


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
def serve_cmd(host: str, port: int, max_sessions: int | None, game: str | None, db: str | None) -> None:
    """Serve the dojo in a web browser: every tab runs its own dojo, as in a terminal.

    Listens on this machine only unless --host says otherwise. Ctrl-C stops the server and every
    tab's dojo; unfinished attempts stay resumable (`dojo play ID --resume`, or Resume in the library).
    """
    from dojo.serve.limits import default_max_sessions, reach_line

    if db is not None and game is None:
        fail("--db goes with --game (the game's database); the library uses your local store", code=2)
    if game is not None:
        _check_game(game, db)
    line = reach_line(host, port)
    if line is not None:
        echo(line, err=True)
    from dojo.serve.server import DojoServer

    limit = max_sessions or default_max_sessions()
    server = DojoServer(tab_command(game, db), host=host, port=port, max_sessions=limit)
    try:
        server.serve()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use; pick another with --port")
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _check_game(game: str, db: str | None) -> None:
    """A wrong game or database fails here, once, rather than in every tab."""
    from .gameday import game_store

    with game_store(db) as store:
        if store.latest_id(game.strip()) == 0:
            fail(f"no game {game!r} in {store.shown}; 'dojo gameday create' prints the game's id")
