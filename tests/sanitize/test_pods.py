"""Pods of DaemonSets (<name>-<5 chars>) and StatefulSets (<name>-<ordinal>), found where the
context says they are pods; ordinary hyphenated words after "pod" are left alone."""

from __future__ import annotations

import json

import pytest

from dojo.sanitize.keep import Keep

from .conftest import run
from .test_detectors import found

UID = "5f1e2d3c-1111-4222-8333-444455556666"


@pytest.mark.parametrize(
    "text, value",
    [
        ("2026-03-10T14:03:12Z pod=fluentd-x2kqp restarted", "x2kqp"),
        ("kubectl delete pod/fluentd-bz8wq -n kube-system", "bz8wq"),
        ("Back-off restarting failed container in pod calico-node-h7xkq", "h7xkq"),
        ('"SyncLoop ADD" source="api" pods=[kube-system/node-exporter-m9v4t]', "m9v4t"),
        ('"Killing container" pod="kube-system/cilium-q7wzt" podUID=' + UID, "q7wzt"),
        ('{"pod": "fluentd-x2kqp", "msg": "ok"}', "x2kqp"),
        ('{"k8s.pod.name": "fluentd-x2kqp"}', "x2kqp"),
        ("kubernetes.pod_name=fluentd-x2kqp", "x2kqp"),
        ("PodName: fluentd-x2kqp", "x2kqp"),
        ("GET /api/v1/namespaces/kube-system/pods/fluentd-x2kqp/log", "x2kqp"),
        # kubelet: <pod>_<namespace>(<uid>), with no "pod" word needed.
        (f'Error syncing pod {UID} ("calico-node-h7xkq_kube-system({UID})"), skipping', "h7xkq"),
        # A Deployment's pod in a pod context still gives up both hashes, not only the last.
        ("pod=checkoutservice-7d4b9c8f6-x2kqp", "7d4b9c8f6-x2kqp"),
    ],
)
def test_a_daemonset_pod_is_found_by_its_context(text, value):
    assert ("pod", value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "the pod re-created after a well-known node drain",
        "pod follow-up; pods bring-up; pod x86-64; pod check-in",
        "pod=self-heal podUID=abc",
        "fluentd-x2kqp restarted",  # no context: five consonants could be anything
        "x-wing-bcdfg without a pod word",
    ],
)
def test_hyphenated_words_are_not_eaten_as_pods(text):
    # (x86-64 reads as an ordinal, which is kept: nothing is replaced either way.)
    assert [(k, v) for k, v in found(text) if k == "pod" and not Keep()(k, v)] == []


def test_a_statefulset_ordinal_is_a_pod_but_kept():
    # web-0 is web-0 in every cluster: the ordinal identifies nothing, and the name is the
    # service, as for a Deployment; kept, and counted as kept.
    assert ("pod", "0") in found('"Killing container" pod="shop/web-0"')
    assert ("pod", "12") in found("Back-off restarting failed container in pod kafka-broker-12")
    assert Keep()("pod", "0") and not Keep()("pod", "x2kqp")
    # Five digits of the hash alphabet are a DaemonSet's pod hash, not an ordinal to keep.
    assert ("pod", "24567") in found("pod=fluentd-24567") and not Keep()("pod", "24567")


def test_daemonset_pods_get_consistent_pseudonyms_and_statefulsets_stay(tmp_path):
    src = tmp_path / "kubelet.log"
    src.write_text(
        "pod=fluentd-x2kqp restarted\n"
        f'Error syncing pod {UID} ("fluentd-x2kqp_kube-system({UID})"), skipping\n'
        "kubectl logs pod/web-0 -c server\n"
        "the pod re-created after drain\n"
    )
    out = tmp_path / "out"
    report = run([src], out)
    text = (out / "kubelet.log").read_text()
    assert "x2kqp" not in text and UID not in text
    first, second = text.splitlines()[:2]
    pseudonym = first.removeprefix("pod=fluentd-").removesuffix(" restarted")
    assert len(pseudonym) == 5 and f'"fluentd-{pseudonym}_kube-system(' in second
    assert "pod/web-0 " in text and "the pod re-created after drain" in text
    assert report.replaced["pod"] == 2 and report.kept["pod"] == 1  # type: ignore[attr-defined]
    saved = json.loads((out / "report.json").read_text())
    assert saved["kept"]["pod"] == 1


def test_pods_under_a_csv_column_and_a_json_key(tmp_path):
    (tmp_path / "pods.csv").write_text("Time,PodName,Cpu\n1,fluentd-x2kqp,3\n2,web-1,4\n")
    (tmp_path / "logs.jsonl").write_text('{"k8s.pod.name": "fluentd-x2kqp", "log": "ok"}\n')
    out = tmp_path / "out"
    run([tmp_path / "pods.csv", tmp_path / "logs.jsonl"], out)
    csv_text = (out / "pods.csv").read_text()
    jsonl_text = (out / "logs.jsonl").read_text()
    assert "x2kqp" not in csv_text + jsonl_text
    assert ",web-1," in csv_text
    new = csv_text.splitlines()[1].split(",")[1]
    assert new.startswith("fluentd-") and new in jsonl_text
