"""The SQLite store: one file, WAL, one committed transaction per event.

Durability: WAL with synchronous=FULL, so an event is on disk (WAL fsynced) before `append`
returns; an acknowledged event survives a killed process and a power cut. NORMAL would survive a
killed process only; learner actions come a few a minute, so an fsync each costs nothing.

Concurrency: writers take the write lock up front (BEGIN IMMEDIATE) and wait up to the busy
timeout for each other; readers never wait for writers (WAL). Two `dojo` processes on one store
interleave their events without corrupting it.

A corrupt or locked file is never "repaired" by recreating it: the error names the file and
what to do, and the user's data is left exactly as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import StoreCorrupt, StoreError, StoreLocked
from .migrations import LATEST, current_version, migrate
from .model import AttemptRow, Event, utc_now
from .paths import store_path

DEFAULT_BUSY_S = 5.0


def busy_timeout() -> float:
    """Seconds to wait for another process's lock; $DOJO_BUSY_TIMEOUT overrides (tests, slow disks)."""
    try:
        return max(0.0, float(os.environ.get("DOJO_BUSY_TIMEOUT", DEFAULT_BUSY_S)))
    except ValueError:
        return DEFAULT_BUSY_S


class Store:
    def __init__(self, path: Path, busy_s: float | None = None, readonly: bool = False):
        self.path = Path(path)
        self.busy_s = busy_timeout() if busy_s is None else busy_s
        self.readonly = readonly
        self._db: sqlite3.Connection | None = None
        if readonly:
            self._open_readonly()
        else:
            self._open()

    @classmethod
    def open(cls, path: Path | None = None, busy_s: float | None = None, readonly: bool = False) -> "Store":
        """The store; `readonly` for commands that only read (history): nothing is created,
        migrated or written, so a store on read-only media or owned by someone else still reads."""
        return cls(path or store_path(), busy_s, readonly)

    # -- errors ---------------------------------------------------------------------------------

    def _error(self, exc: sqlite3.Error) -> StoreError:
        detail = str(exc)
        low = detail.lower()
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return StoreCorrupt(
                f"{self.path}: not a readable dojo store ({detail}); it was left untouched: "
                f"move it aside and run again, or set DOJO_HOME to another folder"
            )
        if "locked" in low or "busy" in low:
            return StoreLocked(
                f"{self.path}: locked by another process (waited {self.busy_s:g}s); "
                f"close other dojo sessions using it and try again"
            )
        if "readonly" in low or "read-only" in low:
            return StoreError(f"{self.path}: read-only ({detail}); make it writable or set DOJO_HOME to another folder")
        if "unable to open" in low:
            return StoreError(f"{self.path}: cannot open ({detail}); check the folder is writable or set DOJO_HOME")
        return StoreError(f"{self.path}: {detail}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (and fsynced) on success, rolled back on failure."""
        db = self._conn()
        with self._guard():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    # -- opening --------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._db

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path.parent}: cannot create the data folder ({exc.strerror}); set DOJO_HOME to a writable "
                "folder"
            ) from None
        with self._guard():
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per event.
            # SQLite's own thread check stays on: a connection is used by the thread that opened it
            # (the TUI's engine thread), and a use from any other is a bug it reports.
            self._db = sqlite3.connect(self.path, timeout=self.busy_s, isolation_level=None)
            db = self._db
            # The first statement reads the header: a file that is not SQLite fails here,
            # before anything is written to it.
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    f"{self.path}: cannot use write-ahead logging (journal mode {mode}); put DOJO_HOME on a local disk"
                )
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            found = current_version(db)
        if found > LATEST:
            self.close()
            raise StoreError(
                f"{self.path}: written by a newer dojo (schema v{found}, this one knows v{LATEST}); upgrade dojo to "
                "open it"
            )
        if found < LATEST:
            with self._write() as db:
                migrate(db)  # re-reads the version inside the lock: a racing process may have done it

    def _open_readonly(self) -> None:
        if not self.path.exists():  # nothing played yet: an empty store, made in memory
            self._empty()
            return
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        with self._guard():
            self._db = sqlite3.connect(
                uri, uri=True, timeout=self.busy_s, isolation_level=None, check_same_thread=False
            )
            try:
                found = current_version(self._db)
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                    raise  # another process is writing: say so, as a writer would
                # WAL needs its -shm file; where it cannot be made, read the file as it stands.
                self._db.close()
                self._db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?immutable=1", uri=True, isolation_level=None,
                    check_same_thread=False,
                )  # fmt: skip
                found = current_version(self._db)
        if found == 0:  # created but never written (an empty file): nothing to read
            self.close()
            self._empty()
            return
        if found != LATEST:
            self.close()
            newer = found > LATEST
            raise StoreError(
                f"{self.path}: written by {'a newer' if newer else 'an older'} dojo (schema v{found}, this one knows "
                f"v{LATEST}); {'upgrade dojo' if newer else 'run dojo once with write access to upgrade it'}"
            )

    def _empty(self) -> None:
        self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        migrate(self._db)

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._guard():
            return current_version(self._conn())

    # -- attempts and events ----------------------------------------------------------------

    def create_attempt(self, scenario_id: str, title: str, first: Event) -> tuple[int, Event]:
        """A new attempt and its first event, in one transaction."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO attempts (scenario_id, title, created_at) VALUES (?, ?, ?)",
                (scenario_id, title, first.at or utc_now()),
            )
            assert cur.lastrowid is not None  # an INSERT always sets it
            attempt_id = int(cur.lastrowid)
            stored = self._insert(db, attempt_id, first)
        return attempt_id, stored

    def append(self, attempt_id: int, event: Event) -> Event:
        """Append one event and commit; when this returns the event is durable."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM attempts WHERE id = ?", (attempt_id,)).fetchone() is None:
                raise StoreError(f"{self.path}: no attempt #{attempt_id}")
            return self._insert(db, attempt_id, event)

    @staticmethod
    def _insert(db: sqlite3.Connection, attempt_id: int, ev: Event) -> Event:
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE attempt_id = ?", (attempt_id,)).fetchone()[
            0
        ]
        data = json.dumps(ev.data, separators=(",", ":"), allow_nan=False, sort_keys=True)
        db.execute(
            "INSERT INTO events (attempt_id, seq, kind, at, wall_s, scenario_t, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (attempt_id, seq, ev.kind, ev.at, float(ev.wall_s), float(ev.scenario_t), data),
        )
        return Event(kind=ev.kind, wall_s=ev.wall_s, scenario_t=ev.scenario_t, data=ev.data, at=ev.at, seq=int(seq))

    def events(self, attempt_id: int) -> list[Event]:
        with self._guard():
            rows = (
                self._conn()
                .execute(
                    "SELECT kind, wall_s, scenario_t, data, at, seq FROM events WHERE attempt_id = ? ORDER BY seq",
                    (attempt_id,),
                )
                .fetchall()
            )
        return [self._event(r) for r in rows]

    def all_events(self) -> dict[int, list[Event]]:
        """Every attempt's events in one read (for history)."""
        out: dict[int, list[Event]] = {}
        with self._guard():
            rows = (
                self._conn()
                .execute(
                    "SELECT attempt_id, kind, wall_s, scenario_t, data, at, seq FROM events ORDER BY attempt_id, seq"
                )
                .fetchall()
            )
        for r in rows:
            out.setdefault(int(r[0]), []).append(self._event(r[1:]))
        return out

    def _event(self, row: tuple[Any, ...]) -> Event:
        kind, wall_s, scenario_t, data, at, seq = row
        # One bad row must not hide every attempt: it is handed on marked, for the engine to
        # name (attempt and event) and skip, rather than failing the whole read.
        try:
            payload = json.loads(data)
        except (ValueError, TypeError, RecursionError):
            return Event(kind=str(kind), wall_s=0.0, scenario_t=0.0, data={}, at=str(at), seq=int(seq),
                         problem="its data is not JSON")  # fmt: skip
        if not isinstance(payload, dict):
            return Event(kind=str(kind), wall_s=0.0, scenario_t=0.0, data={}, at=str(at), seq=int(seq),
                         problem="its data is not a JSON object")  # fmt: skip
        return Event(kind=kind, wall_s=wall_s, scenario_t=scenario_t, data=payload, at=at, seq=seq)

    def attempt(self, attempt_id: int) -> AttemptRow:
        with self._guard():
            row = (
                self._conn()
                .execute("SELECT id, scenario_id, title, created_at FROM attempts WHERE id = ?", (attempt_id,))
                .fetchone()
            )
        if row is None:
            raise StoreError(f"{self.path}: no attempt #{attempt_id}; see 'dojo history'")
        return AttemptRow(*row)

    def attempts(self, scenario_id: str | None = None) -> list[AttemptRow]:
        sql = "SELECT id, scenario_id, title, created_at FROM attempts"
        args: tuple[Any, ...] = ()
        if scenario_id is not None:
            sql += " WHERE scenario_id = ?"
            args = (scenario_id,)
        with self._guard():
            rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [AttemptRow(*r) for r in rows]
