"""DebriefScreen: the score card with every term, the learner's path beside the true incident on
one scenario clock, and the scenario's own debrief.

It is given everything it shows (the card, the attempt's events, the scenario, the alerts and
changes frame) and computes nothing that scores: the card is the engine's, the timeline is
data/debrief.py's fold of the events.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Markdown, Static, TabbedContent, TabPane

from dojo.authoring.credit import debrief_markdown

from ..data.card import card_terms, headline
from ..data.debrief import INCIDENT, Moment, debrief_timeline
from ..data.units import offset, span
from ..plain import visible, visible_line
from .base import DojoScreen

MARKS = {
    "fault": ("✦", "$text-error"),
    "fault_end": ("✧", "$text-muted"),
    "change": ("◆", "$text-primary"),
    "alert": ("▲", "$text-warning"),
    "resolved": ("▼", "$text-success"),
    "paged": ("●", "$text-accent"),
    "resumed": ("●", "$text-muted"),
    "hypothesis": ("?", "$text-accent"),
    "update": ("~", "$text-accent"),
    "pin": ("↳", "$text-secondary"),
    "hint": ("!", "$text-warning"),
    "action": ("◇", "$text-primary"),
    "wrong": ("✗", "$text-error"),
    "correct": ("✓", "$text-success"),
    "gave_up": ("■", "$text-error"),
    "timed_out": ("■", "$text-error"),
}


def card_content(card: dict) -> Content:
    lines = []
    for term in card_terms(card):
        if term.name:
            lines.append(Content.assemble((f"{term.name:<15} ", "bold $text-accent"), term.value))
        else:
            lines.append(Content.assemble(("  " + term.value, "$text-success" if term.good else "$text-muted")))
    return Content("\n").join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def timeline_content(moments: list[Moment], incident_width: int = 50) -> Content:
    """Two columns on one clock: what happened on the left, what the learner did (with their
    own elapsed time) on the right."""
    head = Content.assemble(
        (f"{'scenario':>9}  ", "$text-muted"),
        (f"{'the incident':<{incident_width}}", "bold"),
        ("│ ", "$text-muted"),
        ("you", "bold"),
        ("   (your time)", "$text-muted"),
    )
    lines = [head]
    for m in moments:
        mark, style = MARKS.get(m.kind, ("·", "$text-muted"))
        when = (f"{offset(m.t):>9}  ", "$text-muted")
        if m.side == INCIDENT:
            text = _cut(f"{mark} {visible_line(m.text)}", incident_width - 1)
            lines.append(
                Content.assemble(
                    when, (f"{text:<{incident_width}}", f"bold {style}" if m.cause else style), ("│", "$text-muted")
                )
            )
        else:
            wall = span(m.wall_s) if m.wall_s is not None else ""
            lines.append(
                Content.assemble(
                    when,
                    " " * incident_width,
                    ("│ ", "$text-muted"),
                    (f"{wall:>6} ", "$text-muted"),
                    (f"{mark} {visible_line(m.text)}", style),
                )
            )
    return Content("\n").join(lines)


def diagnoses_content(attempt_events: list) -> Content:
    """Each diagnosis the learner sent, its verdict and their explanation (kept for this)."""
    lines = []
    for e in attempt_events:
        if e.kind != "diagnosis":
            continue
        d = e.data
        ok = d.get("correct")
        lines.append(
            Content.assemble(
                (f"{'✓' if ok else '✗'} {span(e.wall_s):>6}  ", "$text-success" if ok else "$text-error"),
                (visible_line(f"{d.get('service')} / {d.get('fault')}"), "bold"),
            )
        )
        lines.append(Content.styled(f"  “{visible(d.get('explanation', ''))}”", "italic $text-muted"))
    return Content("\n").join(lines) if lines else Content.styled("no diagnosis was sent", "$text-muted")


class DebriefScreen(DojoScreen[None]):
    CSS_PATH = "debrief.tcss"
    AUTO_FOCUS = "#debrief-timeline-box"
    BINDINGS = [
        Binding("escape,b", "library", "Library", id="debrief.library"),
        Binding("t", "show('timeline')", "Timeline", id="debrief.timeline"),
        Binding("w", "show('story')", "What happened", id="debrief.story"),
        Binding("P", "app.progress", "Progress", id="progress.show"),
        Binding("q", "app.quit", "Quit", id="app.leave"),
    ]

    def __init__(self, scenario, events, attempt_events: list, card: dict):
        super().__init__()
        self.scenario, self.card, self.attempt_events = scenario, card, attempt_events
        self.moments = debrief_timeline(scenario, events, attempt_events)

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(
                ("Debrief", "bold"),
                f" · {visible_line(self.scenario.title)} · ",
                (headline(self.card), "bold $text-accent"),
            ),
            id="debrief-title",
        )
        with Horizontal(id="debrief-top"):
            yield Static(card_content(self.card), id="debrief-card")
            with VerticalScroll(id="debrief-diagnoses"):
                yield Static(diagnoses_content(self.attempt_events))
        with TabbedContent(id="debrief-tabs"):
            with TabPane("The incident and you", id="tab-timeline"):
                with VerticalScroll(id="debrief-timeline-box"):
                    yield Static(timeline_content(self.moments), id="debrief-timeline")
            with TabPane("What happened", id="tab-story"):
                with VerticalScroll(id="debrief-story"):
                    yield Markdown(visible(debrief_markdown(self.scenario)), id="debrief-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#debrief-card").border_title = "Score card (terms as in docs/scoring.md)"
        self.query_one("#debrief-diagnoses").border_title = "Your diagnoses"

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def action_library(self) -> None:
        self.dojo.show_library()
