"""Solo attempts join the one schema: `attempts` and their append-only `events`.

Before this revision the solo store kept its own little migration list (dojo/store/migrations.py,
the version in `schema_version`: 1 the tables, 2 the append-only triggers and an index). A file
made by that code is adopted in place: whatever of those two steps it has is kept, what it lacks
is added, its rows are not touched. `schema_version` stays, at 2: the attempts tables' layout, so
that a dojo from before this revision still reads the file (and refuses a newer layout).

Revision ID: g0006
Revises: g0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0006"
down_revision = "g0005"
branch_labels = None
depends_on = None

SOLO_VERSION = 2


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    found = 0
    if inspector.has_table("schema_version"):
        found = int(bind.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() or 0)
    else:
        op.create_table("schema_version", sa.Column("version", sa.Integer, nullable=False))
    if found > SOLO_VERSION:
        raise RuntimeError(f"attempts tables from a newer dojo (v{found}); upgrade dojo")
    if found < 1 and not inspector.has_table("attempts"):
        op.create_table(
            "attempts",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("scenario_id", sa.Text, nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
            sqlite_autoincrement=True,
        )
        op.create_table(
            "events",
            sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), primary_key=True, nullable=False),
            sa.Column("seq", sa.Integer, primary_key=True, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("wall_s", sa.Float, nullable=False),
            sa.Column("scenario_t", sa.Float, nullable=False),
            sa.Column("data", sa.Text, nullable=False),
        )
    if found < 2:
        # The score is derived from the events: an edited event would be a rewritten history.
        if bind.dialect.name == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                    f"BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
                )
        else:
            op.execute(
                "CREATE FUNCTION dojo_events_frozen() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$"
            )
            op.execute(
                "CREATE TRIGGER events_frozen BEFORE UPDATE OR DELETE ON events "
                "FOR EACH ROW EXECUTE FUNCTION dojo_events_frozen()"
            )
        op.create_index("attempts_by_scenario", "attempts", ["scenario_id", "id"])
    bind.execute(sa.text("DELETE FROM schema_version"))
    bind.execute(sa.text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": SOLO_VERSION})


def downgrade() -> None:
    raise NotImplementedError("stores only move forward")
