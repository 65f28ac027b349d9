import subprocess
import sys

import numpy as np
import pytest

from dojo.tui.data.log_rows import FilterError, LogFilter
from dojo.tui.data.metric_cube import MetricCube

from .helpers import incident, matcher


def test_the_data_layer_does_not_import_textual():
    """dojo/tui/data is meant to move into the engine: it must stay free of the UI toolkit."""
    code = (
        "import sys, dojo.tui.data.log_rows, dojo.tui.data.health, dojo.tui.data.braille; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_engines_filter_matches_a_python_scan_with_smart_case():
    tel = incident()
    match, n = matcher(tel), tel.n_logs
    messages = tel.logs["message"].to_pylist()
    lower = match(LogFilter(text="timed out"), 0, n)
    assert lower.tolist() == [i for i, m in enumerate(messages) if "timed out" in m.lower()]
    exact = match(LogFilter(text="GET /api"), 0, n)  # an upper-case letter: exact case
    assert exact.tolist() == [i for i, m in enumerate(messages) if "GET /api" in m]
    assert match(LogFilter(text="GET /api"), 100, 5000).tolist() == [i for i in exact.tolist() if 100 <= i < 5000]
    with pytest.raises(FilterError, match="service"):
        match(LogFilter(service="nope"), 0, n)
    with pytest.raises(FilterError, match="invalid regex"):
        match(LogFilter(text="[", regex=True), 0, n)
    with pytest.raises(FilterError, match="500 characters"):
        match(LogFilter(text="x" * 501), 0, n)


def test_plain_text_with_regex_characters_is_taken_literally():
    tel = incident()
    got = matcher(tel)(LogFilter(text="(request_id="), 0, tel.n_logs)
    messages = incident().logs["message"].to_pylist()
    assert len(got) and got.tolist() == [i for i, m in enumerate(messages) if "(request_id=" in m]


def test_metric_cube_sees_only_buckets_reported_by_now():
    tel = incident()
    cube = MetricCube(tel.metrics, tel.grid)
    t, v = cube.series("checkout", "rps", now=95.0)
    assert t.tolist() == list(np.arange(0, 90, 10.0))  # the bucket at 90 reports at 100
    m = tel.metrics
    want = m[(m.service == "checkout") & (m.metric == "rps") & (m.t < 85)].value.to_numpy()
    assert np.allclose(v, want)
    assert not cube.has("provider", "cpu_pct")


def test_on_the_engine_thread_only_the_newest_filter_is_matched():
    """Typing 'retrying' letter by letter queues a match per letter on the one engine thread; those
    typed past are skipped when their turn comes instead of each scanning every line."""
    import threading
    import time

    from dojo.tui.data.log_rows import engine_matcher
    from dojo.tui.engine_thread import EngineThread

    from .helpers import _signals

    tel = incident()
    signals = _signals(id(tel), tel)
    asked: list[str] = []

    class Counting:
        def log_rows(self, q, lo, hi):
            asked.append(q.contains)
            return signals.log_rows(q, lo, hi)

    engine = EngineThread()
    busy = threading.Event()
    engine.submit(busy.wait)  # the engine thread is busy (a recorded query, say) while the learner types
    match = engine_matcher(engine.submit, Counting())
    typed = [LogFilter(text="retrying"[:n]) for n in range(1, 9)]
    got: dict[str, np.ndarray] = {}
    threads = []
    for flt in typed:  # one pane worker per letter, each waiting on the engine thread
        t = threading.Thread(target=lambda f=flt: got.__setitem__(f.text, match(f, 0, tel.n_logs)))
        t.start()
        threads.append(t)
        time.sleep(0.02)
    busy.set()
    for t in threads:
        t.join(timeout=60)
    engine.shutdown()
    assert asked == ["retrying"]  # one scan, for the filter on screen
    assert len(got["retrying"]) > 0 and all(len(got[f.text]) == 0 for f in typed[:-1])
