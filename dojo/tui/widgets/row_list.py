"""RowList: the Line API base of every list pane (logs, traces, spans, timeline, service map).

It owns what they share: a row count as the virtual height, a cursor row moved by keys and the
mouse, and painting only the rows on screen. A subclass says how many rows there are
(`set_rows`) and how one row looks (`build_row`); it reacts to the cursor in `cursor_moved` and
to Enter in `row_chosen`, usually by posting its own message with the row's stable id.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from dojo.terminal_text import visible_line


class RowList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "cursor_up", "Previous row", show=False, id="rows.cursor-up"),
        Binding("down,j", "cursor_down", "Next row", show=False, id="rows.cursor-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="rows.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="rows.page-down"),
        Binding("home", "first", "First row", show=False, id="rows.first"),
        Binding("end", "last", "Last row", show=False, id="rows.last"),
        Binding("enter", "choose", "Choose row", show=False, id="rows.choose"),
    ]
    COMPONENT_CLASSES = {"row-list--cursor", "row-list--placeholder"}

    cursor: reactive[int | None] = reactive(None, always_update=False)
    """The selected row (a display index), or None before the learner picks one."""
    heading: reactive[str] = reactive("", init=False)
    """What the list shows, in its border; a pane that hosts the list shows it in its own."""
    status: reactive[str] = reactive("", init=False)
    """A short state line under the list (e.g. new lines waiting)."""
    placeholder: reactive[str] = reactive("")
    """What an empty list says instead of nothing (what to do, or why it is empty)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._rows = 0
        self._width = 0
        self._strips: LRUCache[int, Strip] = LRUCache(512)
        self._base_style: Style | None = None

    # -- what a subclass provides --------------------------------------------------------------

    def build_row(self, row: int) -> Strip:
        """The full-width (uncropped) look of one row."""
        raise NotImplementedError

    def cursor_moved(self, row: int | None) -> None:
        """The cursor is now on `row`."""

    def row_chosen(self, row: int) -> None:
        """Enter (or a double click) on `row`."""

    # Titles quote scenario and imported text (a span's message, a filter): shown as written,
    # never read as markup, controls spelled out.
    def watch_heading(self, heading: str) -> None:
        self.border_title = Content(visible_line(heading))

    def watch_status(self, status: str) -> None:
        self.border_subtitle = Content(visible_line(status))

    # -- rows ----------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self._rows

    def set_rows(self, count: int, width: int | None = None) -> None:
        """Change how many rows there are (and how wide the widest is, for horizontal scroll)."""
        self._rows = count
        if width is not None:
            self._width = width
        # Not `self.virtual_size = ...`: that reactive lays out the whole screen, and a list
        # following the clock grows on every tick (measured in the workspace: a reflow of every
        # pane four times a second, the largest cost of a tick). Only the scrollbars depend on
        # the extent, and when one appears or goes, its own reactive asks for the layout.
        size = Size(self._width, count)
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
        if self.cursor is not None and self.cursor >= count:
            self.cursor = count - 1 if count else None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # the theme changed: every colour baked into a strip is stale
        self._base_style = None

    @property
    def base_style(self) -> Style:
        """The widget's own colours. `rich_style` walks the DOM on every call (a quarter of a
        millisecond): once per line of every frame it was the largest cost of scrolling."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def row_strip(self, row: int) -> Strip:
        strip = self._strips.get(row)
        if strip is None:
            strip = self._strips[row] = self.build_row(row)
        return strip

    def text_strip(self, text: Text) -> Strip:
        """A Strip of `text` over the widget's own colours (so the background fills)."""
        text.stylize_before(self.base_style)
        # A net under the rows' own escaping: no control character reaches the terminal.
        segments = [Segment(visible_line(s.text), s.style, s.control) for s in text.render(self.app.console)]
        return Strip(segments)

    # -- painting ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.base_style
        if row >= self._rows:
            if row == 0 and self.placeholder:
                text = Text(
                    self.placeholder, style=self.get_component_rich_style("row-list--placeholder"), no_wrap=True, end=""
                )
                return self.text_strip(text).crop_extend(0, width, base)
            return Strip.blank(width, base)
        strip = self.row_strip(row).crop_extend(scroll_x, scroll_x + width, base)
        if row == self.cursor:
            strip = self._cursor_strip(strip)
        return strip  # no apply_offsets: clicks map to rows by coordinates (see on_click)

    def _cursor_strip(self, strip: Strip) -> Strip:
        # Post-style so the cursor's background wins over each segment's own, while the
        # row's colours (levels, health) stay readable.
        cursor = self.get_component_rich_style("row-list--cursor")
        cursor = Style(bgcolor=cursor.bgcolor, bold=cursor.bold)
        return Strip(Segment.apply_style(list(strip), post_style=cursor), strip.cell_length)

    # -- cursor ------------------------------------------------------------------------------------

    def validate_cursor(self, value: int | None) -> int | None:
        if value is None or self._rows == 0:
            return None
        return max(0, min(value, self._rows - 1))

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        for row in (old, new):
            if row is not None:
                self.refresh_line(row)
        self.cursor_moved(new)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` and scroll just enough to show it."""
        self.cursor = row
        if self.cursor is not None:
            self.scroll_to_row(self.cursor)

    def scroll_to_row(self, row: int, *, top: bool = False) -> None:
        height = self.scrollable_content_region.height
        y = round(self.scroll_y)
        if top:
            self.scroll_to(y=row, animate=False, force=True)
        elif row < y:
            self.scroll_to(y=row, animate=False, force=True)
        elif row >= y + height:
            self.scroll_to(y=row - height + 1, animate=False, force=True)

    def _shown_rows(self) -> tuple[int, int]:
        """First and last row on screen: where a first keypress puts the cursor."""
        top = round(self.scroll_y)
        bottom = top + self.scrollable_content_region.height - 1
        return min(top, max(self._rows - 1, 0)), max(min(bottom, self._rows - 1), 0)

    def _step(self, delta: int) -> None:
        if self.cursor is not None:
            self.move_cursor(self.cursor + delta)
            return
        # No cursor yet: a line step lands on the screen's edge row, a page step moves a page
        # from that edge (so Page Up scrolls back at once, as a reader expects).
        top, bottom = self._shown_rows()
        if abs(delta) == 1:
            self.move_cursor(bottom if delta < 0 else top)
        else:
            self.move_cursor(top + delta if delta < 0 else bottom + delta)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_page_up(self) -> None:
        self._step(-max(self.scrollable_content_region.height - 1, 1))

    def action_page_down(self) -> None:
        self._step(max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self._rows - 1)

    def action_choose(self) -> None:
        if self.cursor is not None:
            self.row_chosen(self.cursor)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = round(self.scroll_y) + offset.y
        if row < self._rows:
            self.cursor = row
            if event.chain >= 2:
                self.row_chosen(row)


def show_titles_on(frame: Widget, rows: RowList) -> None:
    """Show a hosted list's heading and status in the border of the pane that frames it."""
    frame.watch(rows, "heading", lambda heading: setattr(frame, "border_title", heading))
    frame.watch(rows, "status", lambda status: setattr(frame, "border_subtitle", status))
