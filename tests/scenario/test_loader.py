"""Bad scenario input: each gives one line `file:line: keypath: message` with a fix, never a traceback."""

from __future__ import annotations

import os
import re

import pytest

from dojo.scenario import Scenario, ScenarioErrors, load_scenario, parse_scenario, yamlsafe
from dojo.scenario.yamlsafe import MAX_BYTES

from .conftest import FAKE_FAULTS, SHOP

LINE = re.compile(r"^x\.yaml:\d+: [^\n]+$")


def errors_of(source: str | bytes) -> list[str]:
    with pytest.raises(ScenarioErrors) as info:
        parse_scenario(source, "x.yaml", faults=FAKE_FAULTS)
    lines = [str(e) for e in info.value.errors]
    assert lines and all(LINE.match(line) for line in lines), lines
    return lines


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_fixture_is_valid():
    sc = load_scenario(SHOP, faults=FAKE_FAULTS)
    assert isinstance(sc, Scenario)
    assert sc.duration == 1800 and sc.timeline[1].for_ == 720 and sc.answer.evidence[0].metric.rises == 3


# (old text in the fixture, new text, the expected line, text the message must contain)
EDITS = {
    "duration in words": (
        "duration: 30m",
        "duration: 10 minutes",
        "x.yaml:7: duration: '10 minutes' is not a duration; write 10m",
    ),
    "alias key misspelt": ("for: 12m}", "fro: 12m}", "x.yaml:22: timeline[1].fro: unknown key; did you mean 'for'?"),
    "top key misspelt": ("seed: 11", "sede: 11", "x.yaml:8: sede: unknown key; did you mean 'seed'?"),
    "unknown key, nothing close": ("seed: 11", "zzz: 11", "x.yaml:8: zzz: unknown key; allowed keys: id, title,"),
    "text expected": (
        "title: Slow checkout after a payments deploy",
        "title: 1.10",
        "x.yaml:4: title: expected text, got the number 1.1; put it in quotes",
    ),
    "norway": ("tags: [latency, red-herring]", "tags: [latency, no]", "x.yaml:6: tags[1]: expected text, got false"),
    "whole number": ("difficulty: 2", "difficulty: 2.5", "x.yaml:5: difficulty: must be a whole number, not 2.5"),
    "list expected": (
        "tags: [latency, red-herring]",
        "tags: latency",
        "x.yaml:6: tags: expected a list, got the text 'latency'; write [latency]",
    ),
    "above limit": ("rps: 40", "rps: 9000", "x.yaml:14: services[0].rps: must be at most 5000, not 9000"),
    "duration limit": ("duration: 30m", "duration: 30s", "x.yaml:7: duration: must be more than 1m, not 30s"),
    "not finite": ("above: 1500", "above: .nan", "x.yaml:24: alerts[0].above: must be a finite number"),
    "literal": (
        "kind: lb",
        "kind: dbb",
        "x.yaml:14: services[0].kind: 'dbb' is not one of http, worker, db, cache, queue, lb, external; did you mean "
        "'db'?",
    ),
    "slug": (
        "name: checkout\n",
        "name: Check Out\n",
        "x.yaml:15: services[1].name: 'Check Out' is not allowed here; write lowercase letters, digits and '-', "
        "starting with a letter (like check-out)",
    ),
    "missing key": (
        "title: Slow checkout after a payments deploy\n",
        "",
        "x.yaml:3: title: required key is missing; add it",
    ),
    "missing nested": (
        "service: payments, fault:",
        "fault:",
        "x.yaml:28: answer.accepted[0].service: required key is missing",
    ),
    "empty value": (
        "title: Slow checkout after a payments deploy",
        "title:",
        "x.yaml:4: title: expected text, got an empty value",
    ),
    "model rule": ("above: 1500, ", "", "x.yaml:24: alerts[0]: give exactly one of 'above' or 'below'"),
    "ratio": (
        "rises: 3x",
        "rises: three",
        "x.yaml:30: answer.evidence[0].metric.rises: 'three' is not a ratio; write 3x",
    ),
    "param union": (
        "params: {added_ms: 1200}",
        "params: {added_ms: [1]}",
        "x.yaml:22: timeline[1].params.added_ms: expected a number, text or true/false, got a list",
    ),
    "mapping expected": (
        "  - {name: payments, kind: external}",
        "  - payments",
        "x.yaml:19: services[2]: expected a mapping of keys, got the text 'payments'",
    ),
    "date": ("seed: 11", "seed: 11\nstart: 2026-02-30", "x.yaml:9: start: expected a date and time"),
    "duplicate key": ("seed: 11", "seed: 11\nseed: 12", "x.yaml:9: seed: duplicate key (first at line 8); keep one"),
    "tag": (
        "seed: 11",
        "seed: !!python/object/apply:os.system ['true']",
        "x.yaml:8: tags are not allowed (!!python/object/apply:os.system)",
    ),
    "plain tag": ("seed: 11", "seed: !!int 11", "x.yaml:8: tags are not allowed (!!int)"),
    "anchor": ("seed: 11", "seed: &s 11", "x.yaml:8: anchors (&s) are not allowed"),
    "syntax": (
        "title: Slow checkout",
        "title: Slow: checkout",
        "x.yaml:4: YAML syntax error: a ':' in the middle of a value; put the value in quotes",
    ),
    "tab": ("  - name: checkout", "\t- name: checkout", "x.yaml:15: YAML syntax error: a tab; indent with spaces"),
    "unclosed flow": (
        "red_herring: true}",
        "red_herring: true",
        "x.yaml:21: YAML syntax error: an unclosed '[' or '{'",
    ),
    "unclosed quote": (
        'contains: "deadline exceeded"}}',
        'contains: "deadline exceeded}}',
        "x.yaml:31: YAML syntax error: a quote that is never closed; close it",
    ),
    "two documents": ("debrief: |", "---\ndebrief: |", "x.yaml:35: YAML syntax error: more than one document"),
    "control character": ("seed: 11", "seed: 11\x07", "x.yaml:8: character U+0007 is not allowed in YAML; delete it"),
}


@pytest.mark.parametrize("old,new,expected", EDITS.values(), ids=EDITS.keys())
def test_bad_edit_names_line_and_fix(shop_text, old, new, expected):
    lines = errors_of(edit(shop_text, old, new))
    assert any(line.startswith(expected) for line in lines), lines


def test_alias_bomb_refused_without_expanding():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    lines = errors_of(bomb)
    # One fix, one line (it was 82): the first anchor, and how many more there are.
    assert lines == [
        "x.yaml:1: anchors (&a) are not allowed (and 80 more anchors and aliases after it); "
        "write every value out in full"
    ]


@pytest.mark.parametrize(
    "source,expected",
    [
        ("", "x.yaml:1: the file is empty; start from the example in docs/scenario-format.md"),
        ("# just a comment\n\n", "x.yaml:1: the file is empty"),
        ("\n\n- a\n- b\n", "x.yaml:3: the top level must be a mapping of keys (id: ..., title: ...), not a list"),
        (
            "just text\n",
            "x.yaml:1: the top level must be a mapping of keys (id: ..., title: ...), not a single value ('just text')",
        ),
        (
            b"id: x\ntitle: \x00\x01\x02",
            "x.yaml:2: binary data (a NUL byte at offset 13); a scenario is a UTF-8 text file",
        ),
        (b"id: x\n\ntitle: caf\xe9\n", "x.yaml:3: not UTF-8: byte 0xe9 at offset 17; save the file as UTF-8"),
        ("a: " + "[" * 100 + "]" * 100, "x.yaml:1: nested more than 16 levels deep; a scenario never needs that"),
        ("a: " + "x" * (MAX_BYTES + 1), "x.yaml:1: larger than the limit of 1 MB"),
    ],
    ids=["empty", "comments only", "list", "scalar", "nul", "latin-1", "deep", "huge text"],
)
def test_whole_file_problems(source, expected):
    [line] = errors_of(source)
    assert line.startswith(expected), line


def test_too_many_values(monkeypatch):
    # The real cap (MAX_NODES) works the same; a small one keeps the test fast.
    monkeypatch.setattr(yamlsafe, "MAX_NODES", 500)
    assert errors_of("a: [" + "1, " * 600 + "]") == [
        "x.yaml:1: more than 500 values; a scenario is far smaller than that"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "duration in words",
        "alias key misspelt",
        "tag",
        "anchor",
        "syntax",
        "tab",
        "unclosed flow",
        "two documents",
        "control character",
    ],
)
def test_same_answers_without_libyaml(monkeypatch, shop_text, name):
    """PyYAML without libyaml falls back to its pure-Python parser: the same lines come out."""
    old, new, _ = EDITS[name]
    text = edit(shop_text, old, new)
    fast = errors_of(text)
    monkeypatch.setattr(yamlsafe, "_FastLoader", None)
    assert errors_of(text) == fast
    assert parse_scenario(shop_text, "x.yaml", faults=FAKE_FAULTS).id == "shop-slow-payments"


def test_bom_is_fine(shop_text):
    assert parse_scenario(b"\xef\xbb\xbf" + shop_text.encode(), "x.yaml", faults=FAKE_FAULTS).id == "shop-slow-payments"


def test_all_errors_collected_and_sorted_by_line(shop_text):
    text = edit(shop_text, "debrief: |", "debrif: |")
    text = edit(text, "difficulty: 2", "difficulty: 9")
    text = edit(text, "rps: 40", "rps: -1")
    text = edit(text, "seed: 11", "seed: 11\nseed: 3")
    lines = errors_of(text)
    assert [int(line.split(":")[1]) for line in lines] == [5, 9, 15, 36]
    assert lines[0].startswith("x.yaml:5: difficulty: must be at most 5, not 9")
    assert lines[-1].startswith("x.yaml:36: debrif: unknown key; did you mean 'debrief'?")


def test_keys_from_the_file_cannot_break_the_line(shop_text):
    lines = errors_of(edit(shop_text, "seed: 11", '"se\\ned": 11'))
    assert lines == ["x.yaml:8: 'se\\ned': unknown key; did you mean 'seed'?"]


def test_a_key_ending_in_a_line_break_is_quoted_too(shop_text):
    """A final newline once passed as a plain key ("$" matches before it) and split the line."""
    lines = errors_of(edit(shop_text, "seed: 11", '"0\\n": 11'))
    assert lines == ["x.yaml:8: '0\\n': unknown key; allowed keys: " + lines[0].split("allowed keys: ")[1]]
    assert "\n" not in lines[0]


def test_non_scalar_key(shop_text):
    lines = errors_of(edit(shop_text, "seed: 11", "? [a, b]\n: 11"))
    assert lines == ["x.yaml:8: a key must be a plain name, not a list or mapping"]


def test_file_problems(tmp_path):
    def one(path) -> str:
        with pytest.raises(ScenarioErrors) as info:
            load_scenario(path)
        [err] = info.value.errors
        return str(err)

    assert one(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such file"
    assert one(tmp_path).startswith(f"{tmp_path}: is a folder")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (2 * MAX_BYTES))
    assert one(big) == f"{big}:1: file is 2.0 MB; the limit is 1 MB"
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert one(fifo) == f"{fifo}: not a regular file"
