import math

from dojo.engine.api import TraceQuery
from dojo.tui.widgets.trace_list import TraceList
from dojo.tui.widgets.waterfall import Waterfall

from .helpers import FAULT_AT, drive, incident, settle, signals


def storm_trace() -> str:
    """A trace from the storm with a failed span and retried calls."""
    page = signals(incident()).traces_query(TraceQuery(status="error", since=FAULT_AT, limit=500), math.inf)
    return next(t.trace_id for t in page.traces if t.retries > 0)


def test_waterfall_shows_the_tree_with_failed_spans_in_red_and_retries_marked():
    tel = incident()
    tid = storm_trace()
    root = signals(tel).trace(tid, math.inf)

    async def script(app, pilot):
        wf = app.widget
        wf.show_trace(tid, root, tel.start)
        await pilot.pause()
        lines = [wf.render_line(y).text for y in range(wf.row_count)]
        assert lines[0].startswith("web ")  # the root, not indented
        assert any(line.startswith("  checkout ") for line in lines)
        assert any(line.startswith("    payments ") for line in lines)
        assert any("↻2/" in line for line in lines)
        red = wf.get_component_rich_style("waterfall--error").color
        failed = [y for y, s in enumerate(wf.spans) if s.status == "error"]
        assert failed
        for y in failed:
            assert any(seg.style.color == red and "█" in seg.text for seg in wf.render_line(y))
        assert "failed" in wf.heading
        wf.focus()
        await pilot.press("down")
        picked = app.of(Waterfall.SpanSelected)[-1]
        assert picked.item == root.id == wf.pin_id(0) and picked.item.startswith(f"S{tid}:")

    drive(Waterfall(), script, size=(110, 30))


def test_trace_list_lists_finished_traces_and_announces_the_selection():
    tel = incident()
    sig = signals(tel)

    async def script(app, pilot):
        tl = app.widget
        tl.set_source(sig.trace_matches, tel.start)
        await settle(app, pilot)
        tl.now = 300.0
        await pilot.pause()
        assert tl.row_count == sig.visible_traces(300.0) > 0
        tl.trace_query = TraceQuery(status="error")
        await settle(app, pilot)
        assert tl.row_count == sig.traces_query(TraceQuery(status="error"), 300.0).count > 0
        assert all("✗" in tl.render_line(y).text for y in range(min(tl.row_count, 5)))
        tl.focus()
        await pilot.press("down")
        chosen = app.of(TraceList.TraceSelected)[-1].trace_id
        assert chosen == tl.shown.trace_id.iloc[0] == tl.selected_trace
        assert tl.selected_root == sig.traces_query(TraceQuery(trace_id=chosen), 300.0).traces[0].match
        tl.now = 400.0  # newer traces arrive above: the cursor keeps its trace
        await pilot.pause()
        assert tl.shown.trace_id.iloc[tl.cursor] == chosen

    drive(TraceList(), script, size=(80, 20))


def test_the_trace_list_shows_the_engines_facts_of_each_trace():
    """Headless and TUI agree: the rows listed are the `traces` query's, in its order, with its
    span, retry and failure counts and durations."""
    tel = incident()
    sig = signals(tel)
    now = FAULT_AT + 120
    query = TraceQuery(service="payments", min_ms=200.0, limit=500)
    page = sig.traces_query(query, now)

    async def script(app, pilot):
        tl = app.widget
        tl.now = now
        tl.trace_query = TraceQuery(service="payments", min_ms=200.0)
        tl.set_source(sig.trace_matches, tel.start)
        await settle(app, pilot)
        assert list(tl.shown.trace_id) == [t.trace_id for t in page.traces] and page.count > 3
        for y, t in enumerate(page.traces[:10]):
            line = tl.render_line(y).text
            assert f"{t.spans:>3}sp" in line
            assert (f"↻{t.retries}" in line) == (t.retries > 0)
            assert (f"✗{t.errors}" in line) == (t.errors > 0)
            assert ("✗" if t.status == "error" else "✓") in line

    drive(TraceList(), script, size=(110, 20))
    assert any(t.retries for t in page.traces) and any(t.errors for t in page.traces)


def test_imported_span_text_is_shown_spelled_out_never_read():
    """An imported trace's names and messages are a stranger's text: in the waterfall's rows,
    heading and span detail they show as written, controls spelled out, markup not read."""
    from textual.content import Content

    from dojo.engine.api import SpanEvent, SpanNode

    evil = "\x1b[2J\x1b]0;PWNED\x07 [/b][red]x\u202e"
    child = SpanNode(
        "Sabc:2", f"db{evil}", f"SELECT {evil}", 1.0, 5.0, "error", f"lock {evil}",
        attributes={"db.statement": f"SELECT {evil}", "http.status_code": 503},
        events=[SpanEvent(1.002, "exception", {"exception.message": f"boom {evil}"})],
    )  # fmt: skip
    root = SpanNode("Sabc:1", "web", f"GET /{evil}", 1.0, 10.0, "error", f"failed {evil}", children=[child])

    async def script(app, pilot):
        wf = app.widget
        wf.show_trace("abc", root, incident().start)
        wf.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        shown = [wf.render_line(y).text for y in range(wf.row_count)]
        title, detail = (Content.from_markup(m).plain for m in (wf.border_title, wf.border_subtitle))
        shown += [title, detail]
        for text in shown:
            assert not any(ch in text for ch in "\x1b\x07\u202e"), text
        assert r"lock \e[2J\e]0;PWNED\a [/b][red]x\u202e" in detail  # the span detail
        assert r"db.statement=SELECT \e[2J" in detail and "http.status_code=503" in detail
        assert r"⚑ exception +2.0ms (exception.message=boom \e[2J\e]0;PWNED\a [/b][red]x" in detail
        assert r"GET /\e[2J\e]0;PWNED\a [/b][red]x" in title

    drive(Waterfall(), script, size=(140, 12))


def test_the_span_detail_shows_a_long_attribute_cut_short():
    from dojo.engine.api import SpanNode
    from dojo.tui.widgets.waterfall import VALUE_MAX, span_detail

    span = SpanNode("Sa:1", "db", "SELECT", 1.0, 5.0, "ok", "", attributes={"db.statement": "x" * 5000})
    detail = span_detail(span)
    assert detail.startswith("db · ok · db.statement=xxx") and detail.endswith("x…")
    assert len(detail) == len("db · ok · db.statement=") + VALUE_MAX


def test_a_new_source_keeps_the_selection_and_drops_the_old_sources_late_answer():
    """After a learner's action the list gets a new source (the changed incident): it lists again
    and keeps the trace under the cursor; an answer from the old source arriving late is dropped."""
    import threading

    tel = incident()
    sig = signals(tel)
    old_answer = sig.trace_matches(TraceQuery())

    async def script(app, pilot):
        tl = app.widget
        tl.set_source(sig.trace_matches, tel.start)
        tl.now = 300.0
        await settle(app, pilot)
        tl.focus()
        await pilot.press("down", "down")
        chosen = tl.selected_trace
        gate = threading.Event()
        fewer = old_answer.iloc[: len(old_answer) // 2]  # the changed incident's traces: not the same list

        def changed(q):
            gate.wait(10)
            return fewer

        old_source = tl.source
        tl.set_source(changed, tel.start)
        late = old_answer.copy()
        tl.post_message(TraceList.Listed(tl.trace_query, late, old_source))  # the old source's answer, late
        await pilot.pause()
        await pilot.pause()
        assert tl.listed is not late
        gate.set()
        await settle(app, pilot)
        assert tl.listed is fewer and tl.selected_trace == chosen

    drive(TraceList(), script, size=(80, 20))
