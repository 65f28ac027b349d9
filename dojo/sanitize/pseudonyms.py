"""Consistent, shape-keeping pseudonyms for the kinds that live in small spaces.

IPs, MACs, cards, user names, host names and e-mails: HMAC(secret, value) chooses a pseudonym
(a draw in the same address block, a name from the pool), and a table remembers it. Two values
can draw the same pseudonym in such small spaces, so each kind keeps the set of pseudonyms given
out, and on a collision the next draw is taken (a numeric suffix for names): the mapping stays
injective. Keys are normalised (case, zero padding, separators) so 10.0.0.01 and 10.0.0.1, or
ACME.com and acme.com, are one value, and the output copies the original's spelling.

Same secret, same input: same pseudonyms. A collision is resolved in first-seen order, so only a
value that collided can differ between two runs over different inputs. This state is why, when
a file is scrubbed by several processes, these kinds are resolved in one place (see parallel.py).
The other kinds need no state: see tagged.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterator

from . import detect, pools
from .keep import Keep, generic_label
from .keyed import Hmac

STATEFUL = (
    detect.IPV4,
    detect.IPV6,
    detect.MAC,
    detect.CARD,
    detect.USERNAME,
    detect.HOSTNAME,
    detect.EMAIL,
    detect.ACCOUNT_ID,
    detect.POD,
    detect.PHONE,
    detect.NATIONAL_ID,
    detect.BIRTH_DATE,
    detect.PERSON,
)
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _ranges(*nets: str) -> tuple[tuple[int, int], ...]:
    out = []
    for n in nets:
        net = ipaddress.ip_network(n)
        out.append((int(net.network_address), int(net.broadcast_address)))
    return tuple(out)


# Blocks whose addresses keep their block (private stays private); as int ranges, since this
# runs for every new address and ipaddress's own checks are slow.
_V4_SPECIAL = _ranges(
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "198.18.0.0/15",
    "0.0.0.0/8",
    "240.0.0.0/4",
)
# Where a public address must not land: everything special, documentation, multicast.
_V4_NOT_PUBLIC = _V4_SPECIAL + _ranges(
    "192.0.0.0/24",
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "192.88.99.0/24",
)
# Prefixes kept for IPv6: link-local keeps its /64, unique-local only its fd/fc byte (the next 40
# bits are a random site id, which identifies the site), NAT64 keeps /96.
_V6_SPECIAL = tuple(
    ipaddress.IPv6Network(n) for n in ("fe80::/64", "fc00::/8", "fd00::/8", "fec0::/10", "64:ff9b::/96", "100::/64")
)


def normalize(kind: str, value: str) -> str:
    """The key under which a value is one thing, whatever its spelling."""
    if kind == detect.IPV4:  # 10.0.3.17, or ip-10-0-3-17 in an EC2 host name
        return ".".join(str(int(o)) for o in value.replace("-", ".").split("."))
    if kind == detect.IPV6:
        return str(ipaddress.IPv6Address(value.split("%", 1)[0]))
    if kind == detect.MAC:
        return re.sub(r"[^0-9a-f]", "", value.lower())
    if kind in (detect.CARD, detect.PHONE):
        return re.sub(r"\D", "", value)
    if kind == detect.NATIONAL_ID:  # its letters and digits: AB 12 34 56 C is AB123456C
        return re.sub(r"[\W_]", "", value).upper()
    return value.lower()


def _luhn_digit(body: str) -> str:
    for d in "0123456789":
        if detect.luhn_ok(body + d):
            return d
    raise AssertionError("unreachable")


class Pseudonymizer:
    """Replaces one detected value by its pseudonym (or leaves it, if Keep says so)."""

    def __init__(self, secret: bytes, keep: Keep, *, record: bool = False) -> None:
        self.mac = Hmac(secret)
        self.keep = keep
        self.record = record
        self.forward: dict[str, dict[str, str]] = defaultdict(dict)
        self.used: dict[str, set[str]] = defaultdict(set)
        # Host labels: (original parent, label) -> pseudonym label; used labels per pseudonym parent,
        # so two names can never end up the same even when their parents map alike.
        self._labels: dict[tuple[str, str], str] = {}
        self._labels_used: dict[str, set[str]] = defaultdict(set)
        self.recorded: dict[str, dict[str, str]] = defaultdict(dict)
        # Spelling as found -> output, for the stateful kinds: a value met again costs one look-up.
        self._memo: dict[str, dict[str, str]] = defaultdict(dict)
        self._make: dict[str, Callable[[str], Iterator[str]]] = {
            detect.IPV4: self._ipv4_draws,
            detect.IPV6: self._ipv6_draws,
            detect.MAC: self._mac_draws,
            detect.CARD: self._card_draws,
            detect.USERNAME: self._user_draws,
            detect.ACCOUNT_ID: self._digit_draws,
            detect.POD: self._pod_draws,
            detect.PHONE: self._phone_draws,
            detect.NATIONAL_ID: self._national_id_draws,
            detect.BIRTH_DATE: self._birth_date_draws,
            detect.PERSON: self._person_draws,
        }

    # -- public -------------------------------------------------------------------------------

    def __call__(self, kind: str, value: str) -> str:
        """The pseudonym of a value the caller has already decided not to keep."""
        memo = self._memo[kind]
        out = memo.get(value)
        if out is None:
            out = memo[value] = self._render(kind, self.canonical(kind, normalize(kind, value)), value)
            if self.record:
                self.recorded[kind][value] = out
        return out

    def canonical(self, kind: str, key: str) -> str:
        """The pseudonym of a normalised value, in its canonical spelling (stateful kinds)."""
        table = self.forward[kind]
        hit = table.get(key)
        if hit is not None:
            return hit
        if kind == detect.HOSTNAME:
            out = self._host(key)
        elif kind == detect.EMAIL:
            local, domain = key.rsplit("@", 1)
            user = local if self.keep(detect.USERNAME, local) else self.canonical(detect.USERNAME, local)
            out = f"{user}@{self._host_or_kept(domain)}"
        else:
            used = self.used[kind]
            out = next(c for c in self._make[kind](key) if c != key and c not in used)
            used.add(out)
        table[key] = out
        return out

    def pseudonyms(self) -> Iterator[tuple[str, str]]:
        """(kind, canonical pseudonym) for every stateful value replaced: no original in here."""
        for kind in STATEFUL:
            for out in self.forward.get(kind, {}).values():
                yield kind, out

    def spellings(self, kind: str) -> dict[str, str]:
        """Every original of a kind as it was spelled, with the pseudonym it got (originals!)."""
        return dict(self._memo.get(kind, {}))

    def distinct(self, kind: str) -> int | None:
        return len(self.forward.get(kind, ())) if kind in STATEFUL else None

    # -- draws ----------------------------------------------------------------------------------

    def _ints(self, kind: str, key: str) -> Iterator[int]:
        """An endless, reproducible stream of 256-bit numbers for one value."""
        n = 0
        while True:
            msg = f"{kind}\x00{key}\x00{n}".encode("utf-8", "surrogatepass")
            yield int.from_bytes(self.mac(msg), "big")
            n += 1

    def _ipv4_draws(self, key: str) -> Iterator[str]:
        a, b, c, d = map(int, key.split("."))  # normalised: four decimal octets
        addr = a << 24 | b << 16 | c << 8 | d
        net = next((n for n in _V4_SPECIAL if n[0] <= addr <= n[1]), None)
        for r in self._ints(detect.IPV4, key):
            if net is not None:
                # Same block, other host: private stays private, loopback stays loopback.
                size = net[1] - net[0] + 1
                host = 1 + r % (size - 2) if size > 2 else r % size
                cand = net[0] + host
            else:
                cand = r % 2**32
                if any(lo <= cand <= hi for lo, hi in _V4_NOT_PUBLIC):
                    continue
            yield f"{cand >> 24}.{cand >> 16 & 255}.{cand >> 8 & 255}.{cand & 255}"

    def _ipv6_draws(self, key: str) -> Iterator[str]:
        addr = ipaddress.IPv6Address(key)
        mapped = addr.ipv4_mapped
        if mapped is not None:
            # ::ffff:a.b.c.d is an IPv4 address: map it as one so both spellings agree.
            v4 = self.canonical(detect.IPV4, str(mapped))
            yield str(ipaddress.IPv6Address(f"::ffff:{v4}"))
            return
        net = next((n for n in _V6_SPECIAL if addr in n), None)
        for r in self._ints(detect.IPV6, key):
            if net is not None:
                bits = 128 - net.prefixlen
                yield str(ipaddress.IPv6Address(int(net.network_address) | (r % 2**bits)))
            else:
                cand = ipaddress.IPv6Address((1 << 125) | (r % 2**125))  # 2000::/3, global unicast
                if cand.is_global:
                    yield str(cand)

    def _mac_draws(self, key: str) -> Iterator[str]:
        flags = int(key, 16) & (0x03 << 40)  # keep the multicast and locally-administered bits
        for r in self._ints(detect.MAC, key):
            value = (r % 2**48) & ~(0x03 << 40) | flags
            if 0 < value < 2**48 - 1:
                yield f"{value:012x}"

    def _card_draws(self, key: str) -> Iterator[str]:
        # Same length, same first digit (the network), a valid check digit.
        for r in self._ints(detect.CARD, key):
            middle = str(r).zfill(len(key))[-(len(key) - 2) :]
            body = key[0] + middle
            yield body + _luhn_digit(body)

    def _digit_draws(self, key: str) -> Iterator[str]:
        """A number of the same length (an AWS account id): no leading zero unless it had one."""
        for r in self._ints(detect.ACCOUNT_ID, key):
            out = str(r)[-len(key) :]
            if out[0] != "0" or key[0] == "0":
                yield out

    def _pod_draws(self, key: str) -> Iterator[str]:
        """<replica set hash>-<pod hash> in Kubernetes' alphabet; one replica set keeps one hash."""
        if "-" not in key:  # a DaemonSet's pod: the pod hash alone
            for r in self._ints(detect.POD, key):
                yield "".join(K8S_ALPHABET[(r >> (5 * i)) % len(K8S_ALPHABET)] for i in range(len(key)))
            return
        rs, _, pod = key.partition("-")
        r = next(self._ints(detect.POD + "-rs", rs))
        rs_out = "".join(K8S_ALPHABET[(r >> (5 * i)) % len(K8S_ALPHABET)] for i in range(len(rs)))
        for r in self._ints(detect.POD, key):
            yield rs_out + "-" + "".join(K8S_ALPHABET[(r >> (5 * i)) % len(K8S_ALPHABET)] for i in range(len(pod)))

    def _phone_draws(self, key: str) -> Iterator[str]:
        """Digits only (normalised). North American numbers land in 555-0100..0199, the range kept
        for fiction; others keep their first two digits (the country) and draw the rest."""
        nanp = len(key) == 10 or (len(key) == 11 and key[0] == "1")
        for r in self._ints(detect.PHONE, key):
            digits = str(r)
            if nanp:
                area = str(200 + r % 800)
                yield key[: len(key) - 10] + area + "55501" + digits[-2:]
            else:
                yield key[:2] + digits[-(len(key) - 2) :].zfill(len(key) - 2)

    def _national_id_draws(self, key: str) -> Iterator[str]:
        """A US SSN becomes one in the 9xx area, which the SSA never issues; other ids keep their
        length, a digit for a digit and a letter for a letter (a codice fiscale's letters spell the
        holder's name, a DNI's the check of its digits: none is kept)."""
        for r in self._ints(detect.NATIONAL_ID, key):
            if key.isdigit() and len(key) == 9:
                yield "9" + str(r)[-8:]
                continue
            out = []
            for c in key:
                if c.isdigit():
                    r, d = divmod(r, 10)
                    out.append(str(d))
                else:
                    r, d = divmod(r, 26)
                    out.append(chr(ord("A") + d))
            yield "".join(out)

    def _birth_date_draws(self, key: str) -> Iterator[str]:
        """Another date in the same format, within five years of the original."""
        m = detect._DATE.match(key)
        assert m is not None
        year_first = m.group("y1") is not None
        sep = m.group("s1") or m.group("s2")
        fields = key.split(sep)
        year = int(fields[0] if year_first else fields[2])
        for r in self._ints(detect.BIRTH_DATE, key):
            y, mo, d = year - 5 + r % 11, 1 + (r >> 8) % 12, 1 + (r >> 16) % 28
            mid = [str(mo).zfill(len(fields[1])), str(d).zfill(len(fields[2] if year_first else fields[0]))]
            yield sep.join([str(y), *mid] if year_first else [mid[1], mid[0], str(y)])

    def _person_draws(self, key: str) -> Iterator[str]:
        """A first name, or first and last, from the user pool's first.last entries."""
        pool = pools.person_pool()
        words = len(key.split())
        for r in self._ints(detect.PERSON, key):
            first, last = pool[r % len(pool)]
            yield first if words == 1 else f"{first} {last}"

    def _user_draws(self, key: str) -> Iterator[str]:
        if key.isdigit():  # a numeric user id stays a number of the same length
            for r in self._ints(detect.USERNAME, key):
                out = str(r)[-len(key) :]
                if key[0] != "0" and out[0] == "0":
                    continue
                yield out
            return
        if "\\" in key:  # DOMAIN\user
            domain, user = key.split("\\", 1)
            base = f"{self._label(domain, '', '')}\\{self.canonical(detect.USERNAME, user) if user else ''}"
            yield base
            yield from (f"{base}{n}" for n in range(2, 2**62))
            return
        pool = pools.user_pool()
        base = pool[next(self._ints(detect.USERNAME, key)) % len(pool)]
        yield base
        yield from (f"{base}{n}" for n in range(2, 2**62))  # a numeric suffix on collisions: injective

    # -- host names -----------------------------------------------------------------------------

    def _host_or_kept(self, name: str) -> str:
        return name if self.keep(detect.HOSTNAME, name) else self.canonical(detect.HOSTNAME, name)

    def _host(self, name: str) -> str:
        from . import tlds

        labels = name.split(".")
        suffix = next((s for s in tlds.INTERNAL_SUFFIXES if name == s or name.endswith("." + s)), None)
        if suffix is not None and name != suffix:
            kept = suffix.split(".")
            out_suffix, public = kept, False
        elif len(labels) > 1 and labels[-1] in tlds.TLDS:
            kept, out_suffix, public = labels[-1:], ["example"], True  # a public name: *.example
        else:
            kept, out_suffix, public = [], [], False
        rest = labels[: len(labels) - len(kept)]
        out = list(out_suffix)
        parent = ".".join(kept)
        for i in range(len(rest) - 1, -1, -1):
            label = rest[i]
            registrable = public and i == len(rest) - 1
            new = label if (generic_label(label) and not registrable) else None
            out.insert(0, self._label(label, parent, ".".join(out), keep_as=new))
            parent = label + ("." + parent if parent else "")
        return ".".join(out)

    def _label(self, label: str, parent: str, out_parent: str, keep_as: str | None = None) -> str:
        hit = self._labels.get((parent, label))
        if hit is not None:
            return hit
        used = self._labels_used[out_parent]
        if keep_as is not None and keep_as not in used:
            new = keep_as
        else:
            pool = pools.label_pool()
            base = pool[next(self._ints(detect.HOSTNAME, parent + "\x00" + label)) % len(pool)]
            new, n = base, 2
            while new in used or new == label:
                new, n = f"{base}-{n}", n + 1
        used.add(new)
        self._labels[(parent, label)] = new
        return new

    # -- rendering: the original's spelling on the canonical pseudonym --------------------------

    def _render(self, kind: str, canonical: str, original: str) -> str:
        if kind == detect.IPV4:
            sep = "-" if "-" in original else "."
            if any(len(o) > 1 and o[0] == "0" for o in original.split(sep)):
                return sep.join(o.zfill(3) for o in canonical.split("."))
            return canonical.replace(".", sep)
        if kind == detect.IPV6:
            addr, _, zone = original.partition("%")
            new = ipaddress.IPv6Address(canonical)
            if "." in addr and new.ipv4_mapped is not None:
                out = addr[: addr.rindex(":") + 1] + str(new.ipv4_mapped)
            elif "::" in addr:
                out = new.compressed
            elif all(len(g) == 4 for g in addr.split(":")):
                out = new.exploded
            else:
                out = ":".join(f"{int(g, 16):x}" for g in new.exploded.split(":"))
            out = out.upper() if any(c.isupper() for c in addr) else out
            return out + ("%" + zone if zone else "")
        if kind == detect.MAC:
            upper = any(c.isupper() for c in original)
            h = canonical.upper() if upper else canonical
            if "." in original:
                return f"{h[:4]}.{h[4:8]}.{h[8:]}"
            return original[2].join(h[i : i + 2] for i in range(0, 12, 2))
        if kind == detect.CARD:
            digits = iter(canonical)
            return "".join(next(digits) if c.isdigit() else c for c in original)
        if kind == detect.USERNAME:
            return canonical.upper() if original.isupper() else canonical
        if kind == detect.PHONE and canonical.isdigit():
            digits = iter(canonical)
            return "".join(next(digits, "0") if c.isdigit() else c for c in original)
        if kind == detect.NATIONAL_ID:  # the original's separators and case, around the new characters
            chars = iter(canonical)
            return "".join(
                (next(chars, "0").lower() if c.islower() else next(chars, "0")) if c.isalnum() else c for c in original
            )
        if kind == detect.PERSON:
            return canonical.upper() if original.isupper() else canonical.title()
        if kind == detect.HOSTNAME:
            return ".".join(
                new.upper() if old.isupper() else new for old, new in zip(original.split("."), canonical.split("."))
            )
        if kind == detect.EMAIL:
            local, domain = original.rsplit("@", 1)
            new_local, new_domain = canonical.rsplit("@", 1)
            return (
                f"{self._render(detect.USERNAME, new_local, local)}@{self._render(detect.HOSTNAME, new_domain, domain)}"
            )
        return canonical
