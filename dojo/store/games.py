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

Live updates: a cheap poll of the newest event id on both databases; on PostgreSQL an append
also sends NOTIFY on its stream's own channel (unless the writer says nobody waits for it), so a
client listening to the streams it shows hears of news at once, and of nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import select
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
    sa.Index("game_events_by_stream", "game_id", "stream", "id"),
)
files = sa.Table(
    "game_files",
    metadata,
    sa.Column("game_id", sa.String(40), sa.ForeignKey("games.id"), primary_key=True),
    sa.Column("name", sa.String(500), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
)
# Before Alembic, the schema's version; now kept at LATEST so that older dojos refuse newer stores.
schema_table = sa.Table("game_schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))


# -- migrations --------------------------------------------------------------------------------
# Alembic revisions shipped in dojo/store/game_migrations (see there to add one). HEAD is the
# newest; opening a store at HEAD costs one query and never imports Alembic. `game_schema_version`
# came before Alembic: stores made then are stamped at the revision it names and upgraded, and it
# is kept at the number of revisions, so an older dojo meeting a newer store says "upgrade dojo".
HEAD = "g0008"
REVISIONS = ["g0001", "g0002", "g0003", "g0004", "g0005", "g0006", "g0007", "g0008"]
LATEST = len(REVISIONS)
ALEMBIC_TABLE = "game_alembic_version"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "game_migrations"


def upgrade_schema(conn: Connection, shown: str) -> None:
    """Bring the store's schema (games and solo attempts: one chain of revisions) to HEAD, inside
    the caller's write transaction. At HEAD this costs a few reads, takes no lock and never
    imports Alembic."""
    if conn.dialect.name == "postgresql":
        # At HEAD, nothing to wait for: a game's members all opening the store at once used to
        # queue here, one transaction after another, behind the lock below.
        if _at_head(conn, shown):
            return
        # Two first-time openers at once: one upgrades the schema, the other waits.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7406551)")
    schema_table.create(conn, checkfirst=True)
    row = conn.execute(sa.select(schema_table.c.version)).first()
    found = int(row[0]) if row else 0
    if row is None:
        conn.execute(schema_table.insert().values(version=0))
    if found > LATEST:
        raise StoreError(f"{shown}: game tables from a newer dojo (v{found}, this one knows v{LATEST}); upgrade dojo")
    revision = None
    if sa.inspect(conn).has_table(ALEMBIC_TABLE):
        revision = conn.execute(sa.text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()
    if revision == HEAD and found == LATEST:
        return
    if revision is not None and revision not in REVISIONS:
        raise StoreError(f"{shown}: game tables at revision {revision}, unknown here; upgrade dojo")
    _upgrade(conn, None if revision or not found else REVISIONS[found - 1])
    conn.execute(schema_table.update().values(version=LATEST))


def _at_head(conn: Connection, shown: str) -> bool:
    """True if the schema is at HEAD (read without a lock: revisions only move forward)."""
    inspector = sa.inspect(conn)
    if not (inspector.has_table(schema_table.name) and inspector.has_table(ALEMBIC_TABLE)):
        return False
    found = conn.execute(sa.select(schema_table.c.version)).scalar()
    if found is not None and int(found) > LATEST:
        raise StoreError(f"{shown}: game tables from a newer dojo (v{found}, this one knows v{LATEST}); upgrade dojo")
    revision = conn.execute(sa.text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()
    return revision == HEAD and found == LATEST


def _upgrade(conn: Connection, stamp: str | None) -> None:
    """Alembic's upgrade to HEAD on this connection, inside the caller's transaction; `stamp`
    first marks a store made before Alembic as being at that revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    if stamp is not None:
        command.stamp(config, stamp)
    command.upgrade(config, "head")


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
        # SQLite has one writer at a time; threads of one process queue here, in order, rather
        # than in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock: Any = threading.Lock() if self.dialect == "sqlite" else nullcontext()
        try:
            self.engine = self._engine(pool_size)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"{self.shown}: cannot use this database ({_one_line(exc)}); check --db/DOJO_DB") from None
        # PostgreSQL: member actions and polls are single statements, each its own transaction
        # (no BEGIN/COMMIT round trips); same pool as the engine.
        self.auto: Engine | None = None
        if self.dialect == "postgresql":
            self.auto = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._games: dict[str, GameRow] = {}  # game id -> its row, which never changes
        self._team_cache: dict[str, TeamRow] = {}  # code hash -> its team, which never changes
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
                # is one step; readers never wait for writers (WAL). A bare connection runs each
                # statement as its own transaction (a write statement takes the lock first).
                options = conn.get_execution_options()
                if not options.get("bare"):
                    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("write") else "BEGIN")

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
            return Unavailable(f"{self.shown}: database unavailable ({_one_line(exc)}); try again when it is back")
        return StoreError(f"{self.shown}: {_one_line(exc)}")

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[Connection]:
        lock = self._write_lock if write else nullcontext()
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

    @contextmanager
    def _one(self) -> Iterator[Connection]:
        """A connection whose statements each commit on their own: no BEGIN/COMMIT round trips on
        PostgreSQL, and on SQLite no write lock held while Python runs between statements."""
        try:
            if self.auto is not None:
                with self.auto.connect() as conn:
                    yield conn
            else:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(bare=True)
                    yield conn
                    conn.commit()
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
            upgrade_schema(conn, self.shown)

    @property
    def schema_version(self) -> int:
        with self._tx() as conn:
            return int(conn.execute(sa.select(schema_table.c.version)).scalar_one())

    def server_now(self) -> float:
        """The database server's clock (seconds since the epoch)."""
        with self._one() as conn:
            return float(conn.execute(sa.select(self._now_sql())).scalar_one())

    # -- capabilities ----------------------------------------------------------------------------

    def _facilitator(self, conn: Connection, game_id: str, key: str) -> GameRow:
        game_id = str(game_id).strip()
        row = conn.execute(sa.select(games.c.key_hash).where(games.c.id == game_id)).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest(key)):
            raise Denied()
        return self._game(conn, game_id)

    def _game(self, conn: Connection, game_id: str) -> GameRow:
        # A game's row holds the whole scenario and never changes: read and parse it once.
        if game_id not in self._games:
            row = conn.execute(sa.select(games).where(games.c.id == game_id)).one()
            self._games[game_id] = GameRow(row.id, row.scenario_id, row.title, json.loads(row.settings), row.created_t)
        return self._games[game_id]

    def _team_row(self, conn: Connection, code: str) -> TeamRow:
        hashed = digest(normalize_code(code))
        row = conn.execute(
            sa.select(teams.c.game_id, teams.c.number, teams.c.name, teams.c.code_hash).where(
                teams.c.code_hash == hashed
            )
        ).first()
        if row is None or not hmac.compare_digest(row.code_hash, hashed):
            raise Denied()
        team = TeamRow(row.game_id, row.number, row.name)
        self._team_cache[hashed] = team
        return team

    def _team(self, conn: Connection, code: str) -> tuple[GameRow, TeamRow]:
        team = self._team_row(conn, code)
        return self._game(conn, team.game_id), team

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
        game_files: dict[str, bytes] | None = None,
    ) -> float:
        """The game, its teams, each stream's first event and the scenario's imported signal
        files (by their path in the scenario), in one transaction. Returns the server time of
        creation."""
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
                for rel, body in (game_files or {}).items():
                    sha = hashlib.sha256(body).hexdigest()
                    conn.execute(files.insert().values(game_id=game_id, name=rel, sha256=sha, body=body))
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
        code_hash: str | None = None,
    ) -> GameEvent:
        """One INSERT ... SELECT: the stream's next seq, the guard and (with `code_hash`) the
        team's code are all checked inside the statement, so the write lock is held for one
        statement. No row: a wrong code (Denied) or a stream that moved on (Conflict)."""
        if self.dialect == "postgresql":
            # The locks dojo_game_append takes (revision g0008): appends to the streams one reader
            # reads commit in id order, so its cursor ("everything after id N") never skips.
            if stream == GAME_LEVEL:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:g), 0)"), {"g": game_id})
            else:
                lock = "SELECT pg_advisory_xact_lock(hashtext(:g), CAST(:s AS integer))"
                conn.execute(sa.text(lock), {"g": game_id, "s": stream})
                conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(hashtext(:g), 0)"), {"g": game_id})
        mine = events.alias("mine")
        last = (
            sa.select(sa.func.coalesce(sa.func.max(mine.c.seq), 0))
            .where(mine.c.game_id == game_id, mine.c.stream == stream)
            .scalar_subquery()
        )
        src = sa.select(
            sa.literal(game_id), sa.literal(stream), last + 1, sa.literal(kind), sa.literal(actor), self._now_sql(),
            sa.literal(float(wall_s)), sa.literal(float(scenario_t)), sa.literal(_dumps(data)),
        )  # fmt: skip
        if expect is not None:
            seen: sa.ColumnElement[Any] = last
            if guard:
                seen = sa.func.coalesce(
                    sa.select(mine.c.seq)
                    .where(mine.c.game_id == game_id, mine.c.stream == stream, mine.c.kind.in_(guard))
                    .order_by(mine.c.seq.desc())
                    .limit(1)
                    .scalar_subquery(),
                    0,
                )
            src = src.where(seen == expect)
        if code_hash is not None:
            src = src.where(
                sa.exists().where(teams.c.code_hash == code_hash, teams.c.game_id == game_id, teams.c.number == stream)
            )
        cols = ["game_id", "stream", "seq", "kind", "actor", "server_t", "wall_s", "scenario_t", "data"]
        row = conn.execute(
            events.insert().from_select(cols, src).returning(events.c.id, events.c.seq, events.c.server_t)
        ).first()
        if row is None:
            if (
                code_hash is not None
                and conn.execute(sa.select(teams.c.number).where(teams.c.code_hash == code_hash)).first() is None
            ):
                raise Denied()
            raise Conflict(f"stream {stream} moved on; re-read and try again")
        if self.dialect == "postgresql":
            guarded = int(bool(guard) and kind in (guard or ()))
            conn.execute(
                sa.text("SELECT pg_notify(:ch, :payload)"),
                {"ch": channel(game_id, stream), "payload": f"{game_id} {stream} {guarded}"},
            )
        return GameEvent(
            int(row.id), game_id, stream, int(row.seq), kind, actor, float(row.server_t), wall_s, scenario_t, data
        )

    def _call_append(
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
        guard: tuple[str, ...] | None,
    ) -> GameEvent:
        if self.dialect == "sqlite":
            return self._insert(conn, game_id, stream, kind, actor, data, wall_s, scenario_t, expect, guard)
        row = conn.execute(
            sa.text(f"SELECT ev_id, ev_seq, ev_server_t FROM {_APPEND_CALL}"),
            {
                "game": game_id,
                "stream": stream,
                "notify": True,
                **_append_params(kind, actor, data, wall_s, scenario_t, expect, guard),
            },
        ).first()
        if row is None:
            raise Conflict(f"stream {stream} moved on; re-read and try again")
        return GameEvent(
            int(row.ev_id), game_id, stream, int(row.ev_seq), kind, actor, float(row.ev_server_t), wall_s, scenario_t,
            data,
        )  # fmt: skip

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
        try:
            with self._tx(write=True) if self.auto is None else self._one() as conn:
                game = self._facilitator(conn, game_id, key)
                if stream != GAME_LEVEL:
                    found = conn.execute(
                        sa.select(teams.c.number).where(teams.c.game_id == game.id, teams.c.number == stream)
                    ).first()
                    if found is None:
                        raise StoreError(f"game {game.id} has no team #{stream}")
                return self._call_append(
                    conn, game.id, stream, kind, "facilitator", data, wall_s, scenario_t, expect, guard
                )
        except IntegrityError:
            raise Conflict("another write reached the stream first; re-read and try again") from None

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
        notify: bool = True,
    ) -> tuple[GameEvent, list[GameEvent], float]:
        """team_append, and (with `after`) what the team may see after that cursor and the
        server's clock. PostgreSQL: one statement, the append (code check included) and the
        read; SQLite: one write, one read. `notify` False: no NOTIFY (nobody waits for this kind
        of event; listeners see it on their next read)."""
        hashed = digest(normalize_code(code))
        try:
            if self.auto is None:
                # The team is found once per store (the code's row never changes); the insert
                # checks the code again inside its one statement, under SQLite's write lock only.
                team = self._team_cache.get(hashed)
                if team is None:
                    with self._one() as conn:
                        team = self._team_row(conn, code)
                with self._write_lock, self._one() as conn:
                    stored = self._insert(
                        conn, team.game_id, team.number, kind, actor, data, wall_s, scenario_t, expect, guard, hashed
                    )
                if after is None:
                    return stored, [], stored.server_t
                with self._one() as conn:
                    _, news, now = self._team_news(conn, hashed, after)
                return stored, news, now
            with self._one() as conn:
                rows = conn.execute(
                    sa.text(f"SELECT * FROM {_TEAM_WRITE_CALL}"),
                    {
                        "hashed": hashed,
                        "after": after,
                        "notify": notify,
                        **_append_params(kind, actor, data, wall_s, scenario_t, expect, guard),
                    },
                ).all()
            if not rows:
                raise Denied()
            first = rows[0]
            if first.r_row == "conflict":
                raise Conflict(f"stream {first.r_stream} moved on; re-read and try again")
            stored = GameEvent(
                int(first.r_id), first.r_game, int(first.r_stream), int(first.r_seq), kind, actor,
                float(first.r_server_t), wall_s, scenario_t, data,
            )  # fmt: skip
            if after is None:
                return stored, [], stored.server_t
            news = [_event_row(r) for r in rows[1:]]
            return stored, news, float(rows[-1].r_now)
        except IntegrityError:
            raise Conflict("another write reached the stream first; re-read and try again") from None

    def _team_news(self, conn: Connection, hashed: str, after: int) -> tuple[TeamRow, list[GameEvent], float]:
        """The team (by its code's hash), what it may see after `after`, and the server's clock:
        one statement, so a poll is one round trip."""
        # stream IN (0, n): two short ranges of the (game_id, stream, id) index
        seen = sa.and_(
            events.c.game_id == teams.c.game_id,
            events.c.stream.in_([sa.literal(GAME_LEVEL), teams.c.number]),
            events.c.id > after,
        )
        q = (
            sa.select(
                teams.c.game_id.label("t_game"), teams.c.number.label("t_number"), teams.c.name.label("t_name"),
                self._now_sql().label("now_t"), *events.c,
            )
            .select_from(teams.outerjoin(events, seen))
            .where(teams.c.code_hash == hashed)
            .order_by(events.c.id)
        )  # fmt: skip
        rows = conn.execute(q).all()
        if not rows:
            raise Denied()
        first = rows[0]
        team = TeamRow(first.t_game, int(first.t_number), first.t_name)
        return team, [_event(r) for r in rows if r.id is not None], float(first.now_t)

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
        scenario) only on a first read (`after` 0): a poll reads just what is new, in one statement."""
        if after:
            with self._one() as conn:
                team, evs, now = self._team_news(conn, digest(normalize_code(code)), after)
            return None, team, evs, now
        with self._tx() as conn:
            game, team = self._team(conn, code)
            evs = self._read(conn, team.game_id, after, [GAME_LEVEL, team.number])
            now = float(conn.execute(sa.select(self._now_sql())).scalar_one())
        return game, team, evs, now

    def game_files(self, game_id: str, *, code: str | None = None, key: str | None = None) -> dict[str, bytes]:
        """The game's imported signal files, for a team (its code) or the facilitator (the key)."""
        with self._one() as conn:
            if code is not None:
                if self._team_row(conn, code).game_id != game_id:
                    raise Denied()
            else:
                self._facilitator(conn, game_id, key or "")
            rows = conn.execute(sa.select(files.c.name, files.c.body).where(files.c.game_id == game_id)).all()
        return {r.name: bytes(r.body) for r in rows}

    def facilitator_view(
        self, game_id: str, key: str, after: int = 0
    ) -> tuple[GameRow, list[TeamRow], list[GameEvent], float]:
        with self._one() as conn:
            game = self._facilitator(conn, game_id, key)
            rows = conn.execute(sa.select(teams).where(teams.c.game_id == game.id).order_by(teams.c.number)).all()
            if self.dialect == "postgresql":
                # Every stream: dojo_game_read waits for the team appends in flight (g0008), so
                # no event below the newest it returns commits later.
                read = conn.execute(sa.text("SELECT * FROM dojo_game_read(:g, :after)"), {"g": game.id, "after": after})
                evs = [_event(r) for r in read]
            else:
                evs = self._read(conn, game.id, after, None)
            now = float(conn.execute(sa.select(self._now_sql())).scalar_one())
        return game, [TeamRow(r.game_id, r.number, r.name) for r in rows], evs, now

    def latest_id(self, game_id: str, streams: tuple[int, ...] | None = None) -> int:
        """The newest event id of a game (of those streams): the cheap poll. Reveals nothing but a number."""
        q = sa.select(sa.func.max(events.c.id)).where(events.c.game_id == game_id)
        if streams is not None:
            q = q.where(events.c.stream.in_(streams))
        with self._one() as conn:
            value = conn.execute(q).scalar()
        return int(value or 0)

    # -- waiting for news ------------------------------------------------------------------------

    def wait(self, game_id: str, after: int, timeout: float, streams: tuple[int, ...] | None = None) -> bool:
        """Block until the game (those of its streams) has an event newer than `after` or `timeout`
        passes; True if it has. PostgreSQL with `streams` wakes on their NOTIFY (an event written
        without one is seen within a second); otherwise the newest id is polled every 200 ms."""
        deadline = time.monotonic() + timeout
        if self.dialect == "postgresql" and streams is not None:
            listener = self._listen()
            listener.want(game_id, streams)
            while True:
                if self.latest_id(game_id, streams) > after:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                listener.wait(min(left, 1.0))
        while True:
            if self.latest_id(game_id, streams) > after:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.2, left))

    def marks(self, game_id: str, team: int) -> Marks | None:
        """Where the notifications for this team stand (PostgreSQL, once listening), or None:
        then nothing is known and the caller polls."""
        if self.dialect != "postgresql":
            return None
        return self._listen().marks(game_id, team)

    def _listen(self) -> "_Listener":
        if self._listener is None:
            self._listener = _Listener(self.url, self._poke)
        return self._listener

    def _poke(self, wake_channel: str) -> None:
        """Wake the listener (a NOTIFY on its own channel): it has channels to add, or is to stop."""
        with self._one() as conn:
            conn.execute(sa.text("SELECT pg_notify(:ch, '')"), {"ch": wake_channel})


@dataclass(frozen=True)
class Marks:
    """How far the notifications for one team of one game have got: compare two to know whether
    anything arrived in between. `session` changes when the listening connection is (re)made
    (notifications may have been missed meanwhile)."""

    session: int
    game: int  # events on the game's stream
    team: int  # events on the team's stream
    team_guarded: int  # ...of the kinds the writer named as guards (the journal's)


class _Listener:
    """One LISTEN connection in a thread, on the channels of the streams its callers want
    (`want`); `wait` returns when a NOTIFY arrives (or on timeout). It counts notifications per
    game and stream, so a client can skip a re-read when nothing it cares about has moved. If the
    server goes away it reconnects quietly: until it listens again `marks` says nothing, and the
    callers poll as they would without it."""

    def __init__(self, url: str, poke: Callable[[str], None]):
        self.dsn = "postgresql://" + url.split("://", 1)[1]
        # The thread sleeps in the server's socket until a notification comes: a quiet member's
        # listener costs nothing (polling cost about 1 ms of CPU a second, a third of what the
        # member's own actions cost). New channels and stop() wake it on a channel of its own.
        self.poke = poke
        self.wake_channel = f"dojo_wake_{secrets.token_hex(8)}"
        self.event = threading.Event()
        self._stop = threading.Event()
        self.live = False
        self.session = 0
        self._wanted: dict[str, tuple[str, int]] = {}  # channel -> (game, stream)
        self.listening: frozenset[str] = frozenset()  # channels LISTENed on this session's connection
        # (game, stream) -> [all, guarded]; int updates under the GIL, read without a lock
        self.counts: dict[tuple[str, int], list[int]] = {}
        self.thread = threading.Thread(target=self._run, name="dojo-listen", daemon=True)
        self.thread.start()

    def want(self, game_id: str, streams: tuple[int, ...]) -> bool:
        """Listen to these streams of this game from now on; True once it does (the thread
        LISTENs as soon as it is woken: until then the caller polls)."""
        names = [channel(game_id, s) for s in streams]
        added = False
        for name, s in zip(names, streams):
            if name not in self._wanted:
                self._wanted[name] = (game_id, s)
                added = True
        listening = self.listening
        if added and self.live:
            self._wake()
        return self.live and all(n in listening for n in names)

    def _wake(self) -> None:
        try:
            self.poke(self.wake_channel)
        except Exception:
            pass  # the server is away: the thread reconnects and listens to every wanted channel

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    self.listening = frozenset()
                    conn.execute(f'LISTEN "{self.wake_channel}"')
                    self.session += 1
                    self.live = True
                    self.event.set()
                    while not self._stop.is_set():
                        new = [n for n in list(self._wanted) if n not in self.listening]
                        for name in new:
                            conn.execute(f'LISTEN "{name}"')
                        if new:
                            self.listening = self.listening | set(new)
                            self.event.set()
                        # Sleep in the socket ourselves: psycopg's own wait wakes every 100 ms. A
                        # LISTEN's reply may have carried notifications in with it: those are
                        # already off the socket, so they are taken before sleeping.
                        if not new:
                            readable, _, _ = select.select([conn.fileno()], [], [], 5.0)
                            if not readable:
                                continue
                        for note in conn.notifies(timeout=0.0):
                            if note.channel == self.wake_channel:
                                continue  # channels to add, or stop: the loop sees to them
                            self._count(note.payload)
                            self.event.set()
            except Exception:
                self.live = False
                self.listening = frozenset()
                self._stop.wait(0.5)
        self.live = False

    def _count(self, payload: str) -> None:
        parts = payload.split(" ")
        if len(parts) != 3:  # not ours: count it as news for everyone
            self.session += 1
            return
        try:
            key = (parts[0], int(parts[1]))
        except ValueError:
            self.session += 1
            return
        c = self.counts.setdefault(key, [0, 0])
        c[0] += 1
        if parts[2] == "1":
            c[1] += 1

    def marks(self, game_id: str, team: int) -> Marks | None:
        session = self.session
        if not self.want(game_id, (GAME_LEVEL, team)):
            return None
        g = self.counts.get((game_id, GAME_LEVEL), [0, 0])
        t = self.counts.get((game_id, team), [0, 0])
        return Marks(session, g[0], t[0], t[1])

    def wait(self, timeout: float) -> None:
        self.event.wait(timeout)
        self.event.clear()

    def stop(self) -> None:
        self._stop.set()
        if self.live:
            self._wake()


_APPEND_CALL = (
    "dojo_game_append(CAST(:game AS text), CAST(:stream AS integer), CAST(:kind AS text), CAST(:actor AS text), "
    "CAST(:data AS text), CAST(:wall AS double precision), CAST(:scen AS double precision), "
    "CAST(:expect AS integer), CAST(:guard AS text[]), CAST(:notify AS boolean))"
)


_TEAM_WRITE_CALL = (
    "dojo_team_write(CAST(:hashed AS text), CAST(:kind AS text), CAST(:actor AS text), CAST(:data AS text), "
    "CAST(:wall AS double precision), CAST(:scen AS double precision), CAST(:expect AS integer), "
    "CAST(:guard AS text[]), CAST(:after AS bigint), CAST(:notify AS boolean))"
)


def channel(game_id: str, stream: int) -> str:
    """The NOTIFY channel of one stream of one game (as dojo_game_append names it): an identifier
    whatever the game id holds."""
    return f"dojo_{hashlib.md5(game_id.encode()).hexdigest()[:20]}_{stream}"


def _append_params(
    kind: str,
    actor: str,
    data: dict[str, Any],
    wall_s: float,
    scenario_t: float,
    expect: int | None,
    guard: tuple[str, ...] | None,
) -> dict[str, Any]:
    return {
        "kind": kind, "actor": actor, "data": _dumps(data), "wall": float(wall_s), "scen": float(scenario_t),
        "expect": expect, "guard": list(guard) if guard else None,
    }  # fmt: skip


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


def _event_row(r: Any) -> GameEvent:
    """An event as dojo_team_write returns it (its columns are named r_...)."""
    try:
        data = json.loads(r.r_data)
    except ValueError:
        data = {"unreadable": True}
    return GameEvent(
        int(r.r_id), r.r_game, int(r.r_stream), int(r.r_seq), r.r_kind, r.r_actor, float(r.r_server_t),
        float(r.r_wall), float(r.r_scen), data if isinstance(data, dict) else {"value": data},
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
