"""Values that are detected but identify nobody, so they stay as they are.

Keeping them makes scenarios read true (127.0.0.1 is still loopback, `root` is still root, a
resolver at 8.8.8.8 is still Google's) and costs no privacy. The rule is deliberately short; the
instructor adds their own with --keep (service names, say).
"""

from __future__ import annotations

import ipaddress
import re

from . import detect, tlds

KEEP_IPV4 = frozenset(
    {"127.0.0.1", "0.0.0.0", "255.255.255.255", "8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"}
)
# Documentation ranges (RFC 5737, RFC 3849) belong to nobody; multicast groups are protocol
# constants (224.0.0.251 is mDNS).
_DOC_V4 = tuple(
    (int(n.network_address), int(n.broadcast_address))
    for n in map(ipaddress.ip_network, ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4"))
)
_DOC_V6 = tuple(ipaddress.ip_network(n) for n in ("2001:db8::/32", "ff00::/8"))

KEEP_HOSTS = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "broadcasthost"})

# Accounts that exist on every machine, and the placeholders logs write for "nobody".
SYSTEM_USERS = frozenset(
    """root admin administrator nobody daemon bin sys www-data nginx apache httpd postgres mysql redis oracle
    ubuntu debian centos ec2-user guest test user git sshd systemd-network anonymous system - _""".split()
)

# The account ids AWS documentation uses in its examples, and the all-zero placeholder.
_HASH_DIGITS = frozenset("2456789")
KEEP_ACCOUNTS = frozenset({"123456789012", "111122223333", "444455556666", "000000000000"})

KEEP_MACS = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})
KEEP_UUIDS = frozenset({"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"})


# Host labels that name a role, not an owner: kept so scenarios read naturally (api.<x>.example).
GENERIC_LABELS = frozenset(
    """www api mail smtp imap pop mx ns cdn static assets img auth sso vpn proxy gw gateway lb db cache redis
    queue kafka web app apps prod production staging stage dev test qa uat int internal private public admin
    status metrics monitoring grafana prometheus""".split()
)
_REGION = re.compile(
    r"(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d\Z"
)
_DIGIT_SUFFIX = re.compile(r"[-_]?\d+\Z")


def generic_label(label: str) -> bool:
    low = label.lower()
    return _DIGIT_SUFFIX.sub("", low) in GENERIC_LABELS or bool(_REGION.match(low))


def generic_host(name: str) -> bool:
    """web-01, db.prod.internal: made only of role words (under an in-house suffix), naming no one."""
    low = name.lower()
    suffix = next((s for s in tlds.INTERNAL_SUFFIXES if low.endswith("." + s)), None)
    labels = low[: -len(suffix) - 1].split(".") if suffix else low.split(".")
    if suffix is None and len(labels) > 1:
        return False  # a public name: its registrable label always goes
    return all(generic_label(label) for label in labels)


# A cloud provider's own service endpoint (CloudTrail's eventSource `lambda.amazonaws.com`) names the
# provider's service, no customer's; one label more (`bucket.s3.amazonaws.com`) names a customer's.
_SERVICE_ENDPOINT = re.compile(r"[a-z][a-z0-9-]{0,39}\.(?:amazonaws\.com|googleapis\.com)\Z")


def reserved_host(name: str) -> bool:
    low = name.lower().rstrip(".")
    if low in KEEP_HOSTS or _SERVICE_ENDPOINT.match(low):
        return True
    labels = low.split(".")
    if labels[-1] in tlds.RESERVED_TLDS:
        return True
    return any(low == d or low.endswith("." + d) for d in tlds.RESERVED_DOMAINS)


class Keep:
    """Decides, per kind, whether a detected value stays."""

    def __init__(self, extra: frozenset[str] = frozenset()) -> None:
        self.extra = extra

    def __call__(self, kind: str, value: str) -> bool:
        if value in self.extra:
            return True
        if kind == detect.UUID:  # the commonest never-seen kind: decide it first
            return value[0] in "0fF" and value.lower() in KEEP_UUIDS
        if kind == detect.IPV4:
            if value in KEEP_IPV4:
                return True
            a, b, c, d = (int(o) for o in value.replace("-", ".").split("."))
            addr = a << 24 | b << 16 | c << 8 | d
            return any(lo <= addr <= hi for lo, hi in _DOC_V4)
        if kind == detect.IPV6:
            addr6 = ipaddress.IPv6Address(value.split("%", 1)[0])
            return addr6.is_loopback or addr6.is_unspecified or any(addr6 in net for net in _DOC_V6)
        if kind == detect.HOSTNAME:
            return reserved_host(value) or generic_host(value)
        if kind == detect.USERNAME:
            return value.lower() in SYSTEM_USERS
        if kind == detect.EMAIL:
            return reserved_host(value.rsplit("@", 1)[1])
        if kind == detect.POD:  # a StatefulSet's ordinal (web-0): every cluster has one
            # (five digits of Kubernetes' alphabet, 2 and 4-9, are a DaemonSet's pod hash instead)
            return value.isdigit() and (len(value) != 5 or not set(value) <= _HASH_DIGITS)
        if kind == detect.ACCOUNT_ID:
            return value in KEEP_ACCOUNTS
        if kind == detect.MAC:
            return value.lower().replace("-", ":") in KEEP_MACS
        return False
