"""`dojo play`: play a scenario, in the terminal UI (docs/tui.md) or headless, JSON lines on
stdin/stdout (docs/headless.md)."""

from __future__ import annotations

import sys

import click

from .common import echo, fail, load_or_exit, positive_duration


def _resumable(store, scenario_id: str, wanted: str) -> int:
    """The attempt to resume: a number, or 'latest' (the newest unfinished one of this scenario)."""
    from dojo.engine.attempt import Attempt

    if wanted != "latest":
        try:
            return int(wanted.lstrip("#"))
        except ValueError:
            fail(f"--resume takes an attempt number (see 'dojo history'), not {wanted!r}")
    from dojo.engine.readback import readable

    for row in reversed(store.attempts(scenario_id)):
        events = store.events(row.id)
        if events and readable(row.id, events) and not Attempt.from_events(events).over:
            return row.id
    fail(f"no unfinished attempt of {scenario_id} to resume; see 'dojo history'")


@click.command("play")
@click.argument("scenario", required=False)
@click.option("--headless", is_flag=True, help="Read JSON commands on stdin, write JSON replies on stdout.")
@click.option("--speed", type=click.FloatRange(1, 60), default=None, help="Replay speed, 1 to 60 (default 1).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Override the scenario's seed.")
@click.option(
    "--mode",
    type=click.Choice(["practice", "challenge"]),
    default=None,
    help="practice (default): pause, speed and advance allowed; challenge: the clock just runs.",
)
@click.option(
    "--clock",
    "clock_kind",
    type=click.Choice(["real", "manual"]),
    default=None,
    help="real (default): time passes; manual: only 'advance' moves time (deterministic).",
)
@click.option(
    "--time-limit",
    callback=positive_duration,
    default=None,
    metavar="DURATION",
    help="End the attempt unsolved after this much of your time, e.g. 45m.",
)
@click.option(
    "--resume",
    "resume",
    is_flag=False,
    flag_value="latest",
    default=None,
    metavar="[N]",
    help="Resume attempt N, or the latest unfinished one of SCENARIO.",
)
@click.option("--join", "join", default=None, metavar="CODE", help="Play in a game day as the team with this code.")
@click.option("--name", default=None, help="With --join: your name in the team (default $DOJO_MEMBER, else $USER).")
@click.option("--db", default=None, help="With --join: the game's database URL or file (default $DOJO_DB).")
def play_cmd(scenario, headless: bool, speed, seed, mode, clock_kind, time_limit, resume, join, name, db) -> None:
    """Play SCENARIO (a file or a built-in id): investigate, diagnose, get scored.

    With --join CODE, play in a game day instead: the game decides the scenario and the clock.
    """
    if join is not None:
        if scenario is not None or any(x is not None for x in (speed, seed, mode, clock_kind, time_limit, resume)):
            fail("--join plays the game's scenario on the game's clock; drop SCENARIO and the other play options")
        from .gameday import join_cmd, serve_team

        if headless:
            serve_team(join, name, db)
        else:
            click.get_current_context().invoke(join_cmd, code=(join,), name=name, db=db)
        return
    if scenario is None:
        fail("give a SCENARIO (see 'dojo list'), or --join CODE for a game day", code=2)
    from dojo.interactive import can_draw

    if not headless and not can_draw():
        fail("the terminal UI needs a terminal; scripts and agents play with --headless (see docs/headless.md)", code=2)
    if not headless and resume is None and _briefing_kept(scenario, seed):
        # Opened before, unchanged since: the briefing shows from its kept card while the model
        # loads behind it, so the command does not load it first (a second of imports).
        _play_tui(scenario, speed, seed, mode, clock_kind, time_limit, None)
        return
    sc = load_or_exit(scenario, budget=headless)  # the TUI checks it off the UI thread, on the briefing
    from dojo.engine.errors import EngineError
    from dojo.scenario import ScenarioErrors
    from dojo.store import Store, StoreError

    if resume is not None and any(x is not None for x in (speed, seed, mode, clock_kind, time_limit)):
        fail("--resume continues an attempt with its own settings; drop --speed/--seed/--mode/--clock/--time-limit")
    if not headless:
        _play_tui(sc, speed, seed, mode, clock_kind, time_limit, resume)
        return
    from dojo.engine.protocol import Protocol
    from dojo.engine.session import Session

    try:
        store = Store.open()
        if resume is not None:
            session = Session.resume(sc, store, _resumable(store, sc.id, resume))
        else:
            session = Session.start(
                sc,
                store,
                seed=seed,
                speed=speed or 1.0,
                mode=mode or "practice",
                clock=clock_kind or "real",
                time_limit=time_limit,
            )
    except (StoreError, EngineError) as exc:
        fail(str(exc))
    except ScenarioErrors as exc:  # the size budget, checked again on the very draw that is played
        fail(str(exc.errors[0]))
    if sys.stdin.isatty():
        echo(f'attempt #{session.attempt_id} of {sc.id}: one JSON command a line, e.g. {{"cmd": "help"}}', err=True)
    serve(Protocol(session), sys.stdin, sys.stdout)


def _briefing_kept(ref: str, seed: int | None) -> bool:
    """A briefing card is kept for exactly this file, seed and code (dojo.telemetry.fastopen)."""
    from dojo.telemetry import cache
    from dojo.telemetry.fastopen import read_card

    return cache.enabled() and read_card(cache.cache_dir(), ref, seed) is not None


def _play_tui(sc, speed, seed, mode, clock_kind, time_limit, resume) -> None:
    """The terminal UI, straight to the briefing. The attempt to resume is found here, so a
    wrong number fails on the command line rather than on a screen."""
    from dojo.tui.launch import run
    from dojo.tui.prepare import PlaySettings

    attempt = None
    if resume is not None:  # `sc` is a loaded Scenario here (a kept briefing passes the reference itself)
        from dojo.store import Store, StoreError

        try:
            with Store.open() as store:
                attempt = _resumable(store, sc.id, resume)
        except StoreError as exc:
            fail(str(exc))
    settings = PlaySettings(
        speed=speed or 1.0,
        seed=seed,
        mode=mode or "practice",
        clock=clock_kind or "real",
        time_limit=time_limit,
        resume=attempt,
    )
    run(play=sc, settings=settings)


def serve(protocol, inp, out) -> None:
    """The loop: a reply per line, flushed at once; EOF or 'quit' ends the session cleanly."""
    from dojo.engine.protocol import MAX_COMMAND_CHARS, encode

    reason = "eof"
    while True:
        # readline, not iteration: reply to each line as soon as it arrives; bounded, so a line
        # with no end (a stream of junk) costs a megabyte, not all the memory there is.
        line = inp.readline(MAX_COMMAND_CHARS + 1)
        if not line:
            break
        if len(line) > MAX_COMMAND_CHARS and not line.endswith("\n"):
            _skip_rest_of_line(inp)
            reply = {"ok": False, "error": f"protocol error: a command longer than {MAX_COMMAND_CHARS:,} characters"}
        else:
            reply = protocol.handle_line(line)
        if reply is None:
            continue
        try:
            out.write(encode(reply) + "\n")
            out.flush()
        except OSError as exc:  # EPIPE (reader gone), EFBIG (ulimit -f), ENOSPC (disk full)
            protocol.session.close("output error")
            _give_up_output(out)
            why = exc.strerror or str(exc)
            fail(f"cannot write to standard output ({why}); the attempt is saved, resume it with --resume")
        if protocol.done:
            reason = "quit"
            break
    protocol.session.close(reason)


def _skip_rest_of_line(inp) -> None:
    from dojo.engine.protocol import MAX_COMMAND_CHARS

    while (part := inp.readline(MAX_COMMAND_CHARS)) and not part.endswith("\n"):
        pass


def _give_up_output(out) -> None:
    """Point the broken stream at /dev/null, so the interpreter's last flush of what is still
    buffered cannot fail again after the one line that says why we stopped."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's buffer): nothing to flush
        pass
