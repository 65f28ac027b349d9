import numpy as np
import pyarrow.compute as pc

from dojo.telemetry.text import plain_lines
from dojo.tui.data.log_rows import LogFilter
from dojo.tui.widgets.log_view import LogView

from .helpers import FAULT_AT, drive, incident, matcher, settle


def shown(view: LogView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.scrollable_content_region.height)]


def compact(full: str) -> str:
    """What the narrow view shows of a plain line: the time of day, level, service, message."""
    ts, rest = full.split(" ", 1)
    level, service, _host, message = rest.split(None, 3)
    return f"{ts[11:23]} {level:<5} {service} {message}"


def test_renders_the_rows_at_the_scroll_position():
    tel = incident()

    async def script(app, pilot):
        view = app.widget
        assert view.row_count == tel.n_logs
        view.follow = False
        view.scroll_to(y=1000, animate=False, force=True)
        await pilot.pause()
        expected = plain_lines(tel.logs.slice(1000, 3), tel.start).to_pylist()
        lines = shown(view)
        width = view.scrollable_content_region.width
        assert lines[:3] == [compact(e)[:width].rstrip() for e in expected]

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_only_lines_up_to_now_exist():
    tel = incident()

    async def script(app, pilot):
        view = app.widget
        view.now = 120.0
        await pilot.pause()
        assert view.row_count == int(np.searchsorted(tel.logs["t"].to_numpy(), 120.0, side="right"))
        last = shown(view)[-1]
        assert last.startswith("14:01:5")  # the tail is at two minutes, nothing later

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_filter_shows_only_matching_lines_and_marks_the_match():
    tel = incident()
    messages = tel.logs["message"].to_pylist()
    expected = [i for i, m in enumerate(messages) if "retrying" in m.lower()]  # the slow, obvious way
    assert expected

    async def script(app, pilot):
        view = app.widget
        view.filter = LogFilter(text="retrying")
        await settle(app, pilot)
        assert view.row_count == len(expected)
        assert view.table_rows(0, view.row_count).tolist() == expected
        done = app.of(LogView.Filtered)
        assert done and done[-1].rows.tolist() == expected
        match_bg = view.get_component_rich_style("log-view--match").bgcolor
        for y, line in enumerate(shown(view)):
            assert "retrying" in line
            marked = [seg.text for seg in view.render_line(y) if seg.style and seg.style.bgcolor == match_bg]
            assert marked == ["retrying"]
        assert "retrying" in view.heading

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_regex_service_and_level_filters_combine():
    tel = incident()
    logs = tel.logs.to_pandas()
    want = logs[
        (logs.service == "checkout") & logs.level.isin(["WARN", "ERROR"]) & logs.message.str.contains(r"attempt [34]/")
    ]

    async def script(app, pilot):
        view = app.widget
        view.filter = LogFilter(text=r"attempt [34]/", regex=True, service="checkout", level="WARN")
        await settle(app, pilot)
        assert view.table_rows(0, view.row_count).tolist() == want.index.tolist()
        view.filter = LogFilter(text="(unclosed", regex=True)
        await settle(app, pilot)
        assert view.filter_error and "filter error" in view.status
        assert view.row_count == len(want)  # a broken regex keeps the last good result

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_cursor_selects_a_line_and_exposes_its_pin_id():
    tel = incident()

    async def script(app, pilot):
        view = app.widget
        view.now = 300.0
        await pilot.pause()
        view.focus()
        await pilot.press("up")  # the first key lands on the newest line on screen
        assert view.cursor == view.row_count - 1
        await pilot.press("up", "up")
        row = view.row_count - 3
        line_id = f"L{tel.logs['id'][row].as_py()}"
        assert view.selected_id == line_id
        assert app.of(LogView.LineSelected)[-1].line_id == line_id
        await pilot.press("enter")
        pin = app.of(LogView.PinRequested)[-1]
        assert pin.line_id == line_id
        assert pin.text == plain_lines(tel.logs.slice(row, 1), tel.start)[0].as_py()

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_cursor_stays_on_its_line_across_filters():
    tel = incident()
    retry_rows = np.flatnonzero(pc.match_substring(tel.logs["message"], "retrying").to_numpy(zero_copy_only=False))
    target = int(retry_rows[5])

    async def script(app, pilot):
        view = app.widget
        view.cursor = target
        await pilot.pause()
        view.filter = LogFilter(text="retrying")
        await settle(app, pilot)
        assert view.cursor == 5 and view.selected_id == f"L{target}"
        view.filter = LogFilter()
        await pilot.pause()
        assert view.cursor == target

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_follows_new_lines_until_scrolled_back():
    tel = incident()
    t = tel.logs["t"].to_numpy()

    async def script(app, pilot):
        view = app.widget
        view.now = 100.0
        await pilot.pause()
        assert view.follow and view.scroll_y == view.max_scroll_y
        view.now = 150.0
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y  # the tail moved and the view went with it
        assert view.status == "following"

        view.focus()
        await pilot.press("pageup")
        assert not view.follow
        top = view.scroll_y
        before = view.row_count
        view.now = 200.0
        await pilot.pause()
        arrived = int(np.searchsorted(t, 200.0, side="right")) - before
        assert view.scroll_y == top  # the learner's place is kept
        assert view.pending == arrived > 0
        assert f"{arrived:,} new lines" in view.status

        await pilot.press("end")
        assert view.follow and view.pending == 0 and view.scroll_y == view.max_scroll_y

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_jump_to_time_puts_the_cursor_on_the_first_line_at_or_after_it():
    tel = incident()
    t = tel.logs["t"].to_numpy()

    async def script(app, pilot):
        view = app.widget
        view.jump_to_time(FAULT_AT)
        await pilot.pause()
        row = int(np.searchsorted(t, FAULT_AT))
        assert view.cursor == row and t[row] >= FAULT_AT > t[row - 1]
        assert view.scroll_y <= row < view.scroll_y + view.scrollable_content_region.height
        assert not view.follow

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_wide_lines_are_the_plain_lines():
    tel = incident()

    async def script(app, pilot):
        view = app.widget
        view.follow = False
        view.scroll_to(y=0, animate=False, force=True)
        view.wide = True
        await pilot.pause()
        full = plain_lines(tel.logs.slice(0, 1), tel.start)[0].as_py()
        assert view.render_line(0).text.rstrip() == full[: view.scrollable_content_region.width].rstrip()

    drive(LogView(tel.logs, tel.start, matcher(tel)), script, size=(200, 10))


def test_the_title_says_request_lines_are_a_sample():
    tel = incident()

    async def script(app, pilot):
        view = app.widget
        assert "requests logged" not in view.heading  # not told: says nothing
        view.set_logs(tel.logs, tel.start, matcher(tel), sample=0.05)
        await pilot.pause()
        assert view.heading.endswith(" · 1 in 20 requests logged")

    drive(LogView(tel.logs, tel.start, matcher(tel)), script)


def test_the_widest_line_bounds_every_line_read_from_offsets():
    import pyarrow as pa

    from dojo.tui.data.log_rows import LogColumns
    from dojo.tui.widgets.log_view import _widest_line

    tel = incident()
    logs = tel.logs
    wide = "é" * 300  # two bytes a character: the bound is in bytes, never under the characters
    longest = logs.slice(0, 1).set_column(
        logs.schema.get_field_index("message"), "message", pa.array([wide], logs.schema.field("message").type)
    )
    table = pa.concat_tables([logs.slice(1, 50), longest])
    narrow = _widest_line(LogColumns(table), False)
    assert narrow >= max(len(compact(x)) for x in plain_lines(table, tel.start).to_pylist())
    assert _widest_line(LogColumns(table), True) >= max(len(x) for x in plain_lines(table, tel.start).to_pylist())
    assert _widest_line(LogColumns(logs.slice(0, 0)), False) == 0


def test_a_changed_future_keeps_the_filter_cursor_and_place_and_drops_stale_matches():
    """A learner's action changes the incident after now (replace_logs): the lines shown are the
    same, so the filter, the cursor and the count stay; the filter is matched again on the new
    table, and a pass still arriving from the old one is dropped, not shown against the new."""
    import threading

    import pyarrow as pa

    tel = incident()
    now = FAULT_AT + 60.0
    seen = int(np.searchsorted(tel.logs["t"].to_numpy(), now, side="right"))
    # The same lines up to now, then another future: the old one with its next 2,000 lines gone.
    changed = pa.concat_tables([tel.logs.slice(0, seen), tel.logs.slice(seen + 2000)])

    def substring(table, gate=None):
        def match(flt, lo, hi):
            if gate is not None:
                gate.wait(10)
            hit = pc.match_substring(table["message"].slice(lo, hi - lo), flt.text).to_numpy(zero_copy_only=False)
            return np.flatnonzero(hit) + lo

        return match

    async def script(app, pilot):
        view = app.widget
        view.now = now
        view.filter = LogFilter(text="retrying")
        await settle(app, pilot)
        view.cursor = view.row_count - 3
        await pilot.pause()
        selected, rows, old = view.selected_id, view.row_count, view.columns
        assert rows > 10 and view.match_count > rows  # the full pass knows the old future too
        stale = np.flatnonzero(pc.match_substring(tel.logs["message"], "retrying").to_numpy(zero_copy_only=False))

        gate = threading.Event()  # the new table's match waits: the stale pass lands first
        view.replace_logs(changed, substring(changed, gate))
        view.post_message(LogView.Filtered(view, view.filter, stale, 0.0, table=old))  # from before the change
        await pilot.pause()
        await pilot.pause()
        assert view.match_count == rows and view.row_count == rows  # what is known of the new table: up to now
        gate.set()
        await settle(app, pilot)
        assert view.filter.text == "retrying" and view.selected_id == selected and view.row_count == rows
        expected = np.flatnonzero(pc.match_substring(changed["message"], "retrying").to_numpy(zero_copy_only=False))
        assert view.match_count == len(expected) != len(stale)
        assert np.array_equal(view.table_rows(0, view.match_count), expected)

    drive(LogView(tel.logs, tel.start, substring(tel.logs)), script)
