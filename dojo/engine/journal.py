"""The learner's journal: hypotheses and the evidence pinned to them.

Folded from the attempt's events, so it is exactly what was acknowledged and survives a crash.
Every change keeps its timestamps (learner wall seconds, replay clock, real UTC) for the debrief:
the order in which ideas were formed and dropped is part of what the learner practises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from dojo.store.model import Event

from . import events as ev

Status = Literal["open", "ruled_out", "confirmed"]
STATUSES = ("open", "ruled_out", "confirmed")


@dataclass
class Stamp:
    wall_s: float
    scenario_t: float
    at: str

    @classmethod
    def of(cls, e: Event) -> "Stamp":
        return cls(round(e.wall_s, 3), round(e.scenario_t, 3), e.at)


@dataclass
class Change:
    stamp: Stamp
    changes: dict[str, Any]  # the fields that changed, with their new values


@dataclass
class Hypothesis:
    id: str
    text: str
    service: str | None
    fault: str | None
    status: Status
    created: Stamp
    history: list[Change] = field(default_factory=list)


@dataclass
class Pin:
    item: str
    kind: str
    hypothesis: str | None
    note: str
    summary: str
    snapshot: dict[str, Any]
    stamp: Stamp


@dataclass
class Journal:
    hypotheses: dict[str, Hypothesis] = field(default_factory=dict)
    pins: list[Pin] = field(default_factory=list)
    # Hypotheses, least recently written or changed first: the last open one is "current".
    touched: list[str] = field(default_factory=list)

    @property
    def current(self) -> str | None:
        """The hypothesis being worked on: the open one written or changed last. Pins without a
        named hypothesis go to it, in the TUI and headless alike."""
        return next((h for h in reversed(self.touched) if self.hypotheses[h].status == "open"), None)

    def _touch(self, hid: str) -> None:
        if hid in self.touched:
            self.touched.remove(hid)
        self.touched.append(hid)

    def next_id(self) -> str:
        return f"H{len(self.hypotheses) + 1}"

    def apply(self, e: Event) -> None:
        d = e.data
        if e.kind == ev.HYPOTHESIS:
            self.hypotheses[d["id"]] = Hypothesis(
                d["id"], d["text"], d.get("service"), d.get("fault"), "open", Stamp.of(e)
            )
            self._touch(d["id"])
        elif e.kind == ev.HYPOTHESIS_UPDATE:
            h = self.hypotheses[d["id"]]
            changes = {k: v for k, v in d.items() if k != "id"}
            for key, value in changes.items():
                setattr(h, key, value)
            h.history.append(Change(Stamp.of(e), changes))
            self._touch(d["id"])
        elif e.kind == ev.PIN:
            self.pins.append(
                Pin(
                    d["item"],
                    d["kind"],
                    d.get("hypothesis"),
                    d.get("note", ""),
                    d.get("summary", ""),
                    d.get("snapshot", {}),
                    Stamp.of(e),
                )
            )

        elif e.kind == ev.UNPIN:
            self.pins = [p for p in self.pins if not (p.item == d["item"] and p.hypothesis == d.get("hypothesis"))]

    def pinned(self, item: str, hypothesis: str | None) -> bool:
        return any(p.item == item and p.hypothesis == hypothesis for p in self.pins)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hypotheses": [asdict(h) for h in self.hypotheses.values()],
            "pins": [{k: v for k, v in asdict(p).items() if k != "snapshot"} for p in self.pins],
            "current": self.current,
        }
