import os

import pytest

from dojo.scenario import load_scenario, resolve_scenario

from .pg import HOW, PgServer, bindir

SCENARIO = "checkout-retry-storm"


@pytest.fixture(scope="session")
def pg_server():
    if bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(HOW + " (CI must run the PostgreSQL tests)")
        pytest.skip(HOW)
    server = PgServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def scenario():
    path = resolve_scenario(SCENARIO)
    return load_scenario(path), path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def telemetry(scenario):
    from dojo.telemetry.synthesize import synthesize

    return synthesize(scenario[0])


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dojo.sqlite3'}"
    return request.getfixturevalue("pg_server").url


@pytest.fixture
def store(db_url):
    from dojo.store.games import GameStore

    s = GameStore(db_url)
    yield s
    s.close()


@pytest.fixture
def game(store, scenario, telemetry):
    from dojo.gameday.game import create_game

    sc, source = scenario
    return create_game(store, sc, source, ["red", "blue", "green"], speed=10.0, telemetry=telemetry)
