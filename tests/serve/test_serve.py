"""`dojo serve` without a browser: its limits, its checks, and what it listens on."""

import os
import subprocess
import sys

import psutil
from click.testing import CliRunner

from dojo.cli import cli
from dojo.commands.serve import tab_command
from dojo.interactive import WEB_DRIVER, can_draw, under_web_driver
from dojo.serve.limits import RESERVE_BYTES, SESSION_BYTES, default_max_sessions, is_loopback, reach_line

from .browser import ROOT

GIB = 1024**3


def test_default_sessions_are_the_smaller_of_cores_and_memory():
    assert default_max_sessions(cpus=2, memory=24 * GIB) == 12  # a 2-core, 24 GB machine: the cores decide
    assert default_max_sessions(cpus=64, memory=4 * GIB) == (4 * GIB - RESERVE_BYTES) // SESSION_BYTES
    assert default_max_sessions(cpus=8, memory=RESERVE_BYTES) == 1  # never zero: one tab always opens


def test_loopback_hosts_and_the_line_for_the_others():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    assert reach_line("127.0.0.1", 8000) is None
    line = reach_line("0.0.0.0", 8000)
    assert line is not None and "anyone" in line and "8000" in line and "\n" not in line
    assert "10.0.0.5" in (reach_line("10.0.0.5", 9000) or "")


def test_each_tab_runs_the_dojo_or_the_join_screen_of_the_game():
    assert tab_command(None, None) == [sys.executable, "-m", "dojo"]
    argv = tab_command("g-1", "sqlite:///x.db")
    assert argv[3:] == ["join", "--game", "g-1", "--db", "sqlite:///x.db"]


def test_web_driver_is_recognised_only_by_its_exact_name(monkeypatch):
    monkeypatch.setenv("TEXTUAL_DRIVER", WEB_DRIVER)
    assert under_web_driver() and can_draw()
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver")
    assert not under_web_driver()


def test_pipes_still_get_text_and_play_still_refuses_them(tmp_path):
    env = {**os.environ, "DOJO_HOME": str(tmp_path)}
    env.pop("TEXTUAL_DRIVER", None)
    run = subprocess.run([sys.executable, "-m", "dojo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "checkout-retry-storm" in run.stdout and "\x1b[" not in run.stdout
    argv = [sys.executable, "-m", "dojo", "play", "checkout-retry-storm"]
    play = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert play.returncode == 2 and "--headless" in play.stderr


def test_db_needs_a_game_and_the_game_must_exist(tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["serve", "--db", str(tmp_path / "g.db")])
    assert res.exit_code == 2 and "--db and --key go with --game" in res.output
    res = runner.invoke(cli, ["serve", "--game", "nope", "--db", f"sqlite:///{tmp_path / 'g.db'}"])
    assert res.exit_code == 1 and "no game 'nope'" in res.output and "Traceback" not in res.output


def test_a_port_in_use_is_one_line(serve):
    first = serve()
    env = {**os.environ, "DOJO_HOME": str(first.home)}
    run = subprocess.run(
        [sys.executable, "-m", "dojo", "serve", "--port", str(first.port)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert "already in use" in run.stderr and "Traceback" not in run.stderr + run.stdout


def test_loopback_only_by_default(serve):
    server = serve()
    listening = psutil.Process(server.proc.pid).net_connections("inet")
    assert {c.laddr.ip for c in listening if c.status == psutil.CONN_LISTEN} == {"127.0.0.1"}


def test_a_tab_does_not_inherit_the_facilitators_key_or_name(monkeypatch):
    from dojo.serve.server import TabSession

    monkeypatch.setenv("DOJO_GAME_KEY", "secret")
    monkeypatch.setenv("DOJO_MEMBER", "facilitator")
    monkeypatch.setenv("DOJO_DB", "sqlite:///game.db")
    tab = TabSession(["dojo"], write_bytes=None, write_str=None, close=None, download_manager=None)
    env = tab._build_environment(100, 30)
    assert "DOJO_GAME_KEY" not in env and "DOJO_MEMBER" not in env
    assert env["DOJO_DB"] == "sqlite:///game.db" and env["TEXTUAL_DRIVER"] == WEB_DRIVER and env["COLUMNS"] == "100"


def test_a_second_socket_past_the_cap_is_told_the_dojo_is_full(serve):
    """Two pages loaded at once may both get the page; the second websocket is refused in words."""
    import asyncio

    import aiohttp

    server = serve("--max-sessions", "1")

    async def talk():
        async with aiohttp.ClientSession() as http:
            ws_url = f"ws://127.0.0.1:{server.port}/ws?width=80&height=24"
            async with http.ws_connect(ws_url) as first:
                got = await first.receive(timeout=60)  # the first tab's dojo is drawing
                assert got.type == aiohttp.WSMsgType.BINARY
                async with http.ws_connect(ws_url) as second:
                    said = await second.receive(timeout=30)
                    closed = await second.receive(timeout=30)
                return said, closed

    from concurrent.futures import ThreadPoolExecutor

    # A thread of its own: Playwright's sync API (the browser tests in this session) keeps an
    # event loop running on this one, and asyncio.run refuses to nest.
    with ThreadPoolExecutor(1) as pool:
        said, closed = pool.submit(lambda: asyncio.run(talk())).result()
    assert said.type == aiohttp.WSMsgType.BINARY and b"The dojo is full" in said.data
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


def test_the_fork_server_starts_with_serve_unless_told_not_to(serve):
    forked = serve()
    assert len(forked.fork_server()) == 1
    plain = serve("--no-fork")
    assert plain.fork_server() == [] and plain.descendants() == []
