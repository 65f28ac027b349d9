"""`dojo serve` in a real browser: headless Chromium opens the page, waits for the dojo to draw,
types keys and reads the terminal's text back from the page (tests/serve/browser.py)."""

import os
import re
import time

import psutil
import pytest

from .browser import open_dojo, press, screen_text, wait_for, wait_for_text

pytestmark = pytest.mark.slow  # each starts a server and a dojo per tab: seconds, not milliseconds

LOG_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} (?:DEBUG|INFO|WARN|ERROR|FATAL)\s+[^│]*")
FILTERED = re.compile(r"Logs · ([\d,]+) lines? · 'failed'")


def gone(processes, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes):
            return True
        time.sleep(0.1)
    return False


def to_workspace(page):
    wait_for_text(page, "scenario library")
    press(page, "Enter")  # the first scenario's briefing
    wait_for_text(page, "Ready. Enter starts the clock", timeout=60)
    press(page, "Enter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the log pane fills once the replay's logs are loaded
        shown = screen_text(page)
        if len(LOG_LINE.findall(shown)) >= 5:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"no log lines showed:\n{shown}")


def test_the_page_shows_the_library_and_plays_a_scenario_with_a_log_filter(browser, serve):
    server = serve()
    page = open_dojo(browser, server.url)
    library = wait_for_text(page, "scenario library")
    assert "shipping-bad-config" in library and "Scenarios · 20 of 20" in library
    assert "T Light/dark" in library  # the footer offers the key a browser lets through
    shown = to_workspace(page)
    assert "T+" in shown and "▶ ×1" in shown  # the replay clock runs
    time.sleep(1.0)  # as a person would, look before typing
    press(page, "/")
    # The filter box has the keys once the footer shows its keys instead of the workspace's.
    wait_for(page, lambda text: "Pause/resume" not in text.splitlines()[-1], timeout=10)
    page.keyboard.type("failed", delay=30)
    press(page, "Enter")
    shown = wait_for(page, lambda text: FILTERED.search(text) and int(FILTERED.search(text)[1].replace(",", "")) > 0)
    lines = LOG_LINE.findall(shown)
    assert len(lines) >= 3, shown
    # The filter matches whole lines; a line wider than the pane shows "failed" past its edge, so a
    # line without the word must be one cut there (text up to the last column).
    hidden = [x for x in lines if "failed" not in x]
    assert all(len(x) - len(x.rstrip()) <= 1 for x in hidden), hidden
    assert len(hidden) < len(lines), lines
    press(page, "Escape")  # clear the filter: the other services' lines come back
    shown = wait_for(page, lambda text: "'failed'" not in text and LOG_LINE.search(text))
    assert any("failed" not in x and len(x) - len(x.rstrip()) > 1 for x in LOG_LINE.findall(shown)), shown


def test_a_full_server_answers_with_a_page_and_a_closed_tab_frees_its_place(browser, serve):
    server = serve("--max-sessions", "1")
    first = open_dojo(browser, server.url)
    wait_for_text(first, "scenario library")
    [_dojo] = server.dojos()
    tab = server.children()  # the dojo and, forked, its launcher
    second = browser.new_page()
    response = second.goto(server.url)
    assert response.status == 503
    assert "The dojo is full" in second.inner_text("#dojo-full") and "--max-sessions" in second.content()
    first.close()  # closing the tab ends its dojo
    assert gone(tab)
    third = open_dojo(browser, server.url)
    wait_for_text(third, "scenario library")


def test_ctrl_c_ends_every_tab_and_leaves_the_attempt_resumable(browser, serve):
    server = serve()
    page = open_dojo(browser, server.url)
    to_workspace(page)
    idle = open_dojo(browser, server.url)
    wait_for_text(idle, "scenario library")
    assert len(server.dojos()) == 2
    children = server.descendants()
    code, out, err = server.interrupt()
    assert code == 0, err
    assert "Traceback" not in out + err
    assert gone(children, timeout=1)  # the tabs, and the fork server
    from dojo.engine.attempt import Attempt
    from dojo.store import Store
    from dojo.store.paths import FILE_NAME

    with Store.open(server.home / FILE_NAME) as store:
        [row] = store.attempts("shipping-bad-config")
        assert not Attempt.from_events(store.events(row.id)).over


def test_a_game_day_tab_asks_for_the_team_code_and_opens_the_team_lobby(browser, serve, game, tmp_path):
    url, game_id, key, code = game
    cache = tmp_path / "cache"
    server = serve("--game", game_id, "--db", url, "--key", key, env={"DOJO_CACHE_DIR": str(cache)})
    assert any(cache.rglob("*")), "the incident is cached before the first team joins"
    page = open_dojo(browser, server.url)
    wait_for_text(page, "Join your game day team")
    press(page)
    page.keyboard.type("not a code", delay=20)
    press(page, "Enter")  # on to the name
    time.sleep(0.5)
    page.keyboard.type("ann", delay=20)
    press(page, "Enter")
    wait_for_text(page, "not a code: that game, key or join code is not valid")  # refused, in words
    time.sleep(0.5)  # the code's box has the keys again, emptied
    page.keyboard.type(code, delay=20)
    press(page, "Enter")
    lobby = wait_for_text(page, "Team red", timeout=60)
    assert "You: ann" in lobby and "waiting for the facilitator" in lobby
    code_, out, err = server.interrupt()
    assert code_ == 0 and "ready" in err, err


def test_tabs_opened_and_closed_in_a_hurry_leave_no_process(browser, serve):
    """Tabs closed at once, while their dojo starts, or after it drew: none outlives its tab."""
    server = serve("--max-sessions", "10")  # room for tabs still quitting when the next round opens
    seen = set()
    for round_ in range(3):
        pages = [open_dojo(browser, server.url) for _ in range(3)]
        wait_for_text(pages[0], "scenario library")
        seen.update(p.pid for p in server.children())  # launchers and the dojos forked for them
        for i, page in enumerate(pages):
            if i == round_:
                page.goto("about:blank")  # navigating away closes the websocket like closing the tab
            else:
                page.close()
    deadline = time.monotonic() + 30
    while server.children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.children() == []
    assert len(seen) >= 3
    assert gone([psutil.Process(pid) for pid in seen if psutil.pid_exists(pid)], timeout=1)
    wait_for_text(open_dojo(browser, server.url), "scenario library")  # every place is free again


def test_a_killed_server_takes_its_tabs_with_it(browser, serve):
    server = serve()
    page = open_dojo(browser, server.url)
    wait_for_text(page, "scenario library")
    children = server.descendants()
    [fork_server] = server.fork_server()
    folder = next(a for a in fork_server.cmdline() if a.endswith("fork.sock")).rsplit("/", 1)[0]
    assert server.dojos() and os.path.isdir(folder)
    server.proc.kill()  # SIGKILL: no chance to end its tabs itself
    server.proc.wait(10)
    # The kernel tells each launcher and the fork server (parent-death signal); a forked dojo
    # sees its launcher's end of the socket close.
    assert gone(children, timeout=20)
    assert not os.path.exists(folder)  # the fork server took its socket's folder with it
