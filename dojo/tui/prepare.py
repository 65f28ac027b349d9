"""Opening an attempt for the TUI: load the scenario, synthesize its incident, start (or resume)
the Session with its clocks held, and gather what the workspace panes are fed.

All of it is slow (the model and its fault library, numpy, pandas, pyarrow and faker are imported
here, not at start-up) and runs on the engine thread while the briefing is on screen. Only
`kept_card` runs before the briefing's first paint: it reads the standard library's way.
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


# What opening an attempt imports, a step at a time on the engine thread: each step ends at a
# checkpoint where a paint the learner waits for (EngineThread.hold) goes first. The workspace's
# own modules first: they are all the early workspace needs (numpy, pyarrow, its widgets).
OPEN_IMPORTS = (
    "dojo.tui.screens.workspace",
    "dojo.scenario",
    "dojo.telemetry.cache",
    "pandas",
    "dojo.store",
    "dojo.engine.session",
)


def load(ref) -> Any:
    """A Scenario from a model, a path or a built-in id; ScenarioErrors if it does not load."""
    import dojo.telemetry  # noqa: F401 - lends the loader the fault library (dojo.scenario.hooks)
    from dojo.scenario import Scenario, load_scenario, resolve_scenario

    if isinstance(ref, Scenario):
        return ref
    return load_scenario(ref if isinstance(ref, Path) else resolve_scenario(str(ref)))


def load_or_problem(ref) -> tuple[Any, str | None]:
    """`load`, with a scenario that does not load as the text to show instead (engine thread)."""
    from dojo.scenario import ScenarioErrors

    try:
        return load(ref), None
    except ScenarioErrors as exc:
        return None, "This scenario does not load:\n" + "\n".join(str(e) for e in exc.errors)


def open_or_problem(
    scenario, store, settings: PlaySettings, synthesize=None, progress=None, checkpoint=None
) -> tuple[Any, str | None]:
    """`open_attempt`, with an attempt that cannot open as the text to show instead (engine thread)."""
    from dojo.engine.errors import EngineError
    from dojo.scenario import ScenarioErrors
    from dojo.store import StoreError

    try:
        return open_attempt(scenario, store, settings, synthesize, progress, checkpoint), None
    except (EngineError, StoreError) as exc:
        return None, str(exc)
    except ScenarioErrors as exc:  # over the size budget: refused before anything is drawn
        return None, "This scenario is too big to play:\n" + "\n".join(str(e) for e in exc.errors)


def open_attempt(
    scenario,
    store,
    settings: PlaySettings,
    synthesize: Callable | None = None,
    progress: Callable[[str, float], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> tuple[Any, Feeds]:
    """The Session (clocks held: `release` starts them) and its Feeds. `synthesize(scenario,
    seed=, progress=)` is the telemetry's maker (tests pass a cached one); `progress(phase, fraction)`
    hears how synthesis is going; `checkpoint()` is called between the steps (EngineThread.checkpoint)."""
    from dojo.engine.session import Session

    step = checkpoint or (lambda: None)

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
        step()
        # A manual clock makes its own source: only 'advance' moves it, so there is nothing to hold.
        session = Session.resume(
            scenario, store, settings.resume, telemetry=tel, time_source=None if manual else HeldTime(time.monotonic)
        )
    else:
        tel = synthesize(scenario, seed=settings.seed, progress=progress)
        step()
        session = Session.start(
            scenario, store, telemetry=tel, seed=settings.seed, speed=settings.speed, mode=settings.mode,
            clock=settings.clock,
            time_source=None if manual else HeldTime(time.monotonic), time_limit=settings.time_limit,
        )  # fmt: skip
    step()
    return session, Feeds.of(session)


def release(session, since: float | None = None) -> None:
    """Start the attempt's clocks (a no-op for a manual clock), counting from `since` (a
    time.monotonic() moment) when the learner was looking at the incident before it opened."""
    source = session.clock.source
    if isinstance(source, HeldTime):
        source.release(since)


def briefing_card(session) -> dict:
    """What the briefing screen shows of an opened attempt, as plain data: `Session.briefing()`,
    the scenario's tags and objectives, and the scoring constants the rules quote."""
    from dojo.engine.scoring import BASE_PER_DIFFICULTY, EVIDENCE_WEIGHT
    from dojo.engine.session import MAX_PINS

    from .data.log_rows import field_widths

    sc = session.scenario
    clock = session.clock
    return {
        "briefing": session.briefing().to_dict(),
        # What the workspace shows before the attempt is open again (early_logs): where the
        # clock starts, where it ends, and the log lines' epoch and sampling.
        "workspace": {
            "now": clock.now(),
            "end": clock.end,
            "start": session.signals.tel.start.isoformat(),
            "log_sample": sc.log_sample,
            "widths": list(field_widths(session.signals.log_table)),
        },
        "tags": list(sc.tags),
        "objectives": list(getattr(sc, "objectives", None) or []),
        "base_per_difficulty": BASE_PER_DIFFICULTY,
        "evidence_weight": EVIDENCE_WEIGHT,
        "max_pins": MAX_PINS,
    }


def kept_card(ref, settings: PlaySettings) -> tuple[dict, Path] | None:
    """The briefing card kept when this scenario was last opened with these settings, if its
    file, the code and its cached incident are unchanged (dojo.telemetry.fastopen), and the
    cache folder of that incident. A resumed attempt has its own page time: it is never shown
    from a card."""
    from dojo.telemetry import cache

    if settings.resume is not None or not cache.enabled():
        return None
    from dojo.telemetry.fastopen import read_kept

    root = cache.cache_dir()
    kept = read_kept(root, ref.file if getattr(ref, "file", None) else ref, settings.seed)
    return None if kept is None else (kept[0], root / kept[1])


LOG_COLUMNS = ("id", "t", "service", "host", "level", "trace_id", "message")  # what the log pane reads


@dataclass(frozen=True)
class EarlyLogs:
    """The incident's log lines as the workspace shows them before the attempt is open: the
    cached table mapped with pyarrow alone, at the clock's first moment."""

    logs: Any  # pa.Table: the very table the Session maps next (cache.premap)
    start: datetime
    now: float
    end: float
    sample: float | None
    title: str
    widths: tuple[int, int, int] | None = None  # the log fields' widest (data.log_rows.field_widths)


def early_logs(card: dict, entry: Path) -> EarlyLogs | None:
    """The logs of a kept card's cached incident (`entry`: kept_card's folder), mapped on the
    UI thread with pyarrow and numpy only; None when the card is older than this or the entry
    is not whole (the workspace then waits for the attempt, as before)."""
    from dojo.telemetry.cache import premap_logs

    ws = card.get("workspace")
    if not isinstance(ws, dict):
        return None
    try:
        logs = premap_logs(entry)
        if logs is None or not set(LOG_COLUMNS) <= set(logs.column_names):
            return None
        title = str(card["briefing"]["title"])
        sample = ws.get("log_sample")
        widths = ws.get("widths")
        return EarlyLogs(
            logs=logs, start=datetime.fromisoformat(ws["start"]), now=float(ws["now"]), end=float(ws["end"]),
            sample=None if sample is None else float(sample), title=title,
            widths=(int(widths[0]), int(widths[1]), int(widths[2])) if isinstance(widths, list) else None,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


def card_source(ref, settings: PlaySettings) -> str | None:
    """Where a card for `ref` will be kept, taken before the scenario is loaded (engine thread)."""
    from dojo.telemetry import cache

    if settings.resume is not None or not cache.enabled():
        return None
    from dojo.telemetry.fastopen import card_source as source

    return source(ref.file if hasattr(ref, "file") and ref.file else ref, settings.seed)


def keep_card(source: str, settings: PlaySettings, scenario, card: dict) -> None:
    """Keep `card` under `source` (card_source) for the next open (engine thread; best effort)."""
    from dojo.telemetry import cache
    from dojo.telemetry.fastopen import write_card

    key = cache.cache_key(scenario, settings.seed)
    if not (cache.cache_dir() / key / "meta.json").is_file():
        return  # not cached (over the limit, an unwritable folder): no card for what is not kept
    imports = scenario.imports.files() if scenario.imports is not None else {}
    base = scenario.base_dir or Path(".")
    write_card(cache.cache_dir(), source, key, card, {k: base / v for k, v in imports.items()})
