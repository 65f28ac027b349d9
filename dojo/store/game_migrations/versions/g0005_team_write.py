"""A member's action in one round trip, polls from one index range, and notifications that say
which stream moved.

- Index (game_id, stream, id): what a team may see after its cursor (the game's stream and its
  own) is two short ranges of it, instead of every event of the game since the cursor.
- PostgreSQL: `dojo_team_write(...)` finds the team by its code's hash, appends (through
  dojo_game_append, so under the game's lock) and returns the stored event and then everything
  the team may see after its cursor, read after the insert inside the lock: a member's action
  is one statement where it was two (append, then re-read).
- The NOTIFY payload names the game, the stream and whether the event is of a guarded kind
  (one of the kinds the caller passed in p_guard): clients then re-read only when something
  they care about has moved, instead of polling before every action. Listeners of older
  versions ignore the payload.

Revision ID: g0005
Revises: g0004
"""

from __future__ import annotations

from alembic import op

revision = "g0005"
down_revision = "g0004"
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
    PERFORM pg_notify('dojo_game', p_game || ' ' || p_stream || ' '
        || CASE WHEN p_kind = ANY(coalesce(p_guard, '{}')) THEN '1' ELSE '0' END);
END $$
"""

TEAM_WRITE_FUNCTION = """
CREATE OR REPLACE FUNCTION dojo_team_write(
    p_hash text, p_kind text, p_actor text, p_data text, p_wall double precision,
    p_scen double precision, p_expect integer, p_guard text[], p_after bigint)
RETURNS TABLE (r_row text, r_id bigint, r_game text, r_stream integer, r_seq integer, r_kind text,
    r_actor text, r_server_t double precision, r_wall double precision, r_scen double precision,
    r_data text, r_now double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_game text;
    v_number integer;
    v_id bigint;
    v_seq integer;
    v_t double precision;
BEGIN
    SELECT t.game_id, t.number INTO v_game, v_number FROM game_teams t WHERE t.code_hash = p_hash;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT a.ev_id, a.ev_seq, a.ev_server_t INTO v_id, v_seq, v_t
        FROM dojo_game_append(v_game, v_number, p_kind, p_actor, p_data, p_wall, p_scen, p_expect, p_guard) a;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'conflict'::text, NULL::bigint, v_game, v_number, NULL::integer, p_kind, p_actor,
            NULL::double precision, p_wall, p_scen, p_data, NULL::double precision;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'own'::text, v_id, v_game, v_number, v_seq, p_kind, p_actor, v_t, p_wall, p_scen,
        p_data, v_t;
    IF p_after IS NOT NULL THEN
        -- A new statement, so a new snapshot: it sees every event committed before the lock was ours.
        RETURN QUERY SELECT 'news'::text, e.id, e.game_id::text, e.stream, e.seq, e.kind::text,
            e.actor::text, e.server_t, e.wall_s, e.scenario_t, e.data,
            CAST(extract(epoch from clock_timestamp()) AS double precision)
            FROM game_events e
            WHERE e.game_id = v_game AND e.stream IN (0, v_number) AND e.id > p_after
            ORDER BY e.id;
    END IF;
END $$
"""


def upgrade() -> None:
    op.create_index("game_events_by_stream", "game_events", ["game_id", "stream", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)
        op.execute(TEAM_WRITE_FUNCTION)


def downgrade() -> None:
    raise NotImplementedError("game stores only move forward")
