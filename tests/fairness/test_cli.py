"""`dojo fairness` on the command line."""

from __future__ import annotations

from click.testing import CliRunner

from dojo.cli import cli

from .bench import FIXTURES


def test_a_fair_scenario_passes_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_HOME", str(tmp_path / "home"))
    path = next(p for p in FIXTURES if p.stem == "fx-sms-quota")
    res = CliRunner().invoke(cli, ["fairness", str(path), "--seeds", "1", "--guesses", "2"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("fx-sms-quota: fair; reasoner 4")
    assert res.output.splitlines()[-1] == "1 scenario fair"
    assert not (tmp_path / "home").exists()  # scripted attempts stay out of the learner's history


def test_an_unsolvable_scenario_fails_and_says_what_the_reasoner_saw(tmp_path):
    path = next(p for p in FIXTURES if p.stem == "fx-orders-pool")
    broken = tmp_path / "fx-broken.yaml"
    text = path.read_text().replace("id: fx-orders-pool", "id: fx-broken")
    broken.write_text(
        text.replace(
            "{service: orders, fault: connection_pool_exhaustion}", "{service: catalog, fault: cpu_saturation}"
        )
    )
    res = CliRunner().invoke(cli, ["fairness", str(broken), "--seeds", "1", "--guesses", "1"])
    assert res.exit_code == 1
    assert "fx-broken: UNFAIR" in res.output
    assert "the reasoner could not solve it" in res.output
    assert "concluded orders/connection_pool_exhaustion" in res.output
    assert res.output.splitlines()[-1] == "1 of 1 scenario unfair or invalid"
