"""The learner's store: one SQLite file, WAL, one committed transaction per event.

Solo attempts live in the same schema as game days and go through the same code path:
SQLAlchemy Core, and the one chain of Alembic revisions in dojo/store/game_migrations (the
attempts tables are revision g0006; a file made before it is adopted in place, its rows
untouched).

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

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .errors import StoreCorrupt, StoreError, StoreLocked
from .model import AttemptRow, Event, utc_now
from .paths import store_path

DEFAULT_BUSY_S = 5.0
SOLO_VERSION = 2  # the attempts tables' layout, kept in `schema_version` (see revision g0006)

metadata = sa.MetaData()
attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scenario_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)
events = sa.Table(
    "events",
    metadata,
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("wall_s", sa.Float, nullable=False),
    sa.Column("scenario_t", sa.Float, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)
_EVENT_COLS = (events.c.kind, events.c.wall_s, events.c.scenario_t, events.c.data, events.c.at, events.c.seq)


def busy_timeout() -> float:
    """Seconds to wait for another process's lock; $DOJO_BUSY_TIMEOUT overrides (tests, slow disks)."""
    try:
        return max(0.0, float(os.environ.get("DOJO_BUSY_TIMEOUT", DEFAULT_BUSY_S)))
    except ValueError:
        return DEFAULT_BUSY_S


def _solo_version(conn: Connection) -> int:
    # sqlite_master, not the inspector's PRAGMA table_info: a read-only store may refuse pragmas.
    exists = conn.execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    ).first()
    if exists is None:
        return 0
    return int(conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() or 0)


class Store:
    def __init__(self, path: Path, busy_s: float | None = None, readonly: bool = False):
        self.path = Path(path)
        self.busy_s = busy_timeout() if busy_s is None else busy_s
        self.readonly = readonly
        self._engine: Engine | None = None
        self._c: Connection | None = None
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

    def _error(self, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
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
        except StoreError:
            raise
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise self._error(exc) from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE), committed and fsynced on success, rolled back
        on failure."""
        conn = self._connection()
        with self._guard():
            conn.execution_options(write=True)  # the connection's own options: reset below
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.execution_options(write=False)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """Reads, each statement on its own (no transaction left open holding an old snapshot)."""
        conn = self._connection()
        with self._guard():
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    # -- opening --------------------------------------------------------------------------------

    def _connection(self) -> Connection:
        if self._c is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._c

    def _conn(self) -> Any:
        """The driver's own connection (sqlite3), for checks that need raw SQL."""
        return self._connection().connection.dbapi_connection

    def _make_engine(self, url: str, *, pragmas: bool, creator: Any = None) -> Engine:
        extra: dict[str, Any] = {"creator": creator} if creator is not None else {}
        # One connection for the store's life, used by the thread that opened it (SQLite's own
        # thread check stays on: a use from another thread is a bug it reports), closed with it.
        # Said explicitly: SQLAlchemy's pysqlite dialect turns the check off for file databases.
        connect = {"timeout": self.busy_s, "check_same_thread": True}
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect, **extra)

        @sa_event.listens_for(engine, "connect")
        def _connect(dbapi: Any, _record: Any) -> None:
            dbapi.isolation_level = None  # we issue BEGIN ourselves, below
            if pragmas:
                cur = dbapi.cursor()
                # The first statement reads the header: a file that is not SQLite fails here,
                # before anything is written to it.
                mode = cur.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(
                        f"{self.path}: cannot use write-ahead logging (journal mode {mode}); put DOJO_HOME on a "
                        "local disk"
                    )
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        @sa_event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            if conn.get_execution_options().get("write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path.parent}: cannot create the data folder ({exc.strerror}); set DOJO_HOME to a writable "
                "folder"
            ) from None
        from .games import upgrade_schema

        with self._guard():
            self._engine = self._make_engine(f"sqlite:///{self.path}", pragmas=True)
            self._c = self._engine.connect()
            found = _solo_version(self._c)
            self._c.commit()
        if found > SOLO_VERSION:
            self.close()
            raise StoreError(
                f"{self.path}: written by a newer dojo (schema v{found}, this one knows v{SOLO_VERSION}); upgrade "
                "dojo to open it"
            )
        with self._write() as conn:
            upgrade_schema(conn, str(self.path))  # at HEAD: two reads; else inside the write lock

    def _open_readonly(self) -> None:
        if not self.path.exists():  # nothing played yet: an empty store, made in memory
            self._empty()
            return
        uri = f"{self.path.resolve().as_uri()}?mode=ro"

        def ro() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=self.busy_s, isolation_level=None, check_same_thread=False)

        def immutable() -> sqlite3.Connection:
            return sqlite3.connect(
                f"{self.path.resolve().as_uri()}?immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )

        with self._guard():
            self._engine = self._make_engine("sqlite://", pragmas=False, creator=ro)
            self._c = self._engine.connect()
            try:
                found = _solo_version(self._c)
            except SQLAlchemyError as exc:
                low = str(exc).lower()
                if "locked" in low or "busy" in low:
                    raise  # another process is writing: say so, as a writer would
                # WAL needs its -shm file; where it cannot be made, read the file as it stands.
                self.close()
                self._engine = self._make_engine("sqlite://", pragmas=False, creator=immutable)
                self._c = self._engine.connect()
                found = _solo_version(self._c)
            self._c.commit()
        if found == 0:  # created but never written (an empty file): nothing to read
            self.close()
            self._empty()
            return
        if found != SOLO_VERSION:
            self.close()
            newer = found > SOLO_VERSION
            raise StoreError(
                f"{self.path}: written by {'a newer' if newer else 'an older'} dojo (schema v{found}, this one knows "
                f"v{SOLO_VERSION}); {'upgrade dojo' if newer else 'run dojo once with write access to upgrade it'}"
            )

    def _empty(self) -> None:
        self._engine = self._make_engine("sqlite://", pragmas=False)
        self._c = self._engine.connect()
        metadata.create_all(self._c)
        self._c.commit()

    def close(self) -> None:
        try:
            if self._c is not None:
                self._c.close()
        finally:
            self._c = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The attempts tables' layout (SOLO_VERSION once open)."""
        with self._read() as conn:
            return _solo_version(conn)

    # -- attempts and events ----------------------------------------------------------------

    def create_attempt(self, scenario_id: str, title: str, first: Event) -> tuple[int, Event]:
        """A new attempt and its first event, in one transaction."""
        with self._write() as conn:
            result = conn.execute(
                attempts.insert().values(scenario_id=scenario_id, title=title, created_at=first.at or utc_now())
            )
            key = result.inserted_primary_key
            assert key is not None  # an INSERT always has one
            attempt_id = int(key[0])
            stored = self._insert(conn, attempt_id, first)
        return attempt_id, stored

    def append(self, attempt_id: int, event: Event) -> Event:
        """Append one event and commit; when this returns the event is durable."""
        with self._write() as conn:
            if conn.execute(sa.select(attempts.c.id).where(attempts.c.id == attempt_id)).first() is None:
                raise StoreError(f"{self.path}: no attempt #{attempt_id}")
            return self._insert(conn, attempt_id, event)

    @staticmethod
    def _insert(conn: Connection, attempt_id: int, ev: Event) -> Event:
        seq = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0) + 1).where(events.c.attempt_id == attempt_id)
        ).scalar_one()
        data = json.dumps(ev.data, separators=(",", ":"), allow_nan=False, sort_keys=True)
        conn.execute(
            events.insert().values(
                attempt_id=attempt_id, seq=seq, kind=ev.kind, at=ev.at, wall_s=float(ev.wall_s),
                scenario_t=float(ev.scenario_t), data=data,
            )
        )  # fmt: skip
        return Event(kind=ev.kind, wall_s=ev.wall_s, scenario_t=ev.scenario_t, data=ev.data, at=ev.at, seq=int(seq))

    def events(self, attempt_id: int) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(*_EVENT_COLS).where(events.c.attempt_id == attempt_id).order_by(events.c.seq)
            ).all()
        return [self._event(tuple(r)) for r in rows]

    def all_events(self) -> dict[int, list[Event]]:
        """Every attempt's events in one read (for history)."""
        out: dict[int, list[Event]] = {}
        with self._read() as conn:
            rows = conn.execute(
                sa.select(events.c.attempt_id, *_EVENT_COLS).order_by(events.c.attempt_id, events.c.seq)
            ).all()
        for r in rows:
            out.setdefault(int(r[0]), []).append(self._event(tuple(r[1:])))
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
        with self._read() as conn:
            row = conn.execute(
                sa.select(attempts.c.id, attempts.c.scenario_id, attempts.c.title, attempts.c.created_at).where(
                    attempts.c.id == attempt_id
                )
            ).first()
        if row is None:
            raise StoreError(f"{self.path}: no attempt #{attempt_id}; see 'dojo history'")
        return AttemptRow(*row)

    def attempts(self, scenario_id: str | None = None) -> list[AttemptRow]:
        q = sa.select(attempts.c.id, attempts.c.scenario_id, attempts.c.title, attempts.c.created_at)
        if scenario_id is not None:
            q = q.where(attempts.c.scenario_id == scenario_id)
        with self._read() as conn:
            rows = conn.execute(q.order_by(attempts.c.id)).all()
        return [AttemptRow(*r) for r in rows]
