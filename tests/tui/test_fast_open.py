"""What the workspace's first screen waits for: the garbage collector held while an attempt
opens, screens styled once for the terminal's size, the footer rebuilt once per burst, and the
log pane's first page the newest lines."""

from __future__ import annotations

import asyncio
import gc

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from dojo.tui import heap
from dojo.tui.screens.base import DojoScreen
from dojo.tui.widgets.footer import Footer
from dojo.tui.widgets.log_view import PAGE, LogView

from .apps import dojo_app, to_workspace
from .helpers import drive, incident, matcher


@pytest.fixture
def collector_on():
    """Each test starts and ends with the collector on, as a process does."""
    gc.enable()
    yield
    heap._held = False
    gc.enable()


def test_hold_turns_the_collector_off_until_settled(collector_on):
    heap.hold_during_load()
    assert not gc.isenabled() and heap.held()
    heap.settle_after_load()
    assert gc.isenabled() and not heap.held()
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD


def test_end_hold_without_settling_only_turns_it_back_on(collector_on):
    heap.hold_during_load()
    frozen = gc.get_freeze_count()
    heap.end_hold(settle=False)
    assert gc.isenabled() and not heap.held() and gc.get_freeze_count() == frozen
    heap.end_hold()  # nothing held: a no-op
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off(collector_on):
    gc.disable()
    heap.hold_during_load()
    assert not heap.held()
    heap.settle_after_load()
    assert not gc.isenabled()  # not ours to turn on


def test_the_app_holds_the_collector_until_the_workspace_has_settled(collector_on, monkeypatch):
    import dojo.tui.screens.workspace as workspace

    monkeypatch.setattr(workspace, "SETTLE_AFTER_S", 0.05)
    app = dojo_app()

    async def main():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert not gc.isenabled()  # opening: no full collections over what is imported
            await to_workspace(pilot, direct=True)
            for _ in range(200):
                if gc.isenabled():
                    break
                await asyncio.sleep(0.01)
            assert gc.isenabled() and not heap.held()

    asyncio.run(main())
    assert gc.isenabled()


def test_an_app_that_exits_early_leaves_the_collector_on(collector_on):
    app = dojo_app()

    async def main():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert heap.held()

    asyncio.run(main())
    assert gc.isenabled() and not heap.held()


class Sized(DojoScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("x")


class Breakpoints(App):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]


@pytest.mark.parametrize("size, want", [((120, 40), {"-medium", "-tall"}), ((80, 24), {"-narrow", "-short"})])
def test_a_screen_is_made_with_the_breakpoint_classes_of_the_terminal(size, want):
    async def main():
        app = Breakpoints()
        async with app.run_test(size=size) as pilot:
            screen = Sized()
            assert want <= set(screen.classes)  # before it is styled, not on its first resize
            await app.push_screen(screen)
            await pilot.pause()
            assert want <= set(app.screen.classes)

    asyncio.run(main())


class Keys(Static, can_focus=True):
    BINDINGS = [Binding("a", "noop", "Same words", id="keys.a")]

    def action_noop(self) -> None:
        pass


class Other(Static, can_focus=True):
    BINDINGS = [Binding("b", "noop", "Other words", id="other.b")]

    def action_noop(self) -> None:
        pass


class FooterHost(App):
    def compose(self) -> ComposeResult:
        yield Keys("one", id="one")
        yield Keys("two", id="two")
        yield Other("three", id="three")
        yield Footer()


def test_the_footer_rebuilds_once_per_burst_and_only_when_its_keys_change():
    async def main():
        app = FooterHost()
        async with app.run_test(size=(80, 10)) as pilot:
            footer = app.query_one(Footer)
            builds = []
            real = footer.recompose

            async def counted():
                builds.append(1)
                await real()

            footer.recompose = counted  # type: ignore[method-assign]
            app.query_one("#one").focus()
            await pilot.pause()
            await pilot.pause()
            base = len(builds)
            assert "Same words" in " ".join(str(k.render()) for k in footer.children)
            app.query_one("#two").focus()  # the same keys: nothing to rebuild
            await pilot.pause()
            await pilot.pause()
            assert len(builds) == base
            for _ in range(3):  # a burst of signals: one rebuild
                app.query_one("#three").focus()
                app.screen.refresh_bindings()
            await pilot.pause()
            await pilot.pause()
            assert len(builds) == base + 1
            assert "Other words" in " ".join(str(k.render()) for k in footer.children)

    asyncio.run(main())


class Pane(Vertical):
    """Feeds its log view from its own on_mount, as the workspace does: before any layout."""

    def __init__(self, tel):
        super().__init__()
        self.tel = tel

    def compose(self) -> ComposeResult:
        yield LogView()

    def on_mount(self) -> None:
        view = self.query_one(LogView)
        assert view.size.height == 0  # not laid out yet
        view.set_logs(self.tel.logs, self.tel.start, matcher(self.tel))


def test_the_first_page_painted_is_the_newest_lines():
    tel = incident()

    async def script(app, pilot):
        view = app.widget.query_one(LogView)
        assert view.follow and view.scroll_y == view.max_scroll_y > 0
        last_page = (view.row_count - 1) // PAGE
        assert last_page in view._pages.keys()
        assert 0 not in view._pages.keys()  # the incident's first lines were never built

    drive(Pane(tel), script)
