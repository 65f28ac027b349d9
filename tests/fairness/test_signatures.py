"""The reasoner's knowledge of the fault library: every kind recognisable by its own words."""

from __future__ import annotations

import string

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dojo.players.signatures import MAX_QUERY_REGEX, SHAPES, kind_of_span, line_patterns, signatures
from dojo.scenario.vocabulary import METRIC_NAMES
from dojo.telemetry.faults import FAULTS

SAMPLE = {"peer": "payments", "service": "checkout", "caller": "web", "caller_ip": "10.4.5.6"}
NUMERIC = {"n", "ms", "attempt", "mem", "disk", "depth", "port"}


def render(text: str, params: dict) -> str:
    """A template as the synthesizer would write it, with plausible values."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if field is None:
            continue
        if field in params:
            out.append(str(params[field]))
        elif field in SAMPLE:
            out.append(SAMPLE[field])
        elif field in NUMERIC:
            out.append("42")
        else:
            out.append("GET /api/v1/orders")
    return "".join(out)


@pytest.mark.parametrize("kind", sorted(k for k in FAULTS if k != "no_fault"))
def test_every_fault_kind_is_recognisable(kind):
    # A kind the reasoner cannot recognise would make every scenario using it unsolvable by
    # the fairness test: give it log templates, a span message of its own or a metric shape.
    assert signatures()[kind].telling, f"{kind} has no template, no span message of its own and no entry in SHAPES"


@pytest.mark.parametrize("pattern", line_patterns(), ids=lambda p: f"{p.kind}:{p.text[:30]}")
def test_a_rendered_template_matches_its_pattern_and_names_the_suspect(pattern):
    kind = FAULTS[pattern.kind]
    line = render(pattern.text, {k: v for k, v in kind.resolve_params({}).items()})
    expected = "payments" if pattern.side == "caller" else "checkout"
    assert pattern.suspect("checkout", line) == expected, line
    # The query form is what the engine runs: valid RE2, short enough, and it finds the line.
    assert len(pattern.query) <= MAX_QUERY_REGEX
    assert pc.match_substring_regex(pa.array([line]), pattern.query)[0].as_py()


def test_lines_of_one_kind_do_not_pass_for_another():
    lines = [(p, render(p.text, FAULTS[p.kind].resolve_params({}))) for p in line_patterns()]
    for p, _ in lines:
        for q, line in lines:
            if q.kind != p.kind:
                assert p.suspect("checkout", line) is None, f"{p.kind} pattern matches a {q.kind} line: {line}"


def test_span_messages_name_one_kind_each():
    for name, sig in signatures().items():
        if sig.span_message is not None:
            assert kind_of_span(sig.span_message) == name
    assert kind_of_span("call to payments failed") is None
    assert kind_of_span("error") is None  # every kind's default: says nothing


def test_shapes_name_real_kinds_and_metrics():
    for kind, (metric, direction) in SHAPES.items():
        assert kind in FAULTS and metric in METRIC_NAMES and direction in (1, -1)
