"""The import's log records, held column-wise: what goes in comes back, in order, renamed,
truncated and continued as the readers ask."""

from datetime import datetime, timezone

from dojo.importer import logtable
from dojo.importer.logtable import Logs
from dojo.importer.readers import LogRecord


def rec(second: int, service: str = "web", host: str = "", msg: str = "m") -> LogRecord:
    ts = datetime(2026, 3, 10, 14, 0, second, 123456, tzinfo=timezone.utc)
    return LogRecord(ts, "INFO", service, host, "", msg)


def test_records_come_back_in_order_across_packed_tables(monkeypatch):
    monkeypatch.setattr(logtable, "PACK_ROWS", 3)
    logs = Logs()
    logs.extend(rec(s, msg=f"m{s}") for s in range(8))
    assert len(logs) == 8 and len(logs.tables()) == 3
    assert [r.msg for r in logs] == [f"m{s}" for s in range(8)]
    assert logs[7].ts == rec(7).ts  # microseconds kept
    assert logs.time_range() == (rec(0).ts, rec(7).ts)


def test_truncate_drops_the_last_records_across_tables(monkeypatch):
    monkeypatch.setattr(logtable, "PACK_ROWS", 3)
    logs = Logs()
    logs.extend(rec(s, msg=f"m{s}") for s in range(8))
    logs.truncate(4)
    assert [r.msg for r in logs] == ["m0", "m1", "m2", "m3"]
    logs.truncate(10)
    assert len(logs) == 0 and list(logs) == []


def test_a_continuation_grows_the_last_message_packed_or_not(monkeypatch):
    monkeypatch.setattr(logtable, "PACK_ROWS", 2)
    logs = Logs()
    logs.extend([rec(0), rec(1, msg="packed")])
    logs.set_last_message(logs.last_message() + " | more")
    logs.append(rec(2, msg="pending"))
    logs.set_last_message(logs.last_message() + " | too")
    assert [r.msg for r in logs] == ["m", "packed | more", "pending | too"]


def test_rename_keeps_an_instance_name_as_the_host():
    logs = Logs()
    logs.extend([rec(0, "checkout-7d9f8b6c5-x2x9q"), rec(1, "checkout-7d9f8b6c5-x2x9q", host="node-1"), rec(2)])
    logs.rename(lambda old: old.split("-")[0], lambda old: old.startswith("checkout-"))
    assert [(r.service, r.host) for r in logs] == [
        ("checkout", "checkout-7d9f8b6c5-x2x9q"),
        ("checkout", "node-1"),
        ("web", ""),
    ]
    assert logs.services() == ["checkout", "web"]
