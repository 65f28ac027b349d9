"""The guesser: random (service, fault kind) pairs from the briefing until one is right.

It looks at nothing but the briefing (and the list of changes, where a diagnosis must name the
trigger) and pins nothing, so it earns no evidence credit and pays the wrong-diagnosis penalty
for every miss. The fairness test needs it to lose to the reasoner:
a scenario where guessing pays as well as reasoning teaches guessing.
"""

from __future__ import annotations

import random

from dojo.engine.session import Session

from .play import Guess, Play

CAP = 20  # guesses before it stops (the attempt then stays unsolved: 0 points)


def play_guesser(session: Session, seed: int, cap: int = CAP) -> Play:
    brief = session.briefing()
    services = [s.name for s in brief.services]
    pairs = [(s, f) for s in services for f in sorted(brief.faults)]
    rng = random.Random(seed)
    rng.shuffle(pairs)  # without repeats: even a guesser remembers a "wrong"
    # Where the scenario wants the triggering change named too, any change will do for a guess.
    changes = [e.id for e in session.events_list(kind="changes").events] if brief.require_trigger else []
    guesses = []
    for service, fault in pairs[:cap]:
        trigger = rng.choice(changes) if changes else None
        verdict = session.diagnose(service, fault, "a guess", trigger=trigger)
        guesses.append(Guess(service, fault, verdict.correct, verdict.message))
        if verdict.correct:
            break
    # The id as a client reads it: `.scenario` is kept off limits to players (tests/fairness).
    return Play("guesser", brief.to_dict()["scenario"], session.attempt.settings.seed, session.score(), guesses)
