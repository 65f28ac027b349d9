"""ProgressScreen: every past attempt, TTCD per scenario over time, and the fault kinds the
learner is weakest at, all scored from the store's events (data/progress.py) on the engine
thread."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Sparkline, Static

from ..data.card import OUTCOMES
from ..data.progress import AttemptSummary, summaries, ttcd_series, weakest
from ..data.units import span
from ..plain import cell, safe
from .base import LearnerScreen


class ProgressScreen(LearnerScreen[None]):
    CSS_PATH = "progress.tcss"
    AUTO_FOCUS = "#progress-attempts"
    BINDINGS = [Binding("escape,b", "app.pop_screen", "Back", id="progress.back")]

    def __init__(self):
        super().__init__()
        self.attempts: list[AttemptSummary] = []

    def compose(self) -> ComposeResult:
        yield Static("[b]Progress[/b] · loading your history…", id="progress-title")
        yield DataTable(id="progress-attempts", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="progress-bottom"):
            yield VerticalScroll(id="progress-ttcd")
            yield DataTable(id="progress-weak", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#progress-attempts").border_title = "Attempts"
        self.query_one("#progress-ttcd").border_title = "TTCD per scenario, oldest to newest"
        weak = self.query_one("#progress-weak")
        weak.border_title = "Weakest fault kinds first"
        weak.border_subtitle = "vs par: (TTCD + penalties) / par, median"
        self.load()

    @work(exclusive=True, group="progress")
    async def load(self) -> None:
        app = self.dojo
        try:
            self.attempts = await app.engine.call(lambda: summaries(app.store()))
        except Exception as exc:  # noqa: BLE001 - a broken store is shown, not raised
            self.query_one("#progress-title", Static).update(
                f"[b]Progress[/b] · your history is unavailable: {safe(exc)}"
            )
            return
        self.show()

    def show(self) -> None:
        attempts = self.attempts
        solved = sum(a.ttcd_s is not None for a in attempts)
        self.query_one("#progress-title", Static).update(
            f"[b]Progress[/b] · {len(attempts)} attempt{'s' * (len(attempts) != 1)} · {solved} solved"
            if attempts
            else "[b]Progress[/b] · no attempts yet: pick a scenario in the library"
        )
        table = self.query_one("#progress-attempts", DataTable)
        table.clear(columns=True)
        table.add_columns("#", "scenario", "started (UTC)", "outcome", "TTCD", "penalties", "points")
        for a in reversed(attempts):
            ttcd = span(a.ttcd_s) if a.ttcd_s is not None else "–"
            table.add_row(
                str(a.id),
                cell(a.scenario_id),
                a.started[:16].replace("T", " "),
                OUTCOMES.get(a.outcome, a.outcome),
                ttcd,
                f"+{span(a.penalty_s)}",
                str(a.points),
            )
        box = self.query_one("#progress-ttcd", VerticalScroll)
        box.remove_children()
        series = ttcd_series(attempts)
        rows: list[Widget] = []
        for scenario, values in sorted(series.items()):
            rows.append(
                Static(
                    f"[b]{safe(scenario)}[/b]  best {span(min(values))} · last {span(values[-1])} · "
                    f"{len(values)} solved",
                    classes="ttcd-label",
                )
            )
            if len(values) > 1:  # one value makes a solid block, not a trend
                rows.append(Sparkline(values, summary_function=max, classes="ttcd-line"))
        box.mount_all(rows or [Static("no solved attempt yet", classes="ttcd-label")])
        weak = self.query_one("#progress-weak", DataTable)
        weak.clear(columns=True)
        weak.add_columns("fault kind", "played", "solved", "vs par", "wrong", "hints")
        for w in weakest(attempts):
            vs = f"{w.vs_par:.1f}×" if w.vs_par is not None else "–"
            weak.add_row(w.fault, str(w.attempts), f"{w.solved} ({w.solve_rate:.0%})", vs, str(w.wrong), str(w.hints))
