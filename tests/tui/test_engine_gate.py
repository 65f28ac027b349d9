"""The engine thread holds back while the UI paints what the learner waits for: calls queued
meanwhile start after `go`, and a paint that never says so holds them PAINT_WAIT_S at most."""

import threading
import time

from dojo.tui import engine_thread
from dojo.tui.engine_thread import EngineThread


def test_calls_wait_for_go():
    engine = EngineThread()
    try:
        engine.hold()
        ran = threading.Event()
        future = engine.submit(ran.set)
        assert not ran.wait(0.2)  # held
        engine.go()
        future.result(timeout=5)
        assert ran.is_set()
    finally:
        engine.go()
        engine.shutdown()


def test_a_lost_go_holds_once_and_briefly(monkeypatch):
    monkeypatch.setattr(engine_thread, "PAINT_WAIT_S", 0.1)
    engine = EngineThread()
    try:
        engine.hold()
        started = time.monotonic()
        engine.submit(lambda: None).result(timeout=5)
        engine.submit(lambda: None).result(timeout=5)
        assert time.monotonic() - started < 1.0  # the first waited 0.1 s, the second not at all
        engine.checkpoint()  # open for good now
    finally:
        engine.shutdown()


def test_a_deferred_matcher_runs_the_engines_once_set_and_gives_up_when_closed(monkeypatch):
    import numpy as np

    from dojo.tui.data import log_rows
    from dojo.tui.data.log_rows import DeferredMatcher, FilterError, LogFilter

    deferred = DeferredMatcher()
    got: list = []
    waiting = threading.Thread(target=lambda: got.append(deferred(LogFilter(text="x"), 0, 10)))
    waiting.start()
    time.sleep(0.1)
    assert not got and not deferred.ready  # waits for the engine
    deferred.set(lambda flt, lo, hi: np.arange(lo, hi))
    waiting.join(5)
    assert got[0].tolist() == list(range(10))

    closed = DeferredMatcher()
    closed.close()
    try:
        closed(LogFilter(text="x"), 0, 10)
        raise AssertionError("a closed matcher matched")
    except FilterError as exc:
        assert "not open" in str(exc)
    monkeypatch.setattr(log_rows, "DEFERRED_WAIT_S", 0.05)
    try:
        DeferredMatcher()(LogFilter(text="x"), 0, 10)
        raise AssertionError("an unset matcher matched")
    except FilterError:
        pass
