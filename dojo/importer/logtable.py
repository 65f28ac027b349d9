"""The log records of an import, held column-wise in Arrow tables.

Hundreds of thousands of LogRecord objects cost about six times the bytes of the lines they came
from (a 50 MB log took 290 MB); Arrow columns cost about the lines themselves. Readers that build
records one at a time add LogRecords, which are packed into a table every few thousand; the
block-wise text reader adds whole tables. Iterating gives LogRecords back (tests, small files).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from .readers import LogRecord

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
COLUMNS = ("ts", "level", "service", "host", "trace_id", "msg")
SCHEMA = pa.schema(
    [("ts", pa.int64())] + [(name, pa.string()) for name in COLUMNS[1:]]
)  # ts: microseconds since the epoch, UTC
PACK_ROWS = 20_000


def micros(ts: datetime) -> int:
    return (ts - EPOCH) // _US


def table_of(records: list[LogRecord]) -> pa.Table:
    return pa.table(
        [
            pa.array([micros(r.ts) for r in records], pa.int64()),
            *(pa.array([getattr(r, name) for r in records], pa.string()) for name in COLUMNS[1:]),
        ],
        schema=SCHEMA,
    )


class Logs:
    """An append-only sequence of log records, stored as Arrow tables."""

    def __init__(self) -> None:
        self._tables: list[pa.Table] = []
        self._rows: list[LogRecord] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def append(self, record: LogRecord) -> None:
        self._rows.append(record)
        self._len += 1
        if len(self._rows) >= PACK_ROWS:
            self._pack()

    def extend(self, records: Iterable[LogRecord] | Logs) -> None:
        if isinstance(records, Logs):
            for table in records.tables():
                self.add_table(table)
            return
        for record in records:
            self.append(record)

    def add_table(self, table: pa.Table) -> None:
        if table.num_rows:
            self._pack()
            self._tables.append(table)
            self._len += table.num_rows

    def _pack(self) -> None:
        if self._rows:
            self._tables.append(table_of(self._rows))
            self._rows = []

    def tables(self) -> list[pa.Table]:
        self._pack()
        return self._tables

    def table(self) -> pa.Table:
        tables = self.tables()
        return pa.concat_tables(tables) if tables else SCHEMA.empty_table()

    def truncate(self, n: int) -> None:
        """Drop the last `n` records (a file that failed half-way brings none)."""
        keep = max(self._len - n, 0)
        self._pack()
        kept, seen = [], 0
        for table in self._tables:
            if seen + table.num_rows <= keep:
                kept.append(table)
            elif seen < keep:
                kept.append(table.slice(0, keep - seen))
            seen += table.num_rows
        self._tables, self._len = kept, keep

    def last_message(self) -> str | None:
        if self._rows:
            return self._rows[-1].msg
        if not self._tables:
            return None
        last = self._tables[-1]
        return last.column("msg")[last.num_rows - 1].as_py()

    def set_last_message(self, msg: str) -> None:
        if self._rows:
            self._rows[-1].msg = msg
            return
        last = self._tables[-1]
        msgs = last.column("msg").to_pylist()
        msgs[-1] = msg
        self._tables[-1] = last.set_column(COLUMNS.index("msg"), "msg", pa.array(msgs, pa.string()))

    def __iter__(self) -> Iterator[LogRecord]:
        for table in self.tables():
            for row in table.to_pylist():
                ts = EPOCH + timedelta(microseconds=row.pop("ts"))
                yield LogRecord(ts, **row)

    def __getitem__(self, i: int) -> LogRecord:
        return list(self)[i]

    def services(self) -> list[str]:
        seen: dict[str, None] = {}
        for table in self.tables():
            for name in pc.unique(table.column("service")).to_pylist():
                seen.setdefault(name, None)
        return list(seen)

    def time_range(self) -> tuple[datetime, datetime] | None:
        tables = self.tables()
        if not tables:
            return None
        low = min(pc.min(t.column("ts")).as_py() for t in tables)
        high = max(pc.max(t.column("ts")).as_py() for t in tables)
        return EPOCH + timedelta(microseconds=low), EPOCH + timedelta(microseconds=high)

    def rename(self, new_name: Callable[[str], str], keeps_host: Callable[[str], bool]) -> None:
        """Services renamed by `new_name`; a record whose old name was an instance's (a pod, a
        task: `keeps_host`) keeps it as its host when it has none."""
        out = []
        for table in self.tables():
            service = table.column("service")
            names = pc.unique(service).to_pylist()
            renamed = {old: new_name(old) for old in names}
            if all(old == new for old, new in renamed.items()):
                out.append(table)
                continue
            old_names = pa.array(list(renamed), pa.string())
            where = pc.index_in(service, value_set=old_names)
            new = pc.take(pa.array(list(renamed.values()), pa.string()), where)
            host = table.column("host")
            instances = [old for old, new in renamed.items() if old != new and keeps_host(old)]
            if instances:
                fill = pc.and_(pc.is_in(service, value_set=pa.array(instances, pa.string())), pc.equal(host, ""))
                host = pc.if_else(fill, service, host)
            table = table.set_column(COLUMNS.index("service"), "service", new)
            out.append(table.set_column(COLUMNS.index("host"), "host", host))
        self._tables = out
