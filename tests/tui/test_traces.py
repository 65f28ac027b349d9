from dojo.tui.data.traces import TraceIndex, TraceQuery, span_tree, trace_summaries
from dojo.tui.widgets.trace_list import TraceList
from dojo.tui.widgets.waterfall import Waterfall

from .helpers import FAULT_AT, drive, incident, settle


def storm_trace() -> str:
    """A trace from the storm with a failed span and retried calls."""
    s = trace_summaries(incident().spans)
    hit = s[(s.status == "error") & (s.retries > 0) & (s.t > FAULT_AT)]
    return str(hit.trace_id.iloc[0])


def test_summaries_count_spans_errors_and_retries():
    spans = incident().spans
    tid = storm_trace()
    row = trace_summaries(spans).set_index("trace_id").loc[tid]
    mine = spans[spans.trace_id == tid]
    assert row.spans == len(mine)
    assert row.errors == (mine.status == "error").sum() > 0
    assert row.retries == len(mine) - len(mine.drop_duplicates(["parent_id", "service"])) > 0


def test_trace_index_filters_by_service_status_duration_and_now():
    spans = incident().spans
    ix = TraceIndex(spans)
    got = ix.select(TraceQuery(service="payments", status="error", min_ms=500), now=400)
    assert len(got) and (got.status == "error").all() and (got.duration_ms >= 500).all() and (got.end <= 400).all()
    assert set(got.trace_id) <= set(spans[spans.service == "payments"].trace_id)
    assert list(got.t) == sorted(got.t, reverse=True)  # newest first


def test_span_tree_orders_depth_first_and_numbers_retries():
    spans = incident().spans
    rows = span_tree(spans[spans.trace_id == storm_trace()])
    assert rows[0].depth == 0
    by_id = {r.span_id: r for r in rows}
    parent = dict(zip(spans.span_id, spans.parent_id))
    for r in rows[1:]:
        assert by_id[parent[r.span_id]].depth == r.depth - 1
        assert rows.index(by_id[parent[r.span_id]]) < rows.index(r)  # parents come first
    retried = [r for r in rows if r.attempts > 1]
    assert retried and sorted(r.attempt for r in retried if r.service == retried[0].service)[:2] == [1, 2]


def test_waterfall_shows_the_tree_with_failed_spans_in_red_and_retries_marked():
    tel = incident()
    tid = storm_trace()

    async def script(app, pilot):
        wf = app.widget
        wf.show_trace(tid, tel.spans[tel.spans.trace_id == tid], tel.start)
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
        assert picked.span_id == f"{tid}:{wf.spans[0].span_id}"

    drive(Waterfall(), script, size=(110, 30))


def test_trace_list_lists_finished_traces_and_announces_the_selection():
    tel = incident()

    async def script(app, pilot):
        tl = app.widget
        tl.set_spans(tel.spans, tel.start)
        await settle(app, pilot)
        tl.now = 300.0
        await pilot.pause()
        assert tl.row_count == int((trace_summaries(tel.spans).end <= 300).sum())
        tl.trace_query = TraceQuery(status="error")
        await pilot.pause()
        assert all("✗" in tl.render_line(y).text for y in range(min(tl.row_count, 5)))
        tl.focus()
        await pilot.press("down")
        chosen = app.of(TraceList.TraceSelected)[-1].trace_id
        assert chosen == tl.shown.trace_id.iloc[0] == tl.selected_trace
        tl.now = 400.0  # newer traces arrive above: the cursor keeps its trace
        await pilot.pause()
        assert tl.shown.trace_id.iloc[tl.cursor] == chosen

    drive(TraceList(), script, size=(80, 20))
