"""The log pane's filter and columns. Which rows match is the engine's to say (Signals.log_rows,
the same code `Session.logs` runs): the pane holds what the learner typed as a LogFilter, asks the
engine through a Matcher, and keeps only the columns it paints and pages with.

A Matcher runs on the pane's worker thread. In the app it hands the call to the engine thread and
waits there (never on the UI thread); without a session (a benchmark, a widget test) it calls an
engine Signals directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dojo.engine.textsearch import re2_literal
from dojo.scenario.vocabulary import LEVELS
from dojo.telemetry.arrays import numpy_of

LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}

# (filter, first row, end row) -> the matching rows in [first, end), ascending.
Matcher = Callable[["LogFilter", int, int], np.ndarray]


class FilterError(ValueError):
    """The filter cannot run (a regex that does not compile); the message says why."""


@dataclass(frozen=True)
class LogFilter:
    text: str = ""
    regex: bool = False
    service: str | None = None
    level: str | None = None  # the least severe level shown: WARN shows WARN and ERROR

    @property
    def is_empty(self) -> bool:
        return not self.text and self.service is None and self.level is None

    @property
    def ignore_case(self) -> bool:
        # Smart case, as in ripgrep and less: an upper-case letter asks for an exact match.
        return self.text == self.text.lower()

    @property
    def pattern(self) -> str:
        """The text as an RE2 pattern (a plain substring escaped), for marking matches."""
        return self.text if self.regex else re2_literal(self.text)

    def query_args(self) -> dict:
        """The filter as the engine's LogQuery arguments (`Session.logs(**args)`), so what the
        pane shows and what a committed filter records are one query."""
        args: dict = {}
        if self.text:
            args["regex" if self.regex else "contains"] = self.text
            args["ignore_case"] = self.ignore_case
        if self.service is not None:
            args["service"] = self.service
        if self.level is not None:
            args["level"] = [name for name in LEVELS if LEVEL_RANK[name] >= LEVEL_RANK[self.level]]
        return args

    def describe(self) -> str:
        parts = []
        if self.text:
            parts.append(f"/{self.text}/" if self.regex else repr(self.text))
        if self.service:
            parts.append(f"service={self.service}")
        if self.level:
            parts.append(f"level>={self.level}")
        return " ".join(parts) or "no filter"


def _query(flt: LogFilter) -> Any:
    # The engine's query model (pydantic, and the engine's API with the store's) is imported
    # when a filter is first matched, not with the pane: the log pane paints before they load.
    from pydantic import ValidationError

    from dojo.engine.api import LogQuery

    try:
        return LogQuery(**flt.query_args())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FilterError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def signals_matcher(signals: Any) -> Matcher:
    """Match on an engine `Signals` directly, on the calling thread: for a pane with no session."""

    from dojo.engine.errors import EngineError

    def match(flt: LogFilter, lo: int, hi: int) -> np.ndarray:
        try:
            return np.asarray(signals.log_rows(_query(flt), lo, hi), dtype=np.int64)
        except EngineError as exc:
            raise FilterError(str(exc)) from None

    return match


def engine_matcher(submit: Callable[..., Future], signals: Any) -> Matcher:
    """Match on the engine thread (`submit` is EngineThread.submit): the pane's worker waits for
    the answer, the UI thread never does. Only the newest filter is matched: one typed letter by
    letter queues a call per letter, and those the learner has typed past are skipped when their
    turn comes, so the engine thread never works through a backlog of stale filters."""
    direct = signals_matcher(signals)
    latest: list[LogFilter | None] = [None]

    def newest_only(flt: LogFilter, lo: int, hi: int) -> np.ndarray:
        if flt != latest[0]:
            return np.zeros(0, dtype=np.int64)  # stale: its worker was cancelled and drops it
        return direct(flt, lo, hi)

    def match(flt: LogFilter, lo: int, hi: int) -> np.ndarray:
        latest[0] = flt
        return submit(newest_only, flt, lo, hi).result()

    return match


DEFERRED_WAIT_S = 60.0


class DeferredMatcher:
    """The engine's Matcher before the engine has loaded: a filter typed meanwhile waits for it on
    the pane's worker thread (the log pane paints before the attempt is open), then runs."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._matcher: Matcher | None = None

    @property
    def ready(self) -> bool:
        return self._matcher is not None

    def set(self, matcher: Matcher) -> None:
        self._matcher = matcher
        self._ready.set()

    def close(self) -> None:
        """The pane is gone: a filter still waiting gives up."""
        self._ready.set()

    def __call__(self, flt: LogFilter, lo: int, hi: int) -> np.ndarray:
        # Bounded: a worker thread left waiting would keep the process from exiting.
        self._ready.wait(DEFERRED_WAIT_S)
        if self._matcher is None:
            raise FilterError("the incident is not open yet; type the filter again in a moment")
        return self._matcher(flt, lo, hi)


@dataclass
class LogColumns:
    """The numpy views of a log table that paging and painting need, built once per table."""

    table: pa.Table
    known_widths: tuple[int, int, int] | None = None  # field_widths, if known (a briefing card's)

    @property
    def widths(self) -> tuple[int, int, int]:
        if self.known_widths is None:
            self.known_widths = field_widths(self.table)
        return self.known_widths

    def __post_init__(self) -> None:
        logs = self.table
        self.t = numpy_of(logs.column("t"))
        self.ids = numpy_of(logs.column("id"))
        self.message = logs.column("message")
        # The dictionaries' codes as they are stored (no copy of a million rows before the
        # first paint); a page reads the rows it shows (`service_codes`, `level_ranks`).
        self.services, self._service_code = _codes(logs.column("service"))
        levels, self._level_code = _codes(logs.column("level"))
        self._rank_of_code = np.array([LEVEL_RANK.get(name, 0) for name in levels] or [0], dtype=np.int8)

    def service_codes(self, rows: np.ndarray) -> np.ndarray:
        """Each row's index into `services`."""
        return self._service_code[rows]

    def level_ranks(self, rows: np.ndarray) -> np.ndarray:
        """Each row's level as its rank in LEVELS (0 DEBUG .. 3 ERROR)."""
        return self._rank_of_code[self._level_code[rows]]

    def __len__(self) -> int:
        return len(self.t)

    def visible(self, now: float) -> int:
        """How many rows have happened by `now` (rows are sorted by t)."""
        return int(np.searchsorted(self.t, now, side="right"))


def field_widths(logs: pa.Table) -> tuple[int, int, int]:
    """The widest service, host and message of a log table, in bytes (an upper bound of their
    width: a UTF-8 character is at least a byte), read from the dictionaries and the messages'
    offsets alone: counting characters reads every message (all 80 MB of a mapped million-line
    incident). The offsets are 4 MB of it still, read from disk on a cold start: a briefing card
    keeps these three numbers."""
    if logs.num_rows == 0:
        return 0, 0, 0
    service, host = (
        int(pc.max(pc.binary_length(_one_chunk(logs.column(name)).dictionary)).as_py() or 0)
        for name in ("service", "host")
    )
    message = int(pc.max(pc.binary_length(logs.column("message"))).as_py() or 0)
    return service, host, message


def _one_chunk(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one array: its only chunk as it is (no copy: a million mapped rows are not
    read before the first paint), else the chunks combined."""
    if not isinstance(column, pa.ChunkedArray):
        return column
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _codes(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    arr = _one_chunk(column)
    if pa.types.is_dictionary(arr.type):
        return arr.dictionary.to_pylist(), numpy_of(arr.indices)
    encoded = pc.dictionary_encode(arr)
    return encoded.dictionary.to_pylist(), numpy_of(encoded.indices)
