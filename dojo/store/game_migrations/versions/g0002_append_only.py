"""Game events are append-only: the database refuses UPDATE and DELETE, whoever asks.

A team's score is derived from its events: an edited event would be a rewritten history.

Revision ID: g0002
Revises: g0001
"""

from __future__ import annotations

from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER game_events_no_{verb.lower()} BEFORE {verb} ON game_events "
                f"BEGIN SELECT RAISE(ABORT, 'game events are append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION dojo_game_events_frozen() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'game events are append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER game_events_frozen BEFORE UPDATE OR DELETE ON game_events "
        "FOR EACH ROW EXECUTE FUNCTION dojo_game_events_frozen()"
    )


def downgrade() -> None:
    raise NotImplementedError("game stores only move forward")
