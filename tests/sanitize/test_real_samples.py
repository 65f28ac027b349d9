"""Real-style samples (real_samples.py): nothing identifying survives, shapes are kept, --check passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dojo.sanitize.check import Checker

from .conftest import run
from .real_samples import SAMPLES

CATEGORIES = ("ips", "users", "hosts", "accounts", "pods")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    src = tmp_path_factory.mktemp("real")
    for sample in SAMPLES:
        (src / sample.name).write_text(sample.text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    run(sorted(src.iterdir()), out)
    return src, out


def _survivors(text: str, values: tuple[str, ...]) -> list[str]:
    return [v for v in values if re.search(r"(?<![A-Za-z0-9])" + re.escape(v) + r"(?![A-Za-z0-9])", text)]


@pytest.mark.parametrize("category", CATEGORIES)
def test_no_original_survives_in_any_sample(sanitized, category):
    src, out = sanitized
    total = 0
    survivors = {}
    for sample in SAMPLES:
        values = sample.originals.get(category, ())
        total += len(values)
        assert not _survivors((src / sample.name).read_text(), values) == [] or not values
        left = _survivors((out / sample.name).read_text(encoding="utf-8"), values)
        if left:
            survivors[sample.name] = left
    assert total > 0
    assert survivors == {}


def test_sanitized_samples_pass_check(sanitized):
    src, out = sanitized
    checker = Checker()
    assert all(list(checker.check(src / s.name, lambda m: None)) for s in SAMPLES if s.originals)
    assert [str(f) for s in SAMPLES for f in checker.check(out / s.name, lambda m: None)] == []


def test_shapes_are_kept(sanitized):
    _, out = sanitized
    journal = json.loads((out / "journal.json").read_text())
    assert re.fullmatch(r"[0-9a-f]{32}", journal["_MACHINE_ID"]) and re.fullmatch(r"[0-9a-f]{32}", journal["_BOOT_ID"])
    events = json.loads((out / "events.json").read_text())
    pod = events["items"][0]["involvedObject"]["name"]
    assert re.fullmatch(r"checkoutservice-[bcdfghjklmnpqrstvwxz2456789]{9}-[bcdfghjklmnpqrstvwxz2456789]{5}", pod)
    # One pod is one pseudonym wherever it is named.
    assert pod in events["items"][0]["message"] and events["items"][0]["metadata"]["name"].startswith(pod + ".")
    assert _UUID.search(events["items"][0]["message"])
    trail = json.loads((out / "cloudtrail.json").read_text())["Records"][0]
    account = trail["userIdentity"]["accountId"]
    assert re.fullmatch(r"[0-9]{12}", account) and account == trail["recipientAccountId"]
    assert f"::{account}:user/" in trail["userIdentity"]["arn"]
    metrics = (out / "nezha-metrics.csv").read_text().splitlines()
    assert metrics[0] == "Time,TimeStamp,PodName,CpuUsage(m),MemoryUsage(Mi),NodeName"
    assert all(len(line.split(",")) == 6 for line in metrics)
