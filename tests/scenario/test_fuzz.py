"""Property: whatever is done to a valid scenario, loading returns a Scenario or explains itself
in `file:line: ...` lines. No other exception escapes."""

from __future__ import annotations

import copy
import os
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dojo.scenario import Scenario, ScenarioErrors, parse_scenario

from .conftest import FAKE_FAULTS, SHOP

TEXT = SHOP.read_text(encoding="utf-8")
BASE = yaml.safe_load(TEXT)
LINE = re.compile(r"^fuzz\.yaml:\d+: [^\n]+$")
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _paths(node, loc=()):
    yield loc
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, loc + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, loc + (i,))


PATHS = [p for p in _paths(BASE) if p]
KEYS = sorted({k for p in PATHS for k in p if isinstance(k, str)}) + ["for", "fro", "rps", "kind", "params"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["10m", "10 minutes", "3x", "web", "checkout", "retry_storm", "deploy", "1h30m", "-5m", "", "no"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
mutations = st.one_of(
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none(), st.none()),
    st.tuples(st.just("replace"), st.sampled_from(PATHS), st.none(), values),
    st.tuples(st.just("insert"), st.sampled_from(PATHS), st.sampled_from(KEYS) | st.text(max_size=10), values),
)


def _at(data, loc):
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _mutate(data, op, loc, key, value):
    parent = _at(data, loc[:-1])
    last = loc[-1]
    if op == "insert":
        target = _at(data, loc)
        if isinstance(target, dict):
            target[key] = value
        elif isinstance(target, list):
            target.append(value)
        return
    if (
        isinstance(parent, dict)
        and last in parent
        or isinstance(parent, list)
        and isinstance(last, int)
        and last < len(parent)
    ):
        if op == "delete":
            del parent[last]
        else:
            parent[last] = value


def assert_loads_or_explains(source):
    try:
        result = parse_scenario(source, "fuzz.yaml", faults=FAKE_FAULTS)
    except ScenarioErrors as exc:
        assert exc.errors
        for err in exc.errors:
            assert LINE.match(str(err)), str(err)
    else:
        assert isinstance(result, Scenario)


@SETTINGS
@given(st.lists(mutations, min_size=1, max_size=4))
def test_mutated_data_loads_or_explains(ops):
    data = copy.deepcopy(BASE)
    for op in ops:
        _mutate(data, *op)
    assert_loads_or_explains(
        yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False)
    )


@SETTINGS
@given(st.integers(0, len(TEXT)), st.integers(0, 40), st.text(max_size=30))
def test_edited_text_loads_or_explains(at, cut, insert):
    assert_loads_or_explains(TEXT[:at] + insert + TEXT[at + cut :])


@SETTINGS
@given(st.integers(0, len(TEXT)), st.binary(max_size=12))
def test_edited_bytes_load_or_explain(at, junk):
    raw = TEXT.encode()
    assert_loads_or_explains(raw[:at] + junk + raw[at:])
