"""A team member's session: the engine's Session, with the team's shared journal and the game's
clock instead of a private attempt and a local clock.

Every member of a team writes to one stream in the store (the join code picks it) and reads it
back: before each action the session folds in whatever the others wrote, so hypotheses, statuses
and pins from every member appear in every member's journal, marked with who wrote them, and a
member who joins late (or again after a crash) rebuilds everything from the stream. Actions that
depend on the journal's state (a new hypothesis takes the next id; a diagnosis after a solve is
refused) are appended only if the stream has not moved since it was read; if it has, the session
folds the news in and tries again, so two members typing at once never make two H3s.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, NoReturn, TypeVar, cast

from dojo.engine import events as ev
from dojo.engine.attempt import Attempt
from dojo.engine.clock import ReplayClock
from dojo.engine.errors import AttemptOver, ClockError
from dojo.engine.queries import Signals, signals_of
from dojo.engine.rules import digest
from dojo.engine.session import Session
from dojo.store import Store
from dojo.store.games import GAME_LEVEL, Conflict, GameEvent, GameStore, Marks, Unavailable
from dojo.store.model import Event

from .clock import GameClock, GameClockState, ServerTime, due
from .errors import GameError
from .presence import HEARTBEAT, HEARTBEAT_S, PRESENCE_KINDS, Presence
from .view import engine_event

RETRIES = 20
FRESH_S = 0.5
# With notifications (PostgreSQL), a member re-reads only when something it cares about moved;
# this long at most without a read, whatever the notifications say (the clock's offset is
# refreshed by every write meanwhile).
QUIET_MAX_S = 10.0
T = TypeVar("T")
# Actions whose meaning depends on the journal as read: appended only if nobody wrote in between.
GUARDED = {ev.HYPOTHESIS, ev.HYPOTHESIS_UPDATE, ev.PIN, ev.UNPIN, ev.DIAGNOSIS, ev.GAVE_UP}
# ...and what they depend on: the journal, the diagnoses, the hints (queries change none of it).
GUARD_KINDS = tuple(sorted(GUARDED | {ev.HINT, ev.STARTED}))
# Written without a notification: no member shows a teammate's queries, so waking them for one
# (most of a game's events) would cost every teammate a wake-up for nothing; the next read has it.
# Heartbeats too: each member's own write (its heartbeat at the latest) re-reads the team's stream
# every HEARTBEAT_S, so a teammate's presence is never staler than two of them, inside AWAY_S.
UNANNOUNCED = {ev.QUERY, HEARTBEAT}


def load_game_scenario(settings: dict, game_id: str, fetch: Callable[[], dict[str, bytes]] | None = None):
    """The scenario as the facilitator created the game (its YAML travels in the store, so every
    machine replays the very same incident). With `fetch`, a scenario that imports real signals
    gets the game's copy of its files (checked against the hashes the game recorded), unpacked in
    the data folder: what the signals are read from."""
    from dojo.scenario import ScenarioErrors
    from dojo.scenario.loader import parse_scenario

    try:
        scenario = parse_scenario(settings["source"], f"game {game_id}")
    except ScenarioErrors as exc:
        raise GameError(f"game {game_id}: its scenario no longer loads here ({exc.errors[0]}); upgrade dojo") from None
    if digest(scenario) != settings.get("digest"):
        raise GameError(f"game {game_id}: this dojo reads its scenario differently; use the facilitator's dojo version")
    wanted = settings.get("files") or {}
    if wanted and fetch is not None:
        scenario._base_dir = _unpack(game_id, wanted, fetch)
    return scenario


def _unpack(game_id: str, wanted: dict[str, str], fetch: Callable[[], dict[str, bytes]]) -> Path:
    import hashlib

    from dojo.store.paths import data_dir

    folder = data_dir() / "games" / "".join(c for c in game_id if c.isalnum() or c == "-")
    fresh = all(
        (folder / rel).is_file() and hashlib.sha256((folder / rel).read_bytes()).hexdigest() == sha
        for rel, sha in wanted.items()
    )
    if fresh:
        return folder
    got = fetch()
    for rel, sha in wanted.items():
        body = got.get(rel)
        if body is None or hashlib.sha256(body).hexdigest() != sha:
            raise GameError(f"game {game_id}: its imported signals ({rel}) are missing or altered in the store")
        target = folder / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(body)
            tmp.replace(target)  # whole or absent: a crash mid-write leaves no half file to read
        except OSError as exc:
            raise GameError(f"{target.parent}: cannot unpack the signals ({exc.strerror}); set DOJO_HOME") from None
    return folder


class TeamSession(Session):
    # Set by join(), which builds the session without __init__.
    clock: GameClock  # type: ignore[assignment]  # ReplayClock's surface, driven by the game's events
    gstore: GameStore
    code: str
    member: str
    game_id: str
    scheduled: list[dict]
    team_name: str
    cursor: int
    team_seq: int
    guard_seq: int  # seq of the team's last event of GUARD_KINDS
    authors: dict[str, str]  # hypothesis id -> member
    pin_authors: dict[tuple, str]  # (item, hypothesis) -> member
    presence: Presence
    _wrote: float  # monotonic time of this client's last write: a heartbeat is due HEARTBEAT_S after
    injects: list[dict]
    hints_received: list[dict]
    _lenient: bool
    _synced: float
    team_number: int
    _marks: Marks | None  # the notifications as they stood when the last read began
    _card_fresh = False  # inside diagnose: its own write has just read the team's stream

    def __init__(self, *args, **kwargs):
        raise TypeError("use TeamSession.join(store, code, member)")

    @classmethod
    def join(
        cls,
        store: GameStore,
        code: str,
        member: str,
        *,
        telemetry=None,
        signals: Signals | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> "TeamSession":
        """Join the team whose code this is, as `member`. `signals` (the game scenario's indexed
        telemetry) may be shared by many sessions in one process: it is read-only."""
        member = " ".join(member.split())[:60]
        if not member:
            raise GameError("a member needs a name (--name)")
        found, team, evs, now = store.team_view(code)
        assert found is not None  # a first read (cursor 0) always carries the game's row
        game = found
        scenario = load_game_scenario(game.settings, game.id, lambda: store.game_files(game.id, code=code))
        if signals is None and telemetry is None:
            from dojo.telemetry.cache import synthesize_cached as synthesize

            telemetry = synthesize(scenario, seed=int(game.settings["seed"]))
        self = object.__new__(cls)
        clock = GameClock(GameClockState.from_created(game.settings), ServerTime(now, monotonic))
        team_events = [e for e in evs if e.stream == team.number]
        attempt = Attempt.from_events([engine_event(team_events[0])])
        # The team's events live in the game store and its clock is the game's: Session only reads
        # them through `record` (overridden below) and ReplayClock's surface, which GameClock offers.
        Session.__init__(
            self, scenario, signals if signals is not None else signals_of(telemetry), cast(Store, store), team.number,
            attempt, cast(ReplayClock, clock),
        )  # fmt: skip
        self.gstore = store
        self.code = code
        self.member = member
        self.game_id = game.id
        self.scheduled = list(game.settings.get("scheduled", []))
        self.team_name = team.name
        self.cursor = 0
        self.team_seq = 0
        self.guard_seq = 0
        self.authors = {}
        self.pin_authors = {}
        self.presence = Presence()
        self._wrote = 0.0
        self.injects = []
        self.hints_received = []
        self._lenient = False
        self._synced = 0.0
        self.team_number = team.number
        self._marks = None
        self._events = []
        self._fold(evs, now)
        self.record("joined", {"member": member})
        return self

    # -- the shared stream -----------------------------------------------------------------------

    def _fold(self, evs: list[GameEvent], now: float) -> None:
        self.clock.server.sync(now)
        for g in evs:
            if g.id <= self.cursor:
                continue
            self.cursor = g.id
            if g.stream == GAME_LEVEL:
                self.clock.state.apply(g.kind, g.server_t, g.data)
                if g.kind == "inject":
                    self.injects.append({"text": g.data.get("text", ""), "at_s": g.wall_s, "to": "everyone"})
                continue
            if g.seq <= self.team_seq:
                continue
            self.team_seq = g.seq
            self.presence.see(g.kind, g.actor, g.server_t)
            if g.kind == HEARTBEAT:
                continue  # a sign of life only: not part of the attempt
            if g.kind in GUARD_KINDS:
                self.guard_seq = g.seq
            if g.kind not in PRESENCE_KINDS and self.clock.state.after_end(g.server_t):
                continue  # too late to count, as in GameView.fold (the store's guard still saw it)
            e = engine_event(g)
            if g.kind == ev.STARTED:
                self._events.append(e)
                continue
            self.attempt.apply(e)
            self._events.append(e)
            if g.kind == ev.HYPOTHESIS:
                self.authors[g.data["id"]] = g.actor
            elif g.kind == ev.PIN:
                self.pin_authors.setdefault((g.data.get("item"), g.data.get("hypothesis")), g.actor)
            elif g.kind == "inject":
                self.injects.append({"text": g.data.get("text", ""), "at_s": g.wall_s, "to": self.team_name})
            elif g.kind == ev.HINT:
                i = int(g.data["index"])
                text = self.scenario.hints[i].text if i < len(self.scenario.hints) else ""
                got = {"index": i + 1, "text": text, "cost_s": g.data.get("cost"), "at_s": g.wall_s}
                self.hints_received.append(got)

    def sync(self) -> None:
        """Fold in what the facilitator and the other members wrote since the last sync."""
        marks = self.gstore.marks(self.game_id, self.team_number)  # before the read: nothing slips between
        _, _, evs, now = self.gstore.team_view(self.code, self.cursor)
        self._fold(evs, now)
        self._synced = time.monotonic()
        self._marks = marks

    def _quiet(self, now: Marks | None, *, all_news: bool) -> bool:
        """True if the notifications say nothing this member cares about has moved since its last
        read (the game's stream; the team's journal kinds, or with `all_news` any team event)."""
        last = self._marks
        if now is None or last is None or time.monotonic() - self._synced >= QUIET_MAX_S:
            return False
        team = (now.team, last.team) if all_news else (now.team_guarded, last.team_guarded)
        # <=: our own last write's notification may not have arrived yet (see record)
        return now.session == last.session and now.game <= last.game and team[0] <= team[1]

    def _sync_if_stale(self) -> None:
        """Queries read the clock, which runs on between syncs; a pause or the end reaches a
        member within FRESH_S of its commit, at one read per FRESH_S however fast they query.
        With notifications, no read at all until the game's stream or the team's journal moves:
        a member's query is then one statement (its own append, which brings the news back)."""
        marks = self.gstore.marks(self.game_id, self.team_number)
        if marks is not None:
            if not self._quiet(marks, all_news=False):
                self.sync()
            return
        if time.monotonic() - self._synced >= FRESH_S:
            self.sync()

    def sync_if_news(self) -> None:
        """For a member who is only watching: re-read when notified of anything on the game's or
        the team's stream (so an idle member costs the database nothing), else poll."""
        if not self._quiet(self.gstore.marks(self.game_id, self.team_number), all_news=True):
            self.sync()

    def record(self, kind: str, data: dict, *, wall_s: float | None = None) -> Event:
        wall = round(self.clock.wall() if wall_s is None else wall_s, 3)
        marks = self.gstore.marks(self.game_id, self.team_number)
        notify = kind not in UNANNOUNCED
        stored, news, now = self.gstore.team_write(
            self.code, kind, self.member, data, wall_s=wall, scenario_t=round(self.clock.now(), 3),
            expect=self.guard_seq if kind in GUARDED else None, after=self.cursor, guard=GUARD_KINDS,
            notify=notify,
        )  # fmt: skip
        self._fold(news, now)
        self._synced = self._wrote = time.monotonic()
        if kind not in PRESENCE_KINDS and self.clock.state.after_end(stored.server_t):
            # The end was committed first and its news came back with this write: the event
            # stays in the log, but no fold counts it; the member is told, not acknowledged.
            raise AttemptOver("the game ended before this reached it; 'score' shows your team's card")
        if marks is not None and notify:
            # Our own event's notification is on its way: it is no news to us.
            guarded = int(kind in GUARD_KINDS)
            marks = replace(marks, team=marks.team + 1, team_guarded=marks.team_guarded + guarded)
        self._marks = marks
        return engine_event(stored)

    def _retry(self, action: Callable[[], T]) -> T:
        # Journal actions read first, notifications or not: the append's guard covers the team's
        # journal only, and the game's stream may have moved (an end or a pause whose notification
        # is still on its way: a hypothesis or a diagnosis must not land after the end). They are
        # a few a minute; queries, nearly every action, still trust the notifications.
        for _ in range(RETRIES):
            self.sync()
            try:
                return action()
            except Conflict:
                continue
        raise GameError("the team's journal kept changing under us; try again")

    # -- the game's rules on top of the engine's -------------------------------------------------

    def phase(self) -> str:
        return self.clock.phase()

    def check_time(self) -> None:
        self._sync_if_stale()
        if self._lenient:
            return
        if self.phase() == "waiting":
            raise GameError("the game has not started yet: read the briefing; the facilitator starts the clock")

    def check_open(self) -> None:
        self.check_time()
        if self.phase() == "over":
            raise AttemptOver("the game is over; 'score' shows your team's card")
        if self.attempt.over:
            raise AttemptOver(f"your team's attempt is over ({self.attempt.outcome}); 'score' shows the card")

    # Journal actions: the engine's own, retried on a fresh read when another member got there first.
    def add_hypothesis(self, *args, **kwargs):
        return self._retry(lambda: Session.add_hypothesis(self, *args, **kwargs))

    def update_hypothesis(self, *args, **kwargs):
        return self._retry(lambda: Session.update_hypothesis(self, *args, **kwargs))

    def pin(self, *args, **kwargs):
        return self._retry(lambda: Session.pin(self, *args, **kwargs))

    def unpin(self, *args, **kwargs):
        return self._retry(lambda: Session.unpin(self, *args, **kwargs))

    def diagnose(self, *args, **kwargs):
        def once():
            # A correct diagnosis ends with its card. Its append was guarded (refused had the
            # journal moved since our read) and brought back everything up to it: the card needs
            # no second read.
            self._card_fresh = True
            try:
                return Session.diagnose(self, *args, **kwargs)
            finally:
                self._card_fresh = False

        return self._retry(once)

    def give_up(self):
        return self._retry(lambda: Session.give_up(self))

    @property
    def number(self) -> int:
        return 1  # a team plays its game once (the solo count reads the attempts table, not games)

    def _facilitators_clock(self) -> NoReturn:
        raise ClockError("in a game day the facilitator runs the clock")

    def pause(self) -> NoReturn:
        self._facilitators_clock()

    def resume_clock(self) -> NoReturn:
        self._facilitators_clock()

    def set_speed(self, speed: float) -> NoReturn:
        self._facilitators_clock()

    def advance(self, seconds: float) -> NoReturn:
        self._facilitators_clock()

    def action_refusal(self) -> str | None:
        # Every team plays one incident on one clock (DESIGN.md, Game days), and its members share
        # one set of signals: a change by one member would fork the team's incident from the
        # game's and from teammates' screens, and the report's true timeline would no longer be
        # what the team saw.
        return "in a game day every team plays the same incident: changing the system is for practice and challenges"

    def act(self, kind: str, service: str, params: dict | None = None) -> NoReturn:
        raise GameError(self.action_refusal() or "")

    def hint(self) -> NoReturn:
        raise GameError("in a game day the facilitator releases hints; 'game' shows the ones your team has")

    def score(self):
        self._lenient = True
        try:
            if not self._card_fresh:
                self.sync()
            from dojo.engine.scoring import score

            over = self.attempt.over or self.phase() == "over"
            return score(self._events, live=not over, elapsed_s=None if self.attempt.solved else self.clock.wall())
        finally:
            self._lenient = False

    def status(self):
        self._lenient = True
        try:
            return Session.status(self)
        finally:
            self._lenient = False

    def team_status(self) -> dict:
        return {**self.status().to_dict(), **self.game(sync=False)}

    @property
    def members(self) -> list[str]:
        return list(self.presence.members)

    def heartbeat(self) -> bool:
        """Say this member is still here, if nothing else this client wrote has said so for
        HEARTBEAT_S (see presence.py). The write brings back the news like any other; True if made.
        Not after the game: nobody is watching the members any more."""
        if time.monotonic() - self._wrote < HEARTBEAT_S or self.phase() == "over":
            return False
        self.record(HEARTBEAT, {})
        return True

    def game(self, sync: bool = True) -> dict:
        """Where the game stands for this member. With `sync`, a poll: it reads what is new (or,
        when the member's client has been quiet, writes a heartbeat, which reads it too)."""
        if sync and not self.heartbeat():
            self.sync_if_news()
        state, now = self.clock.state, self.clock.server()
        left = state.left_s(now)
        injects = due(self.scheduled, state.running_s(now)) + list(self.injects)
        ended = state.over_at(now)
        seen = now if ended is None else min(now, ended)  # as in GameView.to_dict
        return {
            "game": self.game_id, "team": self.team_name, "member": self.member, "phase": state.phase(now),
            "running_s": round(state.running_s(now), 3), "left_s": None if left is None else round(left, 3),
            "members": self.members, "online": self.presence.online(seen), "away": self.presence.away(seen),
            "injects": injects, "hints": list(self.hints_received),
        }  # fmt: skip

    def team_journal(self) -> dict:
        """The shared journal, each hypothesis and pin marked with the member who wrote it."""
        self.sync()
        out = self.journal.to_dict()
        for h in out["hypotheses"]:
            h["by"] = self.authors.get(h["id"], "")
        for p in out["pins"]:
            p["by"] = self.pin_authors.get((p.get("item"), p.get("hypothesis")), "")
        return out

    def wait(self, seconds: float, until: str = "news") -> dict:
        """Block until something new happens (or the game starts, with until='start')."""
        deadline = time.monotonic() + seconds
        while True:
            if until == "start" and self.phase() != "waiting":
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            before = self.cursor
            news = self.gstore.wait(self.game_id, self.cursor, min(left, 1.0), (GAME_LEVEL, self.team_number))
            if not self.heartbeat():  # a client waiting for news is still here
                self.sync()
            if until == "news" and news and self.cursor > before:
                break
        return self.game(sync=False)

    def close(self, reason: str = "quit") -> None:
        try:
            self.record("left", {"reason": reason})
        except (Unavailable, Exception):
            pass  # every action was committed when it was made; a missing 'left' loses nothing
