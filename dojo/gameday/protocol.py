"""The headless protocol for a team member (`dojo play --headless --join CODE`): every solo
command, with the game's clock, plus the team's own:

    {"cmd": "game"}                          phase, time left, members online/away, injects, hints released
    {"cmd": "journal"}                       the shared journal, each entry marked "by" its member
    {"cmd": "wait", "seconds": 10, "until": "start"}   block until the game starts (or anything new: "news")
"""

from __future__ import annotations

from typing import Any, Callable, Literal, cast

from pydantic import Field, ValidationError

from dojo.engine.api import Args
from dojo.engine.errors import EngineError
from dojo.engine.protocol import Protocol, describe
from dojo.engine.session import format_validation
from dojo.store import StoreError

from .team import TeamSession


class NoArgs(Args):
    pass


class WaitArgs(Args):
    seconds: float = Field(10.0, gt=0, le=60, allow_inf_nan=False)
    until: Literal["news", "start"] = "news"


TEAM_COMMANDS: dict[str, tuple[type[Args], Callable[[TeamSession, Any], dict], str]] = {
    "status": (NoArgs, lambda s, a: s.team_status(), "Clock, outcome, counts, firing alerts, and the game's phase."),
    "game": (NoArgs, lambda s, a: s.game(), "Phase, time left, members online, injects and hints released."),
    "journal": (NoArgs, lambda s, a: s.team_journal(), "The team's shared journal, each entry marked with its author."),
    "wait": (WaitArgs, lambda s, a: s.wait(a.seconds, a.until), "Block until news (or until the game starts)."),
}


class TeamProtocol(Protocol):
    def __init__(self, session: TeamSession):
        super().__init__(session)

    def handle(self, request):
        if not isinstance(request, dict) or request.get("cmd") not in TEAM_COMMANDS and request.get("cmd") != "help":
            return super().handle(request)
        args = dict(request)
        rid = args.pop("id", None)
        name = args.pop("cmd")
        try:
            if name == "help":
                extra = [{"cmd": n, "help": h, "args": {}} for n, (_, _, h) in TEAM_COMMANDS.items()]
                reply = {"ok": True, "cmd": name, "commands": describe() + extra}
            else:
                model, run, _ = TEAM_COMMANDS[name]
                reply = {"ok": True, "cmd": name, **run(cast(TeamSession, self.session), model.model_validate(args))}
        except ValidationError as exc:
            reply = {"ok": False, "cmd": name, "error": format_validation(exc)}
        except (EngineError, StoreError) as exc:
            reply = {"ok": False, "cmd": name, "error": str(exc)}
        if rid is not None:
            reply["id"] = rid
        return reply
