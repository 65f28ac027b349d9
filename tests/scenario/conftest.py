"""Shared pieces of the scenario tests: the valid fixture and a small fault library.

The reference checks take the fault library as a parameter, so these tests do not depend on which
fault kinds the real library has today."""

from __future__ import annotations

from pathlib import Path

import pytest

from dojo.telemetry.faults import FaultKind, Param

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = FIXTURES / "shop.yaml"


def _kind(name: str, *params: Param) -> FaultKind:
    return FaultKind(
        name=name, description=f"test fault {name}", apply=lambda ctx: None, params={p.name: p for p in params}
    )


FAKE_FAULTS = {
    k.name: k
    for k in (
        _kind("dependency_latency", Param("added_ms", float, 1500.0, "latency added, ms", 1, 120000)),
        _kind("retry_storm", Param("factor", int, 4, "retries per failed call", 1, 10)),
        _kind("no_fault"),
    )
}


@pytest.fixture
def shop_text() -> str:
    return SHOP.read_text(encoding="utf-8")
