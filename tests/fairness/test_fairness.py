"""The fairness test: on every scenario, reasoning from the evidence solves it and beats guessing.

Parametrized over the files found at collection time (the built-in scenarios/ and this folder's
fixtures/), so a new scenario is covered the moment it is added. A scenario the reasoner cannot
solve is a bug in the scenario or the physics: the assertion message says what the reasoner saw
and concluded. See docs/fairness.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from dojo.players.play import Play
from dojo.players.reasoner import play_reasoner

from .bench import FIXTURES, SCENARIOS, Bench

PLAYERS = Path(__file__).resolve().parents[2] / "dojo" / "players"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="session")
def bench(tmp_path_factory) -> Iterator[Bench]:
    b = Bench(tmp_path_factory.mktemp("fairness") / "dojo.sqlite3")
    yield b
    b.close()


def test_there_is_something_to_play():
    assert SCENARIOS, "no scenarios found in scenarios/"
    assert FIXTURES, "no fixtures found in tests/fairness/fixtures/"


@pytest.mark.parametrize("path", SCENARIOS + FIXTURES, ids=_id)
def test_reasoning_solves_it_and_beats_guessing(bench, path):
    # One test per scenario (not one per property), so that one xdist worker synthesizes it.
    trial = bench.trial(path)
    assert trial.fair, f"{_id(path)} is not fair:\n" + "\n".join(trial.problems())


def test_the_reasoner_is_deterministic(bench):
    path = FIXTURES[0]
    seed = bench.scenario(path).seed
    first, again = (play_reasoner(bench.session(path, seed)) for _ in range(2))
    assert _summary(again) == _summary(first)


def _summary(play: Play) -> tuple:
    return (play.points, [(g.service, g.fault) for g in play.guesses], play.pins, play.waited_s, play.notes)


# What the players may not touch: the answer key, the timeline, the telemetry behind the API.
FORBIDDEN_ATTRIBUTES = {"scenario", "signals", "telemetry", "tel", "rules", "answer", "timeline", "truth", "spans_df"}
ALLOWED_IMPORTS = ("dojo.engine", "dojo.telemetry.faults", "dojo.players")


@pytest.mark.parametrize("module", sorted(PLAYERS.glob("*.py")), ids=lambda p: p.name)
def test_players_use_the_session_api_only(module):
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr not in FORBIDDEN_ATTRIBUTES, f"{module.name}:{node.lineno}: reads .{node.attr}"
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("dojo"):
            assert node.module.startswith(ALLOWED_IMPORTS), f"{module.name}:{node.lineno}: imports {node.module}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith("dojo") or alias.name.startswith(ALLOWED_IMPORTS), (
                    f"{module.name}: imports {alias.name}"
                )
            assert all(a.name != "textual" for a in node.names)
