from dojo.tui.widgets.clock_bar import ClockBar
from dojo.tui.widgets.timeline import Timeline

from .helpers import drive, incident


def test_timeline_shows_events_up_to_now_and_facilitator_notes():
    tel = incident()
    firing = float(tel.events[tel.events.kind == "alert_firing"].t.iloc[0])

    async def script(app, pilot):
        tl = app.widget
        tl.set_events(tel.events, tel.start)
        tl.now = firing - 1
        await pilot.pause()
        assert tl.row_count == 0 and "nothing has happened" in tl.render_line(0).text
        tl.now = firing
        await pilot.pause()
        assert tl.row_count == 1 and "▲ FIRING CheckoutP99High" in tl.render_line(0).text
        assert tl.status == "1 alert firing"
        tl.add_note(firing + 5, "Payments team says their provider is slow")
        tl.now = firing + 10
        await pilot.pause()
        assert "facilitator: Payments team" in tl.render_line(1).text
        tl.focus()
        await pilot.press("down", "enter")
        assert app.of(Timeline.EventChosen)[-1].entry.kind == "alert_firing"

    drive(Timeline(), script, size=(80, 8))


def test_clock_bar_shows_time_speed_wall_and_penalties():
    async def script(app, pilot):
        bar = app.widget
        bar.now, bar.duration, bar.speed, bar.wall_elapsed, bar.penalties = 905, 2700, 10, 95, 120
        await pilot.pause()
        text = bar.render_line(0).text
        for part in ("T+15:05 / T+45:00", "14:15:05 UTC", "×10", "wall 1:35", "penalties +2:00"):
            assert part in text
        bar.paused = True
        await pilot.pause()
        assert "paused" in bar.render_line(0).text

    drive(ClockBar(), script, size=(100, 1))
