"""The replay engine: clock, investigation queries, journal, diagnosis and scoring.

Headless and UI-free (never imports textual): the TUI, the headless JSON protocol and game days
are thin shells over one facade, `Session`.

    from dojo.engine import Session
    from dojo.store import Store

    store = Store.open()                                   # $DOJO_HOME/dojo.sqlite3
    s = Session.start(scenario, store, speed=10)           # or Session.resume(scenario, store, attempt_id)
    s.briefing()                                           # Briefing: the page, its graph, runbook; services, faults
    s.status()                                             # Status: clock, visible counts, firing alerts, hints
    s.overview()                                           # Overview: every service now against its baseline
    s.view()                                               # AttemptView: a UI's copy of the attempt
    page = s.logs(contains="retrying", service="checkout") # LogPage: count + newest-first page of LogLine
    s.metrics(service="payments", metric="rps", since=600) # MetricSeries: points + WindowStats (with its pin id)
    s.traces(service="checkout", status="error")           # TracePage of TraceSummary (match = a span pin id)
    s.trace(trace_id)                                      # SpanNode tree
    s.events_list(kind="changes")                          # EventList (ids E<n>)
    h = s.add_hypothesis("checkout retries hammer payments", service="checkout", fault="retry_storm")
    s.pin(page.lines[0].id, hypothesis=h.id)               # L<id>, S<trace>:<span>, M:<svc>:<metric>:<t0>:<t1>, E<n>
    s.update_hypothesis(h.id, status="confirmed")          # open | ruled_out | confirmed
    s.hint()                                               # HintResult: next hint, at its cost
    s.act("restart", "checkout")                           # ActionResult: change the system now (restart, scale,
                                                           # deploy, config_change, feature_flag); only the
                                                           # incident after now is simulated again
    s.diagnose("checkout", "retry_storm", "why ...")       # DiagnosisResult: correct, message, penalty_s or card
    s.score()                                              # ScoreCard (every term); s.give_up()
    s.pause(); s.resume_clock(); s.set_speed(30); s.advance(60)   # practice mode only
    s.close()                                              # session ends; an unfinished attempt stays resumable

Rules every call follows:
- queries see only what has happened by `s.now()` (the replay clock); ids of things that have
  not happened yet do not resolve;
- a refused call raises an `EngineError` subclass (QueryError, NotFound, ClockError,
  AttemptOver) with a one-line message and records nothing; a store failure raises StoreError;
- an accepted action is appended to the store (committed) before it is applied, so the state
  (`s.attempt`, `s.journal`) is always what is on disk, and `score(events)` recomputes the card;
- results are typed dataclasses (`dojo.engine.api`), read by attribute, with `to_dict()` for JSON;
- query methods take keyword arguments or the pydantic query model (`LogQuery`, `MetricQuery`,
  `TraceQuery`, `EventQuery`), and `record=False` to skip the query event (live filtering in a UI).

Modules, one job each: clock (ReplayClock, page_time), ids (pin ids), api (query arguments and
results), queries (Signals: the indexed telemetry and every query), textsearch and literals (fast
text search), journal (hypotheses, pins), rules (the answer key and judging), evidence (pins vs
the answer's selectors), attempt (state folded from events), scoring (the card), session (the
facade), protocol (the headless JSON-lines commands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session

__all__ = ["Session"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `dojo history` (which needs only scoring) does not pay for the query stack.
    if name == "Session":
        from .session import Session

        return Session
    raise AttributeError(name)
