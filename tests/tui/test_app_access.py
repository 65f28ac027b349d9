"""Screens reach their app through a type that fits every app that shows them, checked at run
time: the workspace, its dialogs and the debrief run in the learner's app and in a team's."""

import asyncio

import pytest
from textual.app import App

from dojo.tui.app import DojoApp
from dojo.tui.play_app import PlayApp
from dojo.tui.screens.base import DojoModal, DojoScreen, LearnerScreen
from dojo.tui.screens.briefing import BriefingScreen
from dojo.tui.screens.debrief import DebriefScreen
from dojo.tui.screens.diagnosis import DiagnosisScreen
from dojo.tui.screens.hypothesis import HypothesisScreen
from dojo.tui.screens.library import LibraryScreen
from dojo.tui.screens.team_join import TeamApp
from dojo.tui.screens.workspace import WorkspaceScreen


@pytest.mark.parametrize("app", [DojoApp, TeamApp])
def test_both_apps_that_host_an_investigation_give_what_its_screens_ask_for(app):
    assert issubclass(app, PlayApp)
    for move in ("show_debrief", "show_library"):
        assert getattr(app, move) is not getattr(PlayApp, move), f"{app.__name__} lacks {move}"


def test_shared_screens_ask_for_the_common_base_and_learner_screens_for_the_learners_app():
    for screen in (WorkspaceScreen, DebriefScreen):
        assert issubclass(screen, DojoScreen) and not issubclass(screen, LearnerScreen)
    for modal in (HypothesisScreen, DiagnosisScreen):
        assert issubclass(modal, DojoModal)
    for screen in (LibraryScreen, BriefingScreen):
        assert issubclass(screen, LearnerScreen)


class Shared(DojoScreen[None]):
    pass


class Learners(LearnerScreen[None]):
    pass


class Team(PlayApp):
    def on_mount(self) -> None:
        self.push_screen(Shared())


class Plain(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Learners())


def run(app: App, check) -> None:
    async def main():
        async with app.run_test() as pilot:
            await pilot.pause()
            check(app.screen)

    asyncio.run(main())


def test_a_shared_screen_gets_its_app_as_the_common_base():
    app = Team()
    run(app, lambda screen: screen.dojo is app)


def test_a_screen_in_an_app_it_was_not_made_for_is_named_not_an_attribute_error_later():
    def check(screen):
        with pytest.raises(TypeError, match="Learners runs in a DojoApp, not in Plain"):
            screen.dojo  # noqa: B018 - the access is the check

    run(Plain(), check)
