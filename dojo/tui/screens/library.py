"""LibraryScreen: the scenarios, with the learner's record on each; filter by text, tag and
difficulty; Enter opens one's briefing (a new attempt), r resumes an unfinished one.

It is the first screen `dojo` shows, so it imports only what it draws: cards come from the YAML
alone (data/library.py) and the records from the store arrive from the engine thread after the
first paint.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Select, Static

from ..data.library import Card, LibraryFilter, Record, all_tags, read_cards, records
from ..data.units import span
from ..plain import cell, safe, visible, visible_line
from .base import LearnerScreen

COLUMNS = ("scenario", "title", "difficulty", "tags", "best TTCD", "attempts")
TITLE_WIDTH, TAGS_WIDTH = 32, 18  # at 120 columns; they grow and shrink with the table
FIXED_WIDTH = 26 + 10 + 9 + 8 + 6 * 2  # id, difficulty, TTCD, attempts and cell padding
NARROW_TABLE = 96  # below this the tags column goes (the details under the table list them)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ScenarioTable(DataTable):
    """The table, with Enter named for what it does here (the footer shows it)."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", id="library.open")]


class LibraryScreen(LearnerScreen[None]):
    CSS_PATH = "library.tcss"
    AUTO_FOCUS = "#library-table"
    BINDINGS = [
        Binding("r", "resume", "Resume", id="library.resume"),
        Binding("slash", "focus_filter", "Filter", key_display="/", id="library.filter"),
        Binding("P", "app.progress", "Progress", id="progress.show"),
        Binding("q", "app.quit", "Quit", id="app.leave"),
    ]

    class Chosen(Message):
        """Open this scenario: a new attempt, or `resume` an unfinished one."""

        def __init__(self, path: Path, resume: int | None = None):
            super().__init__()
            self.path, self.resume = path, resume

    def __init__(self, folder: Path | None = None):
        super().__init__()
        self.cards: list[Card] = read_cards(folder)
        self.records: dict[str, Record] = {}
        self.shown: list[Card] = []
        self.filter = LibraryFilter()
        self._without_tags = False

    def compose(self) -> ComposeResult:
        yield Static("[b]debugging dojo[/b] · scenario library", id="library-title")
        with Horizontal(classes="filter-bar"):
            yield Input(placeholder="filter: id, title or tag", id="library-filter", compact=True)
            yield Select([(t, t) for t in all_tags(self.cards)], prompt="any tag", id="library-tag", compact=True)
            yield Select(
                [("★" * d, d) for d in range(1, 6)], prompt="any difficulty", id="library-difficulty", compact=True
            )
        table = ScenarioTable(id="library-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(id="library-detail")
        yield Footer()

    def on_mount(self) -> None:
        self._refill()
        # After the first paint: the history needs pydantic, and the screen comes first.
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.reload_records()
        self.dojo.warm_up()

    # -- data ----------------------------------------------------------------------------------

    @work(exclusive=True, group="library-records")
    async def reload_records(self) -> None:
        app = self.dojo
        try:
            self.records = await app.engine.call(lambda: records(app.store()))
        except Exception as exc:  # noqa: BLE001 - a broken store must not hide the library
            self.notify(
                visible(str(exc)), title="Your history is unavailable", severity="error", timeout=10, markup=False
            )
            return
        self._refill()

    def _refill(self) -> None:
        table = self.query_one(DataTable)
        keep = self.selected.path if self.selected else None
        self.shown = [c for c in self.cards if self.filter.matches(c)]
        table.clear()
        title_w, tags_w = self._text_widths()
        width = table.scrollable_content_region.width
        without_tags = 0 < width < NARROW_TABLE
        if without_tags != self._without_tags:
            self._without_tags = without_tags
            table.clear(columns=True)
            table.add_columns(*(c for c in COLUMNS if not (without_tags and c == "tags")))
        for card in self.shown:
            rec = self.records.get(card.id, Record())
            cells = [  # a DataTable reads markup from str cells: the file's text goes in as Text
                cell(card.id),
                cell(_cut(visible_line(card.title), title_w)),
                card.stars if card.difficulty else "?",
                cell(_cut(", ".join(card.tags), tags_w)),
                span(rec.best_ttcd_s) if rec.best_ttcd_s is not None else "–",
                str(rec.attempts) if rec.attempts else "–",
            ]
            if without_tags:
                del cells[3]
            table.add_row(*cells, key=str(card.path))
        if keep is not None and any(c.path == keep for c in self.shown):
            table.move_cursor(row=[c.path for c in self.shown].index(keep), animate=False)
        table.border_title = f"Scenarios · {len(self.shown)} of {len(self.cards)}"
        self._show_detail()

    def _text_widths(self) -> tuple[int, int]:
        """Title and tags columns share what the table's width leaves: the title up to two
        thirds (no more than the longest needs), the tags the rest."""
        width = self.query_one(DataTable).scrollable_content_region.width
        if width <= 0:
            return TITLE_WIDTH, TAGS_WIDTH
        longest = max((len(c.title) for c in self.cards), default=16)
        if width < NARROW_TABLE:  # no tags column: the title takes what is left
            return max(12, min(longest, width - FIXED_WIDTH + 2)), 0
        spare = max(24, width - FIXED_WIDTH)
        title = max(16, min(longest, spare * 2 // 3))
        return title, max(8, spare - title)

    def on_resize(self) -> None:
        if self.is_mounted:
            self._refill()

    @property
    def selected(self) -> Card | None:
        if not self.is_mounted:
            return None
        row = self.query_one(DataTable).cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _show_detail(self) -> None:
        card = self.selected
        detail = self.query_one("#library-detail", Static)
        if card is None:
            detail.update(
                "no scenario matches the filter"
                if self.cards
                else "no scenarios found: set DOJO_SCENARIOS to a folder of them"
            )
            return
        rec = self.records.get(card.id, Record())
        # Everything from the file is escaped: this Static reads markup for its own [b] and [red].
        tags = safe(", ".join(card.tags) or "none")
        parts = [f"[b]{safe(card.title)}[/b]", f"{safe(card.duration or '?')} of incident · tags: {tags}"]
        if rec.attempts:
            best = f", best TTCD {span(rec.best_ttcd_s)}" if rec.best_ttcd_s is not None else ""
            parts.append(f"{rec.attempts} attempt{'s' * (rec.attempts != 1)}, {rec.solved} solved{best}")
        else:
            parts.append("not played yet")
        if rec.resumable is not None:
            parts.append("[b]r[/b] resumes your unfinished attempt")
        if card.problem:
            parts.append(f"[red]{safe(card.problem)}[/red]")
        text = "  ·  ".join(parts[:1]) + "\n" + "  ·  ".join(parts[1:])
        if card.credit:
            head, *changes = card.credit
            text += "\n" + safe(head) + "".join("\n" + safe(c) for c in changes)
        detail.update(text)

    # -- events --------------------------------------------------------------------------------

    @on(Input.Changed, "#library-filter")
    @on(Select.Changed, "#library-tag")
    @on(Select.Changed, "#library-difficulty")
    def _filter_changed(self) -> None:
        tag = self.query_one("#library-tag", Select).value
        level = self.query_one("#library-difficulty", Select).value
        self.filter = LibraryFilter(
            text=self.query_one("#library-filter", Input).value,
            tag=tag if isinstance(tag, str) else None,
            difficulty=level if isinstance(level, int) else None,
        )
        self._refill()

    @on(Input.Submitted, "#library-filter")
    def _filter_submitted(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    # -- actions -------------------------------------------------------------------------------

    def action_open(self) -> None:
        if (card := self.selected) is not None:
            self.post_message(self.Chosen(card.path))

    def action_resume(self) -> None:
        card = self.selected
        if card is None:
            return
        rec = self.records.get(card.id, Record())
        if rec.resumable is None:
            self.notify(
                visible(f"no unfinished attempt of {card.id}: Enter starts a new one"), severity="warning", markup=False
            )
            return
        self.post_message(self.Chosen(card.path, resume=rec.resumable))

    def action_focus_filter(self) -> None:
        self.query_one("#library-filter", Input).focus()
