"""The JSON Schema that editors use: valid, in step with the model, and as lenient as the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from dojo.scenario.schema import scenario_schema

from .conftest import SHOP

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = scenario_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_committed_copy_is_current():
    """docs/scenario.schema.json is what scenario modelines point at; regenerate it with
    `dojo schema --out docs/scenario.schema.json` after changing the model."""
    assert json.loads((ROOT / "docs" / "scenario.schema.json").read_text()) == SCHEMA


def test_fixture_passes():
    assert list(VALIDATOR.iter_errors(yaml.safe_load(SHOP.read_text()))) == []


def test_aliases_as_authors_write_them():
    timeline = SCHEMA["$defs"]["TimelineEvent"]["properties"]
    assert "for" in timeline and "for_" not in timeline


@pytest.mark.parametrize("value,ok", [("10m", True), ("1h 30m", True), (90, True), ("10 minutes", False), (-5, False)])
def test_durations_accept_strings_and_numbers(value, ok):
    data = yaml.safe_load(SHOP.read_text())
    data["timeline"][1]["for"] = value
    assert (not list(VALIDATOR.iter_errors(data))) is ok


def test_unknown_keys_and_ranges_are_flagged():
    data = yaml.safe_load(SHOP.read_text())
    data["services"][0]["rps"] = 9000
    data["timeline"][0]["fro"] = "1m"
    where = sorted(list(e.absolute_path) for e in VALIDATOR.iter_errors(data))
    assert where == [["services", 0, "rps"], ["timeline", 0]]
