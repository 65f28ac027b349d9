"""The warm dojo of terminal launches (dojo/serve/warm.py): started in the background by a launch
in a terminal only, one for launches at once, ended when idle or when another dojo's launcher
comes, a dead one costing only a plain start, never by a script or with DOJO_FORK_SERVER=off; a
forked dojo answers as a plain one; `dojo cache` shows and stops it.

Every server here lives in the test's own folders and is ended by the test (`servers` below);
a launch is `python -m dojo.serve.warm`, the `dojo` command's own first step."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from dojo.serve import forkserver, warm

from .browser import ROOT

pytestmark = pytest.mark.skipif(forkserver.forking_possible() is not None, reason="the fork server needs Linux")

COMMANDS = [
    {"cmd": "status"},
    {"cmd": "advance", "seconds": 1200},
    {"cmd": "logs", "service": "checkout", "contains": "retrying", "limit": 3},
    {"cmd": "diagnose", "service": "checkout", "fault": "retry_storm", "explanation": "retries without backoff"},
    {"cmd": "score"},
]
HEADLESS = ["play", "checkout-retry-storm", "--headless", "--clock", "manual"]
# A cheap launch of a command the warm dojo forks: it fails at once with the plain dojo's own answer
# (the same in a terminal and, headless, from a script).
NOTHING = ["play", "no-such-scenario"]
SCRIPTED = ["play", "no-such-scenario", "--headless"]
READY_S = 90.0


class Place:
    """A user's world for the warm dojo: its runtime folder, cache and home, and every server
    started in it (found by their socket's path), ended at the end."""

    def __init__(self, base: Path, cache: str | None = None, **extra: str):
        self.run = base / "run"
        self.run.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder = self.run / "dojo-warm"
        self.socket = self.folder / warm.SOCKET
        env = {**os.environ, "XDG_RUNTIME_DIR": str(self.run), "DOJO_HOME": str(base / "home"), **extra}
        env.pop("DOJO_FORK_SERVER")  # the suite's "off"
        env.pop("CI", None)  # a CI run's own tests of a terminal's auto-start (CI=true never starts one)
        env.pop("TEXTUAL_DRIVER", None)
        if cache is not None:
            env["DOJO_CACHE_DIR"] = cache
        self.env = env

    def launch(self, args: list[str], terminal: bool, umask: int = 0o022, **env: str) -> subprocess.Popen:
        """`dojo ARGS`, its stdin and stdout a terminal (a pty) or pipes."""
        full = {**self.env, **env}
        argv = [sys.executable, "-m", "dojo.serve.warm", *args]
        how = dict(env=full, cwd=ROOT, stderr=subprocess.PIPE, preexec_fn=lambda: os.umask(umask))
        if not terminal:
            return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, **how)
        leader, follower = pty.openpty()
        proc = subprocess.Popen(argv, stdin=follower, stdout=follower, **how)
        os.close(follower)
        proc.pty = leader  # type: ignore[attr-defined]
        return proc

    def finish(self, proc: subprocess.Popen, timeout: float = 60) -> tuple[int, bytes]:
        """Its exit code and stderr (a terminal's output is read and dropped)."""
        leader = getattr(proc, "pty", None)
        if leader is not None:
            while True:
                try:
                    if not os.read(leader, 65536):
                        break
                except OSError:  # EIO: every holder of the terminal's other side has closed it
                    break
            os.close(leader)
        _, err = proc.communicate(timeout=timeout)
        return proc.returncode, err

    def servers(self) -> list[psutil.Process]:
        out = []
        for p in psutil.process_iter(["cmdline"]):
            cmd = p.info["cmdline"] or []
            if "dojo.serve.forkserver" in cmd and str(self.socket) in cmd:
                out.append(p)
        return out

    def status(self) -> dict | None:
        saved = os.environ.pop("DOJO_FORK_SERVER")  # the suite's "off", which makes it ask nobody
        try:
            return warm.query("status", str(self.folder))
        finally:
            os.environ["DOJO_FORK_SERVER"] = saved

    def wait_ready(self, timeout: float = READY_S) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.status()
            if got is not None:
                return got
            time.sleep(0.05)
        raise AssertionError(f"no warm dojo answered within {timeout:.0f} s")

    def end(self) -> None:
        for p in self.servers():
            try:
                p.kill()
                p.wait(10)
            except psutil.NoSuchProcess:
                pass


@pytest.fixture
def place(tmp_path):
    made: list[Place] = []

    def make(**kwargs) -> Place:
        made.append(Place(tmp_path / f"p{len(made)}", **kwargs))
        return made[-1]

    yield make
    for p in made:
        p.end()
        assert not p.servers()


def test_off_scripts_headless_and_ci_never_start_one(place):
    where = place()
    off = where.launch(NOTHING, terminal=True, DOJO_FORK_SERVER="off")
    script = where.launch(SCRIPTED, terminal=False)
    headless = where.launch(SCRIPTED, terminal=True)  # a program driving a terminal
    ci = where.launch(NOTHING, terminal=True, CI="true")
    for proc in (off, script, headless, ci):
        code, err = where.finish(proc)
        assert code == 1 and b"no-such-scenario" in err  # the plain dojo's own answer
    assert not where.servers() and not where.socket.exists()


def test_a_bad_idle_setting_is_one_line(place):
    where = place()
    code, err = where.finish(where.launch(NOTHING, terminal=True, DOJO_WARM_IDLE="soon"))
    assert code == 2 and err.decode().strip().count("\n") == 0 and "DOJO_WARM_IDLE" in err.decode()
    assert not where.servers()


def test_a_socket_folder_open_to_others_is_not_used(place, tmp_path):
    where = place()
    where.folder.mkdir(mode=0o700)
    where.folder.chmod(0o755)
    code, _ = where.finish(where.launch(NOTHING, terminal=True))
    assert code == 1 and not where.servers() and not where.socket.exists()


@pytest.fixture(scope="module")
def warmed(tmp_path_factory):
    """Two terminal launches at once, and the one server they start, ready."""
    where = Place(tmp_path_factory.mktemp("warm"), DOJO_GAME_KEY="S3CRET", API_TOKEN="S3CRET")
    launches = [where.launch(NOTHING, terminal=True) for _ in range(2)]
    codes = [where.finish(p)[0] for p in launches]
    where.first_codes = codes  # type: ignore[attr-defined]
    where.first_servers = [p.pid for p in where.servers()]  # type: ignore[attr-defined]
    try:
        where.wait_ready()
        yield where
    finally:
        where.end()
        assert not where.servers()


def test_two_launches_at_once_start_one_server_and_run_plainly(warmed):
    assert warmed.first_codes == [1, 1]  # each ran plainly meanwhile: the plain dojo's answer
    assert len(warmed.first_servers) == 1
    [server] = warmed.servers()
    assert server.pid == warmed.first_servers[0]
    info = warmed.folder.stat()
    assert info.st_mode & 0o777 == 0o700 and warmed.socket.stat().st_mode & 0o077 == 0
    # Detached: its own session, nice'd, nothing secret in its environment.
    # Its imports ran at a lower priority (in a thread of their own); the process, and so every dojo
    # it forks, keeps the launcher's.
    assert os.getsid(server.pid) != os.getsid(0) and server.nice() == os.getpriority(os.PRIO_PROCESS, 0)
    environ = Path(f"/proc/{server.pid}/environ").read_bytes()
    assert b"DOJO_GAME_KEY" not in environ and b"S3CRET" not in environ
    assert warmed.status()["fingerprint"] == warm.fingerprint()


def test_a_forked_dojo_answers_as_a_plain_one_and_its_incident_is_held(warmed, tmp_path):
    script = "".join(json.dumps(c) + "\n" for c in COMMANDS).encode()
    got = {}
    for how in ("plain", "forked"):  # the plain one first: it caches the incident the server then maps
        extra = {"DOJO_FORK_SERVER": "off"} if how == "plain" else {}
        proc = warmed.launch(HEADLESS, terminal=False, DOJO_HOME=str(tmp_path / how), umask=0o027, **extra)
        if how == "forked":
            before = {p.pid for p in psutil.Process(warmed.servers()[0].pid).children()}
        out, err = proc.communicate(script, timeout=120)
        assert proc.returncode == 0, err.decode()
        got[how] = [json.loads(line) for line in out.splitlines()]
    for reply in got["plain"] + got["forked"]:
        reply.pop("attempt", None)  # each its own attempt number in the same home
    assert got["forked"] == got["plain"] and got["forked"][-1]["solved"]
    # The files it writes (the attempts' store) have the launcher's permissions, not the server's.
    # (The forked one may leave SQLite's -wal and -shm beside the file: its exit skips the interpreter's
    # final collection that closes the connection; SQLite reads them on the next open.)
    modes = {how: {f.name: f.stat().st_mode for f in (tmp_path / how).rglob("*")} for how in got}
    assert modes["plain"] and all(modes["forked"][name] == mode for name, mode in modes["plain"].items())
    assert all(mode & 0o027 == 0 for mode in modes["forked"].values())
    assert not before  # nothing of the server's alive before: the forked one came and went
    held = warmed.status()["held"]
    assert [h["scenario"] for h in held] == ["checkout-retry-storm"] and held[0]["lines"] > 0


def test_dojo_cache_info_shows_it(warmed):
    out = subprocess.run(
        [sys.executable, "-m", "dojo", "cache", "info"], env=warmed.env, capture_output=True, text=True, timeout=60
    )
    pid = warmed.servers()[0].pid
    assert out.returncode == 0 and f"warm dojo pid {pid}" in out.stdout and "PSS" in out.stdout
    assert "15 min idle" in out.stdout


def test_a_killed_server_costs_a_plain_start_and_the_next_terminal_replaces_it(warmed):
    [server] = warmed.servers()
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    assert warmed.socket.exists()  # stale: nobody listens
    code, err = warmed.finish(warmed.launch(SCRIPTED, terminal=False))
    assert code == 1 and b"no-such-scenario" in err and not warmed.servers()
    code, _ = warmed.finish(warmed.launch(NOTHING, terminal=True))
    assert code == 1
    [again] = warmed.servers()
    assert again.pid != server.pid
    assert warmed.wait_ready()["pid"] == again.pid


def test_dojo_cache_clear_stops_it(warmed):
    warmed.wait_ready()
    out = subprocess.run(
        [sys.executable, "-m", "dojo", "cache", "clear"], env=warmed.env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "stopped the warm dojo" in out.stdout
    deadline = time.monotonic() + 10
    while warmed.servers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not warmed.servers() and not warmed.socket.exists()
    out = subprocess.run(
        [sys.executable, "-m", "dojo", "cache", "stop"], env=warmed.env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "no warm dojo was running" in out.stdout


def start_by_hand(where: Place, fingerprint: str) -> subprocess.Popen:
    """A server as another dojo's launcher would have started it: its fingerprint, holding the lock."""
    where.folder.mkdir(mode=0o700, exist_ok=True)
    lock = os.open(where.folder / warm.LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    argv = [
        sys.executable, "-m", "dojo.serve.forkserver", "--socket", str(where.socket), "--fingerprint", fingerprint,
        "--idle", "600", "--lock-fd", str(lock),
    ]  # fmt: skip
    proc = subprocess.Popen(argv, env=where.env, pass_fds=(lock,), stdout=subprocess.DEVNULL, start_new_session=True)
    os.close(lock)
    return proc


@pytest.mark.slow
def test_another_dojos_server_is_replaced_and_a_server_ends_when_idle(place):
    where = place()
    old = start_by_hand(where, "another-dojo")
    assert where.wait_ready()["fingerprint"] == "another-dojo"
    # A script's launch is served by nobody: the old server stops; a script starts no new one.
    code, _ = where.finish(where.launch(SCRIPTED, terminal=False))
    assert code == 1 and old.wait(10) == 0 and not where.servers()
    start_by_hand(where, "another-dojo")
    where.wait_ready()
    # A terminal's launch stops it too, and starts this dojo's, which ends after its idle time.
    code, _ = where.finish(where.launch(NOTHING, terminal=True, DOJO_WARM_IDLE="1s"))
    assert code == 1
    ready = where.wait_ready()
    assert ready["fingerprint"] == warm.fingerprint() and ready["idle"] == 1.0
    [server] = where.servers()
    server.wait(30)
    assert not where.servers() and not where.socket.exists()


def test_a_stale_socket_file_is_cleaned_up_by_the_next_start(place):
    where = place()
    where.folder.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(where.socket))  # bound, never listening, closed: what a killed server leaves
    dead.close()
    code, err = where.finish(where.launch(NOTHING, terminal=True))
    assert code == 1 and b"Traceback" not in err
    assert len(where.servers()) == 1
    assert where.wait_ready()["pid"] == where.servers()[0].pid


def test_the_first_step_loads_the_standard_library_alone():
    """The `dojo` command reaches a warm dojo before click or any other module of the dojo loads."""
    probe = (
        "import sys\nfrom dojo.serve import warm\nwarm.fingerprint(); warm.folder(create=False)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('dojo', 'click', 'textual', 'numpy'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["dojo", "dojo.serve", "dojo.serve.launch", "dojo.serve.warm"]
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["dojo"] == "dojo.serve.warm:main"


def test_the_fingerprint_changes_with_any_file_of_the_dojo(tmp_path):
    (tmp_path / "engine").mkdir()
    code = tmp_path / "engine" / "session.py"
    code.write_text("x = 1\n")
    first = warm.fingerprint(str(tmp_path))
    assert warm.fingerprint(str(tmp_path)) == first
    code.write_text("x = 22\n")
    second = warm.fingerprint(str(tmp_path))
    assert second != first
    os.utime(code, ns=(1, 1))  # same size, another time
    assert warm.fingerprint(str(tmp_path)) not in (first, second)


def test_the_server_holds_the_last_played_cached_incidents_and_lets_the_oldest_go(tmp_path):
    from dojo.engine import queries
    from dojo.scenario import load_scenario, resolve_scenario
    from dojo.serve.warmheld import HeldIncidents, play_target
    from dojo.telemetry import cache

    assert play_target(["play", "x.yaml", "--seed", "5", "--clock", "manual"]) == ("x.yaml", 5)
    assert play_target(["play", "--join", "CODE"]) is None and play_target(["join", "CODE"]) is None
    assert play_target(["play", "x", "--resume"]) is None and play_target([]) is None
    held = HeldIncidents(keep=1)
    first, second = "checkout-retry-storm", "cart-memory-leak"
    # Not cached (an empty cache folder): nothing held; the forked dojo synthesizes it, never the server.
    held.before_fork(["play", first], {**os.environ, "DOJO_CACHE_DIR": str(tmp_path / "empty")}, str(tmp_path))
    assert held.describe() == [] and cache.Cache(tmp_path / "empty").entries() == []
    env = dict(os.environ)  # the suite's cache, where the built-ins are likely synthesized already
    store = cache.Cache(Path(env["DOJO_CACHE_DIR"]))
    tels = {}
    try:
        for ref in (first, second):
            store.synthesize(load_scenario(resolve_scenario(ref)))
            held.before_fork(["play", ref, "--clock", "manual"], env, str(tmp_path))
            [slot] = held.held
            tels[ref] = held.held[slot].telemetry
            assert cache._HELD[slot] is tels[ref] and id(tels[ref].logs) in queries._PREBUILT
        assert [h["scenario"] for h in held.describe()] == [second]
        # The first was let go: no longer handed to forks, its indexes dropped.
        assert all(t is not tels[first] for t in cache._HELD.values())
        assert id(tels[first].logs) not in queries._PREBUILT
    finally:
        held._trim(-1)  # nothing fits: everything but the last goes
        for slot in list(held.held):
            cache.let_go(Path(slot[0]), slot[1])
            queries.forget_prebuilt(held.held[slot].telemetry)
