"""What synthesis (or import) produces: one incident's signals, all on the scenario clock.

Times are float seconds from the scenario start (`t`); `Telemetry.start` anchors them to a
wall-clock instant for export. Every row carries a stable id so it can be pinned as evidence:
log lines `L<n>`, spans `<trace_id>:<span_id>`, metric windows `M:<service>:<metric>:<t0>-<t1>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import pyarrow as pa

from dojo.scenario.model import Scenario

# logs: one row per line, sorted by t (then by id). `message` is the text after the prefix; the
# whole plain-text line (as in logs.log) is derived on demand by `dojo.telemetry.text.plain_lines`,
# because keeping it would double the memory of the largest thing we hold.
LOG_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),  # 0..n-1 in time order; pin id is f"L{id}"
        ("t", pa.float64()),
        ("service", pa.dictionary(pa.int32(), pa.string())),
        ("host", pa.dictionary(pa.int32(), pa.string())),
        ("level", pa.dictionary(pa.int8(), pa.string())),  # DEBUG INFO WARN ERROR
        ("trace_id", pa.string()),  # "" when the line belongs to no sampled trace
        ("message", pa.string()),
    ]
)

# metrics (long): columns t (bucket start), service, metric, value; sorted by service, metric, t.
METRIC_COLUMNS = ["t", "service", "metric", "value"]

# spans: trace_id, span_id, parent_id ("" for a root), service, name, t (start), duration_ms,
# status ("ok"|"error"), message (status message, "" when ok). Sorted by t, trace_id.
SPAN_COLUMNS = ["trace_id", "span_id", "parent_id", "service", "name", "t", "duration_ms", "status", "message"]

# events: t, kind (alert_firing|alert_resolved|deploy|config_change|feature_flag|scale|restart|...),
# service, name (alert name or change summary), detail. Sorted by t.
EVENT_COLUMNS = ["t", "kind", "service", "name", "detail"]


@dataclass
class Telemetry:
    scenario: Scenario
    seed: int
    start: datetime
    grid: float
    logs: pa.Table
    metrics: pd.DataFrame
    spans: pd.DataFrame
    events: pd.DataFrame
    # Ground truth for lint, tests and the debrief; never shown to a learner during play.
    truth: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.scenario.duration

    @property
    def n_logs(self) -> int:
        return self.logs.num_rows
