"""Footer: Textual's footer, recomposed only when what it shows has changed.

Textual's footer rebuilds all its keys whenever the screen says its bindings may have changed:
on every focus move and every `refresh_bindings`, one rebuild per signal. Opening the workspace
sent six such signals in a burst (the panes mounting, the log pane taking the focus, the attempt's
view arriving), and rebuilding and restyling twenty keys six times cost more than painting the
log pane's first screen. This footer rebuilds once per burst, and not at all when the keys it
would show are the ones it shows.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


def shown_keys(screen: Screen) -> tuple[Any, ...]:
    """What a footer on `screen` shows: each shown binding, its key, words and whether it acts."""
    return tuple(
        (key, binding.action, binding.description, binding.key_display, binding.group, enabled, tooltip)
        for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
        if binding.show
    )


class Footer(TextualFooter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None  # the keys of the last compose; None: none yet
        self._pending = False  # a rebuild is queued for after the next refresh

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = shown_keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if self.is_attached and shown_keys(self.screen) != self._shown:
            await self.recompose()
