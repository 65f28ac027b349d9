"""Who is here: a member is online while their client is seen, away when it has gone quiet.

A client that dies without a word (kill -9, a laptop lid, a dropped network) never writes `left`,
so presence cannot be "joined and not left". Every event a member writes is a sign of life (a
query a second while they investigate), and a client with nothing else to write sends a
`heartbeat` event once it has been quiet for HEARTBEAT_S: an active member costs nothing extra,
an idle one one small write every few seconds. A member whose newest event is more than AWAY_S
old by the database server's clock is away; any event (a rejoin, a query) makes them online again.
Judged by the server's time only, so every screen and `gameday status` agree.

    online  joined, not left, seen within AWAY_S
    away    joined, not left, unseen for longer (crashed, frozen or cut off)
    offline left (quit the client)
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEARTBEAT = "heartbeat"
HEARTBEAT_S = 5.0  # a quiet client writes a heartbeat this often
AWAY_S = 15.0  # three heartbeats missed, and then some: a slow poll is not a crash

JOINED = "joined"
LEFT = "left"
PRESENCE_KINDS = frozenset({JOINED, LEFT, HEARTBEAT})  # about who is here, not about the incident


@dataclass
class Presence:
    members: list[str] = field(default_factory=list)  # everyone who ever joined, in order
    here: set[str] = field(default_factory=set)  # joined and not left since
    seen: dict[str, float] = field(default_factory=dict)  # member -> server time of their newest event

    def see(self, kind: str, actor: str, server_t: float) -> None:
        """Fold one event of the team's stream (any kind: a query is a sign of life too)."""
        # Called for every event a console folds (most are queries): dict lookups only.
        last = self.seen.get(actor)  # only members who joined are in `seen`
        if kind == JOINED:
            if last is None:
                self.members.append(actor)
            self.here.add(actor)
        elif last is None:
            return  # the facilitator's hints and injects say nothing about the members
        elif kind == LEFT:
            self.here.discard(actor)
        if last is None or server_t > last:
            self.seen[actor] = server_t

    def state(self, member: str, now: float) -> str:
        if member not in self.here:
            return "offline"
        return "online" if now - self.seen.get(member, now) <= AWAY_S else "away"

    def online(self, now: float) -> list[str]:
        return [m for m in self.members if self.state(m, now) == "online"]

    def away(self, now: float) -> list[str]:
        return [m for m in self.members if self.state(m, now) == "away"]
