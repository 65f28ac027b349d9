"""`dojo join` without a code (each tab of `dojo serve --game`): the code and the name are asked
on screen, checked against the game, and a wrong one is refused there, in words."""

import asyncio

import pytest
from textual.widgets import Input, Static

from dojo.tui.screens.ask_code import AskCodeApp, AskCodeScreen


@pytest.mark.slow  # creating the game synthesizes its incident; two apps start
def test_a_wrong_code_or_another_games_code_is_refused_on_screen(game):
    url, game_id, _key, code = game

    async def drive(app, typed):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            assert isinstance(app.screen, AskCodeScreen)
            assert app.screen.query_one("#ask-code", Input).has_focus
            await pilot.press(*typed, "enter")  # the name is empty: on to it
            assert app.screen.query_one("#ask-name", Input).has_focus
            await pilot.press("a", "n", "n", "enter")
            await pilot.pause(0.5)
            assert isinstance(app.screen, AskCodeScreen)  # not joined
            field = app.screen.query_one("#ask-code", Input)
            assert field.value == "" and field.has_focus  # ready for the next try
            return str(app.screen.query_one("#ask-error", Static).render())

    said = asyncio.run(drive(AskCodeApp(url, game_id, ""), list("wrong")))
    assert said.startswith("wrong: ") and "not valid here" in said
    said = asyncio.run(drive(AskCodeApp(url, "g-other", ""), list(code)))
    assert "another game" in said
