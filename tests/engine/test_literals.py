"""The regex prefilter: which literals a regex needs, and that using them never changes an answer."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dojo.engine.api import LogQuery
from dojo.engine.literals import required_literals


@pytest.mark.parametrize(
    "regex, literals",
    [
        (r"timed out after \d+ms", ["timed out after "]),
        (r"(503 Service Unavailable|connection error)", ["503 Service Unavailable", "connection error"]),
        (r"^GET /api", ["GET /api"]),
        (r"foo.*bar baz", ["bar baz"]),
        (r"a\.b\.c", ["a.b.c"]),
        (r"caf\xe9 ok", ["café ok"]),
        (r"\d+", None),  # nothing literal
        (r"ab", None),  # too short to be worth a pass
        (r"x(abc|de)y", None),  # a branch too short
        (r"(abc)+", None),  # repeated groups are left alone
        (r"(?i)timeout", None),  # case-insensitive: RE2 decides alone
        (r"a(?i:bcde)f", None),
        (r"\Qabc\E", None),  # RE2 syntax Python's parser does not share
        (r"[[:alpha:]]+ failed", [" failed"]),
    ],
)
def test_required_literals(regex, literals):
    assert required_literals(regex) == literals


ATOMS = ["retrying", "request", "payments", "timed out", "after", "ms", "503", "GET", "pool", "client=", "attempt"]
PIECES = st.sampled_from([r"\d+", r"\s", ".", ".*", "[0-9]", r"\w+", " ", "/", r"\(", "(?:x|y)?"])


@st.composite
def regexes(draw):
    parts = draw(st.lists(st.one_of(st.sampled_from(ATOMS), PIECES), min_size=1, max_size=5))
    regex = "".join(parts)
    if draw(st.booleans()):
        other = draw(st.sampled_from(ATOMS))
        regex = f"({regex}|{other})" if draw(st.booleans()) else f"{regex}|{other}"
    return regex


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(regex=regexes(), now=st.sampled_from([960.0, 2700.0]))
def test_the_prefilter_never_changes_an_answer(signals, monkeypatch, regex, now):
    with_prefilter = signals.logs(LogQuery(regex=regex, limit=10), now)
    monkeypatch.setattr("dojo.engine.textsearch.required_literals", lambda _r: None)
    without = signals.logs(LogQuery(regex=regex, limit=10), now)
    monkeypatch.undo()
    assert (with_prefilter.count, [x.id for x in with_prefilter.lines]) == (
        without.count,
        [x.id for x in without.lines],
    )
