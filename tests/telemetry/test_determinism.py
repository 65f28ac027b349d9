"""Same scenario and seed, same bytes; another seed, another incident."""

import hashlib

import pytest

from dojo.telemetry.export import FILES, export
from dojo.telemetry.synthesize import synthesize

from .scenarios import shop

STORM = [
    {"at": "10m", "kind": "dependency_latency", "service": "provider", "for": "5m"},
    {"at": "10m", "kind": "retry_storm", "service": "checkout"},
]


def digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def test_same_seed_same_bytes(tmp_path):
    sc = shop(STORM, duration="20m")
    a = digest_of(sc, tmp_path / "a")
    b = digest_of(sc, tmp_path / "b")
    assert a == b


def digest_of(sc, folder, seed=None):
    export(synthesize(sc, seed=seed), folder)
    return digest(folder)


def test_other_seed_other_bytes(tmp_path):
    sc = shop(STORM, duration="20m")
    a = digest_of(sc, tmp_path / "a")
    c = digest_of(sc, tmp_path / "c", seed=99)
    assert all(a[name] != c[name] for name in ("logs.log", "metrics.csv", "traces.otlp.json"))


def test_logs_are_ordered_with_sequential_ids():
    tel = synthesize(shop(STORM, duration="20m"))
    t = tel.logs["t"].to_numpy()
    assert (t[1:] >= t[:-1]).all()
    assert tel.logs["id"].to_pylist() == list(range(tel.n_logs))
    assert t.min() >= 0 and t.max() <= tel.duration


@pytest.mark.parametrize("name", ["web", "checkout"])
def test_no_template_placeholder_survives(name):
    import pyarrow.compute as pc

    tel = synthesize(shop(STORM, duration="20m"))
    leftovers = pc.match_substring_regex(tel.logs["message"], r"\{[a-z_]+\}")
    assert pc.sum(leftovers).as_py() in (0, None)
