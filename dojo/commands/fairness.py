"""`dojo fairness`: the reasoner against the guesser on scenarios (docs/fairness.md)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from .common import echo
from .library import _PATHS, _files, _load_all


@click.command("fairness")
@_PATHS
@click.option(
    "--seeds",
    default=2,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Synthesis seeds the reasoner must solve, from the scenario's own.",
)
@click.option(
    "--guesses",
    default=5,
    show_default=True,
    type=click.IntRange(1, 50),
    help="Guesser seeds; its median points must lose to the reasoner's.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also print what the reasoner saw and concluded on every seed.")
def fairness_cmd(paths: tuple[Path, ...], seeds: int, guesses: int, verbose: bool) -> None:
    """Play a scripted reasoner and a random guesser on scenarios (default: the built-in ones).

    Fair means: the reasoner, following only the evidence, solves the scenario on every seed,
    and its median points beat the guesser's. One line per scenario; for an unfair one, what the
    reasoner saw and concluded. Attempts go to a throwaway store, not your history. Exit 1 when
    any scenario is unfair or invalid."""
    from dojo.engine.session import Session
    from dojo.players.trial import run_trial
    from dojo.store import Store
    from dojo.telemetry.synthesize import synthesize

    files, errors = _files(paths)
    loaded, load_errors = _load_all(files, budget=True)
    errors += load_errors
    for err in errors:
        echo(str(err))
    unfair = 0
    with tempfile.TemporaryDirectory(prefix="dojo-fairness-") as tmp:
        store = Store.open(Path(tmp) / "dojo.sqlite3")
        try:
            for _, sc in loaded:
                synthesized: dict[int, object] = {}

                def start(seed: int, sc=sc, synthesized=synthesized) -> Session:
                    if seed not in synthesized:
                        synthesized[seed] = synthesize(sc, seed=seed)
                    return Session.start(sc, store, telemetry=synthesized[seed], clock="manual")

                trial = run_trial(sc.id, sc.seed, start, synthesis_seeds=seeds, guesser_seeds=guesses)
                echo(trial.summary())
                if not trial.fair:
                    unfair += 1
                    for problem in trial.problems():
                        echo("  " + problem.replace("\n", "\n  "))
                elif verbose:
                    for play in trial.reasoner:
                        echo("  " + play.report().replace("\n", "\n  "))
        finally:
            store.close()
    total = len(files)
    if errors or unfair:
        echo(f"{unfair + len({e.path for e in errors})} of {total} scenario{'s' * (total != 1)} unfair or invalid")
        sys.exit(1)
    echo(f"{total} scenario{'s' * (total != 1)} fair")
