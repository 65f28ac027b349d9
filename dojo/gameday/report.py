"""The report for the retro: report.md and a self-contained report.html (inline SVG, inline
CSS, no script, nothing fetched), built from the same fold as the console and the status.

Per team: its path (hypotheses, pins, diagnoses, hints, injects) on the scenario's clock beside
what really happened, TTCD, wrong diagnoses, hints and the explanations it wrote. Then the
answer, the scenario's debrief and questions for the retro. `anonymize` replaces team and member
names (not the words the teams typed: read those before sharing the report widely).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

from dojo.engine import events as ev
from dojo.scenario.model import Scenario
from dojo.terminal_text import visible

from .team import load_game_scenario
from .text import clock
from .view import GameView, TeamView

QUESTIONS = [
    "Which signal first pointed at the cause, and when did each team see it?",
    "Which hypotheses were ruled out, and what evidence ruled them out?",
    "Where did the red herrings come from, and what made them convincing?",
    "What did the wrong diagnoses have in common? What would have caught them sooner?",
    "What would have shortened the time to a correct diagnosis in the real incident: a dashboard, an alert, a log?",
]


@dataclass
class Mark:
    t: float  # scenario time
    kind: str  # hypothesis | pin | diagnosis_right | diagnosis_wrong | hint | inject
    label: str
    by: str = ""


@dataclass
class TeamReport:
    name: str
    members: list[str]
    solved: bool
    ttcd_s: float | None
    wrong: int
    hints: int
    points: int
    marks: list[Mark] = field(default_factory=list)
    hypotheses: list[dict] = field(default_factory=list)
    explanations: list[dict] = field(default_factory=list)


@dataclass
class GameReport:
    game_id: str
    title: str
    scenario_id: str
    duration: float
    start_t: float
    running_s: float
    truth: list[Mark]
    teams: list[TeamReport]
    answer: list[str]
    debrief: str
    injects: list[str]


def build(view: GameView, scenario: Scenario, now: float, *, anonymize: bool = False) -> GameReport:
    phase = view.phase(now)
    running = view.clock.running_s(now)
    members: dict[str, str] = {}

    def who(name: str) -> str:
        if not anonymize or name in ("facilitator", "system", ""):
            return name
        return members.setdefault(name, f"Member {len(members) + 1}")

    teams = []
    for i, t in enumerate(view.teams.values()):
        teams.append(_team(t, f"Team {chr(65 + i % 26)}{'' if i < 26 else i // 26}" if anonymize else t.name,
                           who, phase, running))  # fmt: skip
    truth = [
        Mark(e.at, "herring" if e.red_herring else "truth",
             f"{e.kind} on {e.service}" + (" (red herring)" if e.red_herring else ""))
        for e in scenario.timeline
    ]  # fmt: skip
    answer = [
        f"{a.service}: {a.fault}" + (f" (trigger {a.trigger})" if a.trigger else "") for a in scenario.answer.accepted
    ]
    from .clock import due

    injects = [f"{clock(x['at_s'])} {x['text']}" for x in due(view.settings.get("scheduled", []), running)]
    injects += [f"{clock(g.wall_s)} {g.data.get('text', '')}" for g in view.injects if g.stream == 0]
    return GameReport(
        view.game_id, view.title, view.scenario_id, float(scenario.duration), view.clock.start_t, running, truth,
        teams, answer, scenario.debrief or "", injects,
    )  # fmt: skip


def _team(t: TeamView, name: str, who, phase: str, running: float) -> TeamReport:
    card = t.card(live=phase != "over", elapsed_s=running)
    rep = TeamReport(name, [who(m) for m in t.members], t.solved, t.ttcd_s, t.wrong, t.hints, card.points)
    texts = {}
    for g in t.events:
        d = g.data
        if g.kind == ev.HYPOTHESIS:
            texts[d["id"]] = d.get("text", "")
            rep.marks.append(Mark(g.scenario_t, "hypothesis", f"{d['id']}: {d.get('text', '')}", who(g.actor)))
            rep.hypotheses.append({"id": d["id"], "text": d.get("text", ""), "by": who(g.actor), "status": "open",
                                   "at": g.wall_s})  # fmt: skip
        elif g.kind == ev.HYPOTHESIS_UPDATE and "status" in d:
            for h in rep.hypotheses:
                if h["id"] == d["id"]:
                    h["status"] = d["status"]
        elif g.kind == ev.PIN:
            rep.marks.append(Mark(g.scenario_t, "pin", f"{d.get('item')}: {d.get('summary', '')[:80]}", who(g.actor)))
        elif g.kind == ev.DIAGNOSIS:
            right = bool(d.get("correct"))
            label = f"{d.get('service')}: {d.get('fault')}"
            rep.marks.append(Mark(g.scenario_t, "diagnosis_right" if right else "diagnosis_wrong", label, who(g.actor)))
            rep.explanations.append({"at": g.wall_s, "by": who(g.actor), "diagnosis": label, "correct": right,
                                     "explanation": d.get("explanation", "")})  # fmt: skip
        elif g.kind == ev.HINT:
            rep.marks.append(Mark(g.scenario_t, "hint", f"hint {int(d.get('index', 0)) + 1}"))
        elif g.kind == "inject":
            rep.marks.append(Mark(g.scenario_t, "inject", d.get("text", "")))
    return rep


# -- Markdown ----------------------------------------------------------------------------------


def markdown(r: GameReport) -> str:
    out = [f"# Game day report: {r.title}", "", f"Game `{r.game_id}`, scenario `{r.scenario_id}`, "
           f"game time {clock(r.running_s)}.", ""]  # fmt: skip
    out += ["| Team | Members | Solved | TTCD | Wrong diagnoses | Hints | Points |", "|---|---|---|---|---|---|---|"]
    for t in r.teams:
        out.append(f"| {_md(t.name)} | {_md(', '.join(t.members)) or '-'} | {'yes' if t.solved else 'no'} | "
                   f"{clock(t.ttcd_s)} | {t.wrong} | {t.hints} | {t.points} |")  # fmt: skip
    out += ["", "## What really happened", ""]
    out += [f"- {clock(m.t)} {m.label}" for m in r.truth]
    if r.injects:
        out += ["", "Injects sent to every team:", ""] + [f"- {_md(i)}" for i in r.injects]
    for t in r.teams:
        out += ["", f"## {_md(t.name)}", ""]
        out.append(f"Solved in {clock(t.ttcd_s)}." if t.solved else "Not solved.")
        out += ["", "Path (scenario time):", ""]
        out += [f"- {clock(m.t)} {m.kind.replace('_', ' ')}: {_md(m.label)}" + (f" ({_md(m.by)})" if m.by else "")
                for m in sorted(t.marks, key=lambda m: m.t)] or ["- nothing recorded"]  # fmt: skip
        if t.hypotheses:
            out += ["", "Hypotheses:", ""]
            out += [f"- {h['id']} [{h['status']}] {_md(h['text'])} ({_md(h['by'])})" for h in t.hypotheses]
        if t.explanations:
            out += ["", "Diagnoses and the explanations the team wrote:", ""]
            for e in t.explanations:
                verdict = "right" if e["correct"] else "wrong"
                out.append(f"- at {clock(e['at'])}, {verdict}: {_md(e['diagnosis'])} ({_md(e['by'])}): "
                           f"\"{_md(e['explanation'])}\"")  # fmt: skip
    out += ["", "## The answer", ""] + [f"- {a}" for a in r.answer]
    if r.debrief.strip():
        out += ["", "## Debrief", "", r.debrief.strip()]
    out += ["", "## Questions for the retro", ""] + [f"{i}. {q}" for i, q in enumerate(QUESTIONS, 1)]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# -- HTML with inline SVG ------------------------------------------------------------------------

COLORS = {
    "truth": "#c0392b", "herring": "#999999", "hypothesis": "#2471a3", "pin": "#1e8449",
    "diagnosis_right": "#117a65", "diagnosis_wrong": "#cb4335", "hint": "#b9770e", "inject": "#7d3c98",
}  # fmt: skip
LANES = ["truth", "hypothesis", "pin", "diagnosis", "hint"]


def svg_timeline(r: GameReport, t: TeamReport, width: int = 900) -> str:
    left, right, lane_h = 110, 20, 26
    height = lane_h * len(LANES) + 30
    span = max(r.duration, 1.0)

    def x(sec: float) -> float:
        return left + (width - left - right) * min(max(sec, 0.0), span) / span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{html.escape(t.name)}: path over the scenario timeline">']  # fmt: skip
    for i, lane in enumerate(LANES):
        y = 10 + i * lane_h + lane_h / 2
        label = "what happened" if lane == "truth" else lane + "s"
        parts.append(f'<text x="4" y="{y + 4:.0f}" font-size="12" fill="#333">{label}</text>')
        parts.append(f'<line x1="{left}" y1="{y:.0f}" x2="{width - right}" y2="{y:.0f}" stroke="#ddd"/>')
    page = x(r.start_t)
    parts.append(f'<line x1="{page:.1f}" y1="6" x2="{page:.1f}" y2="{height - 20}" stroke="#555" '
                 f'stroke-dasharray="3,3"><title>page: {clock(r.start_t)}</title></line>')  # fmt: skip
    marks = [(m, "truth") for m in r.truth] + [
        (m, "diagnosis" if m.kind.startswith("diagnosis") else ("hint" if m.kind == "inject" else m.kind))
        for m in t.marks
    ]
    for m, lane in marks:
        y = 10 + LANES.index(lane) * lane_h + lane_h / 2
        tip = html.escape(f"{clock(m.t)} {m.label}" + (f" ({m.by})" if m.by else ""))
        color = COLORS.get(m.kind, "#333")
        cx = x(m.t)
        if m.kind in ("pin", "diagnosis_right", "diagnosis_wrong"):
            parts.append(f'<rect x="{cx - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{color}" '
                         f'transform="rotate(45 {cx:.1f} {y:.1f})"><title>{tip}</title></rect>')  # fmt: skip
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="5" fill="{color}"><title>{tip}</title></circle>')
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        sec = span * frac
        parts.append(f'<text x="{x(sec):.0f}" y="{height - 4}" font-size="11" fill="#666" '
                     f'text-anchor="middle">{clock(sec)}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def svg_ttcd(r: GameReport, width: int = 900) -> str:
    """TTCD per team as bars (unsolved teams as a grey bar to the end of the game)."""
    left, bar_h = 140, 22
    height = bar_h * len(r.teams) + 10
    longest = max([r.running_s] + [t.ttcd_s or 0 for t in r.teams] + [1.0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="time to correct diagnosis per team">']  # fmt: skip
    for i, t in enumerate(r.teams):
        y = 5 + i * bar_h
        value = t.ttcd_s if t.solved and t.ttcd_s is not None else r.running_s
        w = (width - left - 80) * value / longest
        color = "#2471a3" if t.solved else "#bbbbbb"
        text = clock(t.ttcd_s) if t.solved else "not solved"
        parts.append(f'<text x="4" y="{y + 15}" font-size="12">{html.escape(t.name)}</text>'
                     f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 8}" fill="{color}"/>'
                     f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">{text}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


CSS = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.right{color:#117a65}.wrong{color:#cb4335}.legend span{margin-right:1em}blockquote{color:#444}"""


def html_report(r: GameReport) -> str:
    from markdown_it import MarkdownIt

    e = html.escape
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           f"<title>Game day report: {e(r.title)}</title><style>{CSS}</style></head><body>",
           f"<h1>Game day report: {e(r.title)}</h1>",
           f"<p>Game <code>{e(r.game_id)}</code>, scenario <code>{e(r.scenario_id)}</code>, "
           f"game time {clock(r.running_s)}.</p>",
           "<table><tr><th>Team</th><th>Members</th><th>Solved</th><th>TTCD</th><th>Wrong diagnoses</th>"
           "<th>Hints</th><th>Points</th></tr>"]  # fmt: skip
    for t in r.teams:
        out.append(f"<tr><td>{e(t.name)}</td><td>{e(', '.join(t.members)) or '-'}</td>"
                   f"<td>{'yes' if t.solved else 'no'}</td><td>{clock(t.ttcd_s)}</td><td>{t.wrong}</td>"
                   f"<td>{t.hints}</td><td>{t.points}</td></tr>")  # fmt: skip
    out.append("</table><h2>Time to correct diagnosis</h2>" + svg_ttcd(r))
    out.append("<h2>What really happened</h2><ul>")
    out += [f"<li>{clock(m.t)} {e(m.label)}</li>" for m in r.truth]
    out.append("</ul>")
    if r.injects:
        out.append("<p>Injects sent to every team:</p><ul>" + "".join(f"<li>{e(i)}</li>" for i in r.injects) + "</ul>")
    legend = "".join(f'<span style="color:{c}">&#9679; {k.replace("_", " ")}</span>' for k, c in COLORS.items())
    for t in r.teams:
        out.append(f"<h2>{e(t.name)}</h2><p>{'Solved in ' + clock(t.ttcd_s) if t.solved else 'Not solved'}; "
                   f"members: {e(', '.join(t.members)) or '-'}.</p>")  # fmt: skip
        out.append(svg_timeline(r, t) + f'<p class="legend">{legend}</p>')
        if t.hypotheses:
            out.append("<h3>Hypotheses</h3><ul>" + "".join(
                f"<li>{e(h['id'])} [{e(h['status'])}] {e(h['text'])} ({e(h['by'])})</li>" for h in t.hypotheses
            ) + "</ul>")  # fmt: skip
        if t.explanations:
            out.append("<h3>Diagnoses and explanations</h3><ul>")
            for x in t.explanations:
                cls = "right" if x["correct"] else "wrong"
                out.append(f"<li class='{cls}'>at {clock(x['at'])}, {cls}: {e(x['diagnosis'])} ({e(x['by'])})"
                           f"<blockquote>{e(x['explanation'])}</blockquote></li>")  # fmt: skip
            out.append("</ul>")
    out.append("<h2>The answer</h2><ul>" + "".join(f"<li>{e(a)}</li>" for a in r.answer) + "</ul>")
    if r.debrief.strip():
        md = MarkdownIt("commonmark", {"html": False})  # the scenario's own text: no raw HTML through
        out.append("<h2>Debrief</h2>" + md.render(r.debrief))
    out.append("<h2>Questions for the retro</h2><ol>" + "".join(f"<li>{e(q)}</li>" for q in QUESTIONS) + "</ol>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(facilitator, out: Path, *, anonymize: bool = False) -> list[Path]:
    view = facilitator.refresh()
    scenario = load_game_scenario(view.settings, view.game_id)
    report = build(view, scenario, facilitator.server_now, anonymize=anonymize)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (("report.md", markdown(report)), ("report.html", html_report(report))):
        # Titles, team names, injects and hypotheses were written by others; the report is read
        # with `cat` and in browsers (which obey bidi overrides): controls go in spelled out.
        text = visible(text)
        path = out / name
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # a report is whole or absent, never half-written
        paths.append(path)
    return paths
