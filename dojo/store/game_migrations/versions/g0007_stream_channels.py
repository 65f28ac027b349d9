"""PostgreSQL: a notification reaches only the clients of the stream it is about, and a writer may
append without one.

Until now every append sent NOTIFY on one channel that every client of every game listened to:
with one client process per member (as in real life), each append woke all 150 members of a
50-team game, and 150 appends a second made that 22,500 wake-ups a second for news that 147 of
them then ignored. Now each (game, stream) has its own channel, `dojo_<md5(game)[:20]>_<stream>`
(an identifier whatever the game id holds); a member listens to the game's stream and its own
team's, so a teammate's hypothesis wakes three clients, not every client of the game.

`p_notify` false appends without a notification: what nobody waits for (a member's query, which
no other member shows) costs no one a wake-up. The payload is unchanged (game, stream, guarded).

Revision ID: g0007
Revises: g0006
"""

from __future__ import annotations

from alembic import op

revision = "g0007"
down_revision = "g0006"
branch_labels = None
depends_on = None

DROP_OLD = [
    "DROP FUNCTION IF EXISTS dojo_team_write(text, text, text, text, double precision, double precision, integer,"
    " text[], bigint)",
    "DROP FUNCTION IF EXISTS dojo_game_append(text, integer, text, text, text, double precision, double precision,"
    " integer, text[])",
]

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
    IF p_notify THEN
        PERFORM pg_notify('dojo_' || left(md5(p_game), 20) || '_' || p_stream, p_game || ' ' || p_stream || ' '
            || CASE WHEN p_kind = ANY(coalesce(p_guard, '{}')) THEN '1' ELSE '0' END);
    END IF;
END $$
"""

TEAM_WRITE_FUNCTION = """
CREATE OR REPLACE FUNCTION dojo_team_write(
    p_hash text, p_kind text, p_actor text, p_data text, p_wall double precision,
    p_scen double precision, p_expect integer, p_guard text[], p_after bigint, p_notify boolean)
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
        FROM dojo_game_append(v_game, v_number, p_kind, p_actor, p_data, p_wall, p_scen, p_expect, p_guard,
                              p_notify) a;
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
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP_OLD:
            op.execute(statement)
        op.execute(APPEND_FUNCTION)
        op.execute(TEAM_WRITE_FUNCTION)


def downgrade() -> None:
    raise NotImplementedError("game stores only move forward")
