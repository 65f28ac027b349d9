"""The records the store keeps. Event payloads are plain JSON-able dicts whose meaning belongs to
the engine; the envelope (when, on which clocks) is common to every event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    kind: str
    wall_s: float  # learner seconds since the attempt started (summed over sessions)
    scenario_t: float  # replay clock when it happened
    data: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=utc_now)  # real-world UTC time
    seq: int = 0  # 1, 2, ... within the attempt; assigned by the store
    problem: str = ""  # set by the store when the stored row cannot be read (e.g. data not JSON)


@dataclass(frozen=True)
class AttemptRow:
    id: int
    scenario_id: str
    title: str
    created_at: str
