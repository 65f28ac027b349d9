"""Every format the importer reads, sniffed and read by its own rules, from small samples written
to the public specs (tests/importer/formats)."""

from pathlib import Path

import pytest

from dojo.importer.run import ImportResult, read_file

FORMATS = Path(__file__).parent / "formats"


def read(name):
    result = ImportResult()
    read_file(FORMATS / name, result, year=2026)
    return result, result.reports[0]


def levels(result):
    return [r.level for r in result.logs]


@pytest.mark.parametrize(
    "name, fmt, expected_levels",
    [
        ("apache_error.log", "Apache error log", ["INFO", "ERROR", "WARN"]),
        ("bgl.log", "BGL", ["INFO", "ERROR"]),
        ("hdfs.log", "HDFS", ["INFO", "WARN", "ERROR"]),
        ("syslog.log", "syslog", ["ERROR", "INFO", "ERROR"]),
        ("syslog5424.log", "ISO 8601", ["INFO", "ERROR"]),
        ("nginx_error.log", "nginx error log", ["ERROR", "WARN"]),
        ("alb.log", "ALB/ELB access log", ["INFO", "ERROR", "WARN"]),
        ("access.log", "Apache/nginx", ["INFO", "WARN", "ERROR"]),
        ("nested.jsonl", "JSON lines", ["ERROR", "WARN", "ERROR", "ERROR", "WARN"]),
        ("journald.jsonl", "journald", ["ERROR", "INFO"]),
        ("loki.json", "Loki", ["ERROR", "ERROR", "WARN", "INFO"]),
        ("cloudwatch.json", "CloudWatch", ["ERROR", "INFO"]),
        ("cloudtrail.json", "CloudTrail", ["INFO", "INFO", "ERROR"]),
        ("pod_logs.csv", "CSV logs", ["INFO", "ERROR", "ERROR"]),
    ],
)
def test_log_formats_are_sniffed_and_keep_their_levels(name, fmt, expected_levels):
    result, rep = read(name)
    assert fmt in rep.format, rep
    assert not rep.skipped, rep.skipped
    assert levels(result) == expected_levels
    assert all(r.ts.year == 2026 and r.ts.month == 3 and r.ts.day == 10 and r.ts.hour == 14 for r in result.logs)


def test_an_apache_error_log_is_not_taken_for_json():
    result, rep = read("apache_error.log")
    assert "not imported" not in " ".join(rep.notes)
    assert result.logs[1].msg == "mod_jk child workerEnv in error state 6"


def test_bgl_takes_the_epoch_of_column_two_not_the_local_stamp():
    result, _ = read("bgl.log")
    assert result.logs[0].ts.isoformat() == "2026-03-10T14:02:00+00:00"


def test_syslog_hosts_and_priorities():
    result, _ = read("syslog.log")
    assert [r.host for r in result.logs] == ["edge-1"] * 3
    assert result.logs[0].msg.startswith("su[311]:")  # <34>: auth, critical
    rfc5424, _ = read("syslog5424.log")
    assert [r.host for r in rfc5424.logs] == ["edge-2", "edge-2"]


def test_json_fields_nested_under_objects_and_wrappers():
    result, _ = read("nested.jsonl")
    assert [r.service for r in result.logs[:3]] == ["checkout"] * 3
    assert result.logs[0].msg == "payment declined"


def test_journald_fields():
    result, _ = read("journald.jsonl")
    assert [(r.service, r.host, r.msg) for r in result.logs] == [
        ("kubelet", "node-1", "Failed to pull image"),
        ("containerd", "node-1", "started"),  # MESSAGE as an array of bytes
    ]


@pytest.mark.parametrize(
    "name, fmt, series",
    [
        ("scrape.prom", "Prometheus text exposition", 3),
        ("remote_read.json", "Prometheus remote-read", 2),
        ("currencyservice-cf787dd48-vpjrd_metric.csv", "CSV metrics", 4),
    ],
)
def test_metric_formats(name, fmt, series):
    result, rep = read(name)
    assert fmt in rep.format
    assert len(result.points) == series


def test_prometheus_series_of_one_metric_stay_apart_and_unstamped_samples_are_counted():
    result, rep = read("scrape.prom")
    names = {p.metric for p in result.points}
    assert {'http_requests_total{code="200"}', 'http_requests_total{code="500"}'} <= names
    assert {p.service for p in result.points} == {"frontend"}
    assert sum(rep.skipped.values()) == 1 and "no timestamp" in next(iter(rep.skipped))


def test_a_wide_csv_takes_its_service_from_a_text_column():
    result, _ = read("currencyservice-cf787dd48-vpjrd_metric.csv")
    assert {p.service for p in result.points} == {"currencyservice-cf787dd48-vpjrd"}
    assert {p.metric for p in result.points} == {"CpuUsageRate(%)", "MemoryUsageRate(%)"}


@pytest.mark.parametrize("name, fmt", [("otlp_traces.json", "OTLP"), ("jaeger.json", "Jaeger"), ("spans.csv", "CSV")])
def test_span_formats_keep_errors_and_their_text(name, fmt):
    result, rep = read(name)
    assert fmt in rep.format
    errors = [s for s in result.spans if s.error]
    assert len(errors) == 1
    if name != "spans.csv":
        assert errors[0].message in ("TimeoutError: payment call timed out after 200 ms", "redis timeout")
        assert errors[0].attributes and errors[0].events


def test_csv_spans_by_their_headers():
    result, _ = read("spans.csv")
    root, child = result.spans
    assert (root.parent_id, child.parent_id) == ("", "9a1")
    assert child.end_ns - child.start_ns == 170_000_000
    assert child.service == "currencyservice-cf787dd48-vpjrd" and child.name == "Convert"


@pytest.mark.parametrize(
    "name, kinds",
    [
        ("k8s_events.json", ["restart", "scale"]),
        ("changes.json", ["deploy", "config_change"]),
        ("deploys.csv", ["deploy"]),
        ("cloudtrail.json", ["config_change"]),
    ],
)
def test_change_records_become_change_events(name, kinds):
    result, _ = read(name)
    assert [c.kind for c in result.changes] == kinds


def test_k8s_event_detail_and_object():
    result, rep = read("k8s_events.json")
    assert "Kubernetes events" in rep.format
    backoff = result.changes[0]
    assert backoff.service == "checkout-7d9f8b6c5-x2x9q"
    assert "Back-off restarting failed container" in backoff.detail and "(x4)" in backoff.detail


def test_every_format_still_reads_after_the_sanitizer(tmp_path):
    # Import scrubs each file before it parses it: the scrubbed copies must keep their formats.
    from click.testing import CliRunner

    from dojo.cli import cli

    from .samples import SCENARIO

    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO)
    res = CliRunner().invoke(
        cli, ["import", str(FORMATS), "--scenario", str(scenario), "--secret", "s", "--year", "2026"]
    )
    assert res.exit_code == 0, res.output
    for sample in sorted(FORMATS.iterdir()):
        line = next(ln for ln in res.output.splitlines() if ln.startswith(f"{sample}:"))
        assert "record(s)" in line and not line.endswith(": 0 record(s)"), line
    assert "not imported" not in res.output and "unexpected structure" not in res.output


def test_a_bracketed_epoch_log_is_not_taken_for_json(tmp_path):
    log = tmp_path / "epoch.log"
    log.write_text("[1773151800] worker started\n[1773151801] worker ERROR job failed\n")
    result = ImportResult()
    read_file(log, result)
    assert [r.level for r in result.logs] == ["INFO", "ERROR"]
