"""Real names onto the scenario's, and no data lost without a word."""

import json

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.importer.names import Mapping, by_rule, resolve
from dojo.importer.run import ImportResult, read_file

from .samples import SCENARIO


@pytest.mark.parametrize(
    "real, service",
    [
        ("currencyservice-cf787dd48-vpjrd", "currencyservice"),
        ("currencyservice-cf787dd48-vpjrd_metric", "currencyservice"),
        ("checkout-7d9f8b6c5-x2x9q", "checkout"),
        ("node-exporter-x7kzq", "node-exporter"),  # a DaemonSet's pod
        ("ecs-shop-12-payments-e4b5c8f9a0d1c2b3a401", "payments"),
        ("ecs/orders/0123456789abcdef0123456789abcdef", "orders"),
        ("order-history-reads", "order-history-reads"),  # words, not hashes: left alone
        ("payments", "payments"),
        ("redis-0", "redis-0"),
    ],
)
def test_names_by_rule(real, service):
    assert by_rule(real)[0] == service


def test_a_map_wins_over_the_rules_and_takes_globs():
    maps = [Mapping.parse("currency*=currency"), Mapping.parse("web-v2=web")]
    assert resolve("currencyservice-cf787dd48-vpjrd", maps)[0] == "currency"
    assert resolve("web-v2", maps) == ("web", "--map web-v2=web")
    with pytest.raises(ValueError, match="OLD=NEW"):
        Mapping.parse("nothing")


def _scenario(tmp_path, text=SCENARIO):
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    return path


def _run(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args), "--no-sanitize"])


def test_pods_become_the_scenario_services_and_strangers_are_warned_about(tmp_path):
    scenario = _scenario(tmp_path)
    log = tmp_path / "pods.csv"
    log.write_text(
        "Timestamp,PodName,Log\n"
        "2026-03-10 14:05:00,checkout-7d9f8b6c5-x2x9q,[ERROR] payment failed\n"
        "2026-03-10 14:05:01,currencyservice-cf787dd48-vpjrd,rates ok\n"
    )
    res = _run(log, "--scenario", scenario, "--map", "currencyservice=payments")
    assert res.exit_code == 0, res.output + res.stderr
    assert "named: checkout-7d9f8b6c5-x2x9q -> checkout (Kubernetes pod)" in res.output
    rows = [json.loads(line) for line in (tmp_path / "demo.signals" / "logs.jsonl").read_text().splitlines()]
    assert [(r["service"], r["host"], r["level"]) for r in rows] == [
        ("checkout", "checkout-7d9f8b6c5-x2x9q", "ERROR"),
        ("payments", "currencyservice-cf787dd48-vpjrd", "INFO"),
    ]
    assert "warning" not in res.stderr

    stranger = tmp_path / "inventory.log"
    stranger.write_text("2026-03-10T14:06:00Z ERROR out of stock\n")
    res = _run(stranger, "--scenario", scenario)
    assert res.exit_code == 0
    assert "service 'inventory', which the scenario does not have" in res.stderr
    assert "--map inventory=<one of checkout, payments, web>" in res.stderr
    validate = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert validate.exit_code == 0 and "warning: imported logs name service 'inventory'" in validate.output
    preview = CliRunner().invoke(cli, ["preview", str(scenario)])
    assert "names the scenario does not have" in preview.output and "'inventory'" in preview.output


def test_a_metric_outside_the_vocabulary_is_warned_about_and_can_be_mapped(tmp_path):
    scenario = _scenario(tmp_path)
    csv = tmp_path / "checkout-7d9f8b6c5-x2x9q_metric.csv"
    csv.write_text("TimeStamp,CpuUsageRate(%)\n2026-03-10 14:05:00,97\n")
    res = _run(csv, "--scenario", scenario)
    assert "imported metric 'CpuUsageRate(%)' is not one the dojo knows" in res.stderr
    res = _run(csv, "--scenario", scenario, "--map", "CpuUsageRate(%)=cpu_pct")
    assert res.exit_code == 0 and "warning" not in res.stderr
    text = (tmp_path / "demo.signals" / "metrics.csv").read_text()
    assert text.splitlines()[1].endswith(",checkout,cpu_pct,97.0")


def test_a_stray_quote_in_a_csv_is_refused_naming_its_line(tmp_path):
    scenario = _scenario(tmp_path)
    rows = [f"2026-03-10T14:{i // 60 % 60:02d}:{i % 60:02d}Z,checkout,request {i} ok" for i in range(2000)]
    rows[3] = '2026-03-10T14:00:03Z,checkout,"request 3 said ok'  # the quote never closes on its line
    csv = tmp_path / "app.csv"
    csv.write_text("timestamp,service,message\n" + "\n".join(rows) + "\n")
    res = _run(csv, "--scenario", scenario)
    assert res.exit_code == 1
    assert f"{csv}:5: the CSV quoting cannot be read" in res.stderr and "nothing was imported" in res.stderr
    assert not (tmp_path / "demo.signals").exists()
    # A later quote closes it: the rows between would be swallowed into one field.
    swallowing = rows[:]
    swallowing[1500] = '2026-03-10T14:25:00Z,checkout,"quoted" reply'
    csv.write_text("timestamp,service,message\n" + "\n".join(swallowing) + "\n")
    res = _run(csv, "--scenario", scenario)
    assert res.exit_code == 1, res.output
    assert f"{csv}:5: " in res.stderr and "quot" in res.stderr
    csv.write_text("timestamp,service,message\n" + "\n".join(rows[:3] + rows[4:]) + "\n")
    assert _run(csv, "--scenario", scenario).exit_code == 0
    assert len((tmp_path / "demo.signals" / "logs.jsonl").read_text().splitlines()) == 1999


def test_a_quoted_field_over_several_lines_is_still_one_record(tmp_path):
    csv = tmp_path / "app.csv"
    csv.write_text('timestamp,message\n2026-03-10T14:00:00Z,"line one\nline two"\n2026-03-10T14:00:01Z,next\n')
    result = ImportResult()
    read_file(csv, result, year=2026)
    assert [r.msg for r in result.logs] == ["line one\nline two", "next"]


def test_the_metrics_csv_dojo_generate_writes_imports_back_series_by_series(tmp_path):
    out = tmp_path / "gen"
    assert CliRunner().invoke(cli, ["generate", "checkout-retry-storm", "--out", str(out)]).exit_code == 0
    result = ImportResult()
    read_file(out / "metrics.csv", result)
    rep = result.reports[0]
    assert "timestamp, service, metric, value" in rep.format and not rep.skipped
    import pandas as pd

    frame = pd.read_csv(out / "metrics.csv")
    assert len(result.points) == len(frame)
    got = {(p.service, p.metric) for p in result.points}
    assert got == set(zip(frame["service"], frame["metric"]))


def test_a_symlink_inside_a_folder_is_not_followed_and_is_named(tmp_path):
    scenario = _scenario(tmp_path)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "web.log").write_text("2026-03-10T14:05:00Z ERROR web upstream overloaded\n")
    outside = tmp_path / "elsewhere.log"
    outside.write_text("2026-03-10T14:06:00Z ERROR web not part of the bundle\n")
    (bundle / "link.log").symlink_to(outside)
    res = CliRunner().invoke(cli, ["import", str(bundle), "--scenario", str(scenario), "--secret", "s"])
    assert res.exit_code == 0, res.output
    assert f"{bundle / 'link.log'}" in res.output and "symbolic link" in res.output
    assert "not part of the bundle" not in (tmp_path / "demo.signals" / "logs.jsonl").read_text()
    # dojo sanitize treats the same folder the same way: the link's target is not read.
    out = tmp_path / "clean"
    assert CliRunner().invoke(cli, ["sanitize", str(bundle), "--out", str(out), "--secret", "s"]).exit_code == 0
    assert not any("not part of the bundle" in f.read_text() for f in out.rglob("*.log"))


def test_control_characters_in_messages_are_written_as_valid_json(tmp_path):
    from dojo.importer.run import write

    log = tmp_path / "app.log"
    log.write_text(
        '2026-03-10T14:00:00Z ERROR \x1b[31mred\x1b[0m "quoted" back\\slash\ttab\n2026-03-10T14:00:01Z INFO ok\n'
    )
    result = ImportResult()
    read_file(log, result)
    out = write(result, tmp_path / "out")
    rows = [json.loads(line) for line in out["logs"].read_text().splitlines()]
    assert rows[0]["msg"] == '\x1b[31mred\x1b[0m "quoted" back\\slash\ttab' and rows[1]["msg"] == "ok"
