"""Investigation queries: right answers, column-wise, and never a glimpse of the future."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dojo.engine import ids
from dojo.engine.api import EventQuery, LogQuery, MetricQuery, TraceQuery
from dojo.engine.errors import NotFound, QueryError
from dojo.engine.textsearch import re2_literal

NOWS = [0.0, 300.5, 960.0, 1500.0, 2700.0]


@pytest.fixture(scope="module")
def frame(telemetry):
    """The logs as pandas, for brute-force answers to compare with."""
    df = telemetry.logs.to_pandas()
    for col in ("service", "host", "level"):
        df[col] = df[col].astype(str)
    return df


def brute(frame, now, contains=None, regex=None, service=None, level=None, since=None, until=None, host=None):
    m = frame["t"] <= now
    if contains is not None:
        m &= frame["message"].str.contains(contains, regex=False)
    if regex is not None:
        m &= frame["message"].str.contains(regex, regex=True)
    if service is not None:
        m &= frame["service"].isin([service] if isinstance(service, str) else service)
    if level is not None:
        m &= frame["level"].isin([level] if isinstance(level, str) else level)
    if host is not None:
        m &= frame["host"].isin([host] if isinstance(host, str) else host)
    if since is not None:
        m &= frame["t"] >= since
    if until is not None:
        m &= frame["t"] <= until
    return frame[m]


# -- logs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize(
    "args",
    [
        {},
        {"contains": "retrying request to payments"},
        {"contains": "payments", "service": "checkout", "level": ["WARN", "ERROR"]},
        {"regex": r"attempt \d/4", "level": "WARN"},
        {"contains": "GET", "since": 100.0, "until": 1200.0},
        {"service": ["web", "catalog-db"]},
        {"host": "checkout-tzdkv8tpj-299xz", "contains": "retrying"},
    ],
)
def test_logs_match_brute_force_and_never_the_future(signals, frame, now, args):
    page = signals.logs(LogQuery(limit=1000, **args), now)
    want = brute(frame, now, **args)
    assert page.count == len(want)
    assert all(line.t <= now for line in page.lines)
    newest_first = want.sort_values(["t", "id"], ascending=False).head(1000)
    assert [line.id for line in page.lines] == [f"L{i}" for i in newest_first["id"]]


def test_oldest_first_and_paging(signals, frame):
    now = 1500.0
    first = signals.logs(LogQuery(service="checkout", order="oldest", limit=7), now)
    second = signals.logs(LogQuery(service="checkout", order="oldest", limit=7, offset=7), now)
    want = brute(frame, now, service="checkout")
    assert [ln.id for ln in first.lines + second.lines] == [f"L{i}" for i in want["id"].head(14)]
    assert first.count == second.count == len(want)
    assert signals.logs(LogQuery(limit=0), now).lines == []


def test_a_log_line_carries_its_plain_text(signals):
    line = signals.logs(LogQuery(contains="retrying request", limit=1), 2700.0).lines[0]
    assert line.text.endswith(f"{line.level:<5} {line.service} {line.host} {line.message}")
    assert line.text.startswith("2026-03-10T14:")


def test_ignore_case(signals, frame):
    upper = signals.logs(LogQuery(contains="RETRYING REQUEST", ignore_case=True, limit=0), 2700.0)
    assert upper.count == len(brute(frame, 2700.0, contains="retrying request")) > 0
    assert signals.logs(LogQuery(contains="RETRYING REQUEST", limit=0), 2700.0).count == 0


@pytest.mark.parametrize("text", [".", "(", "[x", "\\", "a*", "$", "^", "|", "{1}", "?", "+", "ms)"])
def test_substrings_are_literal_even_with_regex_characters(signals, frame, text):
    assert signals.logs(LogQuery(contains=text, limit=0), 2700.0).count == len(brute(frame, 2700.0, contains=text))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_substring_of_any_line_is_found_like_python_finds_it(signals, frame, data):
    row = data.draw(st.integers(0, len(frame) - 1))
    msg = frame["message"].iloc[row]
    a = data.draw(st.integers(0, len(msg) - 1))
    b = data.draw(st.integers(a + 1, min(len(msg), a + 25)))
    text = msg[a:b]
    assert re.fullmatch(re2_literal(text), text)
    got = signals.logs(LogQuery(contains=text, limit=0), 2700.0).count
    assert got == int(frame["message"].str.contains(text, regex=False).sum()) >= 1


def test_invalid_regex_is_a_clear_error(signals):
    with pytest.raises(QueryError, match="invalid regex"):
        signals.logs(LogQuery(regex="(unclosed"), 2700.0)
    with pytest.raises(QueryError, match="lookaround"):
        signals.logs(LogQuery(regex="(?<=x)y"), 2700.0)


def test_unknown_service_is_an_error_that_lists_them(signals):
    with pytest.raises(QueryError, match="no service 'nope'; services: web, catalog"):
        signals.logs(LogQuery(service="nope"), 2700.0)
    with pytest.raises(QueryError, match="no host 'nope'; hosts: web-"):
        signals.logs(LogQuery(host="nope"), 2700.0)


def test_a_window_entirely_in_the_future_is_empty(signals):
    assert signals.logs(LogQuery(since=2000.0), 1000.0).count == 0


# -- metrics ---------------------------------------------------------------------------------


@pytest.mark.parametrize("now", NOWS[1:])
def test_metric_points_are_closed_buckets_only(signals, telemetry, now):
    res = signals.metrics(MetricQuery(service="payments", metric="rps"), now)
    m = telemetry.metrics
    want = m[(m.service == "payments") & (m.metric == "rps") & (m.t + telemetry.grid <= now)]
    assert [p[0] for p in res.points] == list(want["t"])
    assert res.window.n == len(want)
    assert res.window.max == pytest.approx(want["value"].max())
    assert res.window.mean == pytest.approx(want["value"].mean(), abs=1e-4)
    assert res.window.p90 == pytest.approx(np.percentile(want["value"], 90), abs=1e-4)


def test_a_window_has_a_pin_id_that_resolves_to_the_same_values(signals):
    res = signals.metrics(MetricQuery(service="payments", metric="rps", since=600.0, until=1200.0), 1500.0)
    assert res.window.id == "M:payments:rps:600:1200"
    item = signals.resolve(res.window.id, 1500.0)
    assert item.kind == "metric"
    assert item.data["values"] == [p[1] for p in res.points]
    assert item.data["t"][0] == 600.0 and item.data["t"][-1] == 1190.0


def test_default_window_ends_at_the_last_closed_bucket(signals):
    res = signals.metrics(MetricQuery(service="web", metric="rps"), 965.0)
    assert res.window.id == "M:web:rps:0:960"


def test_service_summary_and_catalog(signals):
    summary = signals.metrics(MetricQuery(service="payment-provider"), 960.0)
    assert [w.metric for w in summary.windows] == ["rps", "error_rate", "latency_p50_ms", "latency_p99_ms"]
    catalog = signals.metrics(MetricQuery(), 960.0)
    assert "cpu_pct" in catalog.services["checkout"] and "cpu_pct" not in catalog.services["payment-provider"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"service": "nope", "metric": "rps"}, "no service 'nope'"),
        ({"service": "payment-provider", "metric": "cpu_pct"}, "has no metric 'cpu_pct'; it has: rps"),
        ({"service": "web", "metric": "rps", "since": 900.0, "until": 800.0}, "empty window"),
        ({"metric": "rps"}, "give the service"),
    ],
)
def test_metric_errors(signals, args, message):
    with pytest.raises(QueryError, match=re.escape(message)):
        signals.metrics(MetricQuery(**args), 960.0)


# -- traces ----------------------------------------------------------------------------------


@pytest.mark.parametrize("now", NOWS)
def test_traces_are_visible_once_finished(signals, now):
    page = signals.traces_query(TraceQuery(limit=500), now)
    sp = signals.spans
    ends = sp.groupby("trace_id")["end"].max()
    assert page.count == int((ends <= now).sum())
    assert all(ends[t.trace_id] <= now for t in page.traces)


def test_trace_filters_apply_to_one_span(signals):
    now = 2700.0
    page = signals.traces_query(TraceQuery(service="payments", status="error", min_ms=500.0, limit=500), now)
    sp = signals.spans
    want = sp[(sp.service == "payments") & (sp.status == "error") & (sp.duration_ms >= 500)]["trace_id"].unique()
    assert page.count == len(want) > 0
    for t in page.traces:
        item = signals.resolve(t.match, now)
        assert item.data["service"] == "payments" and item.data["status"] == "error" and item.data["duration_ms"] >= 500
    assert [t.t for t in page.traces] == sorted((t.t for t in page.traces), reverse=True)


def test_trace_contains_and_id(signals):
    page = signals.traces_query(TraceQuery(contains="deadline exceeded", limit=1), 2700.0)
    assert page.count > 0
    tid = page.traces[0].trace_id
    one = signals.traces_query(TraceQuery(trace_id=tid), 2700.0)
    assert one.count == 1 and one.traces[0].trace_id == tid


def test_a_trace_is_a_span_tree(signals):
    tid = signals.traces_query(TraceQuery(service="payments", status="error", limit=1), 2700.0).traces[0].trace_id
    root = signals.trace(tid, 2700.0)
    sp = signals.spans[signals.spans.trace_id == tid]
    seen = []

    def walk(node, parent):
        span = node.id.split(":")[1]
        row = sp[sp.span_id == span].iloc[0]
        assert row.parent_id == parent
        seen.append(span)
        assert [c.t for c in node.children] == sorted(c.t for c in node.children)
        for child in node.children:
            walk(child, span)

    walk(root, "")
    assert sorted(seen) == sorted(sp.span_id)


def test_trace_windows_and_repeated_filters(signals):
    """since/until bound the trace's start; asking the same filter again (the TUI does on every
    filter flip) gives the same answer, and a different filter is not served from it."""
    now = 2700.0
    page = signals.traces_query(TraceQuery(status="error", since=900.0, until=1500.0, limit=500), now)
    every = signals.traces_query(TraceQuery(status="error", limit=500), now)
    want = [t.trace_id for t in every.traces if 900.0 <= t.t <= 1500.0]
    assert [t.trace_id for t in page.traces] == want and page.count == len(want) > 0
    again = signals.traces_query(TraceQuery(status="error", since=900.0, until=1500.0, limit=500), now)
    assert again == page
    ok = signals.traces_query(TraceQuery(status="ok", since=900.0, until=1500.0, limit=500), now)
    assert ok.traces != page.traces
    assert all(signals.resolve(t.match, now).data["status"] == "ok" for t in ok.traces[:20])


def test_trace_summaries_count_spans_errors_and_retries(signals):
    page = signals.traces_query(TraceQuery(status="error", limit=500), 2700.0)
    sp = signals.spans
    retried = 0
    for t in page.traces:
        mine = sp[sp.trace_id == t.trace_id]
        assert t.spans == len(mine)
        assert t.errors == int((mine.status == "error").sum()) > 0
        assert t.retries == len(mine) - len(mine.drop_duplicates(["parent_id", "service"]))
        assert t.finished == pytest.approx(float(mine.end.max()), abs=1e-3) and t.finished <= 2700.0
        retried += t.retries > 0
    assert retried  # the storm's traces retry payments
    quiet = signals.traces_query(TraceQuery(status="ok", limit=50, order="oldest"), 2700.0)
    assert all(t.errors == 0 for t in quiet.traces)


def test_a_trace_numbers_the_attempts_of_each_call(signals):
    tid = next(t for t in signals.traces_query(TraceQuery(limit=500), 2700.0).traces if t.retries).trace_id
    root = signals.trace(tid, 2700.0)
    nodes = list(root.walk())
    assert nodes[0] == (0, root)
    assert len(nodes) == len(signals.spans[signals.spans.trace_id == tid])
    depth = {n.id: d for d, n in nodes}
    order = [n.id for _, n in nodes]
    for d, n in nodes:  # depth-first: each child one deeper than its parent, and after it
        assert all(depth[c.id] == d + 1 and order.index(c.id) > order.index(n.id) for c in n.children)
    retries = 0
    for _, node in nodes:
        by_service: dict[str, list] = {}
        for child in node.children:
            by_service.setdefault(child.service, []).append(child)
        for calls in by_service.values():
            assert [c.attempt for c in calls] == list(range(1, len(calls) + 1))
            assert {c.attempts for c in calls} == {len(calls)}
            retries += len(calls) - 1
    summary = signals.traces_query(TraceQuery(trace_id=tid), 2700.0).traces[0]
    assert retries == summary.retries > 0


def test_unknown_and_unfinished_traces_are_not_found(signals):
    with pytest.raises(NotFound, match="no trace"):
        signals.trace("0" * 32, 2700.0)
    tr = signals.traces.iloc[len(signals.traces) // 2]
    with pytest.raises(NotFound, match="not finished yet"):
        signals.trace(tr.trace_id, float(tr.t))


# -- events ----------------------------------------------------------------------------------


@pytest.mark.parametrize("now", NOWS)
def test_events_up_to_now(signals, telemetry, now):
    got = signals.events_query(EventQuery(), now)
    assert got.count == int((telemetry.events.t <= now).sum())
    assert all(e.t <= now for e in got.events)


def test_event_kinds_and_firing(signals):
    alerts = signals.events_query(EventQuery(kind="alerts"), 2700.0).events
    changes = signals.events_query(EventQuery(kind="changes"), 2700.0).events
    assert alerts and all(e.kind.startswith("alert_") for e in alerts)
    assert [e.kind for e in changes] == ["deploy"]
    assert signals.firing(959.0) == []
    assert "CheckoutP99High" in signals.firing(960.0)
    assert signals.firing(2700.0) == []


# -- ids -------------------------------------------------------------------------------------


def test_ids_round_trip():
    assert ids.parse("L42").log == 42
    p = ids.parse("Sabc123:def456")
    assert (p.trace_id, p.span) == ("abc123", "def456")
    w = ids.parse("M:payment-provider:latency_p99_ms:600:1200.5")
    assert (w.service, w.metric, w.t0, w.t1) == ("payment-provider", "latency_p99_ms", 600.0, 1200.5)
    assert ids.parse("M:web:rps:0-60").t1 == 60.0  # the form the telemetry docs use
    assert ids.window_id("web", "rps", 0.0, 1234.56789) == "M:web:rps:0:1234.567"
    assert ids.parse("E3").event == 3


@pytest.mark.parametrize(
    "bad",
    ["", "L", "L-1", "X1", "S:abc", "M:web:rps:10", "E", "l1", "L1 ", "L1\n", "E3\n", "Sab:cd\n", "M:web:rps:0:60\n"],
)
def test_malformed_ids(bad):
    with pytest.raises(NotFound, match="is not an id"):
        ids.parse(bad)


@pytest.mark.parametrize("now", NOWS)
def test_resolving_never_reaches_past_now(signals, telemetry, now):
    logs = telemetry.logs
    t = logs.column("t").to_numpy()
    later = np.flatnonzero(t > now)
    if len(later):
        with pytest.raises(NotFound, match="not happened yet"):
            signals.resolve(f"L{later[0]}", now)
    earlier = np.flatnonzero(t <= now)
    if len(earlier):
        assert signals.resolve(f"L{earlier[-1]}", now).t <= now
    sp = signals.spans
    future = sp[sp.end > now]
    if len(future):
        r = future.iloc[0]
        with pytest.raises(NotFound, match="not finished yet"):
            signals.resolve(f"S{r.trace_id}:{r.span_id}", now)
    ev = telemetry.events
    if (ev.t > now).any():
        with pytest.raises(NotFound, match="not happened yet"):
            signals.resolve(f"E{int(np.flatnonzero(ev.t > now)[0])}", now)
    with pytest.raises(NotFound, match="has not happened yet|holds no data"):
        signals.resolve(f"M:web:rps:0:{now + 10:g}", now)


@pytest.mark.parametrize(
    "item, message",
    [
        ("L99999999", "no log line"),
        ("Sdeadbeef:cafe", "no span"),
        ("M:nope:rps:0:60", "no service 'nope'"),
        ("M:web:queue_depth:0:60", "has no metric"),
        ("M:web:rps:60:0", "t0 must be before t1"),
        ("M:web:rps:0:5", "holds no data point"),
        ("E999", "no event"),
    ],
)
def test_resolving_what_does_not_exist(signals, item, message):
    with pytest.raises(NotFound, match=re.escape(message)):
        signals.resolve(item, 2700.0)


def test_pandas_frame_fixture_is_sane(frame):
    assert isinstance(frame, pd.DataFrame) and frame["t"].is_monotonic_increasing


# -- the fast text paths (dojo.engine.textsearch) -------------------------------------------------------------------


def rows_of(messages, text):
    import pyarrow as pa

    from dojo.engine.textsearch import MessageBytes

    mb = MessageBytes(pa.array(messages, pa.string()))
    return mb.find_rows(text, 0, len(messages))


@pytest.mark.parametrize(
    "messages, text, rows",
    [
        (["xa", "ab", "aab"], "aa", [2]),  # "x[a|a]b" straddles rows 0 and 1: not a match
        (["ab", "abab"], "bab", [1]),  # the straddling match overlaps the real one, which must still be found
        (["aaaa", "b", "aa"], "aa", [0, 2]),  # several matches in a row count once
        (["héllo wörld", "wor", "ö"], "ö", [0, 2]),
        (["", "x", ""], "x", [1]),
        ([], "x", []),
        (["abc"], "abcd", []),
    ],
)
def test_literal_rows(messages, text, rows):
    assert list(rows_of(messages, text)) == rows


def test_many_matches_hand_over_to_re2(signals, frame, monkeypatch):
    import dojo.engine.textsearch as textsearch

    want = signals.logs(LogQuery(contains="GET", limit=5), 2700.0)
    monkeypatch.setattr(textsearch, "LITERAL_MAX_MATCHES", 3)
    assert signals.text.literal_rows("GET", 0, 1000) is None
    again = signals.logs(LogQuery(contains="GET", limit=5), 2700.0)
    assert again.count == want.count == len(brute(frame, 2700.0, contains="GET"))
    assert [x.id for x in again.lines] == [x.id for x in want.lines]


@pytest.mark.parametrize(
    "args",
    [
        {"contains": "payments"},
        {"contains": "payments", "regex": r"attempt [23]"},
        {"contains": "ms", "service": "web"},
    ],
)
def test_both_text_paths_agree(signals, monkeypatch, args):
    import dojo.engine.textsearch as textsearch

    fast = signals.logs(LogQuery(limit=20, **args), 2000.0)
    monkeypatch.setattr(textsearch, "LITERAL_MAX_MATCHES", -1)
    slow = signals.logs(LogQuery(limit=20, **args), 2000.0)
    assert (fast.count, [x.id for x in fast.lines]) == (slow.count, [x.id for x in slow.lines])


def test_match_spans_marks_every_match_in_linear_time():
    """What the log pane marks on screen: RE2's matches, with positions in the original text; a
    pattern that makes Python's `re` backtrack forever returns at once."""
    from dojo.engine.textsearch import match_spans

    texts = ["retrying a RETRYING b", "none", "x\ue000y retrying"]
    assert match_spans(texts, "retrying", ignore_case=True) == [[(0, 8), (11, 19)], [], []]
    assert match_spans(texts, "retrying") == [[(0, 8)], [], []]  # the marker characters' line is left unmarked
    assert match_spans(["GET /api 503 x"], r"\d+") == [[(9, 12)]]
    assert match_spans(["abc"], "x*") == [[]]  # empty matches mark nothing
    assert match_spans(["a" * 5000 + "b"], "(a+)+$") == [[]]
    assert match_spans([], "x") == []


def test_the_trace_table_is_built_by_the_first_trace_query_not_on_open(telemetry):
    from dojo.engine.queries import Signals, _trace_table

    fresh = Signals(telemetry)
    assert fresh._traces is None  # opening the incident did not pay for it
    page = fresh.traces_query(TraceQuery(limit=5), 600.0)
    assert fresh._traces is not None and page.count > 0
    pd.testing.assert_frame_equal(fresh.traces, _trace_table(fresh.spans))


def test_prebuilt_signals_serve_only_the_very_incident_they_index(telemetry, monkeypatch):
    """The fork server of `dojo serve` indexes its warm incident once; its forks' sessions use
    that index. An incident with any other table (a learner's action, another seed) is indexed
    afresh."""
    import dataclasses

    from dojo.engine import queries

    monkeypatch.setattr(queries, "_PREBUILT", {})
    assert queries.signals_of(telemetry) is not queries.signals_of(telemetry)  # nothing prebuilt: built each time
    ready = queries.prebuild(telemetry)
    assert ready._traces is not None  # the forks inherit the trace table too
    same = dataclasses.replace(telemetry, scenario=telemetry.scenario.model_copy())  # as the cache serves it
    assert queries.signals_of(same) is ready
    other = dataclasses.replace(telemetry, metrics=telemetry.metrics.copy())
    assert queries.signals_of(other) is not ready
