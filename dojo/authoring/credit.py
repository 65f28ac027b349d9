"""The credit line of a retold incident: "Retold from Cloudflare's report of 2 July 2019", its
address and what the retelling changed or invented.

Plain values in, text out, with no scenario model: the library screen reads cards with the YAML
parser alone (start-up budget) and uses the same words as the preview and the debrief.
"""

from __future__ import annotations

from datetime import date


def when(day: date | str | None) -> str:
    """'2 July 2019' (a date), or the text as written."""
    if isinstance(day, date):
        return f"{day.day} {day:%B %Y}"
    return str(day) if day else ""


def retold_from(org: str | None, day: date | str | None) -> str:
    org = org or "a public"
    owner = f"{org}'s" if org != "a public" else org
    return f"Retold from {owner} report" + (f" of {when(day)}" if day else "")


def credit_lines(url: str, org: str | None, day: date | str | None, changes: list[str] | str) -> list[str]:
    """Plain lines: the credit, the address, then each change as '- ...'."""
    items = [changes] if isinstance(changes, str) else list(changes)
    out = [f"{retold_from(org, day)}: {url}"]
    if items:
        out.append("What this retelling changed or invented:")
        out += [f"- {c.strip()}" for c in items]
    return out


def credit_markdown(source) -> str:
    """A `## Source` section for a debrief; `source` is the scenario model's Source."""
    items = "\n".join(f"- {c.strip()}" for c in source.changes)
    return (
        f"## Source\n\n{retold_from(source.org, source.date)}: <{source.url}>\n\n"
        f"What this retelling changed or invented:\n\n{items}\n"
    )


def from_mapping(raw: object) -> list[str]:
    """Credit lines from a scenario's raw `source:` mapping (the library card), [] when there is
    none or it is not a mapping with a url."""
    if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
        return []
    changes = raw.get("changes") or []
    if not isinstance(changes, (list, str)):
        changes = []
    org = raw.get("org") if isinstance(raw.get("org"), str) else None
    day = raw.get("date") if isinstance(raw.get("date"), (date, str)) else None
    return credit_lines(raw["url"], org, day, [str(c) for c in changes] if isinstance(changes, list) else changes)


def debrief_markdown(scenario) -> str:
    """The scenario's written debrief, closed by its source when it retells a real incident."""
    text = scenario.debrief.rstrip() or "_This scenario has no written debrief._"
    if scenario.source is not None:
        text += "\n\n" + credit_markdown(scenario.source)
    return text
