"""Flat JSON lines scrubbed in place give the JSON the parsing path gives, and the same counts."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dojo.sanitize import flatjson, formats
from dojo.sanitize.keep import Keep
from dojo.sanitize.pseudonyms import Pseudonymizer
from dojo.sanitize.scrubber import Scrubber

from .conftest import run

KEYS = [
    "user",
    "username",
    "host",
    "hostname",
    "password",
    "token",
    "msg",
    "message",
    "client",
    "request_id",
    "timestamp",
    "remote_user",
    "enduser.id",
    "service.name",
    "authorization",
    "cookie",
    "session_id",
    "level",
    "peer.name",
    "email",
    "ip",
    "10.9.8.7",
    "user_agent",
    "key",
]
VALUES = [
    "bob77",
    "root",
    "-",
    "web-1",
    "db-prod-7.corp.internal",
    "10.1.2.3",
    "203.0.113.9",
    "jane@acme.io",
    "6312f41c-b618-4378-917a-13603c992041",
    "hunter2",
    "Bearer abcdef1234567890",
    "checkout ok",
    "Failed password for invalid user eve from 10.0.0.5 port 22 ssh2",
    "Mar 10 12:00:01 db-prod-7 sshd[42]: session opened for user carol",
    "10.0.0.8 - frank [10/Mar/2026:12:00:01 +0000] GET /",
    "2026-03-10T12:00:01Z",
    "a.io",
    "x",
    "",
    "caf\u00e9 user=dave",
    "token=ab12cd34ef56ab12cd34",
    "https://u:pw@api.acme-corp.io/v1",
    "4111 1111 1111 1111",
    "00:1a:2b:3c:4d:5e",
]
ESCAPED = [
    '"say \\"hi\\" to bob@acme.io"',
    '"line1\\nuser=eve"',
    '"C:\\\\Users\\\\bob77\\\\x"',
    '"caf\\u00e9 10.1.2.3"',
    '"https:\\/\\/u:pw@api.acme-corp.io\\/v1"',
    '"\\\\"',
    '"tab\\there"',
    '"\\ud800 user=zed"',
    '"bo\\u0062"',
]
FLAT_SCALARS = st.one_of(
    st.sampled_from(VALUES).map(json.dumps),
    st.sampled_from(["1", "-2.5e3", "true", "false", "null", "0"]),
    st.sampled_from(ESCAPED),
)
NOT_FLAT = st.sampled_from(['["10.1.2.3"]', '{"user": "bob"}', '"raw\ttab"', "1.2.3.4"])


@st.composite
def lines(draw) -> str:
    # Distinct keys: parsing keeps only the last of duplicates, the flat way keeps (and scrubs) all.
    members = draw(st.lists(st.tuples(st.sampled_from(KEYS), FLAT_SCALARS), max_size=8, unique_by=lambda m: m[0]))
    if draw(st.integers(0, 9)) == 0:  # now and then, a line that is not one flat object
        members.append(("nested", draw(NOT_FLAT)))
    colon, comma = draw(st.sampled_from([(":", ","), (": ", ", "), (" : ", " , "), (":", ",  ")]))
    body = comma.join(f"{json.dumps(k)}{colon}{v}" for k, v in members)
    return draw(st.sampled_from(["{%s}"] * 6 + ["{ %s }", "{%s}\r", "[%s]", "{%s", "%s"])) % body


def _scrubber() -> Scrubber:
    return Scrubber(secret=b"k", stateful=Pseudonymizer(b"k", Keep()))


def _parsed(text: str) -> list[object]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append(line)  # not JSON: scrubbed as text both ways
    return out


# A chunk's fixed cost (the scrubber's patterns compiled per call) outweighs its lines: fewer
# chunks of more lines draw as many line shapes (this was 200 chunks of up to 12 lines).
@settings(max_examples=60, deadline=None)
@given(st.lists(lines(), min_size=1, max_size=40))
@example(['{"user":"bob77","host":"db-prod-7","password":"hunter2","msg":"from 10.1.2.3"}'])
def test_flat_lines_scrub_to_the_same_json_as_parsing_them(batch):
    chunk = ("\n".join(batch) + "\n").encode()
    fast, slow = _scrubber(), _scrubber()
    by_flat = formats.jsonl_chunk(fast, chunk)
    by_parse = formats._jsonl_parsed(slow, chunk)
    assert _parsed(by_flat.data.decode()) == _parsed(by_parse.data.decode())
    assert by_flat.fallback_lines == by_parse.fallback_lines
    assert by_flat.lines == by_parse.lines
    assert fast.take_counts() == slow.take_counts()


def test_a_flat_line_keeps_its_formatting_to_the_byte():
    line = '{"level":"INFO", "user": "bob77","n":1.50E+3,"ok":true,"msg":"from 10.1.2.3"}\n'
    s = _scrubber()
    out = formats.jsonl_chunk(s, line.encode()).data.decode()
    assert flatjson.prepare(_scrubber(), line.encode()) is not None  # went the flat way
    assert "bob77" not in out and "10.1.2.3" not in out
    assert out.startswith('{"level":"INFO", "user": "') and ',"n":1.50E+3,"ok":true,"msg":"from ' in out


def test_lines_that_are_not_one_flat_object_go_the_parsing_way():
    for line in [
        '{"a":{"user":"bob"}}',
        '{"a":["10.1.2.3"]}',
        '{"msg":"bad \\x escape"}',
        '{"key":"enduser.id","value":"bob"}',
        '{"a":1.2.3.4}',
        '{"a":"b"} {"c":"d"}',
        ' {"a":"b"}',
        '{"a":"tab\there"}',
        '{"a"  :"b"}',
    ]:
        p = flatjson.prepare(_scrubber(), (line + "\n").encode())
        assert p is None or not p.flat.any(), line


@pytest.mark.slow
def test_a_big_json_lines_file_through_the_flat_way_leaks_nothing(tmp_path, catalog):
    from .conftest import leaks

    src = tmp_path / "app.jsonl"
    users, ips = catalog.originals()["users"], catalog.originals()["ipv4_public"]
    with open(src, "w") as fh:
        for i in range(60_000):
            fh.write(json.dumps({"ts": i, "user": users[i % len(users)], "client": ips[i % 7], "msg": "ok"}) + "\n")
    report = run([src], tmp_path / "out")
    out = (tmp_path / "out" / "app.jsonl").read_text()
    assert not leaks(out, catalog)
    assert report.replaced["username"] == 60_000 and report.replaced["ipv4"] == 60_000
    assert all(json.loads(line)["ts"] == i for i, line in enumerate(out.splitlines()))
