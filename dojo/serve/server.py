"""The web server of `dojo serve`: textual-serve's, with a session limit, children that cannot
outlive their tab or the server, and a page whose addresses follow the request."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("dojo.serve")

TEMPLATES = Path(__file__).parent / "templates"
# A tab's dojo gets this long to quit by itself (close its attempt, flush the store) before it is
# sent SIGTERM, then SIGKILL after as long again.
QUIT_S = 5.0
PR_SET_PDEATHSIG = 1
PRIVATE_ENV = ("DOJO_GAME_KEY", "DOJO_MEMBER")


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends it SIGTERM if the server dies, even by SIGKILL,
    so no dojo is left running for a tab nobody can reach. Linux only; elsewhere a no-op."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class TabSession(AppService):
    """One tab's dojo process. Started in a session (process group) of its own, so a Ctrl-C at
    the server's terminal reaches the server alone, which then ends each tab in order."""

    def __init__(self, argv: Sequence[str], **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = list(argv)

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        # The server's own identity stays with it: the facilitator's key is not the players' to
        # hold, and the facilitator's name must not be every tab's default.
        for name in PRIVATE_ENV:
            environment.pop(name, None)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def stop(self) -> None:
        """Ask the dojo to quit (it closes the attempt, which stays resumable); if it has not
        within QUIT_S, end its process group; always reap it."""
        task, process = self._task, self._process
        if task is None or process is None:
            return
        self._task = None
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), QUIT_S)
        except asyncio.TimeoutError:
            log.warning("a tab's dojo (pid %s) did not quit in %.0f s: ending it", process.pid, QUIT_S)
            await self._end(process)
        await task
        # Closed here, while the loop runs: asyncio would otherwise close the pipes when the
        # object is collected, after the loop has closed, and print a traceback at Ctrl-C.
        transport = getattr(process, "_transport", None)
        if transport is not None:
            transport.close()

    async def _end(self, process: asyncio.subprocess.Process) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                await asyncio.wait_for(asyncio.shield(process.wait()), QUIT_S)
                return
            except asyncio.TimeoutError:
                continue


class DojoServer(Server):
    def __init__(
        self, argv: Sequence[str], *, host: str, port: int, max_sessions: int, title: str = "debugging dojo"
    ) -> None:
        super().__init__(" ".join(argv), host=host, port=port, title=title, templates_path=str(TEMPLATES))
        self.argv = list(argv)
        self.max_sessions = max_sessions
        self.sessions: set[TabSession] = set()

    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    async def on_startup(self, app: web.Application) -> None:
        # Every network: the machine's name is what players can type; the wildcard is not an address.
        shown = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        self.console.print(
            f"dojo serve: open http://{shown}:{self.port}/ (up to {self.max_sessions} tabs); Ctrl-C stops it",
            highlight=False,
            markup=False,
        )

    async def on_shutdown(self, app: web.Application) -> None:
        """Every tab's dojo quits (or is ended) before the server returns: no orphans."""
        await asyncio.gather(*(session.stop() for session in list(self.sessions)), return_exceptions=True)

    async def handle_index(self, request: web.Request) -> web.Response:
        if self.full():
            return aiohttp_jinja2.render_template(
                "full.html", request, {"title": self.title, "max_sessions": self.max_sessions}, status=503
            )
        scheme = "wss" if request.secure else "ws"
        context = {
            "title": self.title,
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "static_url": "/static/",
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "ping_url": "",
        }
        return aiohttp_jinja2.render_template("index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.full():  # two pages loaded at once may both have seen a free place
            await websocket.send_bytes(
                f"\r\n  The dojo is full: all {self.max_sessions} sessions are in use.\r\n"
                "  Close a dojo tab you no longer need and reload this page.\r\n".encode()
            )
            await websocket.close()
            return websocket
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        session = TabSession(
            self.argv,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions.add(session)
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # one tab's failure is logged and ends that tab only
            log.exception(error)
        finally:
            await session.stop()
            self.sessions.discard(session)
        return websocket

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=None,
            access_log=None,
            shutdown_timeout=QUIT_S * 3,
        )
