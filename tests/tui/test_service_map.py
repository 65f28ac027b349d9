from dojo.tui.data.health import FAILING, OK
from dojo.tui.data.metric_cube import MetricCube
from dojo.tui.widgets.service_map import ServiceMap, tree_rows

from .helpers import FAULT_AT, drive, incident


def test_tree_rows_draw_the_call_graph():
    rows = tree_rows(incident().scenario.services)
    assert [r.prefix + r.service for r in rows] == [
        "web",
        "└╴checkout",
        "  ├╴payments",
        "  │ └╴provider",
        "  └╴inventory",
        "    └╴inventory-db",
    ]


def test_service_colours_change_when_the_fault_lands():
    tel = incident()

    async def script(app, pilot):
        m = app.widget
        m.set_services(tel.scenario.services)
        m.set_metrics(MetricCube(tel.metrics, tel.grid))
        row = [r.service for r in m.rows].index("checkout")

        def colour():
            return next(seg.style.color for seg in m.render_line(row) if seg.text == "checkout")

        m.now = FAULT_AT - 10
        await pilot.pause()
        before = colour()
        assert m.state_of("checkout") == OK and before == m.get_component_rich_style("service-map--ok").color
        assert m.status == "all healthy"

        m.now = FAULT_AT + 90
        await pilot.pause()
        assert m.state_of("checkout") == FAILING
        assert colour() == m.get_component_rich_style("service-map--failing").color != before
        assert "failing" in m.status
        m.focus()
        await pilot.press("down", "down")
        assert app.of(ServiceMap.ServiceSelected)[-1].service == "checkout"

    drive(ServiceMap(), script, size=(60, 12))
