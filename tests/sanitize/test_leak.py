"""No original survives, in any format, and every output still parses as its format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dojo.sanitize.check import Checker

from . import samples
from .conftest import leaks, run


def _check(paths: list[Path]) -> list[str]:
    checker = Checker()
    return [str(f) for p in paths for f in checker.check(p, lambda msg: None)]


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory, catalog: samples.Catalog) -> tuple[Path, Path, object]:
    src = tmp_path_factory.mktemp("src")
    samples.write_plain(src / "app.log", catalog)
    samples.write_jsonl(src / "events.jsonl", catalog)
    samples.write_csv(src / "payments.csv", catalog)
    samples.write_otlp(src / "traces.otlp.json", catalog)
    samples.write_jaeger(src / "jaeger.json", catalog)
    out = tmp_path_factory.mktemp("out")
    report = run(sorted(src.iterdir()), out)
    return src, out, report


NAMES = ["app.log", "events.jsonl", "payments.csv", "traces.otlp.json", "jaeger.json"]


@pytest.mark.parametrize("name", NAMES)
def test_no_original_survives(sanitized, catalog, name):
    src, out, _ = sanitized
    assert leaks((src / name).read_text(), catalog), "the sample must hold secrets to begin with"
    assert leaks((out / name).read_text(), catalog) == []


def test_every_kind_is_found_and_counted(sanitized):
    _, _, report = sanitized
    for kind in (
        "ipv4",
        "ipv6",
        "email",
        "hostname",
        "username",
        "uuid",
        "api_key",
        "bearer_token",
        "jwt",
        "url_password",
        "secret",
        "card",
        "mac",
    ):
        if kind == "bearer_token":
            continue  # every bearer in the samples is a JWT, counted as jwt
        assert report.replaced[kind] > 0, kind


def test_plain_keeps_its_lines(sanitized):
    src, out, _ = sanitized
    before = (src / "app.log").read_text().splitlines()
    after = (out / "app.log").read_text().splitlines()
    assert len(after) == len(before)
    # Structure around the values is untouched.
    assert all(a.split(" ")[0] == b.split(" ")[0] for a, b in zip(after, before) if b.startswith("Mar"))
    assert sum("Failed password for invalid user" in a for a in after) == sum("Failed password" in b for b in before)


def test_jsonl_lines_are_still_json_with_the_same_keys(sanitized):
    src, out, _ = sanitized
    before = [json.loads(x) for x in (src / "events.jsonl").read_text().splitlines()]
    after = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    assert len(after) == len(before)
    for a, b in zip(after, before):
        assert a.keys() == b.keys()
        assert a["client"].keys() == b["client"].keys()
        assert a["latency_ms"] == b["latency_ms"] and a["ok"] is True and a["service"] == "checkout"


def test_csv_keeps_rows_and_columns(sanitized):
    src, out, _ = sanitized
    before = list(csv.reader((src / "payments.csv").open(newline="")))
    after = list(csv.reader((out / "payments.csv").open(newline="")))
    assert len(after) == len(before)
    assert after[0] == before[0]
    assert all(len(a) == len(b) for a, b in zip(after, before))


@pytest.mark.parametrize("name", ["traces.otlp.json", "jaeger.json"])
def test_trace_documents_parse_with_the_same_shape(sanitized, name):
    src, out, _ = sanitized
    before, after = json.loads((src / name).read_text()), json.loads((out / name).read_text())

    def shape(x):
        if isinstance(x, dict):
            return {k: shape(v) for k, v in x.items()}
        if isinstance(x, list):
            return [shape(v) for v in x]
        return type(x).__name__

    assert shape(after) == shape(before)


def test_otlp_keeps_ids_and_attribute_keys(sanitized):
    src, out, _ = sanitized
    spans = json.loads((out / "traces.otlp.json").read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"]
    orig = json.loads((src / "traces.otlp.json").read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert [s["traceId"] for s in spans] == [s["traceId"] for s in orig]
    assert [a["key"] for a in spans[0]["attributes"]] == [a["key"] for a in orig[0]["attributes"]]
    assert spans[0]["startTimeUnixNano"] == orig[0]["startTimeUnixNano"]  # no --shift: times unchanged


def test_check_finds_leftovers_in_the_originals_and_none_in_the_output(sanitized):
    src, out, _ = sanitized
    assert _check([out / n for n in NAMES]) == []
    findings = _check([src / "app.log"])
    assert findings and all(f.startswith(str(src / "app.log") + ":") for f in findings)


def test_report_json_holds_no_original(sanitized, catalog):
    _, out, _ = sanitized
    report = (out / "report.json").read_text()
    assert json.loads(report)["replaced"]["ipv4"] > 0
    assert leaks(report, catalog) == []
    assert leaks((out / "pseudonyms.txt").read_text(), catalog) == []


def test_ecs_objects_under_user_and_host_keys(tmp_path):
    # Elastic Common Schema nests the name under its kind: user.name, host.name.
    src = tmp_path / "ecs.jsonl"
    src.write_text(
        json.dumps(
            {
                "user": {"name": "carla", "id": "48213", "email": "carla@acme.io"},
                "host": {"name": "build-3"},
                "event": {"id": "e-1", "name": "login"},
            }
        )
        + "\n"
    )
    run([src], tmp_path / "out")
    out = json.loads((tmp_path / "out" / "ecs.jsonl").read_text())
    assert out["user"]["name"] != "carla" and out["user"]["id"] != "48213" and out["user"]["id"].isdigit()
    assert out["user"]["email"].split("@")[0] == out["user"]["name"]  # one user, one pseudonym
    assert out["host"]["name"] != "build-3"
    assert out["event"] == {"id": "e-1", "name": "login"}  # not under a user or host key: left alone
