"""Loading scenario files. STUB: replaced by the full loader (line-tracking errors)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from .model import Scenario


@dataclass
class ScenarioError(Exception):
    path: str
    line: int | None
    keypath: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.keypath + ': ' if self.keypath else ''}{self.message}"


class ScenarioErrors(Exception):
    def __init__(self, errors: list[ScenarioError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def builtin_dir() -> Path:
    env = os.environ.get("DOJO_SCENARIOS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "scenarios"


def find_scenarios(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        else:
            out.append(p)
    return out


def resolve_scenario(ref: str) -> Path:
    p = Path(ref)
    if p.exists():
        return p
    for cand in find_scenarios([builtin_dir()]):
        if cand.stem == ref:
            return cand
    raise ScenarioErrors([ScenarioError(ref, None, "", "no such file or built-in scenario; see 'dojo list'")])


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioErrors([ScenarioError(str(path), None, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
