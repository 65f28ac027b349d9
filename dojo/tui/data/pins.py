"""How a pin reads in a line (the journal, the debrief): its id, then what it holds. A log
line's stored summary is the whole line as in logs.log; its timestamp and host would fill a
sidebar, so a log pin shows its service, level and message instead."""

from __future__ import annotations


def pin_label(item: str, kind: str, summary: str, snapshot: dict | None) -> str:
    snap = snapshot or {}
    if kind == "log" and "message" in snap:
        return f"{item}  {snap.get('service', '')} {snap.get('level', '')} {snap['message']}"
    return f"{item}  {summary}"


def pin_summary(kind: str, summary: str, snapshot: dict | None) -> str:
    """What a pin holds, without its id: how the journal lists it (ids mean nothing to a reader)."""
    return pin_label("", kind, summary, snapshot).lstrip()
