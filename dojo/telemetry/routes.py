"""Each service's small API, derived from the topology, and each database's schema.

Logs, traces and the realism linter all read routes and tables from here, so a learner never sees
a service serve a route nothing routes to it, or a database touch a table nobody writes.

- A service with declared `operations` serves exactly those (a route without a method is a GET).
- An HTTP service somebody calls serves its own resource: reads and writes under /api/v1/<noun>.
- A load balancer, gateway or caller-less front end serves what it forwards: the routes of the
  HTTP services it calls (so `web` in front of checkout and catalog shows /api/v1/checkout and
  /api/v1/catalog and nothing else).
- Workers, databases, caches and queues have no HTTP routes; a database owns one table per
  service that uses it, named after that service (and one named after itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dojo.scenario.model import Scenario

HTTP_KINDS = ("http", "lb")
_SUFFIXES = ("-api", "-service", "-svc", "-db", "-store", "-cache", "-worker", "-index", "-primary", "-replica")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ROUTE_RE = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_./{}-]*)")


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    path: str  # may hold {id}: one resource
    writes: bool
    share: float
    upstream: str  # the service that serves it (itself, or the callee a proxy forwards to)

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}"


# Services whose name is a role, not a resource: what they serve is named by the role.
_ROLE_NOUNS = {"auth": "sessions", "identity": "tokens", "api": "items", "app": "items", "backend": "items"}


def noun(name: str) -> str:
    """The resource a service is about: orders-db -> orders, ledger-api -> ledger, auth -> sessions."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return _ROLE_NOUNS.get(name, name)


def table_name(name: str) -> str:
    return noun(name).replace("-", "_")


def span_name(scenario: Scenario, service: str, api: dict[str, tuple[Route, ...]] | None = None) -> str:
    """What a span of this service is called, after OpenTelemetry's conventions: the route
    template for HTTP, `SELECT table` for a database, `publish queue` for a queue."""
    svc = next(s for s in scenario.services if s.name == service)
    api = service_api(scenario) if api is None else api
    routes = api.get(service) or ()
    if routes:
        top = max(routes, key=lambda r: r.share)
        return re.sub(r"\{(\w+)\}", r":\1", top.line)  # the route template, as Express writes it
    if svc.kind == "db":
        return f"SELECT {table_name(service)}"
    if svc.kind == "cache":
        return "GET"
    if svc.kind == "queue":
        return f"publish {service}"
    if svc.kind == "worker":
        return f"process {noun(service)}"
    return f"POST /v1/{noun(service)}"  # an external API, as its caller's client span names it


def _own_routes(name: str, upstream: str | None = None) -> list[Route]:
    base = f"/api/v1/{noun(name)}"
    up = upstream or name
    return [
        Route("read", "GET", base + "/{id}", False, 0.7, up),
        Route("list", "GET", base, False, 0.1, up),
        Route("write", "POST", base, True, 0.2, up),
    ]


def _declared(svc) -> list[Route]:
    out = []
    total = sum(op.share for op in svc.operations) or 1.0
    for op in svc.operations:
        route = (op.route or "").strip()
        m = ROUTE_RE.match(route)
        if m:
            method, path = m.group(1), m.group(2)
        elif route.startswith("/"):
            method, path = ("POST" if op.writes else "GET"), route.split()[0]
        else:
            method, path = ("POST" if op.writes else "GET"), f"/api/v1/{noun(svc.name)}/{op.name}"
        out.append(Route(op.name, method, path, op.writes or method in _METHODS[2:], op.share / total, svc.name))
    return out


def service_api(scenario: Scenario) -> dict[str, tuple[Route, ...]]:
    """Routes by service name (empty for services without an HTTP API)."""
    services = {s.name: s for s in scenario.services}
    callers: dict[str, list[str]] = {s.name: [] for s in scenario.services}
    for s in scenario.services:
        for c in s.calls:
            if c in callers:
                callers[c].append(s.name)
    out: dict[str, tuple[Route, ...]] = {}

    def routes(name: str, seen: frozenset) -> tuple[Route, ...]:
        if name in out:
            return out[name]
        svc = services[name]
        if svc.operations and svc.kind in HTTP_KINDS:
            r = _declared(svc)
        elif svc.kind == "lb" or (svc.kind == "http" and not callers[name]):
            # A proxy or a front end: what its HTTP callees serve, split by callee.
            http_callees = [c for c in svc.calls if c in services and services[c].kind == "http" and c not in seen]
            r = []
            for c in http_callees:
                for route in routes(c, seen | {name}):
                    r.append(
                        Route(
                            route.operation,
                            route.method,
                            route.path,
                            route.writes,
                            route.share / len(http_callees),
                            c,
                        )
                    )
            if not r:
                r = _own_routes(name)
        elif svc.kind == "http":
            r = _own_routes(name)
        else:
            r = []
        out[name] = tuple(r)
        return out[name]

    for s in scenario.services:
        routes(s.name, frozenset())
    return out


def tables(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """The tables each database owns: one per service that uses it, and one named after itself."""
    out: dict[str, list[str]] = {}
    for s in scenario.services:
        if s.kind == "db":
            out.setdefault(s.name, [table_name(s.name)])
    for s in scenario.services:
        for c in s.calls:
            if c in out:
                t = table_name(s.name)
                if t not in out[c]:
                    out[c].append(t)
    return {k: tuple(v) for k, v in out.items()}


def statements(table: str) -> list[tuple[str, bool]]:
    """Statement shapes on one table ({n} is a row id), with whether each writes. Valid SQL:
    the linter parses every one."""
    return [
        (f"SELECT id, status, updated_at FROM {table} WHERE id = {{n}}", False),
        (f"SELECT id, status FROM {table} WHERE updated_at > now() - interval '5 minutes' LIMIT 100", False),
        (f"UPDATE {table} SET status = 'processed', updated_at = now() WHERE id = {{n}}", True),
        (f"INSERT INTO {table} (id, status, created_at) VALUES ({{n}}, 'new', now())", True),
    ]
