"""`dojo history`: past attempts, each scored from its own events."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .common import echo, fail


def _ttcd(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    from dojo.scenario.durations import format_duration

    return format_duration(seconds)


@click.command("history")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per attempt, in a list.")
@click.option("--scenario", default=None, help="Only attempts of this scenario id.")
def history_cmd(as_json: bool, scenario: str | None) -> None:
    """List past attempts: scenario, started, status, TTCD, points."""
    from dojo.engine.readback import MalformedAttempt, check_events
    from dojo.engine.scoring import score
    from dojo.store import Store, StoreError

    try:
        with Store.open(readonly=True) as store:  # a read: works on a store it may not write
            rows = store.attempts(scenario)
            events = store.all_events()
    except StoreError as exc:
        fail(str(exc))
    out: list[dict[str, Any]] = []
    unreadable = 0
    for row in rows:
        evs = events.get(row.id, [])
        if not evs:
            continue
        try:
            check_events(row.id, evs)
            card = score(evs)
        except MalformedAttempt as exc:  # named, skipped; every other attempt still shows
            echo(f"dojo: {exc}", err=True)
            unreadable += 1
            continue
        out.append(
            {
                "attempt": row.id,
                "scenario": row.scenario_id,
                "title": row.title,
                "started": row.created_at,
                "status": card.outcome,
                "resumable": card.outcome == "abandoned",
                "ttcd_s": card.ttcd_s,
                "penalty_s": card.penalty_s,
                "points": card.points,
            }
        )
    if as_json:
        echo(json.dumps(out, indent=2))
        sys.exit(1 if unreadable else 0)
    if not out:
        none = "no attempts yet; start one with 'dojo play SCENARIO --headless'"
        echo("no readable attempts" if unreadable else none)
        sys.exit(1 if unreadable else 0)
    width = max(len("scenario"), *(len(r["scenario"]) for r in out))
    echo(f"{'#':>4}  {'scenario':<{width}}  {'started (UTC)':<16}  {'status':<9}  {'TTCD':>8}  {'points':>6}")
    for r in out:
        started = r["started"][:16].replace("T", " ")
        echo(
            f"{r['attempt']:>4}  {r['scenario']:<{width}}  {started:<16}  {r['status']:<9}  {_ttcd(r['ttcd_s']):>8}  "
            f"{r['points']:>6}"
        )
    if any(r["resumable"] for r in out):
        echo("abandoned attempts can be resumed: dojo play SCENARIO --headless --resume N")
    if unreadable:
        sys.exit(1)
