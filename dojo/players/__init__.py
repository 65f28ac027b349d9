"""Scripted players: they play a scenario through the Session API, as a learner would.

    from dojo.players.reasoner import play_reasoner
    from dojo.players.guesser import play_guesser

    play = play_reasoner(Session.start(scenario, store, clock="manual"))
    play.solved, play.points, play.report()

The reasoner follows the evidence from the page to a diagnosis; the guesser submits random
(service, fault kind) pairs. The fairness test (tests/fairness, docs/fairness.md) plays both on
every scenario: reasoning must solve it and must pay better than guessing.

Modules, one job each: signatures (what each fault kind looks like, from the fault library),
series (when a metric left its normal range), observe (the queries: what is visible now),
suspects (who the evidence names, the trail down the call graph, the ranking), reasoner (the
investigation, the case and the diagnosis), guesser, play (the result of one attempt), trial
(the reasoner against the guesser on one scenario: is it fair?).
No module here imports textual, reads the answer key, the timeline or the telemetry behind the
API (tests/fairness/test_fairness.py checks the source).
"""
