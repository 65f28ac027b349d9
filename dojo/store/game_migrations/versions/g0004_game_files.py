"""The imported signal files of a game's scenario, kept with the game.

A scenario that imports real signals reads them from files beside it; a game day copies them
into the store when it is created, so every team, on any machine, replays the very same bytes.

Revision ID: g0004
Revises: g0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0004"
down_revision = "g0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "game_files",
        sa.Column("game_id", sa.String(40), sa.ForeignKey("games.id"), primary_key=True),
        sa.Column("name", sa.String(500), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("game stores only move forward")
