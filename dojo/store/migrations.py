"""The schema, as an ordered list of migrations. Version N is the state after the first N.

Never edit a migration that has shipped: add a new one. Each runs inside the caller's
transaction, so a store is either at the old version or at the new one, never between.
"""

from __future__ import annotations

import sqlite3
from typing import Callable


def _v1_attempts_and_events(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario_id TEXT NOT NULL,
            title TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE events (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id),
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            wall_s REAL NOT NULL,
            scenario_t REAL NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (attempt_id, seq)
        )"""
    )


def _v2_append_only(db: sqlite3.Connection) -> None:
    # The score is derived from the events, so an edited event would be a rewritten history.
    # The database refuses it, whoever asks.
    for op in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"""
        )
    db.execute("CREATE INDEX attempts_by_scenario ON attempts (scenario_id, id)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_attempts_and_events,
    _v2_append_only,
]
LATEST = len(MIGRATIONS)


def current_version(db: sqlite3.Connection) -> int:
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not exists:
        return 0
    row = db.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite3.Connection, target: int = LATEST) -> tuple[int, int]:
    """Bring the schema to `target`; returns (from, to). Caller holds the write transaction."""
    found = current_version(db)
    if found == 0:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version (version) VALUES (0)")
    for version in range(found, target):
        MIGRATIONS[version](db)
        db.execute("UPDATE schema_version SET version = ?", (version + 1,))
    return found, max(found, target)
