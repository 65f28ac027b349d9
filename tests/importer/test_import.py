"""`dojo import`: every format in, normalized signals out, a report of what was skipped and why."""

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from dojo.cli import cli
from dojo.importer.run import ImportResult, read_file, set_imports, write
from dojo.importer.timestamps import sniff

from .samples import SCENARIO, write_all


@pytest.fixture
def samples(tmp_path):
    return write_all(tmp_path)


def read(path, **kw):
    result = ImportResult()
    read_file(path, result, year=2026, **kw)
    return result, result.reports[0]


@pytest.mark.parametrize(
    "name, fmt_word, logs",
    [
        ("iso.log", "ISO 8601", 3),
        ("syslog.log", "syslog", 2),
        ("access.log", "Apache/nginx", 2),
        ("epoch.log", "epoch", 2),
    ],
)
def test_plain_log_timestamps_are_detected(samples, name, fmt_word, logs):
    result, rep = read(samples[name])
    assert fmt_word in rep.format
    assert len(result.logs) == logs
    assert all(r.ts.tzinfo is not None and r.ts.year == 2026 for r in result.logs)


def test_stack_trace_lines_join_their_record(samples):
    result, rep = read(samples["iso.log"])
    error = next(r for r in result.logs if r.level == "ERROR")
    assert "RuntimeException: boom" in error.msg and "Pay.java:42" in error.msg
    assert rep.skipped["continuation lines joined to the line above"] == 2


def test_nginx_status_sets_the_level(samples):
    result, _ = read(samples["access.log"])
    assert [r.level for r in result.logs] == ["INFO", "ERROR"]


def test_epoch_seconds_and_milliseconds(samples):
    result, _ = read(samples["epoch.log"])
    assert [r.ts for r in result.logs] == [
        datetime(2026, 3, 10, 14, 10, 0, 123000, tzinfo=timezone.utc),
        datetime(2026, 3, 10, 14, 10, 1, tzinfo=timezone.utc),
    ]


def test_json_lines_fields_and_skips(samples):
    result, rep = read(samples["app.jsonl"])
    assert [r.level for r in result.logs] == ["ERROR", "WARN"]
    assert result.logs[0].trace_id == "ab" * 16 and result.logs[1].service == "payments"
    assert rep.skipped == {
        "lines that are not JSON (truncated, corrupt or nested too deeply)": 1,
        "records with no readable timestamp": 1,
    }


@pytest.mark.parametrize(
    "name, kind, count",
    [
        ("otlp-logs.json", "logs", 1),
        ("otlp-metrics.json", "points", 1),
        ("prom.json", "points", 2),
        ("wide.csv", "points", 5),
        ("jaeger.json", "spans", 2),
        ("otlp-traces.json", "spans", 1),
    ],
)
def test_structured_formats(samples, name, kind, count):
    result, rep = read(samples[name])
    assert len(getattr(result, kind)) == count, rep
    assert rep.records == count


def test_skipped_things_are_counted_with_reasons(samples):
    _, prom = read(samples["prom.json"])
    assert prom.skipped == {"samples that are not numbers (NaN, Inf or text)": 1}
    _, wide = read(samples["wide.csv"])
    assert wide.skipped == {"rows with no readable time": 1}
    _, otlp = read(samples["otlp-metrics.json"])
    assert any("not imported" in reason for reason in otlp.skipped)


def test_jaeger_parent_and_error(samples):
    result, _ = read(samples["jaeger.json"])
    child = next(s for s in result.spans if s.span_id == "s2")
    assert child.parent_id == "s1" and child.error and child.service == "checkout"


@pytest.mark.parametrize(
    "name, note",
    [
        ("binary.log", "binary content"),
        ("notime.log", "no timestamps found"),
        ("truncated.json", "truncated or corrupt JSON"),
        ("latin1.log", "not UTF-8"),
    ],
)
def test_bad_files_explain_themselves(samples, name, note):
    _, rep = read(samples[name])
    assert any(note in n for n in rep.notes), rep.notes


def test_a_10mb_line_is_cut_and_counted(samples):
    result, rep = read(samples["huge.log"])
    assert len(result.logs) == 1 and len(result.logs[0].msg) < 70_000
    assert any("cut" in reason for reason in rep.skipped)


def test_out_of_order_records_are_sorted(tmp_path, samples):
    result, _ = read(samples["iso.log"])
    files = write(result, tmp_path / "out")
    stamps = [json.loads(line)["ts"] for line in files["logs"].read_text().splitlines()]
    assert stamps == sorted(stamps)
    assert any("out of time order" in n for rep in result.reports for n in rep.notes)


def test_sniff_prefers_the_common_convention():
    assert sniff(["Mar 10 14:07:01 a b", "Mar 10 14:07:02 c"]).name == "syslog"
    assert sniff(["nothing", "here"]) is None


def test_set_imports_replaces_the_block():
    text = "id: x\nimports:\n  logs: old.jsonl\n  replace: []\nanswer:\n  accepted: []\n"
    out = set_imports(text, "imports:\n  logs: new.jsonl\n")
    assert "old.jsonl" not in out and out.count("imports:") == 1 and "answer:" in out


def test_cli_imports_into_a_scenario_that_then_plays(tmp_path, samples):
    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO)
    inputs = [str(samples[n]) for n in ("iso.log", "app.jsonl", "wide.csv", "jaeger.json", "binary.log")]
    res = CliRunner().invoke(
        cli, ["import", *inputs, "--scenario", str(scenario), "--no-sanitize", "--replace", "traces"]
    )
    assert res.exit_code == 0, res.output
    assert "binary content" in res.output and "skipped" in res.output
    assert "imports:" in scenario.read_text()
    assert (tmp_path / "demo.signals" / "logs.jsonl").is_file()

    from dojo.engine import Session
    from dojo.scenario import load_scenario
    from dojo.store import Store

    sc = load_scenario(scenario)
    s = Session.start(sc, Store.open(tmp_path / "dojo.sqlite3"), clock="manual")
    s.advance(1500)
    page = s.logs(contains="payment failed")
    assert page.count == 1 and "RuntimeException" in page.lines[0].message
    assert s.trace("t1") is not None
    s.close()


def test_cli_bad_arguments_are_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["import", str(tmp_path / "none.log"), "--scenario", str(tmp_path / "x.yaml")])
    assert res.exit_code == 2 and "no such scenario file" in res.output


def test_cli_sanitizes_by_default(tmp_path):
    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO)
    log = tmp_path / "leaky.log"
    log.write_text(
        "2026-03-10T14:05:00Z ERROR checkout login failed for user alice.smith from 81.2.69.142 "
        "(alice@corp-mail.com) token=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
    )
    res = CliRunner().invoke(cli, ["import", str(log), "--scenario", str(scenario), "--secret", "s3"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "demo.signals" / "logs.jsonl").read_text()
    for secret in ("alice.smith", "81.2.69.142", "alice@corp-mail.com", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"):
        assert secret not in text
    record = json.loads(text.splitlines()[0])
    assert record["ts"] == "2026-03-10T14:05:00.000Z" and record["level"] == "ERROR"
    assert "login failed for user" in record["msg"]


def test_a_line_in_another_convention_is_its_own_record(tmp_path):
    log = tmp_path / "mixed.log"
    log.write_text(
        "2026-03-10T14:05:00Z INFO app started\n"
        "Mar 10 14:05:01 web-7 sshd[12]: session opened\n"
        '10.0.0.5 - - [10/Mar/2026:14:05:02 +0000] "GET / HTTP/1.1" 503 0 "-" "curl"\n'
        "    at a stack frame logged 2026-03-10T14:05:03Z\n"
    )
    result, rep = read(log)
    assert [r.ts.second for r in result.logs] == [0, 1, 2]
    assert result.logs[2].level == "ERROR"  # the access line's own status
    assert "stack frame" in result.logs[2].msg  # an indented line still continues the record above
    assert rep.skipped == {"continuation lines joined to the line above": 1}


def _import(tmp_path, *args):
    scenario = tmp_path / "demo.yaml"
    if not scenario.exists():
        scenario.write_text(SCENARIO)
    return CliRunner().invoke(cli, ["import", *map(str, args), "--scenario", str(scenario), "--secret", "s3"])


def test_cli_scrubs_each_line_in_its_own_context(tmp_path):
    # An access log's user is known by its place at the start of the line; the importer must not
    # lose that place by parsing (or joining lines) before it scrubs.
    log = tmp_path / "app.log"
    log.write_text(
        "2026-03-10T14:05:00Z INFO checkout started\n"
        '81.2.69.142 - carol.danvers [10/Mar/2026:14:05:02 +0000] "GET /home/jdoe/x HTTP/1.1" 200 1 "-" "curl"\n'
        "2026-03-10T14:05:03Z ERROR checkout failed\n"
        "  caused by login of user=bruce.wayne from 81.2.69.143\n"
    )
    res = _import(tmp_path, log)
    assert res.exit_code == 0, res.output
    text = (tmp_path / "demo.signals" / "logs.jsonl").read_text()
    for secret in ("carol.danvers", "jdoe", "bruce.wayne", "81.2.69.142", "81.2.69.143"):
        assert secret not in text
    assert len(text.splitlines()) == 3
    check = CliRunner().invoke(cli, ["sanitize", "--check", str(tmp_path / "demo.signals")])
    assert check.exit_code == 0, check.output  # its pseudonyms.txt vouches for the pseudonyms


def test_cli_refused_file_is_reported_and_the_rest_imported(tmp_path, samples):
    res = _import(tmp_path, samples["binary.log"], samples["iso.log"])
    assert res.exit_code == 0, res.output
    assert "binary.log" in res.output and "refused" in res.output
    assert len((tmp_path / "demo.signals" / "logs.jsonl").read_text().splitlines()) == 3


def test_cli_a_second_import_keeps_what_the_first_brought(tmp_path, samples):
    assert _import(tmp_path, samples["iso.log"]).exit_code == 0
    scenario = tmp_path / "demo.yaml"
    CliRunner().invoke(
        cli,
        ["import", str(samples["jaeger.json"]), "--scenario", str(scenario), "--replace", "traces", "--no-sanitize"],
    )
    res = _import(tmp_path, samples["prom.json"])
    assert res.exit_code == 0 and "kept from an earlier import" in res.output, res.output
    text = scenario.read_text()
    assert "logs: demo.signals/logs.jsonl" in text and "metrics: demo.signals/metrics.csv" in text
    assert "traces: demo.signals/traces.otlp.json" in text and "replace: [traces]" in text
    # Importing the same kind again replaces it.
    assert _import(tmp_path, samples["syslog.log"]).exit_code == 0
    logs = (tmp_path / "demo.signals" / "logs.jsonl").read_text()
    assert "connection reset" in logs and "payment failed" not in logs


def test_cli_a_broken_scenario_imports_nothing(tmp_path, samples):
    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO.replace("duration: 30m", "duration: 30 minutes"))
    res = _import(tmp_path, samples["iso.log"])
    assert res.exit_code == 1
    assert "demo.yaml:4" in res.output and "nothing imported" in res.output
    assert not (tmp_path / "demo.signals").exists()
    assert scenario.read_text() == SCENARIO.replace("duration: 30m", "duration: 30 minutes")


def test_cli_a_second_import_beside_a_busy_scenario_is_refused(tmp_path, samples):
    from dojo.folderlock import folder_lock

    scenario = tmp_path / "demo.yaml"
    scenario.write_text(SCENARIO)
    with folder_lock(tmp_path):
        res = _import(tmp_path, samples["iso.log"])
    assert res.exit_code == 2 and "another dojo import is writing" in res.output
    assert scenario.read_text() == SCENARIO and not (tmp_path / "demo.signals").exists()


def test_cli_takes_folders_and_says_what_an_empty_file_is(tmp_path, samples):
    folder = tmp_path / "exports"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "iso.log").write_text(samples["iso.log"].read_text())
    (folder / "prom.json").write_text(samples["prom.json"].read_text())
    (folder / ".hidden.log").write_text("2026-03-10T14:05:00Z INFO not to be read\n")
    (folder / "empty.log").write_text("")
    res = _import(tmp_path, folder)
    assert res.exit_code == 0, res.output
    assert "empty.log: ?: 0 record(s)\n  note: empty file: nothing to read" in res.output
    assert ".hidden" not in res.output
    text = (tmp_path / "demo.yaml").read_text()
    assert "logs: demo.signals/logs.jsonl" in text and "metrics: demo.signals/metrics.csv" in text
    empty = tmp_path / "none"
    empty.mkdir()
    res = _import(tmp_path, empty)
    assert res.exit_code == 2 and "holds no files to import" in res.output


def test_a_sanitized_import_plays_headless_to_a_solve(tmp_path):
    # As an instructor would: real (leaky) lines in, sanitized; then a learner plays the scenario
    # over the JSON-lines protocol, finds an imported line, pins it and diagnoses.
    from tests.cli.headless import Headless

    log = tmp_path / "web.log"
    log.write_text(
        "2026-03-10T14:03:00Z INFO web request ok for user=alice.smith from 81.2.69.142\n"
        "2026-03-10T14:11:30Z ERROR web upstream overloaded: 2400 rps from 81.2.69.142 (limit 800) user=alice.smith\n"
    )
    assert _import(tmp_path, log).exit_code == 0
    play = Headless(tmp_path / "home", "--clock", "manual", scenario=str(tmp_path / "demo.yaml"))
    try:
        play.send({"cmd": "advance", "seconds": 720})
        found = play.send({"cmd": "logs", "contains": "upstream overloaded"})
        assert found["ok"] and found["count"] == 1, found
        line = found["lines"][0]
        assert "alice.smith" not in json.dumps(found) and "81.2.69.142" not in json.dumps(found)
        assert play.send({"cmd": "pin", "item": line["id"]})["ok"]
        right = play.send(
            {"cmd": "diagnose", "service": "web", "fault": "traffic_surge", "explanation": "a surge over the limit"}
        )
        assert right["correct"] is True, right
    finally:
        play.close()


def test_preview_shows_what_the_import_brings(tmp_path, samples):
    log = tmp_path / "web.log"
    log.write_text(
        "2026-03-10T14:05:00Z ERROR web upstream overloaded\n2026-03-10T13:00:00Z INFO web before the scenario starts\n"
    )
    assert _import(tmp_path, log, samples["prom.json"]).exit_code == 0
    res = CliRunner().invoke(cli, ["preview", str(tmp_path / "demo.yaml")])
    assert res.exit_code == 0, res.output
    section = res.output.split("Imported signals\n")[1].split("\nEvidence\n")[0]
    rows = {line.split()[0]: line.split() for line in section.splitlines() if line.startswith(("  logs", "  metrics"))}
    assert rows["logs"][2:4] == ["1", "1"] and rows["metrics"][2:4] == ["2", "0"]  # on the clock, dropped
    assert "move `start:` or `duration:`" in section
    assert "2026-03-10T14:05:00.000Z ERROR web" in section and "upstream overloaded" in section
    assert "ERROR web  web upstream overloaded" in section  # the level is said once, in its column


def test_preview_of_a_synthetic_scenario_has_no_imported_section():
    res = CliRunner().invoke(cli, ["preview", "checkout-retry-storm"])
    assert res.exit_code == 0 and "Imported signals" not in res.output


def test_metric_samples_that_are_not_finite_numbers_are_skipped_in_every_format(tmp_path):
    otlp = tmp_path / "otlp.json"
    otlp.write_text(
        json.dumps(
            {
                "resourceMetrics": [
                    {
                        "scopeMetrics": [
                            {
                                "metrics": [
                                    {
                                        "name": "rps",
                                        "gauge": {
                                            "dataPoints": [
                                                {"timeUnixNano": "1773151392000000000", "asDouble": "NaN"},
                                                {"timeUnixNano": "1773151402000000000", "asDouble": 3.5},
                                                {"timeUnixNano": "1773151412000000000", "asInt": True},
                                            ]
                                        },
                                    }
                                ]
                            }
                        ]
                    }
                ]
            }
        )
    )
    wide = tmp_path / "wide.csv"
    wide.write_text("time,rps\n2026-03-10T14:01:00Z,nan\n2026-03-10T14:01:10Z,inf\n2026-03-10T14:01:20Z,7\n")
    for path, kept in ((otlp, [3.5]), (wide, [7.0])):
        result, rep = read(path)
        assert [p.value for p in result.points] == kept
        assert sum(n for reason, n in rep.skipped.items() if "not numbers" in reason) == 2, rep.skipped


def test_a_byte_order_mark_is_not_part_of_the_first_record(tmp_path):
    log = tmp_path / "bom.log"
    log.write_bytes(b"\xef\xbb\xbf2026-03-10T14:05:00Z WARN disk almost full\n")
    result, _ = read(log)
    assert [(r.level, r.msg) for r in result.logs] == [("WARN", "disk almost full")]


def test_gzip_files_are_imported_with_and_without_the_sanitizer(tmp_path, samples):
    import gzip

    packed = tmp_path / "web.log.2.gz"
    packed.write_bytes(gzip.compress(b"2026-03-10T14:05:00Z ERROR web login failed for user=alice.smith\n"))
    result, rep = read(packed)
    assert [r.msg for r in result.logs] == ["web login failed for user=alice.smith"] and result.logs[0].service == "web"
    assert "decompressed (gzip)" in rep.notes
    res = _import(tmp_path, packed)
    assert res.exit_code == 0, res.output
    text = (tmp_path / "demo.signals" / "logs.jsonl").read_text()
    assert "login failed for user=" in text and "alice.smith" not in text


def test_cli_says_what_it_sorted_in_one_line(tmp_path):
    log = tmp_path / "ooo.log"
    log.write_text("2026-03-10T14:05:00Z INFO b\n2026-03-10T14:04:00Z INFO a\n")
    res = _import(tmp_path, log)
    assert res.exit_code == 0, res.output
    assert "logs, all files: 1 record(s) were out of time order; sorted" in res.output
    assert "0 record(s)" not in res.output


def test_json_nested_too_deeply_is_explained_not_a_traceback(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceSpans": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _, rep = read(deep)
    assert any("nested too deeply" in n for n in rep.notes), rep.notes
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"ts": "2026-03-10T14:00:00Z", "msg": "ok"}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    result, rep = read(lines)
    assert len(result.logs) == 1 and rep.skipped == {
        "lines that are not JSON (truncated, corrupt or nested too deeply)": 1
    }


@pytest.mark.parametrize(
    "stamp, utc",
    [
        ("10/Mar/2026:14:03:12 +0000", datetime(2026, 3, 10, 14, 3, 12, tzinfo=timezone.utc)),
        ("10/Mar/2026:14:03:12 -0130", datetime(2026, 3, 10, 15, 33, 12, tzinfo=timezone.utc)),
        ("01/Jan/2026:00:10:00 +0100", datetime(2025, 12, 31, 23, 10, 0, tzinfo=timezone.utc)),
        ("31/Feb/2026:14:03:12 +0000", None),
        ("10/Xyz/2026:14:03:12 +0000", None),
    ],
)
def test_access_log_times_with_their_offsets(stamp, utc):
    from dojo.importer.timestamps import CONVENTIONS

    clf = next(c for c in CONVENTIONS if c.name == "Apache/nginx")
    assert clf.parse(clf.pattern.search(f"[{stamp}]"), 2026) == utc
