"""The scenario library as its screen shows it: a card per scenario file, and the learner's record
with each scenario from the store.

Cards are read with the YAML parser alone, not the scenario model: `dojo` must put the library on
screen within a second, and the model (pydantic) and its reference checks (the fault library,
numpy) cost more than that budget allows. A card only has to be honest about what it lists; the
file is validated in full when the learner opens it. Records fold each attempt's events with the
engine (`Attempt`), so "best TTCD" means exactly what the score card means by TTCD.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dojo.builtin import find_scenarios, scenarios_dir
from dojo.scenario.errors import ScenarioErrors
from dojo.scenario.yamlsafe import MAX_BYTES, read_yaml

__all__ = ["Card", "LibraryFilter", "Record", "all_tags", "read_card", "read_cards", "records", "scenarios_dir"]
from dojo.authoring.credit import from_mapping


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    difficulty: int  # 0 when the file does not say
    tags: tuple[str, ...]
    duration: str  # as written: 45m
    path: Path
    problem: str = ""  # why the file cannot be read (it is listed all the same, so it is not lost)
    credit: tuple[str, ...] = ()  # a retold incident: "Retold from ...: url", then its changes

    @property
    def stars(self) -> str:
        return "★" * self.difficulty + "☆" * max(0, 5 - self.difficulty)


def read_card(path: Path) -> Card:
    """The card of the file at `path`, read with the same hardened reader as the loader (no
    aliases, tags or size bombs reach the screen); a file it refuses is listed with the reason."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
        data = read_yaml(raw, str(path)).data
    except OSError as exc:
        return Card(path.stem, "(unreadable file)", 0, (), "", path, f"cannot read: {exc.strerror or exc}")
    except ScenarioErrors as exc:
        return Card(path.stem, "(unreadable file)", 0, (), "", path, str(exc.errors[0]))
    if not isinstance(data, dict):
        return Card(path.stem, "(not a scenario)", 0, (), "", path, "the top level is not a mapping")
    difficulty = data.get("difficulty")
    tags = data.get("tags")
    return Card(
        id=str(data.get("id") or path.stem),
        title=str(data.get("title") or "(untitled)"),
        difficulty=difficulty if isinstance(difficulty, int) and 1 <= difficulty <= 5 else 0,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        duration=_duration(data.get("duration")),
        path=path,
        credit=tuple(from_mapping(data.get("source"))),
    )


def _duration(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and value > 0:
        minutes, seconds = divmod(int(value), 60)
        return f"{minutes}m" if not seconds else f"{int(value)}s"
    return ""


def read_cards(folder: Path | None = None) -> list[Card]:
    folder = scenarios_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    return sorted((read_card(p) for p in find_scenarios([folder])), key=lambda c: (c.difficulty, c.id))


@dataclass(frozen=True)
class LibraryFilter:
    text: str = ""
    tag: str | None = None
    difficulty: int | None = None

    def matches(self, card: Card) -> bool:
        if self.tag is not None and self.tag not in card.tags:
            return False
        if self.difficulty is not None and card.difficulty != self.difficulty:
            return False
        needle = self.text.strip().lower()
        return not needle or any(needle in field.lower() for field in (card.id, card.title, *card.tags))


def all_tags(cards: list[Card]) -> list[str]:
    return sorted({t for c in cards for t in c.tags})


# -- the learner's record -------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """The learner's history with one scenario."""

    attempts: int = 0
    solved: int = 0
    best_ttcd_s: float | None = None
    resumable: int | None = None  # the newest unfinished attempt, to pick up where it was left


def records(store) -> dict[str, Record]:
    """scenario id -> Record, from every attempt in the store."""
    from dojo.engine.attempt import Attempt
    from dojo.engine.readback import readable

    out: dict[str, Record] = {}
    events = store.all_events()
    for row in store.attempts():
        evs = events.get(row.id)
        if not evs or not readable(row.id, evs):
            continue  # a malformed attempt is left out here; `dojo history` names it
        att = Attempt.from_events(evs)
        rec = out.get(row.scenario_id, Record())
        ttcd = float(att.solved.wall_s) if att.solved is not None else None
        best = rec.best_ttcd_s if ttcd is None else min(ttcd, rec.best_ttcd_s if rec.best_ttcd_s is not None else ttcd)
        out[row.scenario_id] = Record(
            attempts=rec.attempts + 1,
            solved=rec.solved + (att.solved is not None),
            best_ttcd_s=best,
            resumable=row.id if not att.over else rec.resumable,
        )
    return out
