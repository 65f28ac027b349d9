"""HeldTime stands still until released; released `since` a moment, it counts from that moment
(the learner was reading the logs of an early workspace before the attempt existed)."""

from dojo.tui.held_time import HeldTime


class Source:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_held_then_released_now():
    src = Source()
    held = HeldTime(src)
    src.t = 105.0
    assert held() == 100.0 and held.held
    held.release()
    src.t = 107.0
    assert held() == 102.0 and not held.held


def test_released_since_an_earlier_moment_counts_from_it():
    src = Source()
    held = HeldTime(src)  # made at 100
    src.t = 103.0
    held.release(since=99.0)  # the learner has been looking since 99, before it was made
    assert held() == 104.0  # 4 s since 99, on a clock that read 100 when held
    src.t = 110.0
    assert held() == 111.0


def test_a_since_in_the_future_is_now():
    src = Source()
    held = HeldTime(src)
    src.t = 102.0
    held.release(since=150.0)
    assert held() == 100.0
