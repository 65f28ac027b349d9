"""Opening an attempt for the TUI: load the scenario, synthesize its incident, start (or resume)
the Session with its clocks held, and gather what the workspace panes are fed.

All of it is slow (the model and its fault library, numpy, pandas, pyarrow and faker are imported
here, not at start-up) and runs on the engine thread while the briefing is on screen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from .held_time import HeldTime


@dataclass(frozen=True)
class PlaySettings:
    """How to play: `dojo play` options, or the library's defaults."""

    speed: float = 1.0
    seed: int | None = None
    mode: str = "practice"
    clock: str = "real"  # real | manual (only 'advance' moves time)
    time_limit: float | None = None
    resume: int | None = None  # an attempt to continue instead of starting one


@dataclass
class Feeds:
    """What the workspace panes are fed, taken from the Session's indexed signals (never from a
    Telemetry of the TUI's own), with the metric cube the panes index by built here, off the UI."""

    logs: Any  # pa.Table, sorted by t
    events: Any  # pd.DataFrame: alerts and changes
    cube: Any  # MetricCube
    start: datetime
    duration: float
    services: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    paged_service: str | None = None
    signals: Any = None  # the engine's Signals over `logs`: the log pane filters there (data.log_rows)
    trace_services: list[str] = field(default_factory=list)  # the services some span is from

    @classmethod
    def of(cls, session) -> "Feeds":
        from .data.metric_cube import MetricCube

        sig = session.signals
        sc = session.scenario
        traced = set(sig.spans["service"].unique())
        page = session.briefing().page
        paged = next((a.service for a in sc.alerts if a.name in page), sc.alerts[0].service if sc.alerts else None)
        return cls(
            logs=sig.log_table, events=sig.events, cube=MetricCube(sig.tel.metrics, sig.grid),
            start=sig.tel.start, duration=sig.end, services=list(sc.services), alerts=list(sc.alerts),
            paged_service=paged, signals=sig, trace_services=[s for s in sig.services if s in traced],
        )  # fmt: skip


def load(ref) -> Any:
    """A Scenario from a model, a path or a built-in id; ScenarioErrors if it does not load."""
    import dojo.telemetry  # noqa: F401 - lends the loader the fault library (dojo.scenario.hooks)
    from dojo.scenario import Scenario, load_scenario, resolve_scenario

    if isinstance(ref, Scenario):
        return ref
    return load_scenario(ref if isinstance(ref, Path) else resolve_scenario(str(ref)))


def open_attempt(
    scenario,
    store,
    settings: PlaySettings,
    synthesize: Callable | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[Any, Feeds]:
    """The Session (clocks held: `release` starts them) and its Feeds. `synthesize(scenario,
    seed=, progress=)` is the telemetry's maker (tests pass a cached one); `progress(phase, fraction)`
    hears how synthesis is going."""
    from dojo.engine.session import Session

    if synthesize is None:
        from dojo.telemetry.cache import synthesize_cached

        synthesize = synthesize_cached

    manual = settings.clock == "manual"
    if settings.resume is not None:
        from dojo.engine.attempt import Attempt
        from dojo.engine.readback import check_events

        store.attempt(settings.resume)  # a clear StoreError for a number that is no attempt
        events = store.events(settings.resume)
        if events:
            check_events(settings.resume, events)  # one line (EngineError) rather than a traceback
        att = Attempt.from_events(events) if events else None
        manual = att is not None and att.settings.clock == "manual"
        tel = synthesize(scenario, seed=att.settings.seed if att is not None else None, progress=progress)
        # A manual clock makes its own source: only 'advance' moves it, so there is nothing to hold.
        session = Session.resume(
            scenario, store, settings.resume, telemetry=tel, time_source=None if manual else HeldTime(time.monotonic)
        )
    else:
        tel = synthesize(scenario, seed=settings.seed, progress=progress)
        session = Session.start(
            scenario, store, telemetry=tel, seed=settings.seed, speed=settings.speed, mode=settings.mode,
            clock=settings.clock,
            time_source=None if manual else HeldTime(time.monotonic), time_limit=settings.time_limit,
        )  # fmt: skip
    return session, Feeds.of(session)


def release(session) -> None:
    """Start the attempt's clocks (a no-op for a manual clock)."""
    source = session.clock.source
    if isinstance(source, HeldTime):
        source.release()
