"""The warm fork server of `dojo serve` (a "zygote", as Android calls it).

One process imports everything a tab's dojo needs (Textual, pandas, pyarrow, numpy, pydantic,
SQLAlchemy, the dojo's engine and screens), maps the incidents it is told to warm, freezes its
heap out of the garbage collector's reach, and then forks one child per tab. A child starts with
all of that already in memory, shared copy-on-write with the server and every other tab: a
second tab costs what it changes, not a fresh interpreter's imports (~140 MiB each otherwise).

    python -m dojo.serve.forkserver --socket DIR/fork.sock [--game GAME [--db URL] [--key-on-stdin]]
                                    [--warm SCENARIO]...

A tab's launcher (dojo/serve/launch.py) connects over the Unix socket and passes its stdin,
stdout and stderr (SCM_RIGHTS) with its arguments, environment and folder; the child takes those
over and runs `dojo ARGS` exactly as `python -m dojo ARGS` would. The server tells the launcher
the child's pid, reaps the child and sends its exit status; the launcher forwards signals.

Who may connect: the socket lives in a folder only its owner can enter (0700, checked), and the
peer's uid (SO_PEERCRED) must be the server's own. Linux only: elsewhere `dojo serve` runs each
tab as a plain process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import selectors
import signal
import socket
import stat
import struct
import sys
import time
from pathlib import Path
from typing import Any, Callable

HEADER = struct.Struct("!I")
MAX_REQUEST = 4 * 1024 * 1024  # arguments + environment; anything bigger is not a launcher
MAX_FDS = 3
HELD_OVER_FORK = {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}
READY = "ready"
# What a tab's dojo imports on its way to a workspace, imported once here. Anything missing is
# simply imported by the child, as a plain process would.
PRELOAD = (
    "dojo.cli",
    "dojo.commands.play",
    "dojo.commands.gameday",
    "dojo.commands.library",
    "dojo.tui.app",
    "dojo.tui.launch",
    "dojo.tui.prepare",
    "dojo.engine.session",
    "dojo.telemetry.cache",
    "dojo.telemetry.model",
    "dojo.gameday.team",
    "dojo.store.games",
    "dojo.telemetry.selectors",
    "textual.drivers.web_driver",
    "textual.drivers.linux_driver",
    "textual.layouts.horizontal",
    "textual.layouts.vertical",
    "textual.layouts.grid",
    "textual.layouts.stream",
    "textual.layouts.factory",
    "textual.scrollbar",
    "pandas",
    "pyarrow",
    "pyarrow.ipc",
    "numpy",
    "pydantic",
    "sqlalchemy",
)
PRELOAD_TREES = ("dojo.tui", "dojo.engine")


def forking_possible() -> str | None:
    """None when this system can run the fork server, else why not (one line)."""
    if not sys.platform.startswith("linux"):
        return "the fork server needs Linux (SO_PEERCRED)"
    missing = [n for n in ("AF_UNIX", "SCM_RIGHTS", "SO_PEERCRED") if not hasattr(socket, n)]
    if missing or not hasattr(os, "fork"):
        return f"this Python lacks {', '.join(missing) or 'os.fork'}"
    return None


def check_private(folder: Path) -> None:
    """The socket's folder must be ours and closed to everyone else, or we do not listen in it."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise SystemExit(f"dojo fork server: {folder} must be a folder of this user's, mode 0700")


def peer_uid(conn: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid


def preload() -> None:
    """Import what a tab needs (a module that fails to import here is the child's to import)."""
    import importlib
    import pkgutil

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    for tree in PRELOAD_TREES:
        package = importlib.import_module(tree)
        for info in pkgutil.walk_packages(package.__path__, tree + "."):
            try:
                importlib.import_module(info.name)
            except Exception:  # a module that fails here fails (or is not needed) in the child too
                continue


def warm_incidents(game: str | None, db: str | None, refs: list[str], key: str | None = None) -> list:
    """Map the incidents of the game (with its facilitator `key`) and of `refs` (files or built-in ids),
    synthesizing any not yet cached, index them for queries, and keep both in this process;
    returns them so they live as long as the server. A failure is one line: the tabs then map the
    incident themselves."""
    from dojo.engine.queries import prebuild
    from dojo.telemetry.cache import hold

    held = []
    try:
        if game is not None and key:
            held.append(prebuild(hold(*game_incident(game, db, key))))
        for ref in refs:
            from dojo.scenario import load_scenario, resolve_scenario

            # Mapped, and indexed for queries: a fork's session starts from both.
            held.append(prebuild(hold(load_scenario(resolve_scenario(ref)))))
    except Exception as exc:
        print(f"dojo fork server: not warming the incident ({exc})", file=sys.stderr, flush=True)
    return held


def game_incident(game: str, db: str | None, key: str) -> tuple:
    """The scenario and seed of a game (read with the facilitator's key), to warm."""
    from dojo.gameday.team import load_game_scenario
    from dojo.store.games import GameStore

    store = GameStore(db)
    try:
        row = store.facilitator_view(game, key, 0)[0]
    finally:
        store.close()
    return load_game_scenario(row.settings, row.id), int(row.settings["seed"])


class ForkServer:
    """`fingerprint`, `idle`, `held` and `lock_fd` are the per-user warm dojo's (dojo/serve/warm.py):
    a launcher of another dojo (another version or install) stops it, it ends after `idle` seconds
    with no dojo of its alive, it maps the cached incidents of the plays it forks (`held`), and the
    lock it holds says it lives."""

    def __init__(
        self,
        listener: socket.socket,
        uid: int | None = None,
        path: Path | None = None,
        fingerprint: str | None = None,
        idle: float = 0.0,
        held: Any = None,
        lock_fd: int | None = None,
    ):
        self.listener = listener
        self.path = path
        self.uid = os.getuid() if uid is None else uid
        self.fingerprint = fingerprint
        self.idle = idle
        self.held = held
        self.lock_fd = lock_fd
        self.quiet_since = time.monotonic()
        self.children: dict[int, socket.socket] = {}
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.selector = selectors.DefaultSelector()

    def serve_forever(self) -> None:
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd hears it
        # Ended by `dojo serve` or, when that was killed outright, by the parent-death signal:
        # either way the socket and its folder go with the server.
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGHUP, self._stop)
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        while True:
            ready = self.selector.select(self._idle_left())
            if not ready and self.idle and not self.children and time.monotonic() - self.quiet_since >= self.idle:
                self._stop()
            for key, _ in ready:
                if key.fileobj is self.listener:
                    try:
                        conn, _ = self.listener.accept()
                    except OSError:
                        continue
                    self.handle(conn)
                else:
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                    self.reap()

    def _idle_left(self) -> float | None:
        if not self.idle or self.children:
            return None
        return max(0.01, self.quiet_since + self.idle - time.monotonic())

    def _stop(self, *_: object) -> None:
        if self.path is not None:
            for remove in (self.path.unlink, self.path.parent.rmdir):
                try:
                    remove()
                except OSError:
                    pass
        os._exit(0)  # forked dojos live on, each tied to its own launcher

    def handle(self, conn: socket.socket) -> None:
        """One launcher: check who it is, read its request, fork its dojo. A bad request closes
        that connection and nothing else."""
        fds: list[int] = []
        try:
            conn.settimeout(10)
            if peer_uid(conn) != self.uid:
                self._say(conn, {"error": "refused: not the fork server's user"})
                conn.close()
                return
            request, fds = receive(conn)
            if "query" in request:
                for fd in fds:
                    os.close(fd)
                self.answer(conn, request["query"])
                return
            if self.fingerprint is not None and request.get("fingerprint", self.fingerprint) != self.fingerprint:
                # Another dojo's launcher (upgraded, or another install): this server's code is not
                # what it would run. It stops, and the launcher starts the right one.
                for fd in fds:
                    os.close(fd)
                self._say(conn, {"error": "a warm dojo of another version", "replace": True})
                conn.close()
                self._stop()
            argv, env, cwd = request["argv"], request["env"], request["cwd"]
            if len(fds) != MAX_FDS or not all(isinstance(a, str) for a in argv) or not isinstance(env, dict):
                raise ValueError("a request is a list of arguments, an environment and three descriptors")
            conn.settimeout(None)
            if self.held is not None:
                self.held.before_fork(argv, env, cwd)
            sys.stdout.flush()
            sys.stderr.flush()
            # Held over the fork: a signal for the new dojo that came before it dropped the
            # server's handlers would run the server's stop in the child, and the tab would live on.
            signal.pthread_sigmask(signal.SIG_BLOCK, HELD_OVER_FORK)
            pid = -1
            try:
                pid = os.fork()
            finally:
                if pid != 0:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_OVER_FORK)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            for fd in fds:
                os.close(fd)
            self._say(conn, {"error": str(exc)[:200]})
            conn.close()
            return
        if pid == 0:
            code = 1
            try:
                code = self.become_child(conn, fds, argv, env, cwd, request.get("umask"))
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        self.children[pid] = conn
        self._say(conn, {"pid": pid})

    def answer(self, conn: socket.socket, query: object) -> None:
        """`dojo cache`'s questions: what it is and holds ("status"), or to end ("stop")."""
        if query == "status":
            self._say(conn, {
                "pid": os.getpid(), "fingerprint": self.fingerprint, "idle": self.idle,
                "dojos": len(self.children), "held": self.held.describe() if self.held is not None else [],
            })  # fmt: skip
            conn.close()
        elif query == "stop":
            self._say(conn, {"stopping": os.getpid()})
            conn.close()
            self._stop()
        else:
            self._say(conn, {"error": f"unknown query {str(query)[:40]!r}"})
            conn.close()

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if not self.children:
                self.quiet_since = time.monotonic()
            if conn is not None:
                self._say(conn, {"status": exit_status(status)})
                conn.close()

    @staticmethod
    def _say(conn: socket.socket, message: dict) -> None:
        try:
            conn.sendall(json.dumps(message).encode() + b"\n")
        except OSError:
            pass  # the launcher is gone; its child learns that by itself

    def become_child(
        self, conn: socket.socket, fds: list[int], argv: list, env: dict, cwd: str, umask: object = None
    ) -> int:
        """In the forked child: drop the server's state, take the launcher's stdio, environment
        and folder, run the dojo; returns its exit code."""
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_OVER_FORK)  # what came meanwhile now acts
        self.selector.close()
        self.listener.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        for other in self.children.values():
            other.close()
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # the server's: held by a dojo, it would outlive the server
        os.setsid()  # a session of its own, like the plain process textual-serve starts
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        try:
            os.chdir(cwd)
            if isinstance(umask, int):
                os.umask(umask & 0o777)  # files the dojo writes get the launcher's permissions
            adopt_environment(env)
        except Exception as exc:  # told on the tab's own stderr, as a plain start's failure would be
            sys.stderr.write(f"dojo: cannot start this tab's dojo: {exc}\n")
            sys.stderr.flush()
            return 1
        watch_launcher(conn)
        return run_dojo(argv, conn)


def exit_status(status: int) -> int:
    """A wait status as subprocess reports it: the exit code, or minus the signal that killed it."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def receive(conn: socket.socket) -> tuple[dict, list[int]]:
    fds: list[int] = []
    data, ancdata, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(MAX_FDS * 4))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) // 4 * 4]))
    try:
        if len(data) < HEADER.size:
            raise ValueError("a request starts with its length")
        (size,) = HEADER.unpack(data[: HEADER.size])
        if size > MAX_REQUEST:
            raise ValueError("request too large")
        body = data[HEADER.size :]
        while len(body) < size:
            chunk = conn.recv(min(65536, size - len(body)))
            if not chunk:
                raise ValueError("the request stopped short")
            body += chunk
        request = json.loads(body)
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
    except (ValueError, OSError):
        for fd in fds:
            os.close(fd)
        raise
    return request, fds


def adopt_environment(env: dict) -> None:
    """The child's environment is the launcher's, as a plain process's would be; what was read
    from the server's environment at import time is read again."""
    import importlib
    import time

    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    if hasattr(time, "tzset"):
        time.tzset()
    # Textual reads its settings (driver, colours, fps...) from the environment when imported.
    constants = sys.modules.get("textual.constants")
    if constants is not None:
        old = dict(vars(constants))
        importlib.reload(constants)
        names = [n for n in vars(constants) if n.isupper()]
        for name, module in list(sys.modules.items()):
            if module is None or module is constants or not name.startswith("textual."):
                continue
            for n in names:
                if n in vars(module) and vars(module)[n] is old.get(n):
                    setattr(module, n, getattr(constants, n))
    # Line-buffered on a terminal, block-buffered on a pipe, as the interpreter decides at start.
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        try:
            stream.reconfigure(line_buffering=fd == 2 or os.isatty(fd))  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def watch_launcher(conn: socket.socket) -> None:
    """The launcher killed outright (SIGKILL forwards nothing) closes its end of the socket: the
    child then ends itself, as a plain tab's process would have been ended."""
    import threading

    def wait() -> None:
        try:
            while conn.recv(1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait, name="dojo-launcher-watch", daemon=True).start()


def run_dojo(argv: list, conn: socket.socket) -> int:
    """`python -m dojo ARGV` in this process; its exit code (and the same to the launcher, should
    the server be gone before it reaps us)."""
    import atexit
    import threading
    import traceback

    sys.argv = ["dojo", *argv]
    os.environ.pop("DOJO_FORK_SERVER", None)  # this is the dojo the variable asked for: no second hop
    gc.enable()
    code = 0
    try:
        from dojo.cli import main

        main()
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    except BaseException:  # what the interpreter would print, then exit 1
        traceback.print_exc()
        code = 1
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # the interpreter's own exit: wait for threads
    except Exception:
        pass
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    ForkServer._say(conn, {"exit": code})
    return code


def listen(path: Path) -> socket.socket:
    check_private(path.parent)
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    sock.listen(64)
    return sock


def in_background(work: Callable[[], None], nice: int) -> None:
    """Run `work` (the imports, the warming) at `nice` lower priority, so that it does not slow the
    player's own dojo starting beside it, while the process stays at its own: the dojos it forks
    inherit the forking thread's priority, and an unprivileged process can never raise it back.
    On Linux a priority is a thread's: the work runs in a thread that lowers only its own."""
    if nice <= 0:
        work()
        return
    import threading

    failed: list[BaseException] = []

    def run() -> None:
        try:
            me = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + nice))
        except OSError:
            pass
        try:
            work()
        except BaseException as exc:  # raised again in the main thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="dojo-warm-up")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dojo.serve.forkserver", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, type=Path, help="where to listen (its folder must be 0700)")
    parser.add_argument("--game", default=None, help="warm this game's incident")
    parser.add_argument("--key-on-stdin", action="store_true", help="read the game's facilitator key from stdin")
    parser.add_argument("--db", default=None, help="the game's database")
    parser.add_argument("--warm", action="append", default=[], metavar="SCENARIO", help="warm a scenario (file or id)")
    parser.add_argument("--fingerprint", default=None, help="stop when a launcher of another fingerprint comes")
    parser.add_argument("--idle", type=float, default=0.0, help="end after this many seconds with no dojo (0: never)")
    parser.add_argument("--keep", type=int, default=0, help="map the cached incidents of plays, keeping this many")
    parser.add_argument("--lock-fd", type=int, default=None, help="a locked descriptor to hold while it lives")
    parser.add_argument("--nice", type=int, default=0, help="load everything at this lower priority")
    parser.add_argument("--play", default=None, help="with --keep: hold this play's incident now (JSON: argv, cwd)")
    args = parser.parse_args(argv)
    why = forking_possible()
    if why is not None:
        raise SystemExit(f"dojo fork server: {why}")
    check_private(args.socket.parent)
    gc.disable()  # no collection while the heap the children will share is being built
    key = sys.stdin.readline().strip() if args.key_on_stdin else None
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    held: list = []
    plays = None

    def build() -> None:
        nonlocal held, plays
        preload()
        held = warm_incidents(args.game, args.db, args.warm, key)
        if args.keep > 0:
            from .warmheld import HeldIncidents

            plays = HeldIncidents(args.keep)
            if args.play:
                # The launch that started this server: its scenario is the likeliest next one.
                first = json.loads(args.play)
                plays.before_fork(first["argv"], dict(os.environ), first["cwd"])

    in_background(build, args.nice)
    gc.collect()
    # Into the permanent generation: the children's collections never touch (and so never copy)
    # the pages of what was imported here.
    gc.freeze()
    # Listening only now: a launcher that comes while the imports load finds no socket and starts
    # plain at once, rather than waiting for them.
    listener = listen(args.socket)
    print(f"{READY} {len(held)}", flush=True)
    server = ForkServer(
        listener, path=args.socket, fingerprint=args.fingerprint, idle=args.idle, held=plays, lock_fd=args.lock_fd
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
