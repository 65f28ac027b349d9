"""The warm dojo: the `dojo` command's first step, before click or any of the dojo's modules load.

A player's commands (`dojo`, `dojo play ...`, `dojo join ...`) go to this user's warm fork server
(dojo/serve/forkserver.py) when one answers: it forks a dojo that has every import done and, for a
play of a cached scenario, the incident mapped and indexed, and this process stands in for that
dojo (dojo/serve/launch.py). When none answers, the command starts plainly here as it always did;
if it was run in a terminal (stdin and stdout both one), it also starts the warm server in the
background, detached, for the next launch. Scripts, pipes, headless plays and CI never start one
(a running one serves them).

- Where: a folder only this user can enter: $XDG_RUNTIME_DIR/dojo-warm, else
  /tmp/dojo-warm-UID (made 0700, refused if it is anyone else's or open to others).
- One server: it holds a lock (flock on `warm.lock`) for its life; a launcher that cannot take the
  lock starts none. A socket left by a server killed outright is removed by the next start.
- The same dojo: the launcher sends a fingerprint of its code (the interpreter, the dojo's files'
  sizes and times, the installed packages' folders); a server started by another dojo (upgraded,
  another install) stops when it sees it, and the launcher starts its own.
- It ends after $DOJO_WARM_IDLE (default 15m; `0` never) with no dojo of its alive.
- DOJO_FORK_SERVER=off: never used nor started. DOJO_FORK_SERVER=PATH (`dojo gameday host`):
  that server only.

Only the standard library, and little of it: every `dojo` command pays for this module.
"""

from __future__ import annotations

import os
import stat
import sys
import zlib

from .launch import ENV, hand_over

# The commands that open the terminal UI or a game (and so pay for its imports): the others
# (lint, cache, list, --help...) start plainly, quick as they are.
FORKED = ("play", "join")
OFF = ("off", "0", "no", "false")
IDLE_ENV = "DOJO_WARM_IDLE"
DEFAULT_IDLE_S = 15 * 60.0
KEEP = 3
NICE = 10  # its imports and warming yield to the player's own dojo starting beside it
SOCKET = "warm.sock"
LOCK = "warm.lock"
LOG = "warm.log"
# Not passed to the server: a forked dojo's /proc/PID/environ shows the server's environment as
# it started (the dojo itself gets its launcher's own).
SECRET = ("KEY", "TOKEN", "SECRET", "PASSW", "CREDENTIAL", "AUTH", "COOKIE", "SESSION", "DOJO_DB")
UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


class WarmError(Exception):
    """A setting of the warm dojo that cannot be used; one line."""


def wanted(args: list[str]) -> bool:
    """Whether this command line is one a warm server forks."""
    return not args or args[0] in FORKED


def setting() -> str:
    return os.environ.get(ENV, "").strip()


def disabled() -> bool:
    return setting().lower() in OFF


def folder(create: bool = True) -> str | None:
    """This user's private folder for the socket and lock, made if missing (and `create`); None when
    there is none or it cannot be trusted (anyone else's, open to others, not a folder)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime):
        path = os.path.join(runtime, "dojo-warm")
    else:
        path = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"dojo-warm-{os.getuid()}")
    try:
        if create:
            os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        return None
    return path


def socket_path(where: str) -> str:
    return os.path.join(where, SOCKET)


def idle_seconds() -> float:
    text = os.environ.get(IDLE_ENV, "").strip()
    if not text:
        return DEFAULT_IDLE_S
    number, unit = (text[:-1], text[-1].lower()) if text[-1].lower() in UNITS else (text, "s")
    try:
        seconds = float(number.strip()) * UNITS[unit]
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise WarmError(f"{IDLE_ENV}: {text!r} is not a duration; write e.g. 15m, 90s, 2h, or 0 for never")
    return seconds


def fingerprint(package: str | None = None) -> str:
    """What makes a dojo this dojo, cheaply (a stat per file, ~1 ms): the interpreter, the package's
    folder and every file in it by size and modification time, and the folders packages are
    installed in (whose times change on any install or removal)."""
    parts = []
    package = package or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts.append(f"{sys.executable}|{sys.version}|{package}")
    for root, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and d != "builtin_scenarios")
        for name in sorted(names):
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue
            parts.append(f"{root[len(package) :]}/{name}={st.st_size}:{st.st_mtime_ns}")
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                parts.append(f"{entry}={os.stat(entry).st_mtime_ns}")
            except OSError:
                continue
    # Two checksums, not a cryptographic hash: it tells versions apart, it guards nothing, and
    # hashlib's import (OpenSSL) alone would cost more than the whole walk.
    data = ";".join(parts).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"


def server_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != ENV and not any(s in k.upper() for s in SECRET)}


def start(where: str, print_: str, idle: float, args: list[str] | None = None) -> int | None:
    """Start the warm server in the background unless one lives or is starting (its lock is held);
    returns the pid of the process that becomes it, or None. `args`, a play, has its incident
    mapped by the server as soon as it is up, when it is cached by then."""
    import fcntl

    lock = os.open(os.path.join(where, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # a server lives (or another launch is starting it)
        path = socket_path(where)
        try:
            os.unlink(path)  # left by a server killed outright: nobody holds the lock
        except FileNotFoundError:
            pass
        try:  # beside its socket and lock: this user's private folder, already there
            log = os.open(os.path.join(where, LOG), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        except OSError:
            log = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        argv = [
            sys.executable, "-m", "dojo.serve.forkserver", "--socket", path, "--fingerprint", print_,
            "--idle", repr(idle), "--keep", str(KEEP), "--lock-fd", str(lock),
            "--nice", str(NICE),
        ]  # fmt: skip
        # Not a game's play: its --db may carry a password, and a server's argv is public.
        if args and args[0] == "play" and not any(a.startswith(("--db", "--join")) or "://" in a for a in args):
            import json

            argv += ["--play", json.dumps({"argv": args, "cwd": os.getcwd()})]
        env = server_environment()
        read_pid, write_pid = os.pipe()
        first = os.fork()
        if first == 0:  # pragma: no cover - runs in the forked process, which becomes the server
            try:
                os.close(read_pid)
                os.setsid()  # its own session: no terminal, no signal from this one's
                if os.fork():
                    os._exit(0)  # the grandchild is adopted by init: never this process's zombie
                os.write(write_pid, str(os.getpid()).encode())
                os.close(write_pid)
                os.chdir("/")
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                os.set_inheritable(lock, True)
                os.execve(sys.executable, argv, env)
            finally:
                os._exit(127)
        os.close(write_pid)
        os.close(log)
        os.waitpid(first, 0)
        got = os.read(read_pid, 32)
        os.close(read_pid)
        return int(got) if got.isdigit() else None
    finally:
        os.close(lock)  # the server holds its own copy of the lock from here on


def launch(args: list[str]) -> None:
    """Hand the command to the warm server if one answers (never returns then); else, in a terminal,
    start one for next time. Returns for the command to run plainly here."""
    where = folder()
    if where is None:
        return
    path = socket_path(where)
    print_ = fingerprint()
    replacing = False
    if os.path.exists(path):
        replacing = bool(hand_over(path, args, {"fingerprint": print_}).get("replace"))
    if interactive(args):
        if replacing:
            _wait_unlocked(where)  # the old server is on its way out
        start(where, print_, idle_seconds(), args)


def interactive(args: list[str]) -> bool:
    """A person at a terminal, who will launch again: stdin and stdout both a terminal, and neither
    a headless play (a program's) nor CI."""
    if "--headless" in args or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def _wait_unlocked(where: str, timeout: float = 2.0) -> None:
    import fcntl
    import time

    lock = os.open(os.path.join(where, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError:
                time.sleep(0.01)
    finally:
        os.close(lock)


def query(what: str, where: str | None = None, timeout: float = 5.0) -> dict | None:
    """Ask this user's warm server `what` ("status" or "stop"); None when none answers, or when
    DOJO_FORK_SERVER=off (the dojo then neither uses nor looks for one: a test run never reaches
    its user's)."""
    import json
    import socket

    from .launch import HEADER, Replies

    if disabled():
        return None
    where = where or folder(create=False)
    if where is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(socket_path(where))
        body = json.dumps({"query": what}).encode()
        sock.sendall(HEADER.pack(len(body)) + body)
        return Replies(sock).next()
    except (OSError, ValueError):
        return None
    finally:
        sock.close()


def main() -> None:
    """The `dojo` command."""
    args = sys.argv[1:]
    if wanted(args) and not disabled():
        try:
            if setting():
                if os.path.exists(setting()):  # `dojo gameday host`'s server, named
                    from .launch import main as through

                    through([setting(), *args])
            else:
                launch(args)
        except WarmError as exc:
            sys.stderr.write(f"dojo: {exc}\n")
            sys.exit(2)
    from dojo.cli import main as plain

    plain()


if __name__ == "__main__":
    main()
