"""`dojo join` without a code (and every tab of `dojo serve --game`): ask for the team's join code
and the member's name, check them against the game, then carry on as `dojo join CODE` does."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from ..plain import plain
from .team_join import TeamApp


class AskCodeScreen(Screen):
    BINDINGS = [Binding("escape", "app.quit", "Leave", id="join.leave")]

    def __init__(self, name: str):
        super().__init__()
        self.initial_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-box"):
            yield Static("Join your game day team", id="ask-title")
            yield Static("Type the join code your facilitator gave your team (the words, in any case).")
            yield Input(placeholder="join code, e.g. amber-falcon-river", id="ask-code")
            yield Input(value=self.initial_name, placeholder="your name, as your team will see it", id="ask-name")
            yield Button("Join", id="ask-join", variant="primary")
            yield Static("", id="ask-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ask-code", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ask-code" and not self.query_one("#ask-name", Input).value.strip():
            self.query_one("#ask-name", Input).focus()
            return
        await self.join()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        await self.join()

    async def join(self) -> None:
        code = self.query_one("#ask-code", Input).value.strip()
        name = self.query_one("#ask-name", Input).value.strip()
        if not code:
            return self.say("type your team's join code first")
        if not name:
            return self.say("type your name: your teammates see it beside what you write")
        app = self.app
        assert isinstance(app, AskCodeApp)
        problem = await app.check_code(code)
        if problem:
            field = self.query_one("#ask-code", Input)
            field.value = ""  # the next try starts clean, with the keys in the code's box
            field.focus()
            return self.say(f"{code}: {problem}")
        await app.join_as(code, name)

    def say(self, text: str) -> None:
        self.query_one("#ask-error", Static).update(plain(text))


class AskCodeApp(TeamApp):
    """The team app, with the code asked for on screen first. `game`, when given, is the only
    game whose codes open here: a code of another game on the same database is refused."""

    def __init__(self, db: str | None, game: str | None, member: str):
        super().__init__(db, "", member)
        self.game_id = game

    async def on_mount(self, event: events.Mount | None = None) -> None:
        if event is not None:
            event.prevent_default()  # TeamApp's on_mount joins: it runs once a code is given (join_as)
        self.push_screen(AskCodeScreen(self.member))

    async def check_code(self, code: str) -> str | None:
        from dojo.store import StoreError
        from dojo.store.games import GameStore

        def check() -> str | None:
            with GameStore(self.db) as store:
                game, team, _, _ = store.team_view(code)
            if self.game_id is not None and (game is None or game.id != self.game_id.strip()):
                return "that code is for another game; check it with your facilitator"
            return None

        try:
            return await self.engine.call(check)
        except StoreError as exc:
            return str(exc)

    async def join_as(self, code: str, name: str) -> None:
        self.code, self.member = code, name
        self.pop_screen()
        await TeamApp.on_mount(self)


def run_ask(db: str | None, game: str | None, member: str) -> None:
    AskCodeApp(db, game, member).run()
