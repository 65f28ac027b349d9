"""The fairness test's bench: scenarios, their telemetry and their trials, each made once per test
session (per xdist worker) and shared by the tests that need them."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from dojo.engine import session as session_module
from dojo.engine.queries import Signals
from dojo.engine.session import Session
from dojo.players.trial import Trial, run_trial
from dojo.scenario import load_scenario
from dojo.scenario.model import Scenario
from dojo.store import Store
from dojo.telemetry.model import Telemetry
from dojo.telemetry.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.yaml"))


class Bench:
    def __init__(self, db: Path):
        self.store = Store.open(db)
        self._scenarios: dict[Path, Scenario] = {}
        self._telemetry: dict[tuple[Path, int], Telemetry] = {}
        self._signals: dict[tuple[Path, int], Signals] = {}
        self._trials: dict[Path, Trial] = {}

    def close(self) -> None:
        self.store.close()

    def scenario(self, path: Path) -> Scenario:
        if path not in self._scenarios:
            self._scenarios[path] = load_scenario(path)
        return self._scenarios[path]

    def telemetry(self, path: Path, seed: int) -> Telemetry:
        if (path, seed) not in self._telemetry:
            self._telemetry[(path, seed)] = synthesize(self.scenario(path), seed=seed)
        return self._telemetry[(path, seed)]

    def session(self, path: Path, seed: int) -> Session:
        """A fresh attempt on a manual clock: time passes only when a player advances it.

        Session.start indexes the telemetry for queries (`Signals`) every time, a sixth of a
        second; the index is read-only (its lazy caches included), so the attempts on one
        synthesis share one."""
        key = (path, seed)
        if key not in self._signals:
            self._signals[key] = Signals(self.telemetry(path, seed))
        with mock.patch.object(session_module, "Signals", lambda _tel: self._signals[key]):
            return Session.start(self.scenario(path), self.store, telemetry=self.telemetry(path, seed), clock="manual")

    def trial(self, path: Path) -> Trial:
        if path not in self._trials:
            sc = self.scenario(path)
            self._trials[path] = run_trial(sc.id, sc.seed, lambda seed: self.session(path, seed))
        return self._trials[path]
