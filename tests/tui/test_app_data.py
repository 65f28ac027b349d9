"""The pure data behind the app's screens: library cards and records, the score card's text,
the debrief timeline, progress, and the filter a pane records."""

from pathlib import Path

import pytest

from dojo.store import Store
from dojo.tui.data.card import card_terms, card_text, headline
from dojo.tui.data.debrief import INCIDENT, YOU, debrief_timeline
from dojo.tui.data.library import Card, LibraryFilter, read_cards, records, scenarios_dir
from dojo.tui.data.log_rows import LogFilter
from dojo.tui.data.pins import pin_label
from dojo.tui.data.progress import summaries, ttcd_series, weakest
from dojo.tui.data.units import offset
from dojo.tui.screens.debrief import timeline_content

from .apps import _telemetry, scenario


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "dojo.sqlite3") as s:
        yield s


def session(store, **kw):
    from dojo.engine.session import Session

    return Session.start(scenario(), store, telemetry=_telemetry(None), clock="manual", **kw)


# -- the library -------------------------------------------------------------------------------


def test_cards_come_from_the_yaml_alone(tmp_path):
    (tmp_path / "a.yaml").write_text("id: a\ntitle: Alpha\ndifficulty: 2\ntags: [dns, latency]\nduration: 30m\n")
    (tmp_path / "b.yml").write_text("- not a mapping\n")
    (tmp_path / "c.yaml").write_text("id: [unclosed\n")
    (tmp_path / "notes.txt").write_text("ignored")
    a, b, c = sorted(read_cards(tmp_path), key=lambda card: card.path.name)
    assert (a.id, a.title, a.difficulty, a.tags, a.duration, a.stars, a.problem) == (
        "a",
        "Alpha",
        2,
        ("dns", "latency"),
        "30m",
        "★★☆☆☆",
        "",
    )
    assert b.id == "b" and "not a mapping" in b.problem
    assert c.id == "c" and c.problem  # listed, with the reason, rather than lost
    assert read_cards(tmp_path / "missing") == []


def test_the_built_in_folder_is_the_loaders(monkeypatch, tmp_path):
    from dojo.scenario import builtin_dir

    assert scenarios_dir() == builtin_dir()
    monkeypatch.setenv("DOJO_SCENARIOS", str(tmp_path))
    assert scenarios_dir() == builtin_dir() == tmp_path


def test_library_filter_by_text_tag_and_difficulty():
    card = Card("checkout-retry-storm", "Checkout latency", 3, ("retries", "latency"), "45m", Path("x.yaml"))
    assert LibraryFilter().matches(card)
    assert LibraryFilter(text="RETRY").matches(card) and LibraryFilter(text="latency").matches(card)
    assert not LibraryFilter(text="dns").matches(card)
    assert LibraryFilter(tag="retries").matches(card) and not LibraryFilter(tag="dns").matches(card)
    assert LibraryFilter(difficulty=3).matches(card) and not LibraryFilter(difficulty=2).matches(card)


def test_records_count_attempts_keep_the_best_ttcd_and_the_newest_unfinished(store):
    s = session(store)
    s.advance(120)
    s.diagnose("checkout", "retry_storm", "retries")
    fast = s.score().ttcd_s  # 120 s: a manual clock at 1x
    session(store)  # left open
    t = session(store)
    t.give_up()
    rec = records(store)["checkout-retry-storm"]
    assert (rec.attempts, rec.solved, rec.best_ttcd_s, rec.resumable) == (3, 1, fast, 2)


# -- the score card ----------------------------------------------------------------------------


def test_the_card_reads_as_docs_scoring_md_shows_it(store):
    from tests.engine.scoring_example import play, render

    card = play(session(store))
    assert card_text(card) == render(card)  # render() is what the doc's worked example prints
    assert headline(card) == "solved in 9:00  ·  467 points"


def test_an_unsolved_card_shows_its_penalties_and_no_points(store):
    s = session(store)
    s.advance(60)
    s.diagnose("payments", "dependency_latency", "slow payments")
    s.hint()
    card = s.give_up().to_dict()
    terms = {t.name: t.value for t in card_terms(card) if t.name}
    assert terms["ttcd_s"] == "- (not solved)" and terms["points"] == "0"
    assert terms["wrong_s"] == "1 x 120 = 120" and terms["hints_s"] == "60 = 60" and terms["penalty_s"] == "180"
    assert headline(card) == "given up after 1:00  ·  0 points"


def test_the_card_shows_what_skipping_ahead_cost():
    from dojo.engine.session import Session
    from dojo.store import Store as S

    with S.open(Path(__import__("tempfile").mkdtemp()) / "d.sqlite3") as st:
        s = Session.start(scenario(), st, telemetry=_telemetry(None), clock="real", speed=10, time_source=lambda: 0.0)
        s.advance(60)
        terms = {t.name: t.value for t in card_terms(s.score().to_dict()) if t.name}
    assert terms["skips_s"] == "60 s of replay skipped = 6" and terms["penalty_s"] == "6"


# -- the debrief timeline ------------------------------------------------------------------------


def test_the_debrief_puts_the_learner_beside_the_truth(store):
    s = session(store)
    s.add_hypothesis("provider slow", service="payment-provider", fault="dependency_latency")
    line = s.logs(service="checkout", contains="retrying request to payments", limit=1).lines[0]
    s.pin(line.id, hypothesis="H1")
    s.advance(60)
    s.diagnose("payment-provider", "dependency_latency", "provider")
    s.hint()
    s.update_hypothesis("H1", status="ruled_out")
    s.diagnose("checkout", "retry_storm", "retries without backoff")
    moments = debrief_timeline(scenario(), s.signals.events, s.events)
    incident = [m.text for m in moments if m.side == INCIDENT]
    you = [(m.kind, m.text) for m in moments if m.side == YOU]
    assert "deploy inventory v2.3.1 (bump logging library) · red herring" in incident
    assert "retry_storm on checkout begins · the cause" in incident
    assert "CheckoutP99High fires (checkout)" in incident and "dependency_latency on payment-provider ends" in incident
    assert [k for k, _ in you] == ["paged", "hypothesis", "pin", "wrong", "hint", "update", "correct"]
    assert you[2][1] == f"pinned → H1 {line.id}  checkout WARN {line.message}"
    assert you[4][1].startswith("hint 1 (+1:00): Compare the request rate")
    assert you[5][1] == "H1 ruled out"
    times = [m.t for m in moments]
    assert times == sorted(times)
    paged = next(m for m in moments if m.kind == "paged")
    alert = next(m for m in moments if m.text.startswith("CheckoutP99High fires"))
    assert moments.index(alert) < moments.index(paged)  # at one instant, the page comes first


def test_the_debrief_lists_the_learners_actions_beside_the_incident(store):
    """When the learner acted, what they did and when it took effect (the next bucket); the
    change does not join the incident's own column: it was theirs, not the incident's."""
    s = session(store)
    s.advance(123.4)
    taken = s.act("scale", "checkout", {"replicas": 8})
    s.advance(60)
    s.act("restart", "payments")
    moments = debrief_timeline(scenario(), s.signals.events, s.events)
    actions = [(m.t, m.text) for m in moments if m.side == YOU and m.kind == "action"]
    at = offset(taken.at)
    assert actions == [
        (960.0 + 123.4, f"you scaled checkout to 8 replicas · in effect from {at}"),
        (960.0 + 183.4, "you restarted payments · in effect from T+19:10"),
    ]
    assert not [m for m in moments if m.side == INCIDENT and "scale checkout" in m.text]
    text = timeline_content(moments).plain
    assert f"◇ you scaled checkout to 8 replicas · in effect from {at}" in text


# -- progress ----------------------------------------------------------------------------------


def test_progress_series_and_weakest_fault_kinds(store):
    for advance in (600, 300):
        s = session(store)
        s.advance(advance)
        s.diagnose("checkout", "retry_storm", "retries")
    session(store).give_up()
    rows = summaries(store)
    assert [r.outcome for r in rows] == ["solved", "solved", "gave_up"]
    assert ttcd_series(rows) == {"checkout-retry-storm": [600.0, 300.0]}
    (w,) = weakest(rows)
    assert (w.fault, w.attempts, w.solved, w.vs_par) == (
        "retry_storm",
        3,
        2,
        pytest.approx((600 / 900 + 300 / 900) / 2),
    )


def test_weakest_puts_the_least_solved_kind_first():
    from dojo.tui.data.progress import AttemptSummary

    def a(i, fault, solved, adjusted=600.0):
        return AttemptSummary(
            i,
            "x",
            "x",
            f"2026-01-0{i}",
            "solved" if solved else "gave_up",
            adjusted if solved else None,
            0.0,
            adjusted if solved else None,
            900.0,
            1,
            0,
            0,
            (fault,),
        )

    order = [
        w.fault
        for w in weakest(
            [
                a(1, "dns_failure", True, 1800.0),
                a(2, "memory_leak", False),
                a(3, "retry_storm", True),
                a(4, "dns_failure", True),
            ]
        )
    ]
    assert order == ["memory_leak", "dns_failure", "retry_storm"]


# -- what a pane records, and how a pin reads ---------------------------------------------------


def test_a_committed_log_filter_is_the_engines_query_for_the_same_lines(store):
    s = session(store)
    from dojo.tui.data.log_rows import LogColumns, signals_matcher

    cols, match = LogColumns(s.signals.log_table), signals_matcher(s.signals)
    for flt in (
        LogFilter(text="retrying"),
        LogFilter(text="GET /api", service="checkout"),
        LogFilter(text=r"attempt [34]/\d", regex=True, level="WARN"),
    ):
        visible = match(flt, 0, len(cols))
        shown = int((cols.t[visible] <= s.now()).sum())
        assert s.logs(record=False, limit=0, **flt.query_args()).count == shown
    assert LogFilter(level="WARN").query_args() == {"level": ["WARN", "ERROR"]}
    assert LogFilter().query_args() == {}


def test_pin_labels():
    assert (
        pin_label(
            "L7",
            "log",
            "2026-03-10T14:00:00Z INFO checkout host hi",
            {"service": "checkout", "level": "INFO", "message": "hi"},
        )
        == "L7  checkout INFO hi"
    )
    assert pin_label("M:a:rps:0:60", "metric", "a rps 0s..60s: min 1", {}) == "M:a:rps:0:60  a rps 0s..60s: min 1"


def test_durations_round_to_the_nearest_second_as_dojo_history_does():
    from dojo.scenario.durations import format_duration
    from dojo.tui.data.units import offset, span

    assert span(18.6) == "19s" and format_duration(18.6) == "19s"
    assert span(59.5) == "1:00" and span(0.4) == "0s"
    assert offset(959.9) == "T+15:59"  # a moment on the clock is cut, like the logs' timestamps
