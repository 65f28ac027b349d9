import os

import pytest

from .browser import HOW, ServeProcess, chromium_path, playwright_available


# Module scope: Playwright's sync API keeps an event loop running on this thread while the browser
# is open, and the Pilot tests that follow in the same worker call asyncio.run, which refuses to nest.
@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None or not playwright_available():
        if os.environ.get("CI") == "true":
            pytest.fail(HOW + " (CI must run the browser tests; .ci/run installs chromium)")
        pytest.skip(HOW)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI and containers run as root, where Chromium's sandbox refuses to start.
        b = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def serve(tmp_path):
    """Start `dojo serve` with the given arguments; every one started is ended after the test."""
    started = []

    def start(*args, **kwargs):
        s = ServeProcess(tmp_path / "home", *args, **kwargs)
        started.append(s)
        s.wait_listening()
        return s

    yield start
    for s in started:
        s.close()


@pytest.fixture
def game(tmp_path):
    """A game day with one team, red, in an SQLite file: (url, game id, key, red's code)."""
    from dojo.gameday.game import create_game
    from dojo.scenario import load_scenario, resolve_scenario
    from dojo.store.games import GameStore

    path = resolve_scenario("shipping-bad-config")
    url = f"sqlite:///{tmp_path / 'game.sqlite3'}"
    with GameStore(url) as store:
        g = create_game(store, load_scenario(path), path.read_text(encoding="utf-8"), ["red"])
    return url, g.game_id, g.key, g.teams[0][1]
