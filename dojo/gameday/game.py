"""Creating a game and running it: everything a facilitator does, checked against the key by
the store on every call. The console and the `dojo gameday` commands are thin layers on this."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dojo.engine import events as ev
from dojo.engine.clock import check_speed, page_time
from dojo.engine.rules import Rules, digest
from dojo.scenario.model import Scenario
from dojo.store.games import GAME_LEVEL, Conflict, GameStore, Unavailable

from . import codes
from .clock import ServerTime
from .errors import GameError
from .team import GUARD_KINDS
from .view import GameView

MAX_TEAMS = 200
RETRIES = 20


@dataclass(frozen=True)
class CreatedGame:
    game_id: str
    key: str
    teams: list[tuple[str, str]]  # (name, join code)
    scenario_id: str
    title: str

    def to_dict(self) -> dict:
        return {
            "game": self.game_id, "key": self.key, "scenario": self.scenario_id, "title": self.title,
            "teams": [{"team": n, "code": c} for n, c in self.teams],
        }  # fmt: skip


def create_game(
    store: GameStore,
    scenario: Scenario,
    source: str,
    team_names: list[str],
    *,
    speed: float = 1.0,
    time_limit: float | None = None,
    seed: int | None = None,
    telemetry=None,
    scheduled: list[tuple[float, str]] | None = None,
) -> CreatedGame:
    """A new game: one stream for the clock and one per team, each team's opened with the same
    `started` event a solo attempt has (so scoring and the journal work unchanged)."""
    names = [n.strip() for n in team_names]
    if not names:
        raise GameError("a game needs at least one --team NAME")
    if any(not n or len(n) > 60 for n in names):
        raise GameError("a team name is 1 to 60 characters")
    if len({n.lower() for n in names}) != len(names):
        raise GameError("team names must differ")
    if len(names) > MAX_TEAMS:
        raise GameError(f"at most {MAX_TEAMS} teams in one game")
    if time_limit is not None and not time_limit > 0:
        raise GameError("a time limit is a positive duration like 60m")
    game_files = imported_files(scenario)
    check_speed(speed)
    plan = []
    for at_s, text in scheduled or []:
        if not at_s >= 0 or not 0 < len(text.strip()) <= 1000:
            raise GameError("a scheduled inject is a game time and 1 to 1000 characters: --inject '10m=Support: ...'")
        plan.append({"at_s": float(at_s), "text": text.strip()})
    if telemetry is None:
        from dojo.telemetry.cache import synthesize_cached as synthesize

        telemetry = synthesize(scenario, seed=seed)
    start_t = page_time(scenario, telemetry.events)
    # The scenario's own injects are written in scenario time; the game releases them by its
    # running clock, which starts at the page and runs at `speed`.
    plan += [{"at_s": max(0.0, (x.at - start_t) / speed), "text": x.text.strip()} for x in scenario.injects]
    settings = {
        "scenario_id": scenario.id, "title": scenario.title, "digest": digest(scenario), "seed": telemetry.seed,
        "speed": float(speed), "start_t": start_t, "end_t": float(scenario.duration), "time_limit": time_limit,
        "source": source, "teams": names, "scheduled": plan,
        "files": {rel: hashlib.sha256(body).hexdigest() for rel, body in game_files.items()},
    }  # fmt: skip
    team_first = {
        "rules": Rules.from_scenario(scenario).dump(), "scenario_id": scenario.id, "title": scenario.title,
        "digest": digest(scenario), "seed": telemetry.seed, "speed": float(speed), "mode": "challenge",
        "clock": "game", "start_t": start_t, "time_limit": None,
    }  # fmt: skip
    key = codes.facilitator_key()
    pairs = [(n, codes.join_code()) for n in names]
    gid = codes.game_id()
    created = {k: v for k, v in settings.items() if k != "source"}
    store.create_game(
        gid, scenario.id, scenario.title, key, settings, pairs, created, [team_first] * len(names), game_files
    )
    return CreatedGame(gid, key, pairs, scenario.id, scenario.title)


def imported_files(scenario: Scenario) -> dict[str, bytes]:
    """The scenario's imported signal files (path in the scenario -> bytes): the game keeps them,
    so teams on other machines replay the very same signals without the files."""
    if scenario.imports is None:
        return {}
    from dojo.scenario.loader import import_problem

    base = scenario.base_dir or Path(".")
    out = {}
    for rel in scenario.imports.files().values():
        problem = import_problem(base, rel)
        if problem is not None:
            raise GameError(f"{base / rel}: {problem}")
        out[rel] = (base / rel).read_bytes()
    return out


class Facilitator:
    """One facilitator's handle on a game. Every command re-reads the game, checks it makes sense
    now, and appends with the stream position it saw: two consoles at once are ordered by the
    database, and the second gets a clear answer instead of a double pause."""

    def __init__(self, store: GameStore, game_id: str, key: str):
        self.store = store
        self.game_id = game_id.strip()
        self.key = key.strip()
        self.view: GameView | None = None
        self.server_now = 0.0
        self.server: ServerTime | None = None  # the server's clock carried on between reads
        self.lost_at: float | None = None  # server time (as carried on) when the database went away
        self.refresh()  # checks the key

    def refresh(self) -> GameView:
        if self.view is None:
            game, rows, evs, now = self.store.facilitator_view(self.game_id, self.key, 0)
            self.view = GameView.empty(game, rows)
        else:
            _, _, evs, now = self.store.facilitator_view(self.game_id, self.key, self.view.cursor)
        self.view.fold(evs)
        self.server_now = now
        if self.server is None:
            self.server = ServerTime(now)
        else:
            self.server.sync(now)
        self.lost_at = None
        return self.view

    def status(self) -> dict:
        view = self.refresh()
        return view.to_dict(self.server_now)

    def live_status(self) -> dict:
        """`status`, or while the database cannot be reached the last state read, at the server
        time carried on from the last read (so a running clock keeps running and a paused one
        stays paused), marked `"connection": "reconnecting"` with the server time it was lost
        at. The next read that succeeds resyncs the clock and folds in whatever happened meanwhile."""
        try:
            return {**self.status(), "connection": "live"}
        except Unavailable as exc:
            if self.view is None or self.server is None:
                raise
            now = self.server()
            if self.lost_at is None:
                self.lost_at = now
            out = self.view.to_dict(now, seen_at=self.server_now)
            out.update(connection="reconnecting", lost_at=round(self.lost_at, 3), error=str(exc))
            return out

    def _game_seq(self) -> int:
        return max((g.seq for g in self.view.game_events), default=0)  # type: ignore[union-attr]

    def _command(self, kind: str, data: dict, allowed: tuple[str, ...], what: str) -> dict:
        for _ in range(RETRIES):
            view = self.refresh()
            phase = view.phase(self.server_now)
            if phase not in allowed:
                raise GameError(f"cannot {what}: the game is {phase}")
            try:
                self.store.facilitator_append(
                    self.game_id, self.key, kind, data, expect=self._game_seq(),
                    wall_s=view.clock.running_s(self.server_now), scenario_t=view.clock.scenario_t(self.server_now),
                )  # fmt: skip
            except Conflict:
                continue
            return self.status()
        raise GameError(f"cannot {what}: the game kept changing under us; try again")

    def start(self) -> dict:
        return self._command("started", {}, ("waiting",), "start")

    def pause(self) -> dict:
        return self._command("paused", {}, ("running",), "pause")

    def resume(self) -> dict:
        return self._command("resumed", {}, ("paused",), "resume")

    def end(self) -> dict:
        return self._command("ended", {}, ("waiting", "running", "paused"), "end")

    def extend(self, seconds: float) -> dict:
        if not seconds > 0:
            raise GameError("extend by a positive duration like 10m")
        if self.refresh().clock.time_limit is None:
            raise GameError("this game has no time limit to extend")
        return self._command("extended", {"seconds": float(seconds)}, ("waiting", "running", "paused"), "extend")

    def ranking(self, on: bool) -> dict:
        return self._command("ranking", {"on": bool(on)}, ("waiting", "running", "paused", "over"), "switch ranking")

    def _team(self, name: str) -> int:
        view = self.refresh()
        for t in view.teams.values():
            if t.name.lower() == name.strip().lower():
                return t.number
        raise GameError(f"no team {name!r} in this game; teams: {', '.join(t.name for t in view.teams.values())}")

    def inject(self, text: str, team: str | None = None) -> dict:
        """A message to every team (or one): "Support: EU customers report failed checkouts"."""
        text = text.strip()
        if not text or len(text) > 1000:
            raise GameError("an inject is 1 to 1000 characters of text")
        if team is None:
            return self._command("inject", {"text": text, "team": None}, ("waiting", "running", "paused"), "inject")
        number = self._team(team)
        for _ in range(RETRIES):
            view = self.refresh()
            if view.phase(self.server_now) == "over":
                raise GameError("cannot inject: the game is over")
            t = view.teams[number]
            try:
                self.store.facilitator_append(
                    self.game_id, self.key, "inject", {"text": text, "team": t.name}, stream=number,
                    wall_s=view.clock.running_s(self.server_now),
                    scenario_t=view.clock.scenario_t(self.server_now),
                )  # fmt: skip
            except Conflict:
                continue
            return self.status()
        raise GameError("cannot inject: the team kept changing under us; try again")

    def hint(self, team: str | None = None) -> dict:
        """Release each chosen team's next hint (at the scenario's cost to its score). Teams that
        have solved or have no hints left are skipped; the reply says who got what."""
        view = self.refresh()
        if view.phase(self.server_now) not in ("running", "paused"):
            raise GameError(f"cannot release a hint: the game is {view.phase(self.server_now)}")
        numbers = [self._team(team)] if team is not None else list(view.teams)
        released = []
        for number in numbers:
            got = self._hint_one(number)
            if got is not None:
                released.append(got)
        if team is not None and not released:
            raise GameError(f"team {team!r} has solved or has no hints left")
        out = self.status()
        out["released"] = released
        return out

    def _hint_one(self, number: int) -> dict | None:
        for _ in range(RETRIES):
            view = self.refresh()
            t = view.teams[number]
            if t.solved or t.attempt is None or t.hints >= len(t.attempt.rules.hint_costs):
                return None
            index = t.hints
            try:
                self.store.facilitator_append(
                    self.game_id, self.key, ev.HINT,
                    {"index": index, "cost": t.attempt.rules.hint_costs[index], "by": "facilitator"},
                    stream=number, expect=max(e.seq for e in t.events if e.kind in GUARD_KINDS), guard=GUARD_KINDS,
                    wall_s=view.clock.running_s(self.server_now), scenario_t=view.clock.scenario_t(self.server_now),
                )  # fmt: skip
            except Conflict:
                continue
            return {"team": t.name, "hint": index + 1}
        raise GameError("cannot release a hint: the team kept changing under us; try again")


__all__ = ["CreatedGame", "Facilitator", "GAME_LEVEL", "create_game"]
