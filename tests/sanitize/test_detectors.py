"""What is detected and what is left alone, one idiom at a time."""

from __future__ import annotations

import pytest

from dojo.sanitize.detect import Detector
from dojo.sanitize.finder import Finder
from dojo.sanitize.patterns import coarse_pattern


def found(text: str) -> list[tuple[str, str]]:
    """(kind, value) for every part in text, through both layers: the scan, then the detectors."""
    finder, detector = Finder(coarse_pattern(timestamps=False)), Detector(timestamps=False)
    pieces = finder.split(text.encode())
    out = []
    for cand in pieces[1::2]:
        t = cand.decode()
        out += [(k, t[s:e]) for k, s, e in detector.parts(t)]
    return out


@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("user=bob77 logged in", "username", "bob77"),
        ("user: bob77", "username", "bob77"),
        ('{"username": "bob77"}', "username", "bob77"),
        ("session opened for user bob77 by (uid=0)", "username", "bob77"),
        ("Invalid user bob77 from 10.0.0.1", "username", "bob77"),
        ("Failed password for invalid user bob77 from", "username", "bob77"),
        ("Accepted publickey for bob77 from", "username", "bob77"),
        ("cd /home/bob77/src", "username", "bob77"),
        ("login bob77 from tty1", "username", "bob77"),
        ("sudo:   bob77 : TTY=pts/0", "username", "bob77"),
        # sudo and su as syslog writes them: the user right after the program's header.
        ("Mar 10 14:00:03 web-3 sudo:    bob77 : TTY=pts/0 ; PWD=/srv ; USER=root", "username", "bob77"),
        ("Mar 10 14:00:04 web-3 su: (to root) bob77 on pts/0", "username", "bob77"),
        ("sudo: PWD=/home/bob77 ; USER=root", "username", "bob77"),
        ("login username: 'bob77' from tty1", "username", "bob77"),
        ('login user="bob77"', "username", "bob77"),
        ('FATAL:  password authentication failed for user "bob77"', "username", "bob77"),
        ("2026-03-10 14:00:03.123 UTC [4711] bob77@ordersdb LOG:  duration: 3 ms", "username", "bob77"),
        ('"arn":"arn:aws:iam::123456789012:user/ops/bob77"', "username", "bob77"),
        ("GET /reset?email=bob77%40acme-corp.io HTTP/1.1", "username", "bob77"),
        ("GET /reset?email=bob77%40acme-corp.io HTTP/1.1", "hostname", "acme-corp.io"),
        (
            "hook https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/abcdefghij0123456789ABCD ok",
            "secret",
            "T0ABCDEFG/B0ABCDEFG/abcdefghij0123456789ABCD",
        ),
        ("db.user: bob77", "username", "bob77"),
        ("mail jane.roe@acme-corp.io now", "email", "jane.roe@acme-corp.io"),
        ("<jane@acme.co.uk>", "email", "jane@acme.co.uk"),
        ("GET https://api.acme-corp.io/v1", "hostname", "api.acme-corp.io"),
        ("host=build-7", "hostname", "build-7"),
        ("Mar 10 14:03:12 web-prod-3 kernel: oops", "hostname", "web-prod-3"),
        ("id 550e8400-e29b-41d4-a716-446655440000.", "uuid", "550e8400-e29b-41d4-a716-446655440000"),
        ("from 203.0.114.9:443", "ipv4", "203.0.114.9"),
        ("peer [2a00:1450:4001:82b::200e]:443", "ipv6", "2a00:1450:4001:82b::200e"),
        ("via fe80::1%eth0", "ipv6", "fe80::1"),
        ("mac 00:1a:2b:3c:4d:5e", "mac", "00:1a:2b:3c:4d:5e"),
        ("mac 00-1A-2B-3C-4D-5E", "mac", "00-1A-2B-3C-4D-5E"),
        ("port 001a.2b3c.4d5e up", "mac", "001a.2b3c.4d5e"),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok", "ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
        ("card 4111-1111-1111-1111", "card", "4111-1111-1111-1111"),
        ("Authorization: Bearer abcdefgh12345678", "bearer_token", "abcdefgh12345678"),
        ("Authorization: Basic dXNlcjpwYXNz", "bearer_token", "dXNlcjpwYXNz"),
        ("password=hunter2!", "secret", "hunter2!"),
        ("MYSQL_ROOT_PASSWORD=s3cret", "secret", "s3cret"),
        ('password="a b c"', "secret", "a b c"),
        ("api_key=0123456789abcdef0123", "secret", "0123456789abcdef0123"),
        ("redis://:pw123456@cache.internal:6379", "url_password", "pw123456"),
    ],
)
def test_detects(text, kind, value):
    assert (kind, value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        'File "/srv/app.py", line 3',
        "see README.md and setup.py",
        "at com.acme.billing.Invoice.run(Invoice.java:42)",
        "service.name=checkout http.method=GET",
        "HTTP/1.1 200 version 1.2.3",
        "14:03:12 took 12.5ms",
        "login failed for root",
        "user=root user=nobody user=-",
        "trace_id=5b8efff798038103d269b633813fc60c",
        "token=expired key: service.name",
        "epoch 1710079392000 and 1710079392123456789",
        "4111 1111 1111 1112",  # not Luhn-valid
        "from 127.0.0.1 and ::1 to localhost",
        "docs at 192.0.2.10 and bob@example.com and api.example.org",
        "x-request-id: e2e-test-run",
        "std::vector<int> Foo::bar",
        "sudo:    root : TTY=pts/0 ; PWD=/srv/app ; USER=root",  # a working directory, no password
        "[12] postgres@app LOG:  checkpoint complete",  # a system account
        "arn:aws:iam::123456789012:role/deployer",  # a role is no person
        "Mar 10 14:00:03 web-3 CRON[7]: (root) CMD (run-parts /etc/cron.hourly)",
    ],
)
def test_leaves_alone(text):
    from dojo.sanitize.keep import Keep

    keep = Keep()
    assert [(k, v) for k, v in found(text) if not keep(k, v)] == []
