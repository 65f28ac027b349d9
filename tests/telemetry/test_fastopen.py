"""Briefing cards and the memoized code hash (dojo/telemetry/fastopen.py): what a cached launch
reads before anything heavy, and never for a file, seed, code or incident other than its own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dojo.telemetry import fastopen
from dojo.telemetry.fastopen import card_source, code_versions, read_card, scenario_path, write_card

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "checkout-retry-storm.yaml"
CARD = {"briefing": {"title": "t"}, "tags": []}


@pytest.fixture
def setup(tmp_path):
    """A cache folder with one entry, and a scenario file of our own."""
    root = tmp_path / "cache"
    (root / "k1").mkdir(parents=True)
    (root / "k1" / "meta.json").write_text("{}")
    sc = tmp_path / "s.yaml"
    shutil.copy(FIXTURE, sc)
    return root, sc


def keep(root: Path, sc: Path, seed=None, imports=None) -> None:
    write_card(root, card_source(sc, seed), "k1", CARD, imports or {})


def test_a_kept_card_is_read_back_for_the_same_file_and_seed(setup):
    root, sc = setup
    keep(root, sc)
    assert read_card(root, sc, None) == CARD
    assert read_card(root, str(sc), None) == CARD  # a path given as text, as the command line does
    assert read_card(root, sc, 7) is None  # another seed is another incident


def test_a_model_without_a_file_has_its_card_by_content(setup):
    """A scenario handed over as a model (a script's, the benchmark's) is found by what it says."""
    from dojo.scenario import load_scenario

    root, sc = setup
    loaded = load_scenario(sc)
    model = type(loaded).model_validate(loaded.model_dump(mode="json", by_alias=True))
    assert model.file is None
    assert read_card(root, model, None) is None
    write_card(root, card_source(model, None), "k1", CARD, {})
    assert fastopen.read_kept(root, model, None) == (CARD, "k1")
    assert read_card(root, model, 7) is None  # another seed
    assert read_card(root, model.model_copy(update={"title": "another"}), None) is None  # another scenario
    assert read_card(root, sc, None) is None  # the file's own card is another


def test_an_edited_file_has_no_card(setup):
    root, sc = setup
    keep(root, sc)
    sc.write_text(sc.read_text().replace("Checkout latency", "Checkout slowness"))
    assert read_card(root, sc, None) is None


def test_a_card_whose_incident_left_the_cache_is_not_served(setup):
    root, sc = setup
    keep(root, sc)
    shutil.rmtree(root / "k1")
    assert read_card(root, sc, None) is None


def test_a_changed_import_file_has_no_card(setup, tmp_path):
    root, sc = setup
    signals = tmp_path / "logs.jsonl"
    signals.write_text('{"t": 1}\n')
    keep(root, sc, imports={"logs": signals})
    assert read_card(root, sc, None) == CARD
    signals.write_text('{"t": 2}\n')
    assert read_card(root, sc, None) is None


def test_changed_code_has_no_card(setup, monkeypatch):
    root, sc = setup
    keep(root, sc)
    monkeypatch.setattr(fastopen, "fingerprint", lambda trees=fastopen.CARD_TREES: "another build")
    assert read_card(root, sc, None) is None


def test_a_damaged_card_is_a_miss(setup):
    root, sc = setup
    keep(root, sc)
    (card,) = (root / fastopen.CARD_DIR).iterdir()
    card.write_text("{not json")
    assert read_card(root, sc, None) is None


def test_built_in_ids_resolve_without_loading_anything():
    assert scenario_path("checkout-retry-storm").name == "checkout-retry-storm.yaml"
    assert scenario_path("no-such-scenario") is None and scenario_path("../etc/passwd") is None


def test_the_code_hash_is_computed_once_per_installed_version(tmp_path, monkeypatch):
    calls = []
    real = fastopen._content_hash
    monkeypatch.setattr(fastopen, "_content_hash", lambda trees: calls.append(trees) or real(trees))
    first = code_versions(tmp_path)
    assert code_versions(tmp_path) == first and len(calls) == 1
    assert set(first) == {"code", *fastopen.PACKAGES}
    # A file of the synthesizing code changed (size or time): hashed again.
    monkeypatch.setattr(fastopen, "fingerprint", lambda trees=fastopen.CARD_TREES: "edited")
    code_versions(tmp_path)
    assert len(calls) == 2


def test_reading_a_card_imports_nothing_heavy(setup):
    root, sc = setup
    keep(root, sc)
    probe = (
        "import sys\n"
        "from dojo.telemetry.fastopen import read_card\n"
        f"assert read_card(__import__('pathlib').Path({str(root)!r}), {str(sc)!r}, None) is not None\n"
        "heavy = ('numpy', 'pandas', 'pyarrow', 'faker', 'pydantic', 'yaml')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json\n" + probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout) == []
