"""The built-in scenarios are found inside the package, by one lookup, for every reader."""

from __future__ import annotations

from pathlib import Path

import dojo
from dojo.builtin import find_scenarios, scenarios_dir

ROOT = Path(__file__).resolve().parents[2]


def test_the_built_in_folder_is_inside_the_package_and_holds_the_authored_files(monkeypatch):
    monkeypatch.delenv("DOJO_SCENARIOS", raising=False)
    folder = scenarios_dir()
    assert folder.parent == Path(dojo.__file__).parent
    names = [p.name for p in find_scenarios([folder])]
    assert names and names == [p.name for p in find_scenarios([ROOT / "scenarios"])]


def test_every_reader_uses_the_one_lookup(monkeypatch, tmp_path):
    from dojo.scenario import builtin_dir, resolve_scenario
    from dojo.tui.data.library import read_cards

    (tmp_path / "only-one.yaml").write_text("id: only-one\ntitle: Only one\n")
    monkeypatch.setenv("DOJO_SCENARIOS", str(tmp_path))
    assert builtin_dir() == scenarios_dir() == tmp_path
    assert resolve_scenario("only-one") == tmp_path / "only-one.yaml"
    assert [c.id for c in read_cards()] == ["only-one"]


def test_library_cards_go_through_the_hardened_reader(tmp_path):
    """An alias bomb or a python tag is refused with its line, as the loader refuses it."""
    from dojo.tui.data.library import read_card

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\nb: [*a, *a]\n")
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("id: !!python/object:os.system x\n")
    for path in (bomb, tagged):
        card = read_card(path)
        assert card.title == "(unreadable file)" and f"{path}:" in card.problem, card
