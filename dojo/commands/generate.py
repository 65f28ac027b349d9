"""`dojo generate`: synthesize a scenario's signals into files."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .common import echo, fail, load_or_exit


class StderrProgress:
    """A one-line progress bar on stderr, shown only on a terminal and only once work takes a moment."""

    def __init__(self, label: str, delay: float = 0.3):
        self.label, self.delay, self.t0, self.shown = label, delay, time.perf_counter(), False
        self.enabled = sys.stderr.isatty()

    def __call__(self, what: str, frac: float) -> None:
        if not self.enabled or time.perf_counter() - self.t0 < self.delay:
            return
        width = 30
        filled = int(frac * width)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {what:<12}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


@click.command("generate")
@click.argument("scenario")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the files into (created if missing).",
)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Override the scenario's seed.")
def generate_cmd(scenario: str, out: Path, seed: int | None) -> None:
    """Synthesize SCENARIO (a file or a built-in id) into OUT: logs.jsonl, logs.log,
    metrics.csv, traces.otlp.json and events.jsonl. Same scenario and seed, same bytes."""
    from dojo.telemetry.export import export
    from dojo.telemetry.synthesize import synthesize

    sc = load_or_exit(scenario)
    progress = StderrProgress(f"generating {sc.id}")
    try:
        tel = synthesize(sc, seed=seed, progress=progress)
        progress("writing", 0.95)
        try:
            files = export(tel, out)
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}; choose another --out folder")
    finally:
        progress.close()
    echo(
        f"{sc.id} (seed {tel.seed}): {tel.n_logs:,} log lines, {len(tel.metrics):,} metric points, "
        f"{tel.spans['trace_id'].nunique():,} traces ({len(tel.spans):,} spans), {len(tel.events):,} events -> {out}"
    )
    for f in files:
        echo(f"  {f}")
