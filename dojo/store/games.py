"""Game days in the store: games, teams and one append-only log of game events.

One schema and one code path for SQLite (stdlib driver, WAL) and PostgreSQL (psycopg 3), through
SQLAlchemy Core. The store knows nothing of what events mean; it does three things the game needs
from a database and nobody else can be trusted with:

- Capabilities. A facilitator key and a team's join code are checked here, on every call, against
  their SHA-256 hashes (the plaintext is never stored). Team calls read and write their own
  team's rows and the game-wide ones only: the team number comes from the code, never from the
  caller. A wrong key or code and a game that does not exist give the same error.
- Time. Every event is stamped with the database server's clock inside its own transaction, and
  `server_now()` reads that clock, so the game clock is the same for every client whatever the
  client machines' clocks say.
- Order. Events get a global id (the poll cursor) and a sequence per stream (game-wide is stream
  0, team n is stream n) that is unique: an append may say which sequence it expects to follow,
  and a racing writer then gets `Conflict` instead of a journal built on stale state.

Live updates: a cheap poll of the newest event id on both databases; on PostgreSQL each append
also sends NOTIFY so `wait()` returns as soon as something happens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from .errors import StoreError
from .paths import store_path

NOTIFY_CHANNEL = "dojo_game"
GAME_LEVEL = 0  # the stream of facilitator and clock events; teams are 1..n
DENIED = "that game, key or join code is not valid here; check it with your facilitator"


class Denied(StoreError):
    """A key or code that does not open what it was used for. Deliberately says nothing about
    whether the game exists."""

    def __init__(self) -> None:
        super().__init__(DENIED)


class Conflict(StoreError):
    """Someone else wrote to the stream first; re-read and try again."""


class Unavailable(StoreError):
    """The database cannot be reached right now (restarting, network); the action was not done."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class GameEvent:
    id: int  # global, increasing: the poll cursor
    game_id: str
    stream: int  # 0: the game; n: team n
    seq: int  # 1, 2, ... within the stream
    kind: str
    actor: str  # "facilitator", a member's name, or "system"
    server_t: float  # database server's clock, seconds since the epoch
    wall_s: float
    scenario_t: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GameRow:
    id: str
    scenario_id: str
    title: str
    settings: dict[str, Any]
    created_t: float


@dataclass(frozen=True)
class TeamRow:
    game_id: str
    number: int
    name: str


metadata = sa.MetaData()
games = sa.Table(
    "games",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("scenario_id", sa.String(200), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("created_t", sa.Float, nullable=False),
)
teams = sa.Table(
    "game_teams",
    metadata,
    sa.Column("game_id", sa.String(40), sa.ForeignKey("games.id"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.UniqueConstraint("game_id", "name", name="game_teams_name"),
)
events = sa.Table(
    "game_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("game_id", sa.String(40), sa.ForeignKey("games.id"), nullable=False),
    sa.Column("stream", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("server_t", sa.Float, nullable=False),
    sa.Column("wall_s", sa.Float, nullable=False),
    sa.Column("scenario_t", sa.Float, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.UniqueConstraint("game_id", "stream", "seq", name="game_events_stream_seq"),
    sa.Index("game_events_by_game", "game_id", "id"),
)
schema_table = sa.Table("game_schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))


# -- migrations: version N is the state after the first N; never edit one that has shipped ------


def _v1_tables(conn: Connection) -> None:
    metadata.create_all(conn, tables=[games, teams, events])


def _v2_append_only(conn: Connection) -> None:
    # A team's score is derived from its events: an edited event would be a rewritten history.
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER game_events_no_{op.lower()} BEFORE {op} ON game_events "
                f"BEGIN SELECT RAISE(ABORT, 'game events are append-only'); END"
            )
    else:
        conn.exec_driver_sql(
            "CREATE FUNCTION dojo_game_events_frozen() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'game events are append-only'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER game_events_frozen BEFORE UPDATE OR DELETE ON game_events "
            "FOR EACH ROW EXECUTE FUNCTION dojo_game_events_frozen()"
        )


MIGRATIONS = [_v1_tables, _v2_append_only]
LATEST = len(MIGRATIONS)


def resolve_url(db: str | None) -> str:
    """--db, else $DOJO_DB, else the learner's own SQLite store file. A plain path is a file."""
    raw = db or os.environ.get("DOJO_DB") or ""
    if not raw:
        return f"sqlite:///{store_path()}"
    if raw.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser()}"


def display_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the database"


class GameStore:
    def __init__(self, url: str | None = None, *, pool_size: int = 5):
        self.url = resolve_url(url)
        self.shown = display_url(self.url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self._listener: _Listener | None = None
        self._write_lock = threading.Lock()
        try:
            self.engine = self._engine(pool_size)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"{self.shown}: cannot use this database ({_one_line(exc)}); check --db/DOJO_DB") from None
        self._migrate()

    # -- connecting ----------------------------------------------------------------------------

    def _engine(self, pool_size: int) -> Engine:
        if self.dialect == "sqlite":
            path = Path(sa.engine.make_url(self.url).database or "")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{path.parent}: cannot create the data folder ({exc.strerror})") from None
            engine = sa.create_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=200,
                connect_args={"timeout": 10.0, "check_same_thread": False},
            )

            @sa_event.listens_for(engine, "connect")
            def _connect(dbapi: Any, _record: Any) -> None:
                # We issue BEGIN ourselves (below), so the driver's own transaction handling is off.
                dbapi.isolation_level = None
                cur = dbapi.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                # NORMAL: in WAL mode a committed event survives any crash of the process (kill -9);
                # only a power cut can take the last few. FULL would fsync every commit, and a game
                # writes up to a few hundred events a second: the fsyncs queue up behind the lock.
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @sa_event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                # Writers take the lock up front so that "read the stream's last seq, then insert"
                # is one step; readers never wait for writers (WAL).
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

            return engine
        return sa.create_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"connect_timeout": 5},
        )

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self.engine.dispose()

    def __enter__(self) -> "GameStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, exc: Exception) -> StoreError:
        if isinstance(exc, (OperationalError, DBAPIError)) and (
            getattr(exc, "connection_invalidated", False) or _looks_unavailable(exc)
        ):
            return Unavailable(f"{self.shown}: database unavailable ({_one_line(exc)}); reconnecting, try again")
        return StoreError(f"{self.shown}: {_one_line(exc)}")

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[Connection]:
        # SQLite has one writer at a time; threads of one process queue here, in order, rather
        # than in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        lock = self._write_lock if write and self.dialect == "sqlite" else nullcontext()
        try:
            with lock, self.engine.connect() as conn:
                conn = conn.execution_options(write=write)
                with conn.begin():
                    yield conn
        except StoreError:
            raise
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise self._error(exc) from None

    def _now_sql(self) -> sa.ColumnElement[Any]:
        if self.dialect == "sqlite":
            return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)")
        return sa.literal_column("CAST(extract(epoch from now()) AS double precision)")

    def _migrate(self) -> None:
        with self._tx(write=True) as conn:
            if self.dialect == "postgresql":
                # Two first-time openers at once: one creates the schema, the other waits.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7406551)")
            schema_table.create(conn, checkfirst=True)
            row = conn.execute(sa.select(schema_table.c.version)).first()
            found = int(row[0]) if row else 0
            if row is None:
                conn.execute(schema_table.insert().values(version=0))
            if found > LATEST:
                raise StoreError(
                    f"{self.shown}: game tables from a newer dojo (v{found}, this one knows v{LATEST}); upgrade dojo"
                )
            for version in range(found, LATEST):
                MIGRATIONS[version](conn)
                conn.execute(schema_table.update().values(version=version + 1))

    @property
    def schema_version(self) -> int:
        with self._tx() as conn:
            return int(conn.execute(sa.select(schema_table.c.version)).scalar_one())

    def server_now(self) -> float:
        """The database server's clock (seconds since the epoch)."""
        with self._tx() as conn:
            return float(conn.execute(sa.select(self._now_sql())).scalar_one())

    # -- capabilities ----------------------------------------------------------------------------

    def _facilitator(self, conn: Connection, game_id: str, key: str) -> GameRow:
        row = conn.execute(sa.select(games).where(games.c.id == str(game_id).strip())).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest(key)):
            raise Denied()
        return GameRow(row.id, row.scenario_id, row.title, json.loads(row.settings), row.created_t)

    def _team_row(self, conn: Connection, code: str) -> TeamRow:
        hashed = digest(normalize_code(code))
        row = conn.execute(
            sa.select(teams.c.game_id, teams.c.number, teams.c.name, teams.c.code_hash).where(
                teams.c.code_hash == hashed
            )
        ).first()
        if row is None or not hmac.compare_digest(row.code_hash, hashed):
            raise Denied()
        return TeamRow(row.game_id, row.number, row.name)

    def _team(self, conn: Connection, code: str) -> tuple[GameRow, TeamRow]:
        team = self._team_row(conn, code)
        game = conn.execute(sa.select(games).where(games.c.id == team.game_id)).one()
        return GameRow(game.id, game.scenario_id, game.title, json.loads(game.settings), game.created_t), team

    # -- creating --------------------------------------------------------------------------------

    def create_game(
        self,
        game_id: str,
        scenario_id: str,
        title: str,
        key: str,
        settings: dict[str, Any],
        team_codes: list[tuple[str, str]],
        first: dict[str, Any],
        team_first: list[dict[str, Any]],
    ) -> float:
        """The game, its teams and each stream's first event, in one transaction. Returns the
        server time of creation."""
        try:
            with self._tx(write=True) as conn:
                now = float(conn.execute(sa.select(self._now_sql())).scalar_one())
                conn.execute(
                    games.insert().values(
                        id=game_id, scenario_id=scenario_id, title=title, key_hash=digest(key),
                        settings=_dumps(settings), created_t=now,
                    )
                )  # fmt: skip
                for number, (name, code) in enumerate(team_codes, start=1):
                    conn.execute(
                        teams.insert().values(game_id=game_id, number=number, name=name, code_hash=digest(code))
                    )
                self._insert(conn, game_id, GAME_LEVEL, "created", "facilitator", first, 0.0, 0.0, None)
                for number, data in enumerate(team_first, start=1):
                    self._insert(conn, game_id, number, "started", "system", data, 0.0, 0.0, None)
                return now
        except IntegrityError as exc:
            raise StoreError(f"{self.shown}: could not create the game ({_one_line(exc)}); run it again") from None

    # -- appending -------------------------------------------------------------------------------

    def _insert(
        self,
        conn: Connection,
        game_id: str,
        stream: int,
        kind: str,
        actor: str,
        data: dict[str, Any],
        wall_s: float,
        scenario_t: float,
        expect: int | None,
        guard: tuple[str, ...] | None = None,
    ) -> GameEvent:
        if self.dialect == "postgresql":
            # One writer per game at a time, so ids are committed in order: a reader's cursor
            # ("everything after id N") then never skips an event that commits late.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:g))"), {"g": game_id})
        last = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)).where(
                events.c.game_id == game_id, events.c.stream == stream
            )
        ).scalar_one()
        if expect is not None and guard:
            # Only events of these kinds count as "moved on": a teammate's query between the read
            # and this write changes nothing a journal action depends on.
            last_guarded = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)).where(
                    events.c.game_id == game_id, events.c.stream == stream, events.c.kind.in_(guard)
                )
            ).scalar_one()
            if int(last_guarded) != expect:
                raise Conflict(f"stream {stream} moved on; re-read and try again")
        elif expect is not None and int(last) != expect:
            raise Conflict(f"stream {stream} moved on (at {last}, expected {expect}); re-read and try again")
        row = conn.execute(
            events.insert()
            .values(
                game_id=game_id, stream=stream, seq=int(last) + 1, kind=kind, actor=actor, server_t=self._now_sql(),
                wall_s=float(wall_s), scenario_t=float(scenario_t), data=_dumps(data),
            )
            .returning(events.c.id, events.c.seq, events.c.server_t)
        ).one()  # fmt: skip
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_notify(:ch, :game)"), {"ch": NOTIFY_CHANNEL, "game": game_id})
        return GameEvent(
            int(row.id), game_id, stream, int(row.seq), kind, actor, float(row.server_t), wall_s, scenario_t, data
        )

    def _append(
        self,
        check: Callable[[sa.Connection], tuple[Any, int]],
        stream_of: Callable[[int], int],
        kind: str,
        actor: str,
        data: dict[str, Any],
        wall_s: float,
        scenario_t: float,
        expect: int | None,
        guard: tuple[str, ...] | None = None,
    ) -> GameEvent:
        try:
            with self._tx(write=True) as conn:
                game, stream = check(conn)
                return self._insert(
                    conn, game.id, stream_of(stream), kind, actor, data, wall_s, scenario_t, expect, guard
                )
        except IntegrityError:
            # Two PostgreSQL writers took the same seq: the later one lost the race.
            raise Conflict("another write reached the stream first; re-read and try again") from None

    def facilitator_append(
        self,
        game_id: str,
        key: str,
        kind: str,
        data: dict[str, Any],
        *,
        stream: int = GAME_LEVEL,
        expect: int | None = None,
        wall_s: float = 0.0,
        scenario_t: float = 0.0,
        guard: tuple[str, ...] | None = None,
    ) -> GameEvent:
        """A facilitator event, on the game's stream or (hints, injects to one team) a team's."""

        def check(conn: sa.Connection) -> tuple[Any, int]:
            game = self._facilitator(conn, game_id, key)
            if stream != GAME_LEVEL:
                found = conn.execute(
                    sa.select(teams.c.number).where(teams.c.game_id == game.id, teams.c.number == stream)
                ).first()
                if found is None:
                    raise StoreError(f"game {game.id} has no team #{stream}")
            return game, stream

        return self._append(check, lambda s: s, kind, "facilitator", data, wall_s, scenario_t, expect, guard)

    def team_append(
        self,
        code: str,
        kind: str,
        actor: str,
        data: dict[str, Any],
        *,
        wall_s: float,
        scenario_t: float,
        expect: int | None = None,
        guard: tuple[str, ...] | None = None,
    ) -> GameEvent:
        """A member's event on its own team's stream (the code decides which). With `expect`, only
        if the stream's last event (of the kinds in `guard`, if given) has that seq: else Conflict."""
        return self.team_write(
            code, kind, actor, data, wall_s=wall_s, scenario_t=scenario_t, expect=expect, guard=guard
        )[0]

    def team_write(
        self,
        code: str,
        kind: str,
        actor: str,
        data: dict[str, Any],
        *,
        wall_s: float,
        scenario_t: float,
        expect: int | None = None,
        after: int | None = None,
        guard: tuple[str, ...] | None = None,
    ) -> tuple[GameEvent, list[GameEvent], float]:
        """team_append, and (with `after`) what the team may see after that cursor and the
        server's clock, read in the same transaction: one round trip per member action."""
        try:
            with self._tx(write=True) as conn:
                team = self._team_row(conn, code)
                stored = self._insert(
                    conn, team.game_id, team.number, kind, actor, data, wall_s, scenario_t, expect, guard
                )
                news: list[GameEvent] = []
                now = stored.server_t
                if after is not None:
                    news = self._read(conn, team.game_id, after, [GAME_LEVEL, team.number])
                    now = float(conn.execute(sa.select(self._now_sql())).scalar_one())
                return stored, news, now
        except IntegrityError:
            raise Conflict("another write reached the stream first; re-read and try again") from None

    # -- reading ---------------------------------------------------------------------------------

    def _read(self, conn: Connection, game_id: str, after: int, streams: list[int] | None) -> list[GameEvent]:
        q = sa.select(events).where(events.c.game_id == game_id, events.c.id > after)
        if streams is not None:
            q = q.where(events.c.stream.in_(streams))
        rows = conn.execute(q.order_by(events.c.id)).all()
        return [_event(r) for r in rows]

    def team_view(self, code: str, after: int = 0) -> tuple[GameRow | None, TeamRow, list[GameEvent], float]:
        """What a team may see: the game's stream and its own, after cursor `after`, and the
        server's clock read in the same transaction. The game's row (its settings hold the whole
        scenario) only on a first read (`after` 0): a poll reads just what is new."""
        with self._tx() as conn:
            if after:
                game, team = None, self._team_row(conn, code)
            else:
                game, team = self._team(conn, code)
            evs = self._read(conn, team.game_id, after, [GAME_LEVEL, team.number])
            now = float(conn.execute(sa.select(self._now_sql())).scalar_one())
        return game, team, evs, now

    def facilitator_view(
        self, game_id: str, key: str, after: int = 0
    ) -> tuple[GameRow, list[TeamRow], list[GameEvent], float]:
        with self._tx() as conn:
            game = self._facilitator(conn, game_id, key)
            rows = conn.execute(sa.select(teams).where(teams.c.game_id == game.id).order_by(teams.c.number)).all()
            evs = self._read(conn, game.id, after, None)
            now = float(conn.execute(sa.select(self._now_sql())).scalar_one())
        return game, [TeamRow(r.game_id, r.number, r.name) for r in rows], evs, now

    def latest_id(self, game_id: str) -> int:
        """The newest event id of a game: the cheap poll. Reveals nothing but a number."""
        with self._tx() as conn:
            value = conn.execute(sa.select(sa.func.max(events.c.id)).where(events.c.game_id == game_id)).scalar()
        return int(value or 0)

    # -- waiting for news ------------------------------------------------------------------------

    def wait(self, game_id: str, after: int, timeout: float) -> bool:
        """Block until the game has an event newer than `after` or `timeout` passes; True if it has.
        PostgreSQL wakes on NOTIFY; SQLite polls the newest id every 200 ms."""
        deadline = time.monotonic() + timeout
        if self.dialect == "postgresql":
            listener = self._listen()
            while True:
                if self.latest_id(game_id) > after:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                listener.wait(min(left, 1.0))
        while True:
            if self.latest_id(game_id) > after:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.2, left))

    def _listen(self) -> "_Listener":
        if self._listener is None:
            self._listener = _Listener(self.url)
        return self._listener


class _Listener:
    """One LISTEN connection in a thread; `wait` returns when a NOTIFY arrives (or on timeout).
    If the server goes away it reconnects quietly: the callers' polls carry on meanwhile."""

    def __init__(self, url: str):
        self.dsn = "postgresql://" + url.split("://", 1)[1]
        self.event = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dojo-listen", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.event.set()
            except Exception:
                self._stop.wait(0.5)

    def wait(self, timeout: float) -> None:
        self.event.wait(timeout)
        self.event.clear()

    def stop(self) -> None:
        self._stop.set()


# -- helpers -----------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """Codes are read aloud and typed back: any case, spaces or dashes between the words."""
    return "-".join(w for w in code.strip().lower().replace("_", " ").replace("-", " ").split() if w)


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False, sort_keys=True)


def _event(r: Any) -> GameEvent:
    try:
        data = json.loads(r.data)
    except ValueError:
        data = {"unreadable": True}  # one bad row must not hide the rest of the game
    return GameEvent(
        int(r.id), r.game_id, int(r.stream), int(r.seq), r.kind, r.actor, float(r.server_t), float(r.wall_s),
        float(r.scenario_t), data if isinstance(data, dict) else {"value": data},
    )  # fmt: skip


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _looks_unavailable(exc: BaseException) -> bool:
    low = str(exc).lower()
    return any(
        w in low
        for w in ("connection refused", "server closed", "terminating connection", "could not connect",
                  "connection failed", "the database system is", "consuming input failed", "no connection",
                  "connection is closed")
    )  # fmt: skip
