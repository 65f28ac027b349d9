"""What a game looks like at one instant: the clock, and each team's progress, folded from the
events. Pure: the console, `gameday status`, the projector and the report all read this one
fold, so they cannot disagree about what happened."""

from __future__ import annotations

from dataclasses import dataclass, field

from dojo.engine import events as ev
from dojo.engine.attempt import Attempt
from dojo.engine.scoring import score
from dojo.store.games import GAME_LEVEL, GameEvent, TeamRow
from dojo.store.model import Event

from .clock import GameClockState, due
from .presence import HEARTBEAT, PRESENCE_KINDS, Presence

# The projector's words: where a team is, never how well it is doing against the others.
PROGRESS = {
    "waiting": "getting ready",
    "exploring": "exploring the signals",
    "hypothesising": "forming hypotheses",
    "evidence": "building the case",
    "solved": "solved",
    "over": "debrief next",
}


def engine_event(g: GameEvent) -> Event:
    from datetime import datetime, timezone

    at = datetime.fromtimestamp(g.server_t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Event(kind=g.kind, wall_s=g.wall_s, scenario_t=g.scenario_t, data=g.data, at=at, seq=g.seq)


@dataclass
class TeamView:
    number: int
    name: str
    events: list[GameEvent] = field(default_factory=list)  # the team's stream, heartbeats left out
    presence: Presence = field(default_factory=Presence)
    queries: int = 0
    attempt: Attempt | None = None
    scored: list[Event] = field(default_factory=list)  # what the score reads: everything but queries

    @property
    def members(self) -> list[str]:
        return self.presence.members

    @property
    def hypotheses(self) -> int:
        return len(self.attempt.journal.hypotheses) if self.attempt else 0

    @property
    def pins(self) -> int:
        return len(self.attempt.journal.pins) if self.attempt else 0

    @property
    def hints(self) -> int:
        return self.attempt.hints_used if self.attempt else 0

    @property
    def wrong(self) -> int:
        return self.attempt.wrong_diagnoses if self.attempt else 0

    @property
    def solved(self) -> bool:
        return bool(self.attempt and self.attempt.solved is not None)

    @property
    def ttcd_s(self) -> float | None:
        return round(self.attempt.solved.wall_s, 3) if self.attempt and self.attempt.solved else None

    def card(self, live: bool, elapsed_s: float):
        # Queries are most of a game's events and never change a score: the console refreshes
        # every second, so the card reads only the rest.
        return score(self.scored, live=live, elapsed_s=None if self.solved else elapsed_s)

    def progress(self, phase: str) -> str:
        if self.solved:
            return PROGRESS["solved"]
        if phase == "waiting":
            return PROGRESS["waiting"]
        if phase == "over":
            return PROGRESS["over"]
        if self.pins:
            return PROGRESS["evidence"]
        if self.hypotheses:
            return PROGRESS["hypothesising"]
        return PROGRESS["exploring"]


@dataclass
class GameView:
    game_id: str
    scenario_id: str
    title: str
    settings: dict
    clock: GameClockState
    teams: dict[int, TeamView]
    game_events: list[GameEvent]
    cursor: int = 0  # newest event id folded
    ranking: bool = False
    injects: list[GameEvent] = field(default_factory=list)

    @classmethod
    def empty(cls, game, team_rows: list[TeamRow]) -> "GameView":
        return cls(
            game.id, game.scenario_id, game.title, game.settings, GameClockState.from_created(game.settings),
            {t.number: TeamView(t.number, t.name) for t in team_rows}, [],
        )  # fmt: skip

    def fold(self, new: list[GameEvent]) -> None:
        for g in new:
            self.cursor = max(self.cursor, g.id)
            if g.stream == GAME_LEVEL:
                self.game_events.append(g)
                self.clock.apply(g.kind, g.server_t, g.data)
                if g.kind == "ranking":
                    self.ranking = bool(g.data.get("on"))
                elif g.kind == "inject":
                    self.injects.append(g)
                continue
            team = self.teams.get(g.stream)
            if team is None:
                continue
            team.presence.see(g.kind, g.actor, g.server_t)
            if g.kind == HEARTBEAT:
                continue  # a sign of life, nothing more: never part of the team's story or score
            if g.kind not in PRESENCE_KINDS and self.clock.after_end(g.server_t):
                continue  # written by a client that had not heard of the end yet: too late to count
            team.events.append(g)
            if g.kind == ev.STARTED:
                team.attempt = Attempt.from_events([engine_event(g)])
                team.scored.append(engine_event(g))
                continue
            if g.kind != ev.QUERY:
                team.scored.append(engine_event(g))
            if g.kind == ev.QUERY:
                team.queries += 1
            elif g.kind == "inject":
                self.injects.append(g)
            if team.attempt is not None and g.kind != ev.QUERY:
                team.attempt.apply(team.scored[-1])

    def phase(self, now: float) -> str:
        return self.clock.phase(now)

    def to_dict(self, now: float, *, ranking: bool | None = None, seen_at: float | None = None) -> dict:
        """The status every script sees (`dojo gameday status --json`). `seen_at`: judge presence
        at that server time instead (the last read, while the database is out of reach: nobody
        can be seen then, which says nothing about who is there)."""
        phase = self.phase(now)
        seen = now if seen_at is None else seen_at
        # After the end clients stop their heartbeats: who was there is judged as the game ended.
        ended = self.clock.over_at(now)
        seen = seen if ended is None else min(seen, ended)
        running = self.clock.running_s(now)
        show_rank = self.ranking if ranking is None else ranking
        teams = []
        for t in self.teams.values():
            card = t.card(live=phase != "over", elapsed_s=running)
            teams.append(
                {
                    "team": t.name, "number": t.number, "members": list(t.members),
                    "online": t.presence.online(seen), "away": t.presence.away(seen),
                    "queries": t.queries, "hypotheses": t.hypotheses, "pins": t.pins, "hints": t.hints,
                    "wrong_diagnoses": t.wrong, "solved": t.solved, "ttcd_s": t.ttcd_s, "points": card.points,
                    "progress": t.progress(phase),
                }
            )  # fmt: skip
        out = {
            "game": self.game_id,
            "scenario": self.scenario_id,
            "title": self.title,
            "phase": phase,
            "running_s": round(running, 3),
            "scenario_t": round(self.clock.scenario_t(now), 3),
            "time_limit_s": self.clock.limit,
            "left_s": None if (left := self.clock.left_s(now)) is None else round(left, 3),
            "speed": self.clock.speed,
            "ranking": self.ranking,
            "injects": [{"text": x["text"], "team": None, "at_s": x["at_s"]}
                        for x in due(self.settings.get("scheduled", []), running)]
                       + [{"text": g.data.get("text", ""), "team": g.data.get("team"), "at_s": g.wall_s}
                          for g in self.injects],
            "teams": teams,
        }  # fmt: skip
        if show_rank:
            out["rank"] = [t["team"] for t in sorted(teams, key=lambda t: (-t["points"], t["ttcd_s"] or 1e18))]
        return out
