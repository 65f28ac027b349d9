"""Pydantic's validation errors, retold for scenario authors: where, what is wrong, how to fix.

Pydantic says "Input should be a valid string" with a URL; an author needs "expected text, got
the number 2.3; put it in quotes". Each error is mapped to the location of the offending key in
the data (dropping pydantic's union-member labels) so the loader can name its line.
"""

from __future__ import annotations

import re
import types
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from .durations import format_duration, parse_duration
from .errors import Loc, Problem, suggest
from .model import SLUG_PATTERN, Scenario

# What each pattern in the model asks for, in words, with an example.
_PATTERNS = {
    SLUG_PATTERN: "lowercase letters, digits and '-', starting with a letter (like {slug})",
    r"^[a-z][a-z0-9_]{0,62}$": (
        "a kind name: lowercase letters, digits and '_' (like retry_storm or deploy; see dojo faults)"
    ),
    r"^[a-z0-9][a-z0-9-]{0,40}$": "lowercase letters, digits and '-', at most 41 characters (like {slug})",
    r"^[A-Za-z0-9_.-]{1,64}$": "letters, digits, '_', '.' and '-', at most 64 characters",
    r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$": (
        "letters, digits, '_', '.' and '-', starting with a letter (like CheckoutP99High)"
    ),
}

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true/false",
    "bool_parsing": "true/false",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "datetime_type": "a date and time like 2026-03-10T14:00:00Z",
    "datetime_parsing": "a date and time like 2026-03-10T14:00:00Z",
    "datetime_from_date_parsing": "a date and time like 2026-03-10T14:00:00Z",
}

_BOUNDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def explain(exc: ValidationError, data: Any) -> list[Problem]:
    """One problem per offending location; union members failing at one place become one."""
    groups: dict[Loc, list[ErrorDetails]] = {}
    for err in exc.errors():
        groups.setdefault(_data_loc(err, data), []).append(err)
    return [Problem(loc, _message(loc, errs)) for loc, errs in groups.items()]


def _data_loc(err: ErrorDetails, data: Any) -> Loc:
    """Pydantic's loc, cut where it stops naming keys and items of the data (union labels such as
    'float' or 'constrained-str' follow the real path)."""
    out: list[str | int] = []
    cur = data
    loc = err["loc"]
    for i, part in enumerate(loc):
        if isinstance(cur, dict) and isinstance(part, str):
            if part not in cur:
                if err["type"] == "missing" and i == len(loc) - 1:
                    out.append(part)
                break
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            break
        out.append(part)
    return tuple(out)


def _message(loc: Loc, errs: list[ErrorDetails]) -> str:
    typed = [e for e in errs if e["type"] in _EXPECTED]
    if len(typed) == len(errs) and len(errs) > 1:
        # A union such as a fault parameter (number, text or true/false): say all it accepts.
        wanted = list(dict.fromkeys(_EXPECTED[e["type"]] for e in errs))
        if "a number" in wanted and "a whole number" in wanted:
            wanted.remove("a whole number")
        return f"expected {', '.join(wanted[:-1])} or {wanted[-1]}, got {_describe(errs[0]['input'])}"
    # Otherwise the most specific error: the last union member is the most permissive pattern.
    rest = [e for e in errs if e["type"] not in _EXPECTED] or errs
    return _one(loc, rest[-1])


def _one(loc: Loc, err: ErrorDetails) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return "required key is missing; add it"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = suggest(str(loc[-1]), allowed) or f"; allowed keys: {', '.join(allowed)}"
        return f"unknown key{hint}"
    if kind in _EXPECTED:
        return _type_message(kind, value)
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        show = format_duration if _is_duration(loc) else _number
        return (
            f"must be {words} {show(ctx[key])}, not {show(value) if isinstance(value, (int, float)) else repr(value)}"
        )
    if kind == "finite_number":
        return f"must be a finite number, not {value!r}"
    if kind == "string_pattern_mismatch":
        shape = _PATTERNS.get(ctx["pattern"], f"text matching {ctx['pattern']}")
        return f"{value!r} is not allowed here; write {shape.format(slug=_slugify(value))}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{value!r} is not one of {', '.join(choices)}{suggest(str(value), choices)}"
    if kind in ("too_short", "string_too_short"):
        if kind == "string_too_short" and ctx.get("min_length") == 1:
            return "must not be empty"
        unit = "characters" if kind == "string_too_short" else "items"
        return f"needs at least {ctx.get('min_length')} {unit}"
    if kind in ("too_long", "string_too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        size = f"has {ctx['actual_length']} {unit}; " if ctx.get("actual_length") is not None else ""
        return f"{size}at most {ctx.get('max_length')} {unit} allowed"
    # Our own validators (durations, ratios, model rules) already speak the project's language.
    return re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])


def _type_message(kind: str, value: Any) -> str:
    wanted = _EXPECTED[kind]
    if kind == "int_from_float" or (kind == "int_parsing" and isinstance(value, float)):
        return f"must be a whole number, not {value!r}"
    got = _describe(value)
    if wanted == "text" and isinstance(value, (bool, int, float, date)):
        # YAML reads `no`, `on`, `1.10` and `2026-01-01` as non-text: quoting keeps them as written.
        return f"expected text, got {got}; put it in quotes"
    if wanted == "a list" and isinstance(value, str):
        return f"expected a list, got {got}; write [{value}] or one '- item' per line"
    if value is None:
        return f"expected {wanted}, got an empty value"
    return f"expected {wanted}, got {got}"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false)"
    if isinstance(value, (int, float)):
        return f"the number {_number(value)}"
    if isinstance(value, str):
        return f"the text {value[:40] + '...' if len(value) > 40 else value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _slugify(value: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")
    return slug if re.match(r"^[a-z]", slug) else f"x-{slug}".rstrip("-")


# --- the model's shape at a location -------------------------------------------------------


def _candidates(tp: Any) -> list[Any]:
    """The concrete types behind Optional, Union and Annotated."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _candidates(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [c for arg in get_args(tp) for c in _candidates(arg)]
    return [tp]


def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    # Keys as authors write them: `for`, not `for_`.
    return {f.alias or name: f for name, f in model.model_fields.items()}


def _resolve(loc: Loc) -> tuple[Any, FieldInfo | None]:
    """The annotation (and field, when loc ends at one) that the model expects at `loc`."""
    tp: Any = Scenario
    field: FieldInfo | None = None
    for part in loc:
        for cand in _candidates(tp):
            origin = get_origin(cand)
            if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(part, str):
                field = _fields(cand).get(part)
                if field is not None:
                    tp = field.annotation
                    break
            elif origin is list and isinstance(part, int):
                tp, field = get_args(cand)[0], None
                break
            elif origin is dict and isinstance(part, str):
                tp, field = get_args(cand)[1], None
                break
        else:
            return None, None
    return tp, field


def _allowed_keys(loc: Loc) -> list[str]:
    tp, _ = _resolve(loc)
    models = [c for c in _candidates(tp) if isinstance(c, type) and issubclass(c, BaseModel)]
    return list(_fields(models[0])) if models else []


def _is_duration(loc: Loc) -> bool:
    tp, field = _resolve(loc)
    meta = list(field.metadata) if field else []
    stack = [tp]
    while stack:
        t = stack.pop()
        if get_origin(t) is Annotated:
            meta.extend(t.__metadata__)
        stack.extend(get_args(t))
    return any(getattr(m, "func", None) is parse_duration for m in meta)
