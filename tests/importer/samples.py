"""Sample files in every format the importer reads, written by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path

START = "2026-03-10T14:00:00Z"
START_NS = 1773151200 * 10**9


def write_all(folder: Path) -> dict[str, Path]:
    files = {
        "iso.log": (
            "2026-03-10T14:05:00.120Z INFO checkout started order 1\n"
            "2026-03-10T14:06:00,500Z ERROR checkout payment failed: timeout\n"
            "java.lang.RuntimeException: boom\n"
            "    at com.shop.Pay.run(Pay.java:42)\n"
            "2026-03-10T14:04:00Z WARN checkout slow response\n"
        ),
        "syslog.log": (
            "Mar 10 14:07:01 host1 sshd[42]: error: connection reset\nMar 10 14:07:05 host1 cron[7]: job ok\n"
        ),
        "access.log": (
            '203.0.113.9 - - [10/Mar/2026:14:08:00 +0000] "GET /api/orders HTTP/1.1" 200 512 "-" "curl"\n'
            '203.0.113.9 - - [10/Mar/2026:14:08:01 +0000] "GET /api/orders HTTP/1.1" 503 0 "-" "curl"\n'
        ),
        "epoch.log": "1773151800123 worker processed job 7\n1773151801 worker ERROR job 8 failed\n",
        "app.jsonl": "\n".join(
            [
                json.dumps(
                    {
                        "time": "2026-03-10T14:09:00Z",
                        "level": "error",
                        "service": "payments",
                        "msg": "card declined",
                        "trace_id": "ab" * 16,
                    }
                ),
                json.dumps(
                    {"timestamp": 1773151741.5, "severity": "WARNING", "app": "payments", "message": "retrying"}
                ),
                '{"time": "2026-03-10T14:09:05Z", "msg": "trunc',
                json.dumps({"msg": "no time here"}),
            ]
        )
        + "\n",
        "otlp-logs.json": json.dumps(
            {
                "resourceLogs": [
                    {
                        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "inventory"}}]},
                        "scopeLogs": [
                            {
                                "logRecords": [
                                    {
                                        "timeUnixNano": str(START_NS + 600 * 10**9),
                                        "severityText": "ERROR",
                                        "body": {"stringValue": "stock service down"},
                                    }
                                ]
                            }
                        ],
                    }
                ]
            }
        ),
        "otlp-metrics.json": json.dumps(
            {
                "resourceMetrics": [
                    {
                        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "inventory"}}]},
                        "scopeMetrics": [
                            {
                                "metrics": [
                                    {
                                        "name": "rps",
                                        "gauge": {
                                            "dataPoints": [
                                                {"timeUnixNano": str(START_NS + 60 * 10**9), "asDouble": 12.5}
                                            ]
                                        },
                                    },
                                    {"name": "latency", "histogram": {"dataPoints": []}},
                                ]
                            }
                        ],
                    }
                ]
            }
        ),
        "prom.json": json.dumps(
            {
                "status": "success",
                "data": {
                    "resultType": "matrix",
                    "result": [
                        {
                            "metric": {"__name__": "error_rate", "service": "checkout"},
                            "values": [[1773151260, "0.01"], [1773151270, "0.2"], [1773151280, "NaN"]],
                        }
                    ],
                },
            }
        ),
        "wide.csv": (
            "time,checkout:rps,payments/latency_p99_ms,cpu_pct\n"
            "2026-03-10T14:01:00Z,40,120.5,33\n2026-03-10T14:01:10Z,41,,34\nbad-time,1,2,3\n"
        ),
        "jaeger.json": json.dumps(
            {
                "data": [
                    {
                        "traceID": "t1",
                        "processes": {"p1": {"serviceName": "web"}, "p2": {"serviceName": "checkout"}},
                        "spans": [
                            {
                                "traceID": "t1",
                                "spanID": "s1",
                                "operationName": "GET /",
                                "startTime": (START_NS // 1000) + 300 * 10**6,
                                "duration": 2000,
                                "processID": "p1",
                                "references": [],
                            },
                            {
                                "traceID": "t1",
                                "spanID": "s2",
                                "operationName": "pay",
                                "startTime": (START_NS // 1000) + 300 * 10**6 + 100,
                                "duration": 1500,
                                "processID": "p2",
                                "references": [{"refType": "CHILD_OF", "spanID": "s1"}],
                                "tags": [{"key": "error", "value": True}],
                            },
                        ],
                    }
                ]
            }
        ),
        "otlp-traces.json": json.dumps(
            {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "payments"}}]},
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "traceId": "cd" * 16,
                                        "spanId": "ef" * 8,
                                        "name": "charge",
                                        "startTimeUnixNano": str(START_NS + 400 * 10**9),
                                        "endTimeUnixNano": str(START_NS + 401 * 10**9),
                                        "status": {"code": 2, "message": "card declined"},
                                    }
                                ]
                            }
                        ],
                    }
                ]
            }
        ),
    }
    out = {}
    for name, text in files.items():
        (folder / name).write_text(text)
        out[name] = folder / name
    (folder / "binary.log").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "latin1.log").write_bytes("2026-03-10T14:10:00Z INFO café crème\n".encode("latin-1"))
    (folder / "notime.log").write_text("just words\nmore words\n")
    (folder / "truncated.json").write_text('{"resourceSpans": [{"resource": ')
    (folder / "huge.log").write_text("2026-03-10T14:11:00Z INFO " + "x" * 10_000_000 + "\n")
    for name in ("binary.log", "latin1.log", "notime.log", "truncated.json", "huge.log"):
        out[name] = folder / name
    return out


SCENARIO = """id: imported-demo
title: Imported demo
difficulty: 1
duration: 30m
start: 2026-03-10T14:00:00Z
briefing: test
services:
  - {name: web, kind: lb, calls: [checkout], rps: 10}
  - {name: checkout, kind: http, calls: [payments]}
  - {name: payments, kind: http}
timeline:
  - {at: 10m, kind: traffic_surge, service: web, params: {factor: 4}}
alerts:
  - {name: Busy, service: web, metric: rps, above: 30, for: 30s}
answer:
  accepted: [{service: web, fault: traffic_surge}]
"""
