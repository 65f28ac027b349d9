"""PostgreSQL: appends to different teams no longer wait for each other.

Readers poll "every event after id N", so ids must become visible in order to whoever reads
them. Until now every append took one lock per game, held to its commit: every member of every
team queued behind whichever append held it, and a holder the machine descheduled for a moment
held up the whole game (the tail of a member's action on a busy server).

A team reads only two streams, the game's and its own, so it is enough that appends to those
two commit in id order. Locks, held to commit (advisory, keyed by the game's hash and a stream):
- an append to team n's stream: (game, n) exclusive, then (game, 0) shared;
- an append to the game's stream: (game, 0) exclusive.
Appends to one team queue; a game-stream append excludes every team append; teams do not meet.
Everyone takes the team's key before the game's, so no two appends wait for each other in a
cycle.

The facilitator reads every stream. `dojo_game_read(game, after)` takes (game, 0) exclusive
before it reads: that waits for the team appends in flight and holds new ones back for the
length of one read, so no id below the newest it returns is still to commit.

Revision ID: g0008
Revises: g0007
"""

from __future__ import annotations

from alembic import op

revision = "g0008"
down_revision = "g0007"
branch_labels = None
depends_on = None

APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION dojo_game_append(
    p_game text, p_stream integer, p_kind text, p_actor text, p_data text,
    p_wall double precision, p_scen double precision, p_expect integer, p_guard text[], p_notify boolean)
RETURNS TABLE (ev_id bigint, ev_seq integer, ev_server_t double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_last integer;
    v_seen integer;
BEGIN
    IF p_stream = 0 THEN
        PERFORM pg_advisory_xact_lock(hashtext(p_game), 0);
    ELSE
        PERFORM pg_advisory_xact_lock(hashtext(p_game), p_stream);
        PERFORM pg_advisory_xact_lock_shared(hashtext(p_game), 0);
    END IF;
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
    IF p_notify THEN
        PERFORM pg_notify('dojo_' || left(md5(p_game), 20) || '_' || p_stream, p_game || ' ' || p_stream || ' '
            || CASE WHEN p_kind = ANY(coalesce(p_guard, '{}')) THEN '1' ELSE '0' END);
    END IF;
END $$
"""

READ_FUNCTION = """
CREATE OR REPLACE FUNCTION dojo_game_read(p_game text, p_after bigint)
RETURNS SETOF game_events
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(p_game), 0);
    -- A new statement, so a new snapshot: every append that held a lock before ours has committed.
    RETURN QUERY SELECT * FROM game_events e WHERE e.game_id = p_game AND e.id > p_after ORDER BY e.id;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)
        op.execute(READ_FUNCTION)


def downgrade() -> None:
    raise NotImplementedError("game stores only move forward")
