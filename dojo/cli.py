"""The `dojo` command line. Subcommands live in dojo/commands/ and are imported only when run,
so `dojo --help` and the TUI start without paying for pandas or faker. `dojo` alone opens the
scenario library in the terminal UI (or, when its output is not a terminal, lists it as text)."""

from __future__ import annotations

import importlib
import sys
from contextlib import contextmanager
from typing import NoReturn

import click

from dojo.terminal_text import visible

# name -> "module:attribute" of a click command. Adding a command is one line here plus its module.
COMMANDS: dict[str, str] = {
    "list": "dojo.commands.library:list_cmd",
    "validate": "dojo.commands.library:validate_cmd",
    "schema": "dojo.commands.library:schema_cmd",
    "faults": "dojo.commands.library:faults_cmd",
    "generate": "dojo.commands.generate:generate_cmd",
    "lint": "dojo.commands.lint:lint_cmd",
    "fairness": "dojo.commands.fairness:fairness_cmd",
    "new": "dojo.commands.authoring:new_cmd",
    "preview": "dojo.commands.authoring:preview_cmd",
    "play": "dojo.commands.play:play_cmd",
    "import": "dojo.commands.importer:import_cmd",
    "history": "dojo.commands.history:history_cmd",
    "sanitize": "dojo.commands.sanitize:sanitize_cmd",
    "gameday": "dojo.commands.gameday:gameday_cmd",
    "join": "dojo.commands.gameday:join_cmd",
    "cache": "dojo.commands.cache:cache_cmd",
    "serve": "dojo.commands.serve:serve_cmd",
}

HELP = {
    "list": "List the scenarios (id, title, difficulty, tags).",
    "validate": "Check scenario files and folders; exit 1 if any is invalid.",
    "schema": "Print the JSON Schema of the scenario format.",
    "faults": "List the fault kinds with their parameters.",
    "generate": "Synthesize a scenario's logs, metrics, traces and events into a folder.",
    "lint": "Prove scenarios fair: evidence after onset only, alerts fire, answers exist.",
    "fairness": "Play a scripted reasoner against a guesser: reasoning must solve it and win.",
    "new": "Scaffold a scenario file that validates and lints clean, with comments that teach the format.",
    "preview": "Review a scenario: topology, timeline, alerts, sparklines, samples, evidence, lint.",
    "play": "Play a scenario in the terminal UI; --headless speaks JSON lines on stdin/stdout.",
    "import": "Import real logs, metrics and traces into a scenario (sanitized by default).",
    "history": "List past attempts with status, TTCD and points.",
    "sanitize": "Scrub real incident artifacts of IPs, names and secrets; --check scans for leftovers.",
    "gameday": "Run a game day: create a game, then start, pause, hint, inject, status, report, console.",
    "join": "Join your game day team with its join code (terminal UI).",
    "cache": "See, warm (warm SCENARIO...) and clear the synthesized incidents kept on disk; the warm dojo.",
    "serve": "Serve the dojo in a web browser, a dojo per tab (loopback only unless --host).",
}


class LazyGroup(click.Group):
    # click's own errors quote what was typed (an option, a command name, a path); those words
    # may come from a scenario's text pasted into a shell, so they are shown harmlessly.
    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        with _harmless_click_errors():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context):
        with _harmless_click_errors():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from a table so that `dojo --help` imports no command module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP.get(name, "")) for name in self.list_commands(ctx)])


@contextmanager
def _harmless_click_errors():
    try:
        yield
    except click.ClickException as exc:
        exc.message = visible(exc.message)  # type: ignore[misc]  # click marks it Final; we only sanitize it
        raise


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="debugging-dojo", prog_name="dojo")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Debugging dojo: replay incidents, investigate, diagnose, get scored and debriefed.

    Run with no command to open the scenario library.

    Launched from a terminal, the dojo also starts a warm dojo in the background:
    later launches (dojo, play, join) fork from it with everything loaded.
    DOJO_FORK_SERVER=off turns it off; DOJO_WARM_IDLE (default 15m) is how long
    it waits unused; 'dojo cache info' shows it, 'dojo cache stop' ends it.
    """
    _check_cache_limit()
    if ctx.invoked_subcommand is not None:
        return
    from dojo.interactive import can_draw

    if not can_draw():
        listing = cli.get_command(ctx, "list")
        assert listing is not None  # a built-in command
        ctx.invoke(listing)  # piped or scripted: the library as text
        return
    from dojo.tui.launch import run

    run()


def _check_cache_limit() -> None:
    """A bad DOJO_CACHE_LIMIT is one line now, not a failure deep inside the first synthesis."""
    import os

    if os.environ.get("DOJO_CACHE_LIMIT"):
        from dojo.telemetry.cache import CacheError, parse_size

        try:
            parse_size(os.environ["DOJO_CACHE_LIMIT"])
        except CacheError as exc:
            click.echo(f"dojo: {exc}", err=True)
            sys.exit(2)


# The commands a player runs in a terminal, forked warm when $DOJO_FORK_SERVER names a running
# fork server (`dojo gameday host` starts one and prints the line to set it).
FORKED = ("play", "join")


def _through_fork_server() -> None:
    """Hand this command to the fork server named by $DOJO_FORK_SERVER, if it is one of the
    players' and the socket is there: the launcher then stands in for the forked dojo and exits
    as it does. Anything else (or no server) runs here as always."""
    import os

    path = os.environ.get("DOJO_FORK_SERVER", "").strip()
    args = sys.argv[1:]
    if path.lower() in ("", "off", "0", "no", "false") or (args and args[0] not in FORKED) or not os.path.exists(path):
        return
    from dojo.serve.launch import main as launch

    launch([path, *args])


def main() -> None:
    _through_fork_server()
    try:
        try:
            cli.main(prog_name="dojo")
        finally:
            sys.stdout.flush()  # here, where a failure can be told, not at exit where it is lost
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:  # EFBIG (ulimit -f), ENOSPC (disk full), EIO: the output is incomplete
        _output_failed(exc)


def _output_failed(exc: OSError) -> NoReturn:
    import os

    try:  # what is still buffered must not fail again at exit, after the one line that says why
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    click.echo(f"dojo: cannot write the output ({exc.strerror or exc}); what was written is incomplete", err=True)
    sys.exit(1)
