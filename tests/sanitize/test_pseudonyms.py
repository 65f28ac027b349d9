"""Consistency (same value, same pseudonym; same secret, same output) and shape preservation."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dojo.sanitize.detect import luhn_ok
from dojo.sanitize.keep import Keep
from dojo.sanitize.pseudonyms import Pseudonymizer
from dojo.sanitize.scrubber import Scrubber
from dojo.sanitize.tagged import Tagged, is_tagged

from . import samples
from .conftest import run


def scrub(text: str, secret: bytes = b"s") -> str:
    s = Scrubber(secret=secret, stateful=Pseudonymizer(secret, Keep()))
    return s.scrub_bytes(text.encode()).decode()


def one(kind: str, value: str, secret: bytes = b"s") -> str:
    if kind in ("uuid", "jwt", "api_key", "secret", "bearer_token", "url_password"):
        return Tagged(secret)(kind, value)
    return Pseudonymizer(secret, Keep())(kind, value)


# -- consistency ------------------------------------------------------------------------------------


def test_same_value_same_pseudonym_within_a_run():
    out = scrub("a 203.0.113.77x 44.12.9.1 then 44.12.9.1 and user=zed77 for user zed77\n")
    ips = re.findall(r"\b\d+\.\d+\.\d+\.\d+\b", out)
    assert ips[-1] == ips[-2] and ips[-1] != "44.12.9.1"
    users = re.findall(r"(?:user=|for user )(\S+)", out)
    assert users[0] == users[1] != "zed77"


def test_same_secret_same_output_other_secret_other_output(tmp_path, catalog):
    src = samples.write_plain(tmp_path / "app.log", catalog)
    run([src], tmp_path / "a", secret=b"one")
    run([src], tmp_path / "b", secret=b"one")
    run([src], tmp_path / "c", secret=b"two")
    a, b, c = ((tmp_path / d / "app.log").read_text() for d in "abc")
    assert a == b
    assert a != c
    differing = sum(x != y for x, y in zip(a.splitlines(), c.splitlines()))
    assert differing == len(a.splitlines())  # every line carries secrets, so every line differs


def test_spellings_of_one_value_share_a_pseudonym():
    p = Pseudonymizer(b"s", Keep())
    padded = p("ipv4", "010.000.000.001")
    assert re.fullmatch(r"\d{3}\.\d{3}\.\d{3}\.\d{3}", padded)  # the zero-padded style is kept
    assert ".".join(str(int(o)) for o in padded.split(".")) == p("ipv4", "10.0.0.1")
    up, low = p("hostname", "DB1.ACME.COM"), p("hostname", "db1.acme.com")
    assert up.lower() == low and up.isupper()
    assert p("mac", "00:1A:2B:3C:4D:5E").lower() == p("mac", "00-1a-2b-3c-4d-5e").replace("-", ":")


def test_mapping_is_injective_even_in_a_small_block():
    p = Pseudonymizer(b"s", Keep())
    originals = [f"192.168.7.{i}" for i in range(1, 255)]
    outs = [p("ipv4", ip) for ip in originals]
    assert len(set(outs)) == len(outs)
    users = [f"user{i}" for i in range(3000)]  # far more than collide by chance in the pool
    assert len({p("username", u) for u in users}) == len(users)


# -- shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip, check",
    [
        ("44.12.9.1", lambda a: a.is_global),
        ("10.20.30.40", lambda a: a in ipaddress.ip_network("10.0.0.0/8")),
        ("172.20.1.2", lambda a: a in ipaddress.ip_network("172.16.0.0/12")),
        ("192.168.1.20", lambda a: a in ipaddress.ip_network("192.168.0.0/16")),
        ("127.0.3.4", lambda a: a.is_loopback),
        ("169.254.9.9", lambda a: a.is_link_local),
    ],
)
def test_ipv4_stays_in_its_block(ip, check):
    out = one("ipv4", ip)
    addr = ipaddress.ip_address(out)
    assert addr.version == 4 and out != ip and check(addr)


@pytest.mark.parametrize(
    "ip, check",
    [
        ("2a00:1450:4001:82b::200e", lambda a: a.is_global),
        ("fe80::1c2d:3e4f:5a6b:7c8d", lambda a: a.is_link_local),
        ("fd12:3456:789a:1::5", lambda a: a.is_private and a in ipaddress.ip_network("fd00::/8")),
    ],
)
def test_ipv6_stays_ipv6_in_its_block(ip, check):
    out = one("ipv6", ip)
    addr = ipaddress.ip_address(out)
    assert addr.version == 6 and out != ip and check(addr)


def test_ipv4_mapped_ipv6_follows_the_ipv4():
    p = Pseudonymizer(b"s", Keep())
    v4 = p("ipv4", "44.12.9.1")
    assert p("ipv6", "::ffff:44.12.9.1") == f"::ffff:{v4}"


def test_keeps_non_identifying_values():
    out = scrub("from 127.0.0.1 to ::1 via localhost, user=root, 192.0.2.10 doc net, mail bob@example.com\n")
    for kept in ("127.0.0.1", "::1", "localhost", "user=root", "192.0.2.10", "bob@example.com"):
        assert kept in out


def test_hostname_keeps_its_label_count_and_internal_suffix():
    for name in ("api.acme.com", "db7.eu.acme.co.uk", "payments.default.svc.cluster.local", "build-3.ci.acme.internal"):
        out = one("hostname", name)
        assert len(out.split(".")) == len(name.split(".")) and out != name
    assert one("hostname", "payments.default.svc.cluster.local").endswith(".svc.cluster.local")
    assert one("hostname", "shop.acme.com").endswith(".example")


def test_email_stays_an_email():
    out = one("email", "jane.roe@acme-corp.io")
    assert re.fullmatch(r"[a-z0-9._+-]+@[a-z0-9.-]+\.example", out)


def test_uuid_stays_a_uuid_of_the_same_version():
    for original in (str(uuid.uuid4()), str(uuid.uuid1()), str(uuid.uuid4()).upper()):
        out = one("uuid", original)
        parsed = uuid.UUID(out)
        assert parsed.version == uuid.UUID(original).version and parsed.variant == uuid.UUID(original).variant
        assert out != original and out.isupper() == original.isupper() and is_tagged(out)


def test_jwt_stays_three_base64url_parts_of_json():
    c = samples.make_catalog()
    out = one("jwt", c.jwts[0])
    parts = out.split(".")
    assert len(parts) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]+", p) for p in parts)
    header, payload = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    assert header["alg"] == "HS256" and "sub" in payload


@pytest.mark.parametrize("card", ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "3782 822463 10005"])
def test_card_stays_luhn_valid_with_the_same_layout(card):
    out = one("card", card)
    digits = re.sub(r"\D", "", out)
    assert luhn_ok(digits) and len(out) == len(card) and out != card
    assert [c for c in out if not c.isdigit()] == [c for c in card if not c.isdigit()]
    assert out[0] == card[0]


def test_mac_stays_a_mac():
    for mac in ("00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"):
        out = one("mac", mac)
        assert out != mac and len(out) == len(mac)
        assert re.sub(r"[0-9A-Fa-f]", "h", out) == re.sub(r"[0-9A-Fa-f]", "h", mac)


# The patterns secret scanners use for these vendors (gitleaks, GitHub push protection), in short.
SCANNER_RULES = re.compile(
    r"(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,}|(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{22,}|xox[baprse]-|AIza[\w-]{35}|glpat-[\w-]{20}|npm_[A-Za-z0-9]{36}"
    r"|pypi-AgEIcHlwaS5vcmc"
)


def test_api_key_pseudonyms_carry_no_vendor_prefix_by_default():
    c = samples.make_catalog()
    assert all(SCANNER_RULES.search(key) for key in c.api_keys), "the sample keys must look real to begin with"
    for key in c.api_keys:
        out = one("api_key", key)
        assert len(out) == len(key) and out != key and is_tagged(out)
        assert not SCANNER_RULES.search(out), (key, out)
        prefix = re.match(r"sk_live_|AKIA|ghp_|xoxb-", key).group()
        assert out[: len(prefix)] == {"sk_live_": "sk_demo_", "AKIA": "AKEX", "ghp_": "gxp_", "xoxb-": "xozb-"}[prefix]


def test_api_keys_keep_their_real_prefix_only_when_asked():
    c = samples.make_catalog()
    tagged = Tagged(b"s", real_prefixes=True)
    for key in c.api_keys:
        out = tagged("api_key", key)
        assert len(out) == len(key) and out != key and is_tagged(out)
        prefix = re.match(r"sk_live_|AKIA|ghp_|xoxb-", key).group()
        assert out.startswith(prefix)
    hex_token = "0123456789abcdef" * 3
    assert re.fullmatch(r"[0-9a-f]{48}", one("secret", hex_token))


# -- never crashes ----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "user=bob7",
                "10.0.0.1",
                "::1",
                "fe80::1",
                "a.b.c",
                "x@y.io",
                "token=",
                "password=",
                "=",
                ":",
                "@",
                "::",
                "-",
                "Bearer ",
                "4111 1111",
                " ",
                "\n",
                "\t",
                "é",
                "\udcff",
                "\x01",
                "\x02",
                "\ue000",
                "api.acme.com",
                "2026-03-10T14:03:12Z",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_scrub_never_raises_and_keeps_the_line_count(text):
    raw = text.encode("utf-8", "surrogateescape")
    s = Scrubber(secret=b"s", stateful=Pseudonymizer(b"s", Keep()))
    out = s.scrub_bytes(raw)
    assert out.count(b"\n") == raw.count(b"\n")


def test_shipped_name_pools_are_what_faker_builds():
    # The pools ship as files so a run need not import Faker; they must not drift from the source.
    from dojo.sanitize import pools

    assert pools.user_pool() == pools.build_user_pool()
    assert pools.label_pool() == pools.build_label_pool()
    assert len(set(pools.user_pool())) == pools.USER_POOL_SIZE
