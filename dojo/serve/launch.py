"""The launcher a `dojo serve` tab runs instead of a whole dojo: it hands its stdin, stdout and
stderr to the warm fork server (dojo/serve/forkserver.py), which forks a dojo that already has
every import, then stands in for that dojo: it forwards the signals it gets, and exits as the dojo
did (the same code, or killed by the same signal). So the server (textual-serve) sees the
process it always saw, at a few MiB instead of a fresh interpreter's hundreds.

    python -m dojo.serve.launch SOCKET [dojo arguments...]

When the fork server cannot be reached it says so in one line and becomes the plain dojo
(`python -m dojo ARGS`), in this same process, with the same pipes.

Only the standard library, and little of it: this process is paid for once per tab.
"""

from __future__ import annotations

# The C module under `socket`: the same calls, without socket.py's enums and selectors (~2 ms a launch).
import _socket as socket
import json
import os
import signal
import struct
import sys

# Signals a plain dojo would get from whoever holds this process (the server ends a tab's process
# group with SIGTERM, then SIGKILL, which cannot be caught: the fork server's child sees this
# launcher's end of the socket close and ends itself).
FORWARDED = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT")
HEADER = struct.Struct("!I")
ANSWER_S = 30.0


def request(args: list[str], extra: dict | None = None) -> bytes:
    """What the fork server needs to start the dojo as this process would have: its arguments,
    environment, folder and umask (and what `extra` adds, e.g. the launcher's fingerprint).
    Length-prefixed JSON."""
    mask = os.umask(0o077)  # read by setting it: put straight back
    os.umask(mask)
    doc = {**(extra or {}), "argv": args, "env": dict(os.environ), "cwd": os.getcwd(), "umask": mask}
    body = json.dumps(doc).encode()
    return HEADER.pack(len(body)) + body


def send_request(
    sock: socket.socket, args: list[str], fds: tuple[int, ...] = (0, 1, 2), extra: dict | None = None
) -> None:
    data = request(args, extra)
    # The descriptors ride with the first bytes (SCM_RIGHTS); the rest follows as a stream.
    sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))])
    if sent < len(data):
        sock.sendall(data[sent:])


class Replies:
    """The fork server's newline-separated JSON replies: {"pid"}, then the child's own {"exit"},
    then the server's {"status"} once it has reaped the child (or an {"error"} instead)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def next(self) -> dict | None:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


# Set by `dojo gameday host` for the players of a machine: `dojo`, `dojo play` and `dojo join` then
# come through the fork server whose socket it names (dojo/cli.py).
ENV = "DOJO_FORK_SERVER"


def plain(args: list[str], why: str) -> None:
    """Become the dojo itself (same pid, same pipes), after one line saying why."""
    sys.stderr.write(f"dojo: {why}; starting without the fork server\n")
    sys.stderr.flush()
    os.environ.pop(ENV, None)  # or the dojo started here would come straight back
    os.execv(sys.executable, [sys.executable, "-m", "dojo", *args])


def status_exit(status: int) -> None:
    """Exit as the child did: its code, or death by its signal (a plain process's returncode < 0)."""
    if status < 0:
        sig = -status
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os._exit(128 + sig)  # a signal whose default is not to die
    sys.exit(status)


def hand_over(path: str, args: list[str], extra: dict | None = None) -> dict:
    """Have the fork server at `path` start `dojo ARGS` for this process, then stand in for that
    dojo and exit as it does (this never returns once the server has forked). When the server does
    not take the launch, returns its refusal ({"error": why, ...}) with this process as it was (its
    signal handlers restored, any signal that came meanwhile acted on), to start plain."""
    child = 0
    pending: list[int] = []

    def forward(sig: int, _frame: object) -> None:
        if child:
            try:
                os.kill(child, sig)
            except ProcessLookupError:
                pass
        else:
            pending.append(sig)  # before the pid is known: sent as soon as it is

    previous = {name: signal.signal(getattr(signal, name), forward) for name in FORWARDED}

    def refused(why: dict) -> dict:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
        for sig in pending:
            os.kill(os.getpid(), sig)
        return why

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # A server that is stuck (stopped, swapping) must not hang the tab: after this long it starts plain.
    sock.settimeout(ANSWER_S)
    try:
        sock.connect(path)
        send_request(sock, args, extra=extra)
        replies = Replies(sock)
        first = replies.next()
        sock.settimeout(None)
    except (OSError, ValueError) as exc:
        sock.close()
        return refused({"error": f"the fork server did not answer ({exc})"})
    if first is None or "pid" not in first:
        sock.close()
        first = first or {"error": "it closed the connection"}
        return refused({**first, "error": f"the fork server refused ({first.get('error')})"})
    child = int(first["pid"])
    for sig in pending:
        forward(sig, None)
    code: int | None = None
    while True:
        try:
            reply = replies.next()
        except (OSError, ValueError):
            reply = None
        if reply is None:
            # The fork server went away before reaping: the child's own word, else a failure.
            status_exit(code if code is not None else 1)
        elif "exit" in reply:
            code = int(reply["exit"])
        if reply is not None and "status" in reply:
            status_exit(int(reply["status"]))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.stderr.write("usage: python -m dojo.serve.launch SOCKET [dojo arguments...]\n")
        sys.exit(2)
    path, args = argv[0], argv[1:]
    refusal = hand_over(path, args)
    plain(args, refusal["error"])


if __name__ == "__main__":
    main()
