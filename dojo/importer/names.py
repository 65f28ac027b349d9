"""Real names onto the scenario's: pods, tasks and per-file names to the service behind them, and
the instructor's own `--map OLD=NEW` for the rest.

The rules only strip what an orchestrator adds to a service's name: a Kubernetes Deployment's
`-<replicaset hash>-<pod hash>` (both in Kubernetes' own alphabet, which has no vowels, so
`order-history-reads` is left alone), a DaemonSet's or Job's `-<pod hash>`, an ECS container's
`ecs-<family>-<revision>-<container>-<id>` and an awslogs stream's `<prefix>/<container>/<task id>`,
and the `_metric`/`_log`/`_trace` a per-pod export puts after a file's name.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"  # Kubernetes' SafeEncodeString alphabet
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Kubernetes pod", re.compile(rf"^(?P<name>[a-z0-9][-a-z0-9]*?)-{_SAFE}{{6,10}}-{_SAFE}{{5}}$")),
    ("Kubernetes pod", re.compile(rf"^(?P<name>[a-z0-9][-a-z0-9]*?)-{_SAFE}{{5}}$")),
    ("ECS container", re.compile(r"^ecs-.+?-\d+-(?P<name>.+)-[0-9a-f]{16,}$")),
    ("ECS task log stream", re.compile(r"^[^/]+/(?P<name>[^/]+)/[0-9a-f]{32}$")),
)
INSTANCE_RULES = ("Kubernetes pod", "ECS container", "ECS task log stream")
_SUFFIX = re.compile(r"[_.-](?:metrics?|logs?|traces?|spans?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Mapping:
    """`OLD=NEW` from the command line; OLD may be a glob (`currency*=currencyservice`)."""

    old: str
    new: str

    @classmethod
    def parse(cls, text: str) -> Mapping:
        old, sep, new = text.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValueError(f"--map {text!r}: expected OLD=NEW, e.g. --map checkout-v2=checkout")
        return cls(old.strip(), new.strip())


def by_rule(name: str) -> tuple[str, str]:
    """(service, the rule that named it, "" for none)."""
    base = _SUFFIX.sub("", name)
    for why, pattern in _RULES:
        m = pattern.match(base)
        if m:
            return m.group("name"), why
    return base, "file suffix" if base != name else ""


def resolve(name: str, maps: list[Mapping]) -> tuple[str, str]:
    """The scenario's name for a real one: a --map (on the real name or the ruled one) wins over
    the rules."""
    ruled, why = by_rule(name)
    for m in maps:
        if fnmatch.fnmatchcase(name, m.old) or fnmatch.fnmatchcase(ruled, m.old):
            return m.new, f"--map {m.old}={m.new}"
    return ruled, why


def rename(result, maps: list[Mapping]) -> list[str]:
    """Services (and, by --map, metrics) of everything read, renamed in place; one line per
    distinct rename for the report. A log line keeps the pod it came from as its host."""
    cache: dict[str, tuple[str, str]] = {}

    def svc(name: str) -> str:
        if name not in cache:
            cache[name] = resolve(name, maps)
        return cache[name][0]

    # A pod or task: the instance the line came from stays as its host.
    result.logs.rename(svc, lambda old: cache[old][1] in INSTANCE_RULES)
    for obj in (*result.spans, *result.changes):
        obj.service = svc(obj.service)
    metric_cache: dict[str, str] = {}
    for p in result.points:
        p.service = svc(p.service)
        if p.metric not in metric_cache:
            metric_cache[p.metric] = next((m.new for m in maps if fnmatch.fnmatchcase(p.metric, m.old)), p.metric)
        p.metric = metric_cache[p.metric]
    lines = [f"{old} -> {new} ({why})" for old, (new, why) in sorted(cache.items()) if new != old]
    lines += [f"metric {old} -> {new} (--map)" for old, new in sorted(metric_cache.items()) if new != old]
    return lines
