"""The warm fork server of `dojo serve`: a forked dojo behaves as a plain one (answers, exit codes,
environment, folder, signals), one crashing never takes the server down, strangers are refused,
and without it every tab still starts."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import psutil
import pytest

from dojo.interactive import WEB_DRIVER
from dojo.serve import forkserver
from dojo.serve.forking import ForkServerError, ForkServerProcess
from dojo.serve.launch import send_request

from .browser import ROOT

pytestmark = pytest.mark.skipif(forkserver.forking_possible() is not None, reason="the fork server needs Linux")

PLAY = ["play", "checkout-retry-storm", "--headless", "--clock", "manual"]
COMMANDS = [
    {"cmd": "status"},
    {"cmd": "advance", "seconds": 1200},
    {"cmd": "logs", "service": "checkout", "contains": "retrying", "limit": 3},
    {"cmd": "metrics", "service": "payments", "metric": "rps", "since": 600, "points": False},
    {"cmd": "diagnose", "service": "payments", "fault": "retry_storm", "explanation": "a guess"},
    {"cmd": "diagnose", "service": "checkout", "fault": "retry_storm", "explanation": "retries without backoff"},
    {"cmd": "score"},
]


@pytest.fixture(scope="module")
def forks():
    # Warmed: the forked plays below get the incident the server holds, not one of their own.
    server = ForkServerProcess.start(warm=["checkout-retry-storm"])
    assert server.warmed == 1
    yield server
    server.stop()
    assert not server.folder.exists()


def env_for(home, **extra) -> dict:
    env = {**os.environ, "DOJO_HOME": str(home)}
    env.pop("TEXTUAL_DRIVER", None)
    return {**env, **extra}


def launch(forks, args, env, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        forks.launch(args), env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
    )  # fmt: skip


def forked_dojos(forks) -> list[psutil.Process]:
    return psutil.Process(forks.proc.pid).children()


def wait_for_child(forks, before: set[int], timeout: float = 30.0) -> psutil.Process:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [p for p in forked_dojos(forks) if p.pid not in before]
        if fresh:
            return fresh[0]
        time.sleep(0.02)
    raise AssertionError("no dojo was forked")


def test_a_forked_dojo_plays_headless_exactly_as_a_plain_one(forks, tmp_path):
    script = "".join(json.dumps(c) + "\n" for c in COMMANDS).encode()
    got = {}
    for how in ("plain", "forked"):
        env = env_for(tmp_path / how)
        if how == "plain":
            argv = [sys.executable, "-m", "dojo", *PLAY]
            run = subprocess.run(argv, input=script, env=env, capture_output=True, cwd=ROOT, timeout=120)
        else:
            proc = launch(forks, PLAY, env, cwd=ROOT)
            out, err = proc.communicate(script, timeout=120)
            run = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        assert run.returncode == 0, run.stderr.decode()
        got[how] = run.stdout
    assert got["forked"] == got["plain"]
    replies = [json.loads(line) for line in got["forked"].splitlines()]
    assert all(r["ok"] for r in replies), replies
    assert replies[-1]["cmd"] == "score" and replies[-1]["solved"] and replies[-1]["wrong_diagnoses"] == 1


def test_exit_codes_folder_and_environment_are_the_launchers(forks, tmp_path):
    (tmp_path / "here.yaml").write_text("id: x\n")  # invalid: no title, services...
    env = env_for(tmp_path / "home")
    plain = subprocess.run(
        [sys.executable, "-m", "dojo", "validate", "here.yaml"], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    proc = launch(forks, ["validate", "here.yaml"], env, cwd=tmp_path)  # a relative path: the launcher's folder
    out, err = proc.communicate(timeout=60)
    assert plain.returncode == 1 and proc.returncode == plain.returncode
    assert (out, err) == (plain.stdout, plain.stderr) and b"here.yaml" in out + err
    # Usage errors keep their own code (2), and click's message on stderr.
    proc = launch(forks, ["play", "--no-such-option"], env)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and b"no-such-option" in err


def test_a_tab_under_the_web_driver_draws_with_the_tabs_settings(forks, tmp_path):
    """The fork server imported Textual without TEXTUAL_DRIVER: the child must still draw over
    its pipes for the browser (textual-serve's handshake), sized by the tab's COLUMNS/ROWS."""
    env = env_for(tmp_path / "home", TEXTUAL_DRIVER=WEB_DRIVER, COLUMNS="100", ROWS="30")
    proc = launch(forks, [], env)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline() == b"__GANGLION__\n"
        quit_ = json.dumps({"type": "quit"}).encode()
        proc.stdin.write(b"M" + len(quit_).to_bytes(4, "big") + quit_)
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        proc.kill()


def test_signals_reach_the_dojo_and_its_death_is_the_launchers(forks, tmp_path):
    env = env_for(tmp_path / "home")
    before = {p.pid for p in forked_dojos(forks)}
    proc = launch(forks, PLAY, env, cwd=ROOT)  # waits on its stdin
    child = wait_for_child(forks, before)
    proc.send_signal(signal.SIGTERM)  # as the server ends a tab's process group
    assert proc.wait(30) == -signal.SIGTERM
    child.wait(10)
    # A dojo that crashes (here, killed) is reported as such, and the server forks the next one.
    before = {p.pid for p in forked_dojos(forks)}
    proc = launch(forks, PLAY, env, cwd=ROOT)
    child = wait_for_child(forks, before)
    child.send_signal(signal.SIGSEGV)
    assert proc.wait(30) == -signal.SIGSEGV
    assert forks.alive()
    again = launch(forks, ["list"], env)
    out, _ = again.communicate(timeout=60)
    assert again.returncode == 0 and b"checkout-retry-storm" in out


def test_a_launcher_killed_outright_takes_its_dojo_with_it(forks, tmp_path):
    before = {p.pid for p in forked_dojos(forks)}
    proc = launch(forks, PLAY, env_for(tmp_path / "home"), cwd=ROOT)
    child = wait_for_child(forks, before)
    proc.kill()  # SIGKILL: nothing is forwarded; the dojo sees the socket close
    proc.wait(10)
    _, alive = psutil.wait_procs([child], timeout=20)
    assert alive == []


def test_a_stranger_is_refused_and_a_bad_request_ends_only_its_connection(forks, tmp_path):
    server = forkserver.ForkServer(socket.socket(socket.AF_UNIX), uid=os.getuid() + 1)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    send_request(ours, ["list"])
    server.handle(theirs)  # the peer is us, but the server belongs to another uid
    assert b"refused" in ours.recv(4096)
    assert server.children == {}
    # Garbage instead of a request: an error on that connection, the server serves on.
    with socket.socket(socket.AF_UNIX) as bad:
        bad.connect(str(forks.socket))
        bad.sendall(b"\x00\x00\x00\x05nope!")
        assert b"error" in bad.recv(4096)
    assert forks.alive()
    # The folder is its owner's alone.
    assert stat.S_IMODE(forks.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(forks.socket.stat().st_mode) & 0o077 == 0


@pytest.mark.skipif(os.getuid() != 0, reason="becoming another user needs root")
def test_another_user_cannot_even_reach_the_socket(forks):
    pid = os.fork()
    if pid == 0:  # the child becomes nobody and tries
        code = 4
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(forks.socket))
            code = 0
        except PermissionError:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3


def test_a_folder_open_to_others_is_refused(tmp_path):
    open_folder = tmp_path / "open"
    open_folder.mkdir(mode=0o755)
    open_folder.chmod(0o755)
    with pytest.raises(SystemExit, match="0700"):
        forkserver.listen(open_folder / "fork.sock")


def test_without_the_fork_server_a_tab_starts_plain(tmp_path):
    env = env_for(tmp_path / "home")
    run = subprocess.run(
        [sys.executable, "-m", "dojo.serve.launch", str(tmp_path / "gone.sock"), "list"],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0 and b"checkout-retry-storm" in run.stdout
    [line] = run.stderr.decode().splitlines()
    assert line.startswith("dojo: the fork server did not answer") and "starting without the fork server" in line


def test_an_incident_that_cannot_be_warmed_is_one_line(capsys, tmp_path):
    game_db = f"sqlite:///{tmp_path / 'g.db'}"
    assert forkserver.warm_incidents("g-none", game_db, ["no-such-scenario"], "not-the-key") == []
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dojo fork server: not warming the incident (")


def test_serve_says_in_one_line_when_it_cannot_fork(monkeypatch, capsys):
    from dojo.commands.serve import _fork_server

    monkeypatch.setattr("dojo.serve.forking.forking_possible", lambda: "the fork server needs Linux (SO_PEERCRED)")
    assert _fork_server(None, None, None) is None
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("dojo serve: no fork server (the fork server needs Linux")
    with pytest.raises(ForkServerError):
        ForkServerProcess.start()


def test_players_commands_go_through_the_server_named_in_the_environment(forks, tmp_path):
    """In a terminal (tmux, ssh) DOJO_FORK_SERVER sends `dojo play`/`join` and the library to the
    fork server; the dojo that runs is a fork of it."""
    env = env_for(tmp_path / "home", DOJO_FORK_SERVER=str(forks.socket))
    before = {p.pid for p in forked_dojos(forks)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dojo", *PLAY], env=env, cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_for_child(forks, before)
    out, err = proc.communicate(b'{"cmd": "status"}\n', timeout=60)
    assert proc.returncode == 0 and json.loads(out)["scenario"] == "checkout-retry-storm", err


def test_a_stale_server_in_the_environment_costs_one_line(tmp_path):
    stale = tmp_path / "fork.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(stale))  # a socket nobody listens on any more
    env = env_for(tmp_path / "home", DOJO_FORK_SERVER=str(stale))
    run = subprocess.run([sys.executable, "-m", "dojo", "play"], env=env, capture_output=True, timeout=60)
    lines = run.stderr.decode().splitlines()
    assert run.returncode == 2 and "give a SCENARIO" in lines[-1]  # the plain dojo's own answer
    assert len(lines) == 2 and lines[0].startswith("dojo: the fork server did not answer")


def test_gameday_host_prints_the_line_to_set_and_stops_cleanly(tmp_path):
    env = env_for(tmp_path / "home")
    host = subprocess.Popen(
        [sys.executable, "-m", "dojo", "gameday", "host"], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert host.stdout is not None
        lines = [host.stdout.readline() for _ in range(3)]
        [path] = [line.split("=", 1)[1].strip() for line in lines if "export DOJO_FORK_SERVER=" in line]
        player = subprocess.run(
            [sys.executable, "-m", "dojo", "play", "--no-such-option"],
            env={**env, "DOJO_FORK_SERVER": path}, capture_output=True, timeout=60,
        )  # fmt: skip
        assert player.returncode == 2 and b"fork server" not in player.stderr  # answered by a forked dojo
        host.send_signal(signal.SIGINT)
        assert host.wait(30) == 0
        assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
    finally:
        host.kill()
        host.wait()


def test_a_game_days_incident_is_warmed_with_the_key_only(game):
    url, game_id, key, _code = game
    server = ForkServerProcess.start(game_id, url, key)
    try:
        assert server.warmed == 1
        # Handed over on a pipe, never in the environment every forked dojo's /proc/PID/environ shows.
        assert key not in " ".join(f"{k}={v}" for k, v in psutil.Process(server.proc.pid).environ().items())
        assert key not in " ".join(psutil.Process(server.proc.pid).cmdline())
    finally:
        server.stop()


def test_a_server_that_never_answers_does_not_hang_the_tab(tmp_path, monkeypatch):
    from dojo.serve import launch as launcher

    path = tmp_path / "fork.sock"
    mute = socket.socket(socket.AF_UNIX)
    mute.bind(str(path))
    mute.listen(1)  # accepts into its backlog, never answers
    monkeypatch.setattr(launcher, "ANSWER_S", 0.2)
    monkeypatch.setattr(signal, "signal", lambda *a: None)  # the test runner's handlers stay its own
    became = []
    monkeypatch.setattr(launcher, "plain", lambda args, why: became.append((args, why)))
    launcher.main([str(path), "list"])
    mute.close()
    assert became == [(["list"], "the fork server did not answer (timed out)")]
