import numpy as np
import pandas as pd
from textual.widgets import Select

from dojo.tui.data import braille
from dojo.tui.data.metric_cube import MetricCube
from dojo.tui.widgets.metric_chart import THRESHOLD_CHAR, MetricChart, nice_ceiling
from dojo.tui.widgets.metrics_pane import MetricsPane

from .helpers import FAULT_AT, drive, incident


def test_braille_plot_draws_a_continuous_line():
    x = np.arange(0, 100.0)
    masks = braille.plot(x, x, 10, 4, (0, 99), (0, 99))
    assert (masks.sum(axis=0) > 0).all()  # every column has dots
    assert masks[-1, 0] and masks[0, -1]  # rising: bottom left to top right
    assert masks[0, 0] == 0 and masks[-1, -1] == 0


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0.7, 1.5, 2.2, 4100, 0)] == [1, 2, 2.5, 5000, 1]


def test_chart_draws_the_threshold_line_and_colours_the_line_above_it():
    t = np.arange(0, 600, 10.0)
    values = np.where(t < 300, 400.0, 2500.0)

    async def script(app, pilot):
        chart = app.widget
        chart.set_series(t, values, metric="latency_p99_ms", duration=600, threshold=1500)
        chart.now = 590
        await pilot.pause()
        height = chart.content_region.height
        lines = [chart.render_line(y).text for y in range(height)]
        row = braille.cell_row(1500, (0, chart.y_top), height - 1)
        assert lines[row].lstrip().startswith("1.50s ┤")
        assert lines[row].count(THRESHOLD_CHAR) > 20
        assert sum(line.count(THRESHOLD_CHAR) for line in lines) == lines[row].count(THRESHOLD_CHAR)
        threshold = chart.get_component_rich_style("metric-chart--threshold").color
        assert any(seg.style.color == threshold and THRESHOLD_CHAR in seg.text for seg in chart.render_line(row))
        over = chart.get_component_rich_style("metric-chart--over").color
        above = [
            seg
            for y in range(row)
            for seg in chart.render_line(y)
            if seg.text.strip(" │") and ord(seg.text.strip()[0]) >= 0x2800
        ]
        assert above and all(seg.style.color == over for seg in above)
        assert "▲T+09:50" in lines[-1]

    drive(MetricChart(), script, size=(70, 10))


def test_metrics_pane_shows_the_alert_threshold_of_its_service_and_metric():
    tel = incident()

    async def script(app, pilot):
        pane = app.widget
        pane.set_data(MetricCube(tel.metrics, tel.grid), tel.scenario.alerts, tel.duration, service="checkout")
        pane.now = FAULT_AT + 120
        await pilot.pause()
        assert pane.metric == "latency_p99_ms" and pane.threshold() == (1500, True)
        chart = pane.query_one(MetricChart)
        assert chart.threshold == 1500 and len(chart.t) == int((FAULT_AT + 120) // tel.grid)
        pane.service = "inventory"
        await pilot.pause()
        assert pane.threshold() == (None, True) and chart.threshold is None

    drive(MetricsPane(), script, size=(90, 14))


def test_every_metric_of_the_vocabulary_can_be_picked_and_has_a_label():
    # The physics added metrics (instances, replication lag...): the pane must offer them too.
    from dojo.scenario.vocabulary import METRIC_NAMES
    from dojo.tui.data.units import METRIC_LABELS, metric_value
    from dojo.tui.widgets.metrics_pane import PREFERRED

    assert sorted(PREFERRED) == sorted(METRIC_NAMES)
    assert PREFERRED[:4] == ["latency_p99_ms", "latency_p50_ms", "rps", "error_rate"]
    assert set(METRIC_LABELS) == set(METRIC_NAMES)
    assert metric_value("replication_lag_s", 42.4) == "42s"
    assert metric_value("clock_skew_s", 2.25) == "2.2s"


def test_the_pane_offers_each_operations_series_after_the_services_own():
    from dojo.scenario.vocabulary import op_metric
    from dojo.tui.data.units import metric_label, metric_value
    from dojo.tui.widgets.metrics_pane import PREFERRED

    t = np.arange(0, 600, 10.0)
    rows = [("rps", 50.0), ("error_rate", 0.3), (op_metric("error_rate", "put"), 0.9), (op_metric("rps", "put"), 9.0)]
    metrics = pd.DataFrame(
        [{"t": x, "service": "api", "metric": m, "value": v} for m, v in rows for x in t],
        columns=["t", "service", "metric", "value"],
    )
    assert metric_label("error_rate{op=put}") == "error rate · op put"
    assert metric_value("error_rate{op=put}", 0.9) == "90%"
    assert metric_value("latency_p99_ms{op=put}", 1500) == "1.50s"

    async def script(app, pilot):
        pane = app.widget
        pane.set_data(MetricCube(metrics, 10.0), [], 600.0, service="api")
        pane.now = 590
        await pilot.pause()
        options = [value for _, value in pane.query_one("#metric-name", Select)._options if isinstance(value, str)]
        assert options == [m for m in PREFERRED if m in ("rps", "error_rate")] + [
            op_metric("error_rate", "put"),
            op_metric("rps", "put"),
        ]
        pane.metric = op_metric("error_rate", "put")
        await pilot.pause()
        assert "op put" in str(pane.border_title) and pane.query_one("#metric-reading").text.startswith("90%")

    drive(MetricsPane(), script, size=(90, 14))
