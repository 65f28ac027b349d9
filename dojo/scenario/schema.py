"""The JSON Schema of the scenario format, for editors (yaml-language-server) and other tools.

Generated from the model so it cannot drift. Pydantic alone would describe a duration as a number
(what it becomes), but authors write `10m`: durations and ratios are widened here to accept the
strings the loader accepts. Cross-references (a call to an existing service) are beyond JSON
Schema; `dojo validate` checks those.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from .durations import DURATION_PATTERN, parse_duration
from .model import Scenario, _parse_ratio

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
RATIO_PATTERN = r"^\s*\d+(\.\d+)?\s*x\s*$"

# Constraints pydantic leaves under their Python names when it cannot place them on a
# before-validator; JSON Schema spells them so.
_KEYWORDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


class _Generate(GenerateJsonSchema):
    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        func = schema["function"].get("function")
        if func is parse_duration:
            text = {"type": "string", "pattern": DURATION_PATTERN, "examples": ["90s", "10m", "1h30m"]}
            return {"anyOf": [inner, text], "description": "a duration: 90s, 10m, 1h30m, 250ms, or seconds"}
        if func is _parse_ratio:
            text = {"type": "string", "pattern": RATIO_PATTERN, "examples": ["3x", "1.5x"]}
            return {"anyOf": [inner, text], "description": "a ratio: 3x, 1.5x, or a number"}
        return inner


def _tidy(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            key = _KEYWORDS.get(key, key) if not isinstance(value, (dict, list)) else key
            out.setdefault(key, _tidy(value))
        return out
    if isinstance(node, list):
        return [_tidy(v) for v in node]
    return node


def scenario_schema() -> dict[str, Any]:
    body = _tidy(Scenario.model_json_schema(by_alias=True, mode="validation", schema_generator=_Generate))
    body.pop("title", None)
    return {
        "$schema": SCHEMA_URI,
        "title": "Debugging dojo scenario",
        "description": (
            "An incident to replay: services, a timeline of faults and changes, alerts and an answer key. See "
            "docs/scenario-format.md."
        ),
        **body,
    }
