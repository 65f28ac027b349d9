"""A real-style incident bundle, as an instructor would collect it: three services' logs in three
layouts, a CSV of pod metrics, a CSV of spans, `kubectl get events -o json` and a deploy list.

The incident: at 14:10 currencyservice v2.0.0 rolls out and its Convert starts failing on a
missing rates key; checkout's calls to it fail and the frontend answers 500 to a third of checkouts.
The material carries what real material does (client IPs, user names, pod names) for the
sanitizer to take out.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
ONSET = 600  # seconds after START
PODS = {
    "frontend": "frontend-6b8f7c9d45-q2wzx",
    "checkout": "checkout-7d9f8b6c5-x2x9q",
    "currencyservice": "currencyservice-cf787dd48-vpjrd",
}
USERS = ("alice.smith", "bob.jones", "carol.white")
IPS = ("81.2.69.142", "81.2.69.160", "175.16.199.7")

SCENARIO = """id: currency-rates-bundle
title: Checkouts fail after a currency deploy (imported)
difficulty: 4
duration: 30m
start: 2026-03-10T14:00:00Z
briefing: |
  **PAGE: FrontendErrors**. A third of checkouts answer 500. Find the service and the failure.
services:
  - {name: frontend, kind: lb, calls: [checkout], rps: 20}
  - name: checkout
    kind: http
    calls: [currencyservice]
    operations: [{name: place-order, route: "POST /cart/checkout"}]
  - {name: currencyservice, kind: http}
timeline:
  - {at: 10m, id: currency-v2, kind: code_defect, service: currencyservice, params: {version: v2.0.0}}
alerts:
  - {name: FrontendErrors, service: frontend, metric: error_rate, above: 0.05, for: 1m}
page: FrontendErrors
answer:
  accepted:
    - {service: currencyservice, fault: code_defect}
  evidence:
    - {logs: {service: currencyservice, contains: "KeyError"}, why: "v2.0.0 reads a rates key the feed lacks"}
"""


def _iso(t: float) -> str:
    return (START + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _clf(t: float) -> str:
    return (START + timedelta(seconds=t)).strftime("%d/%b/%Y:%H:%M:%S +0000")


def write_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    access, checkout, currency, spans = [], [], [], []
    spans.append("TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,StatusCode")
    start_ns = int(START.timestamp()) * 10**9
    for i in range(0, 1800, 5):  # a checkout every five seconds
        t = float(i)
        user, ip = USERS[i % 3], IPS[i % 3]
        bad = t >= ONSET and i % 3 == 0
        trace = f"{i:032x}"
        status = 500 if bad else 200
        access.append(f'{ip} - {user} [{_clf(t)}] "POST /cart/checkout HTTP/1.1" {status} 512 "-" "Mozilla/5.0"')
        level = "error" if bad else "info"
        text = "call to currencyservice failed: 500 Convert" if bad else f"order placed for {user}"
        checkout.append(
            json.dumps({"time": _iso(t + 0.01), "log": {"level": level}, "message": text, "trace_id": trace})
        )
        if bad:
            currency.append(f"{_iso(t + 0.02)} [ERROR] Convert failed: KeyError 'rates.EUR' (v2.0.0)")
        else:
            currency.append(f"{_iso(t + 0.02)} [INFO] Convert ok EUR->USD")
        base = start_ns + i * 10**9
        code = "STATUS_CODE_ERROR" if bad else "STATUS_CODE_UNSET"
        cur = PODS["currencyservice"]
        spans += [
            f"{trace},{i:08x}a1,,{PODS['frontend']},POST /cart/checkout,{base},{base + 90_000_000},{code}",
            f"{trace},{i:08x}b2,{i:08x}a1,{PODS['checkout']},PlaceOrder,{base + 5_000_000},{base + 80_000_000},{code}",
            f"{trace},{i:08x}c3,{i:08x}b2,{cur},Convert,{base + 10_000_000},{base + 60_000_000},{code}",
        ]
    (folder / "frontend-access.log").write_text("\n".join(access) + "\n")
    (folder / "checkout.jsonl").write_text("\n".join(checkout) + "\n")
    (folder / "currencyservice.log").write_text("\n".join(currency) + "\n")
    (folder / "spans.csv").write_text("\n".join(spans) + "\n")
    metrics = ["TimeStamp,PodName,ErrorRate,CpuUsageRate(%)"]
    for minute in range(30):
        after = minute * 60 >= ONSET
        for svc, pod in PODS.items():
            errors = 0.33 if after and svc != "checkout" else 0.3 if after else 0.002
            cpu = 35.0 + (20 if after and svc == "currencyservice" else 0)
            stamp = (START + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
            metrics.append(f"{stamp},{pod},{errors},{cpu}")
    (folder / "pod_metrics.csv").write_text("\n".join(metrics) + "\n")
    events = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "kind": "Event",
                "involvedObject": {"kind": "Deployment", "name": "currencyservice", "namespace": "shop"},
                "reason": "ScalingReplicaSet",
                "message": "Scaled up replica set currencyservice-cf787dd48 to 1",
                "type": "Normal",
                "count": 1,
                "lastTimestamp": _iso(ONSET - 30)[:-5] + "Z",
            },
            {
                "kind": "Event",
                "involvedObject": {"kind": "Pod", "name": PODS["currencyservice"], "namespace": "shop"},
                "reason": "Unhealthy",
                "message": "Readiness probe failed: HTTP probe failed with statuscode: 500",
                "type": "Warning",
                "count": 12,
                "lastTimestamp": _iso(ONSET + 120)[:-5] + "Z",
            },
        ],
    }
    (folder / "k8s-events.json").write_text(json.dumps(events, indent=1) + "\n")
    (folder / "deploys.csv").write_text(
        "time,service,version,description\n"
        f"{_iso(ONSET)},currencyservice,v2.0.0,rates client rewrite\n"
        f"{_iso(300)},checkout,v5.1.2,copy change on the order page\n"
    )
    return folder
