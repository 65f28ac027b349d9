"""Known secrets, made with a seeded Faker, and sample files full of them in every format.

The catalog keeps every original value, so a test can prove that none of them survives. Values
are made distinctive (user names carry digits, e-mails use non-reserved domains) so that finding
one in the output means a leak, not a coincidence with ordinary words.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def luhn_complete(body: str) -> str:
    for d in "0123456789":
        digits = body + d
        total = 0
        for i, ch in enumerate(reversed(digits)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return digits
    raise AssertionError


@dataclass
class Catalog:
    ipv4_public: list[str] = field(default_factory=list)
    ipv4_private: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    uuids: list[str] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    jwts: list[str] = field(default_factory=list)
    passwords: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    macs: list[str] = field(default_factory=list)

    def originals(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.__dict__.items()}


def make_catalog(seed: int = 11, n: int = 12) -> Catalog:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    c = Catalog()
    while len(c.ipv4_public) < n:
        ip = fake.ipv4_public()
        if not ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.", "8.8.", "1.1.1.", "1.0.0.", "9.9.9.")):
            c.ipv4_public.append(ip)
    c.ipv4_private = [f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(2, 250)}" for _ in range(n // 2)]
    c.ipv4_private += [f"192.168.{rnd.randrange(256)}.{rnd.randrange(2, 250)}" for _ in range(n // 2)]
    c.ipv6 = [fake.ipv6() for _ in range(n)]
    c.users = [f"{fake.user_name()}{rnd.randrange(10, 99)}" for _ in range(n)]
    domains = [
        f"{fake.domain_word()}{rnd.randrange(10, 99)}.{rnd.choice(['com', 'io', 'net', 'de'])}" for _ in range(n)
    ]
    c.emails = [f"{fake.first_name().lower()}.{fake.last_name().lower()}{i}@{domains[i]}" for i in range(n)]
    c.hosts = [f"{rnd.choice(['srv', 'node', 'box'])}{rnd.randrange(100, 999)}.{domains[i]}" for i in range(n)]
    c.uuids = [str(fake.uuid4()) for _ in range(n)]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    c.api_keys = (
        ["sk_live_" + "".join(rnd.choice(alnum) for _ in range(24)) for _ in range(n // 4)]
        + ["AKIA" + "".join(rnd.choice(upper) for _ in range(16)) for _ in range(n // 4)]
        + ["ghp_" + "".join(rnd.choice(alnum) for _ in range(36)) for _ in range(n // 4)]
        + [
            "xoxb-"
            + "-".join("".join(rnd.choice("0123456789") for _ in range(12)) for _ in range(2))
            + "-"
            + "".join(rnd.choice(alnum) for _ in range(24))
            for _ in range(n // 4)
        ]
    )
    c.tokens = [f"{rnd.getrandbits(160):040x}" for _ in range(n)]
    c.jwts = [
        ".".join(
            (
                _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()),
                _b64url(json.dumps({"sub": u, "email": e, "iat": 1_700_000_000 + i}).encode()),
                _b64url(rnd.randbytes(32)),
            )
        )
        for i, (u, e) in enumerate(zip(c.users, c.emails))
    ]
    c.passwords = [fake.password(length=14, special_chars=False) for _ in range(n)]
    cards = [fake.credit_card_number(t) for t in ("visa16", "mastercard", "amex", "discover") for _ in range(n // 4)]
    c.cards = [_spaced(card, rnd) for card in cards]
    c.macs = [fake.mac_address() for _ in range(n)]
    return c


def _spaced(card: str, rnd: random.Random) -> str:
    style = rnd.choice(["", " ", "-"])
    if not style:
        return card
    if len(card) == 15:
        return style.join((card[:4], card[4:10], card[10:]))
    return style.join(card[i : i + 4] for i in range(0, len(card), 4))


def log_lines(c: Catalog) -> list[str]:
    """Plain log lines, each holding several secrets in the idioms logs use."""
    lines = []
    for i in range(len(c.users)):
        ip, priv, v6, user, email, host = (
            c.ipv4_public[i],
            c.ipv4_private[i],
            c.ipv6[i],
            c.users[i],
            c.emails[i],
            c.hosts[i],
        )
        lines += [
            f"Mar 10 14:03:{i:02d} {host.split('.')[0]} sshd[{4000 + i}]: Failed password for invalid user {user} "
            f"from {ip} port 22 ssh2",
            f"Mar 10 14:04:{i:02d} {host} sshd[{4100 + i}]: Accepted publickey for {user} from {priv} port 5{i:04d} "
            "ssh2",
            f'{ip} - {user} [10/Mar/2026:14:03:{i:02d} +0000] "GET /api/v1/orders?id={i} HTTP/1.1" 200 512 "-" '
            '"curl/8.5"',
            f"2026-03-10T14:05:{i:02d}.123Z INFO checkout user={user} email={email} client={priv} host={host} "
            f"request_id={c.uuids[i]} card={c.cards[i]} mac={c.macs[i]} ip6={v6}",
            f"2026-03-10T14:06:{i:02d}Z WARN auth login {user} failed; api_key={c.api_keys[i]} token={c.tokens[i]} "
            f"Authorization: Bearer {c.jwts[i]}",
            f"2026-03-10T14:07:{i:02d}Z ERROR db connect postgres://{user}:{c.passwords[i]}@{host}:5432/app "
            f"password={c.passwords[i]} home=/home/{user}/app user: {user}",
            f"2026-03-10 14:08:{i:02d} session opened for user {user} by (uid=0) from [{v6}]:443 via {email}",
            f"Mar 10 14:09:{i:02d} {host.split('.')[0]} sudo:    {user} : TTY=pts/{i} ; PWD=/home/{user} ; USER=root "
            "; COMMAND=/bin/ls",
            f"Mar 10 14:10:{i:02d} {host.split('.')[0]} su: (to root) {user} on pts/{i}",
            f"2026-03-10T14:11:{i:02d}Z INFO login username: '{user}' from {ip}",
            f"2026-03-10 14:12:{i:02d}.123 UTC [{4700 + i}] {user}@orders FATAL:  password authentication failed for "
            f'user "{user}"',
            f"2026-03-10T14:13:{i:02d}Z INFO GET /reset?email={email.replace('@', '%40')} by "
            f"arn:aws:iam::123456789012:user/{user}",
        ]
    return lines


def write_plain(path: Path, c: Catalog) -> Path:
    path.write_text("\n".join(log_lines(c)) + "\n", encoding="utf-8")
    return path


def jsonl_records(c: Catalog) -> list[dict]:
    return [
        {
            "ts": f"2026-03-10T14:05:{i:02d}.123Z",
            "level": "INFO",
            "service": "checkout",
            "user": c.users[i],
            "host": c.hosts[i].split(".")[0],
            "client": {"ip": c.ipv4_public[i], "ipv6": c.ipv6[i], "mac": c.macs[i]},
            "email": c.emails[i],
            "password": c.passwords[i],
            "headers": {"authorization": f"Bearer {c.jwts[i]}", "x-api-key": c.api_keys[i]},
            "msg": f"payment by {c.emails[i]} card {c.cards[i]} request {c.uuids[i]} from {c.ipv4_private[i]}",
            "tags": [c.hosts[i], f"token={c.tokens[i]}"],
            "latency_ms": 12.5 + i,
            "ok": True,
        }
        for i in range(len(c.users))
    ]


def write_jsonl(path: Path, c: Catalog) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in jsonl_records(c)), encoding="utf-8")
    return path


def write_csv(path: Path, c: Catalog) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time", "user", "host", "client_ip", "email", "message"])
    for i in range(len(c.users)):
        w.writerow(
            [
                f"2026-03-10 14:05:{i:02d}",
                c.users[i],
                c.hosts[i],
                c.ipv4_public[i],
                c.emails[i],
                f'paid with {c.cards[i]}, key={c.api_keys[i]}, from {c.ipv6[i]}, said "bye, see you" to user '
                f"{c.users[i]}",
            ]
        )
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _otlp_attr(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def write_otlp(path: Path, c: Catalog, start_ns: int = 1_773_151_392_000_000_000) -> Path:
    spans = []
    for i in range(len(c.users)):
        spans.append(
            {
                "traceId": f"{i:032x}",
                "spanId": f"{i:016x}",
                "name": "POST /checkout",
                "startTimeUnixNano": str(start_ns + i * 1_000_000),
                "endTimeUnixNano": str(start_ns + i * 1_000_000 + 500_000),
                "attributes": [
                    _otlp_attr("enduser.id", c.users[i]),
                    _otlp_attr("net.peer.name", c.hosts[i]),
                    _otlp_attr("net.sock.peer.addr", c.ipv4_public[i]),
                    _otlp_attr("http.url", f"https://{c.users[i]}:{c.passwords[i]}@{c.hosts[i]}/pay?order={i}"),
                    _otlp_attr("payment.note", f"card {c.cards[i]} declined"),
                    _otlp_attr("http.request.header.authorization", f"Bearer {c.jwts[i]}"),
                ],
                "status": {"code": 2, "message": f"declined for {c.emails[i]}"},
            }
        )
    doc = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [_otlp_attr("service.name", "checkout"), _otlp_attr("host.name", c.hosts[0])]
                },
                "scopeSpans": [{"scope": {"name": "dojo"}, "spans": spans}],
            }
        ]
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def write_jaeger(path: Path, c: Catalog, start_us: int = 1_773_151_392_000_000) -> Path:
    spans = [
        {
            "traceID": f"{i:032x}",
            "spanID": f"{i:016x}",
            "operationName": "charge",
            "startTime": start_us + i * 1000,
            "duration": 523,
            "tags": [
                {"key": "user", "type": "string", "value": c.users[i]},
                {"key": "peer.ipv4", "type": "string", "value": c.ipv4_private[i]},
                {"key": "http.url", "type": "string", "value": f"https://{c.hosts[i]}/v1?token={c.tokens[i]}"},
            ],
            "logs": [
                {
                    "timestamp": start_us + i * 1000 + 10,
                    "fields": [
                        {
                            "key": "event",
                            "type": "string",
                            "value": f"card {c.cards[i]} mac {c.macs[i]} by {c.emails[i]}",
                        }
                    ],
                }
            ],
            "processID": "p1",
        }
        for i in range(len(c.users))
    ]
    doc = {
        "data": [
            {
                "traceID": "0" * 32,
                "spans": spans,
                "processes": {
                    "p1": {
                        "serviceName": "payments",
                        "tags": [
                            {"key": "hostname", "type": "string", "value": c.hosts[1].split(".")[0]},
                            {"key": "ip", "type": "string", "value": c.ipv4_public[1]},
                        ],
                    }
                },
            }
        ]
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
