"""`dojo gameday ...` (the facilitator) and `dojo join` (a team member): see docs/facilitating.md."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager

import click

from .common import echo, fail, load_or_exit, positive_duration

DB_HELP = "Database URL (postgresql://user@host/db) or SQLite file; default $DOJO_DB, else your local store."


def _scheduled(ctx, param, values):
    from dojo.scenario.durations import DurationError, parse_duration

    out = []
    for raw in values:
        at, sep, text = raw.partition("=")
        if not sep or not text.strip():
            raise click.BadParameter(
                f"{raw!r}: write AT=TEXT, e.g. '10m=Support: EU customers report failed checkouts'"
            )
        try:
            out.append((parse_duration(at.strip()), text.strip()))
        except DurationError as exc:
            raise click.BadParameter(f"{raw!r}: {exc}") from None
    return out


@contextmanager
def game_store(db: str | None):
    """The store, with every failure as one line and exit 1."""
    from dojo.engine.errors import EngineError
    from dojo.store import StoreError
    from dojo.store.games import GameStore

    store = None
    try:
        store = GameStore(db)
        yield store
    except (StoreError, EngineError) as exc:
        fail(str(exc))
    finally:
        if store is not None:
            store.close()


def _key(key: str | None) -> str:
    key = key or os.environ.get("DOJO_GAME_KEY")
    if not key:
        fail("give the facilitator key: --key KEY (or DOJO_GAME_KEY), as printed by 'dojo gameday create'", code=2)
    return key


def _print_status(status: dict, as_json: bool) -> None:
    if as_json:
        echo(json.dumps(status, indent=2))
        return
    from dojo.gameday.text import status_text

    echo(status_text(status))


@click.group("gameday", context_settings={"help_option_names": ["-h", "--help"]})
def gameday_cmd() -> None:
    """Run a game day: teams play one scenario on one clock that you control.

    \b
    dojo gameday create SCENARIO --team red --team blue --time-limit 60m
    dojo gameday console GAME --key KEY        (or the commands below, from scripts)
    dojo gameday start|pause|resume|end GAME --key KEY
    dojo gameday hint GAME --key KEY [--team NAME]
    dojo gameday inject GAME --key KEY "Support: EU customers report failed checkouts" [--team NAME]
    dojo gameday extend GAME --key KEY 10m
    dojo gameday status GAME --key KEY --json
    dojo gameday report GAME --key KEY --out DIR [--anonymize]
    dojo gameday host GAME --key KEY           (players on this machine share one warm dojo)

    Teams join with 'dojo join CODE' (terminal UI) or 'dojo play --headless --join CODE'.
    The key may also come from $DOJO_GAME_KEY and the database from $DOJO_DB.
    """


@gameday_cmd.command("create")
@click.argument("scenario")
@click.option("--team", "teams", multiple=True, required=True, metavar="NAME", help="A team (repeat for each).")
@click.option("--speed", type=click.FloatRange(1, 60), default=1.0, show_default=True, help="Replay speed, 1 to 60.")
@click.option("--time-limit", callback=positive_duration, default=None, metavar="DURATION", help="Game time, e.g. 60m.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Override the scenario's seed.")
@click.option(
    "--inject",
    "injects",
    multiple=True,
    callback=_scheduled,
    metavar="AT=TEXT",
    help="A pre-written inject every team sees at game time AT, e.g. '10m=Support: EU checkouts fail' (repeat); "
    "the scenario's own injects are released too.",
)
@click.option("--db", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the game id, key and codes as JSON.")
def create_cmd(scenario, teams, speed, time_limit, seed, injects, db, as_json) -> None:
    """Create a game of SCENARIO: prints its id, the facilitator key and a join code per team."""
    from dojo.scenario.loader import resolve_scenario

    sc = load_or_exit(scenario)
    source = resolve_scenario(scenario).read_text(encoding="utf-8")
    from dojo.gameday.game import create_game
    from dojo.telemetry.cache import warm

    warm(sc, seed)  # synthesized once, before teams join: every team's process maps the same files
    with game_store(db) as store:
        created = create_game(
            store, sc, source, list(teams), speed=speed, time_limit=time_limit, seed=seed, scheduled=injects
        )
        shown = store.shown
    if as_json:
        echo(json.dumps({**created.to_dict(), "db": shown}, indent=2))
        return
    echo(f"game      {created.game_id}   ({created.title})")
    echo(f"key       {created.key}   (facilitator only: keep it to yourself)")
    for name, code in created.teams:
        echo(f"team      {name:<16} join code: {code}")
    echo(f"database  {shown}")
    echo(f"next: dojo gameday console {created.game_id} --key {created.key}")


def _facilitator(store, game: str, key: str | None):
    from dojo.gameday.game import Facilitator

    return Facilitator(store, game, _key(key))


def _simple(name: str, doc: str):
    @gameday_cmd.command(name, help=doc)
    @click.argument("game")
    @click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
    @click.option("--db", default=None, help=DB_HELP)
    @click.option("--json", "as_json", is_flag=True, help="Print the game's status as JSON.")
    def cmd(game, key, db, as_json) -> None:
        with game_store(db) as store:
            status = getattr(_facilitator(store, game, key), name)()
        _print_status(status, as_json)

    return cmd


start_cmd = _simple("start", "Start the game clock for every team.")
pause_cmd = _simple("pause", "Pause the game: every team's clock stops within 2 s.")
resume_cmd = _simple("resume", "Resume a paused game.")
end_cmd = _simple("end", "End the game now (teams that have not solved it stay unsolved).")


@gameday_cmd.command("hint")
@click.argument("game")
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option("--team", default=None, metavar="NAME", help="Only this team (default: every team).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True)
def hint_cmd(game, key, team, db, as_json) -> None:
    """Release the next scenario hint to one team or to all (it costs its listed time)."""
    with game_store(db) as store:
        status = _facilitator(store, game, key).hint(team)
    if not as_json:
        got = ", ".join(f"{r['team']} hint {r['hint']}" for r in status["released"])
        got = got or "nobody (all solved or none left)"
        echo(f"released: {got}")
    _print_status(status, as_json)


@gameday_cmd.command("inject")
@click.argument("game")
@click.argument("text")
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option("--team", default=None, metavar="NAME", help="Only this team (default: every team).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True)
def inject_cmd(game, text, key, team, db, as_json) -> None:
    """Send TEXT to every team (or one), e.g. "Support: EU customers report failed checkouts"."""
    with game_store(db) as store:
        status = _facilitator(store, game, key).inject(text, team)
    _print_status(status, as_json)


@gameday_cmd.command("extend")
@click.argument("game")
@click.argument("duration", callback=positive_duration)
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True)
def extend_cmd(game, duration, key, db, as_json) -> None:
    """Give every team DURATION more (e.g. 10m) on the game's time limit."""
    with game_store(db) as store:
        status = _facilitator(store, game, key).extend(duration)
    _print_status(status, as_json)


@gameday_cmd.command("ranking")
@click.argument("game")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True)
def ranking_cmd(game, state, key, db, as_json) -> None:
    """Show (on) or hide (off, the default) the ranking by score on the projector and in status."""
    with game_store(db) as store:
        status = _facilitator(store, game, key).ranking(state == "on")
    _print_status(status, as_json)


@gameday_cmd.command("status")
@click.argument("game")
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def status_cmd(game, key, db, as_json) -> None:
    """The game now: phase, clock, and every team's progress and members.

    A member is "online" while their client is seen (any action, or a heartbeat every 5 s from
    a quiet one), "away" when unseen for 15 s (a crashed or cut-off client), and neither once
    they quit. Judged by the database server's clock.
    """
    with game_store(db) as store:
        status = _facilitator(store, game, key).status()
    _print_status(status, as_json)


@gameday_cmd.command("report")
@click.argument("game")
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for report.md and report.html."
)
@click.option("--anonymize", is_flag=True, help="Call teams Team A, B... and members Member 1, 2...")
@click.option("--db", default=None, help=DB_HELP)
def report_cmd(game, key, out, anonymize, db) -> None:
    """Write report.md and a self-contained report.html for the retro."""
    from pathlib import Path

    from dojo.gameday.report import write_report

    with game_store(db) as store:
        fac = _facilitator(store, game, key)
        try:
            paths = write_report(fac, Path(out), anonymize=anonymize)
        except OSError as exc:
            fail(f"{out}: cannot write the report ({exc.strerror}); choose a writable folder")
    for p in paths:
        echo(str(p))


@gameday_cmd.command("console")
@click.argument("game")
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY).")
@click.option("--db", default=None, help=DB_HELP)
def console_cmd(game, key, db) -> None:
    """The facilitator's console in the terminal: every team live; start, pause, hint, inject."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("the console needs a terminal; scripts use 'dojo gameday status --json' and the commands", code=2)
    from dojo.store.games import GameStore

    with game_store(db) as store:
        _facilitator(store, game, key)  # a wrong key fails here, on the command line
    from dojo.tui.screens.gameday_console import run_console

    run_console(lambda: GameStore(db), game, _key(key))


def member_name(name: str | None) -> str:
    return name or os.environ.get("DOJO_MEMBER") or os.environ.get("USER") or "member"


@click.command("join")
@click.argument("code", nargs=-1)
@click.option("--name", default=None, help="Your name in the team (default $DOJO_MEMBER, else $USER).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--game", default=None, metavar="GAME", help="Without CODE: accept only codes of this game.")
def join_cmd(code, name, db, game) -> None:
    """Join your team with its CODE (the words your facilitator gave you) in the terminal UI.

    Without CODE, the screen asks for it (and your name): what each tab of `dojo serve --game` shows.
    """
    from dojo.interactive import can_draw

    if not can_draw():
        fail("joining in the terminal UI needs a terminal; bots use 'dojo play --headless --join CODE'", code=2)
    if not code:
        from dojo.tui.screens.ask_code import run_ask

        run_ask(db, game, name or os.environ.get("DOJO_MEMBER") or "")
        return
    if game is not None:
        fail("--game is for joining without a CODE; drop it (the code names its game)", code=2)
    text = " ".join(code)
    with game_store(db) as store:
        store.team_view(text)  # a wrong code fails here, on the command line
    from dojo.tui.screens.team_join import run_team

    run_team(db, text, member_name(name))


def serve_team(code: str, name: str | None, db: str | None) -> None:
    """`dojo play --headless --join CODE`: the team's JSON-lines session."""
    from dojo.commands.play import serve
    from dojo.engine.errors import EngineError
    from dojo.gameday.protocol import TeamProtocol
    from dojo.gameday.team import TeamSession
    from dojo.store import StoreError
    from dojo.store.games import GameStore

    try:
        store = GameStore(db)
        session = TeamSession.join(store, code, member_name(name))
    except (StoreError, EngineError) as exc:
        fail(str(exc))
    if sys.stdin.isatty():
        hello = f'team {session.team_name} as {session.member}: one JSON command a line, e.g. {{"cmd": "game"}}'
        echo(hello, err=True)
    try:
        serve(TeamProtocol(session), sys.stdin, sys.stdout)
    finally:
        store.close()


@gameday_cmd.command("host")
@click.argument("game", required=False)
@click.option("--key", default=None, help="The facilitator key (or $DOJO_GAME_KEY): the game's incident is mapped too.")
@click.option("--db", default=None, help=DB_HELP)
def host_cmd(game, key, db) -> None:
    """Keep a warm fork server for the players of this machine (tmux panes, ssh sessions as
    this user): with DOJO_FORK_SERVER set as printed, their `dojo join`, `dojo play` and `dojo`
    are forked from it, sharing its imports and the game's incident in memory. Ctrl-C stops it.
    """
    import signal

    from dojo.serve.forking import ForkServerError, ForkServerProcess

    from .serve import _check_game

    key = key or os.environ.get("DOJO_GAME_KEY")
    if db is not None and game is None:
        fail("--db goes with GAME (the game's)", code=2)
    if game is not None:
        _check_game(game, db, key, who="dojo gameday host")
    try:
        server = ForkServerProcess.start(game, db, key)
    except ForkServerError as exc:
        fail(f"cannot start the fork server: {exc}; players' dojos start on their own as usual")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped like Ctrl-C: the folder is removed
    warmed = " with the game's incident mapped" if server.warmed else ""
    echo(f"dojo gameday host: the fork server is ready{warmed}. In each player's shell on this machine:")
    echo(f"  export DOJO_FORK_SERVER={server.socket}")
    echo("then 'dojo join CODE' as usual. Ctrl-C stops it (open dojos keep going).")
    try:
        code = server.proc.wait()
        fail(f"the fork server stopped (status {code}); players' dojos now start on their own")
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
