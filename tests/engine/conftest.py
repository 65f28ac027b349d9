"""Shared fixtures: the built-in scenario synthesized once per test session, a fresh store and
a manual-clock session factory per test."""

from pathlib import Path

import pytest

from dojo.scenario import load_scenario
from dojo.telemetry.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "tests" / "fixtures" / "checkout-retry-storm.yaml"


@pytest.fixture(autouse=True)
def dojo_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def scenario():
    return load_scenario(BUILTIN)


@pytest.fixture(scope="session")
def telemetry(scenario):
    return synthesize(scenario)


@pytest.fixture(scope="session")
def signals(telemetry):
    from dojo.engine.queries import Signals

    return Signals(telemetry)


@pytest.fixture
def store(tmp_path):
    from dojo.store import Store

    s = Store.open(tmp_path / "dojo.sqlite3")
    yield s
    s.close()


@pytest.fixture
def make_session(scenario, telemetry, store):
    """Session.start on the cached telemetry with a manual clock unless told otherwise."""
    from dojo.engine.session import Session

    def make(sc=None, tel=None, **kw):
        kw.setdefault("clock", "manual")
        return Session.start(sc or scenario, store, telemetry=tel or telemetry, **kw)

    return make
