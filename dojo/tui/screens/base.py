"""Screens' typed access to the app: `self.dojo` is the DojoApp, so what a screen asks of the app
(its engine thread, its store, moving between screens) is checked by the type checker, and the
app's state changes only through its own methods, never by a screen writing its attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:  # pragma: no cover - the app imports the screens
    from ..app import DojoApp

R = TypeVar("R")


class DojoScreen(Screen[R]):
    @property
    def dojo(self) -> DojoApp:
        return cast("DojoApp", self.app)


class DojoModal(ModalScreen[R]):
    @property
    def dojo(self) -> DojoApp:
        return cast("DojoApp", self.app)
