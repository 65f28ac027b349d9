"""docs/scenario-format.md tells the truth: its complete example is a valid scenario."""

import re
from pathlib import Path

from dojo.scenario import parse_scenario

from .conftest import FAKE_FAULTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def test_complete_example_is_valid():
    example = re.search(r"## A complete example\n\n```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert example, "the complete example is missing from the doc"
    sc = parse_scenario(example.group(1), "doc-example.yaml", faults=FAKE_FAULTS)
    assert sc.id == "checkout-retry-storm" and sc.answer.accepted[0].trigger == "storm"
