"""Screens' typed access to the app they run in, checked at run time rather than cast.

`DojoScreen` and `DojoModal` (the workspace, its dialogs, the debrief) run in either app that
hosts an investigation, the learner's DojoApp or a game day's TeamApp: their `dojo` is the
PlayApp both derive from, so they ask only for what both provide (the engine thread, the
debrief, leaving). `LearnerScreen` (the library, the briefing, progress) runs only in DojoApp and
may ask for all of it. The app's state changes only through its own methods, never by a screen
writing its attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.app import App
from textual.screen import ModalScreen, Screen

from ..play_app import PlayApp

if TYPE_CHECKING:  # pragma: no cover - the app imports the screens
    from ..app import DojoApp

R = TypeVar("R")
A = TypeVar("A", bound=App)


def app_of(screen: Screen, kind: type[A]) -> A:
    """`screen`'s app as a `kind`; a screen shown in an app it was not made for is a bug,
    named here rather than an AttributeError somewhere later."""
    app = screen.app
    if not isinstance(app, kind):
        raise TypeError(f"{type(screen).__name__} runs in a {kind.__name__}, not in {type(app).__name__}")
    return app


def presize(screen: Screen) -> None:
    """Give a screen being made the breakpoint classes (-narrow, -tall, ...) of the terminal's
    size now. Textual adds them on the screen's first resize, after its widgets were styled
    without them: styling the workspace's widgets twice cost more than painting them."""
    try:
        width, height = screen.app.size
    except Exception:  # made outside a running app (a test): the first resize adds them
        return
    app = screen.app
    wide = app.HORIZONTAL_BREAKPOINTS if screen.HORIZONTAL_BREAKPOINTS is None else screen.HORIZONTAL_BREAKPOINTS
    tall = app.VERTICAL_BREAKPOINTS if screen.VERTICAL_BREAKPOINTS is None else screen.VERTICAL_BREAKPOINTS
    classes = screen._get_breakpoint_classes(width, wide or []) | screen._get_breakpoint_classes(height, tall or [])
    screen.add_class(*classes, update=False)


class DojoScreen(Screen[R]):
    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name, id, classes)
        presize(self)

    @property
    def dojo(self) -> PlayApp:
        return app_of(self, PlayApp)


class DojoModal(ModalScreen[R]):
    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name, id, classes)
        presize(self)

    @property
    def dojo(self) -> PlayApp:
        return app_of(self, PlayApp)


class LearnerScreen(Screen[R]):
    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name, id, classes)
        presize(self)

    @property
    def dojo(self) -> DojoApp:
        from ..app import DojoApp

        return app_of(self, DojoApp)
