"""PostgreSQL: a member action becomes one statement, `SELECT ... FROM dojo_game_append(...)`.

The per-game lock, the stream's next seq, the guard, the insert and the NOTIFY run in the server,
so the lock is held for the length of one statement instead of across client round trips. Each
statement in a volatile plpgsql function takes a fresh snapshot, so the reads after the lock see
every earlier commit. A guard that fails returns no row (the caller's Conflict). clock_timestamp(),
not now(): stamped after the lock, so server_t grows with id. SQLite needs nothing here: its
writers are serialized and the store does the same in one INSERT ... SELECT.

Revision ID: g0003
Revises: g0002
"""

from __future__ import annotations

from alembic import op

revision = "g0003"
down_revision = "g0002"
branch_labels = None
depends_on = None

APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION dojo_game_append(
    p_game text, p_stream integer, p_kind text, p_actor text, p_data text,
    p_wall double precision, p_scen double precision, p_expect integer, p_guard text[])
RETURNS TABLE (ev_id bigint, ev_seq integer, ev_server_t double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_last integer;
    v_seen integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(p_game));
    SELECT coalesce(max(e.seq), 0) INTO v_last FROM game_events e
        WHERE e.game_id = p_game AND e.stream = p_stream;
    IF p_expect IS NOT NULL THEN
        IF p_guard IS NOT NULL AND cardinality(p_guard) > 0 THEN
            SELECT coalesce((SELECT e.seq FROM game_events e
                WHERE e.game_id = p_game AND e.stream = p_stream AND e.kind = ANY(p_guard)
                ORDER BY e.seq DESC LIMIT 1), 0) INTO v_seen;
        ELSE
            v_seen := v_last;
        END IF;
        IF v_seen <> p_expect THEN
            RETURN;
        END IF;
    END IF;
    RETURN QUERY INSERT INTO game_events AS e
        (game_id, stream, seq, kind, actor, server_t, wall_s, scenario_t, data)
        VALUES (p_game, p_stream, v_last + 1, p_kind, p_actor,
                CAST(extract(epoch from clock_timestamp()) AS double precision), p_wall, p_scen, p_data)
        RETURNING e.id, e.seq, e.server_t;
    PERFORM pg_notify('dojo_game', p_game);
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    raise NotImplementedError("game stores only move forward")
