"""PlayApp: what an app that hosts an investigation gives the screens it shows.

Two apps show the workspace, its dialogs and the debrief: the learner's DojoApp and a game
day's TeamApp. Both derive from PlayApp, so a screen typed against it (screens.base) may ask for
the engine thread and the moves between screens, and the type checker holds both apps to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from .engine_thread import EngineThread

if TYPE_CHECKING:  # pragma: no cover
    from dojo.engine.session import Session


class PlayApp(App[None]):
    engine: EngineThread  # every Session call, off the UI thread
    reconnecting = False  # a game day's database is out of reach (the clock bar says so)

    def show_debrief(self, session: Session) -> None:
        """The attempt is over: the debrief takes the screen that asked's place."""
        raise NotImplementedError

    def show_library(self) -> None:
        """The learner leaves the attempt: back to where attempts are chosen (or out)."""
        raise NotImplementedError
