"""Scrubbing: the scan, the detectors and the pseudonyms put together, with the caches that make it fast.

Everything is bytes on the hot path: a chunk of a plain log is never decoded, so mixed encodings
pass through byte for byte and cost nothing. A candidate found by the scan is looked up in a cache
(candidate -> replacement); only a candidate never seen before is decoded, split into parts by
the detectors, and rebuilt. Log lines repeat their IPs, hosts and users endlessly, so most
candidates are cache hits: one dictionary look-up, done in C through map().

Two modes. Direct: every part is replaced here. Deferred (in worker processes, see parallel.py):
the kinds whose pseudonyms need shared state (IPs, names, ...; pseudonyms.py) are written as
placeholders, PH_START + kind code + value + PH_END, and the Resolver in the main process swaps
them in file order, so the result is the same as a direct run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta

from . import detect, patterns
from .detect import Detector, Part
from .finder import Finder, Scan
from .keep import Keep
from .patterns import ISO_TS, coarse_pattern
from .pseudonyms import STATEFUL, Pseudonymizer
from .tagged import Tagged
from .timeshift import TimeShifter

CACHE_LIMIT = 300_000  # candidates; past this the cache starts over (the pseudonym tables do not)
# An ISO timestamp token holds '-' and ':', so the scan hands it over once per line when shifting;
# it is unique, so it is shifted straight away and not cached.
_BARE_TIMESTAMP = re.compile(ISO_TS, re.ASCII)
_MONTHS = frozenset(m.encode() for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())
_KEYED_UUID = re.compile(
    rb"([A-Za-z0-9_.-]*=)?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
)
# Keys that make their value something else than a plain id (a secret, a user, a host).
_UUID_ONLY = (detect.UUID,)
_ID_KEY_HINTS = re.compile(
    rb"pass|pwd|secret|token|key|session|sid|sig|credential|user|usr|login|host|server|node|peer"
)

# Placeholders: private-use characters, which no encoder escapes (JSON, CSV) and logs do not hold.
PH_START, PH_END = "\ue000", "\ue001"
PH_START_B, PH_END_B = PH_START.encode(), PH_END.encode()
KIND_CODE = {kind: chr(ord("a") + i) for i, kind in enumerate(STATEFUL)}
CODE_KIND = {code: kind for kind, code in KIND_CODE.items()}

# Keys in structured data (JSON, CSV headers) that say what their value is.
_KEY_USER = re.compile(
    r"(?i)(?:^|[._-])(?:user(?:[._-]?name)?|usr|login(?:[._-]?name)?|logname|remote[._-]?user|enduser[._-]id)\Z"
)
_KEY_HOST = re.compile(
    r"(?i)(?:^|[._-])(?:host(?:[._-]?name)?|fqdn|rhost|remote[._-]?host|(?:node|server|peer)[._-]?name"
    r"|(?:server|client|source|destination|peer)[._-]address)\Z"
)
_KEY_SECRET = re.compile(
    r"(?i)(?:^|[._-])(?:password|passwd|passphrase|pwd|secret|token|api[._-]?key|apikey|access[._-]?key"
    r"|private[._-]?key(?:[._-]?id)?|client[._-]?secret|session[._-]?id|sessionid|authorization|cookie|set-cookie"
    r"|credentials?|x-api-key)\Z"
)
_KEY_TIME = re.compile(
    r"(?:^|[._@-])(?i:time|timestamp|ts|date|datetime)\Z|(?i:time|timestamp)(?:(?i:unix)?(?i:nano|micro|milli)s?)?\Z"
    r"|[a-z]At\Z|_at\Z"
)
# Ids of a machine, a boot, a user, a project or an account (journald, OpenStack, CloudTrail).
_KEY_IDENT = re.compile(
    r"(?i)(?:^|[._-])(?:machine|boot|user|project|tenant|domain|owner|account|recipient[._-]?account)[._-]?id\Z"
    r"|(?:^|[._-])(?:accountId|recipientAccountId|userId|projectId|tenantId)\Z"
    r"|(?:^|[._-])(?:aws[._-]?)?(?:account|owner)\Z"  # {"account": "483920175562"}: ident_value_parts decides
)
# A person's name: a customer's, a card holder's (not "name" alone: services and metrics have names).
_KEY_PERSON = re.compile(
    r"(?i)(?:^|[._-])(?:customer|contact|full|first|last|given|family|display|real|person|holder|cardholder"
    r"|patient|employee|billing|shipping|recipient|sender)[._-]?name\Z|(?:^|[._-])(?:surname|cardholder)\Z"
    r"|(?:^|[._-])(?:fullName|firstName|lastName|displayName|givenName|familyName)\Z"
)
_KEY_PHONE = re.compile(
    r"(?i)(?:^|[._-])(?:phone(?:[._-]?number)?|mobile|telephone|tel|cell|fax|msisdn)\Z|[a-z]Phone\Z"
)
_KEY_NATID = re.compile(
    r"(?i)(?:^|[._-])(?:ssn|social[._-]?security[._-]?number|national[._-]?id|" + patterns.NATID_WORDS + r")\Z"
)
_KEY_DOB = re.compile(r"(?i)(?:^|[._-])(?:dob|date[._-]?of[._-]?birth|birth[._-]?date|birthdate|birthday)\Z")
# A pod (pod, pod_name, podName, k8s.pod.name, kubernetes.pod_name, a PodName column).
_KEY_POD = re.compile(r"(?i)(?:^|[._-])pods?(?:[._-]?name)?\Z")
USER, HOST, SECRET, TIME, IDENT, PERSON = "user", "host", "secret", "time", "ident", "person"
PHONE, NATID, DOB, POD = "phone", "national_id", "birth_date", "pod"
_HEX_ID_VALUE = re.compile(r"[0-9A-Fa-f]{32,64}\Z")


def key_context(key: str) -> str | None:
    """What a structured key says about its value: user, host, secret, time, or nothing."""
    if _KEY_SECRET.search(key):
        return SECRET
    if _KEY_IDENT.search(key):
        return IDENT
    if _KEY_PERSON.search(key):
        return PERSON
    if _KEY_PHONE.search(key):
        return PHONE
    if _KEY_NATID.search(key):
        return NATID
    if _KEY_DOB.search(key):
        return DOB
    if _KEY_POD.search(key):
        return POD
    if _KEY_USER.search(key):
        return USER
    if _KEY_HOST.search(key):
        return HOST
    if _KEY_TIME.search(key):
        return TIME
    return None


def _encode(value: str) -> bytes:
    # Lone surrogates come from undecodable bytes (surrogateescape) or, in JSON, from \ud800-style
    # escapes, which only surrogatepass can carry.
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def _decode(data: bytes, original: str) -> str:
    try:
        original.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return data.decode("utf-8", "surrogatepass")
    return data.decode("utf-8", "surrogateescape")


def lookup_all(keys: list[bytes], cache: dict[bytes, bytes], miss: Callable[[bytes], bytes]) -> list[bytes]:
    """cache[key] for every key, in C through map(); miss(key) (which fills the cache) for the rest."""
    get = cache.get
    found = list(map(get, keys))
    index = found.index
    i = -1
    while True:
        try:
            i = index(None, i + 1)  # a C-level scan to the next miss
        except ValueError:
            return found  # type: ignore[return-value]
        # Look again: an earlier miss in this same list may have filled it.
        key = keys[i]
        hit = get(key)
        found[i] = hit if hit is not None else miss(key)


class Scrubber:
    def __init__(
        self,
        *,
        secret: bytes,
        shift: timedelta | None = None,
        keep: Iterable[str] = (),
        stateful: Pseudonymizer | None = None,
        record: bool = False,
        real_prefixes: bool = False,
    ) -> None:
        """stateful: the tables to replace with; None defers those kinds to placeholders.
        real_prefixes: key pseudonyms keep their vendor's prefix (sk_live_, AKIA), which scanners flag."""
        self.shifter = TimeShifter(shift) if shift is not None else None
        timestamps = self.shifter is not None
        self.detector = Detector(timestamps=timestamps)
        self.finder = Finder(coarse_pattern(timestamps=timestamps))
        self.keep = Keep(frozenset(keep))
        self.tagged = Tagged(secret, record=record, real_prefixes=real_prefixes)
        self.stateful = stateful
        self._cache: dict[bytes, bytes] = {}
        # Counting per kind: a candidate maps to a signature, the kinds replaced and kept in one
        # occurrence of it (a shifted timestamp is the kind TIMESTAMP), numbered; a chunk is
        # counted per distinct candidate and then per signature, never per occurrence in Python.
        self._sig: dict[bytes, int] = {}
        self._sigs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        self._sig_ids: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
        # Signatures of the candidates whose output is not cached (syslog headers, bare
        # timestamps: unique by the second), until the chunk is counted.
        self._transient: dict[bytes, int] = {}
        self._shifted = 0
        # Key before a UUID (request_id=) -> whether it says nothing more than "an id".
        self._id_keys: dict[bytes, bool] = {}
        self.replaced: Counter[str] = Counter()
        self.kept: Counter[str] = Counter()
        self._key_context: dict[str, str | None] = {}
        self._memo: dict[str, dict[str, str]] = {kind: {} for kind in KIND_CODE}
        self._syslog_rest: dict[bytes, tuple[bytes, int]] = {}
        self._ctx_cache: dict[tuple[str, str], tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {}

    def take_counts(self) -> tuple[dict[str, int], dict[str, int], int]:
        """(replaced, kept, timestamps shifted) since the last call; the counters restart."""
        shifted, self._shifted = self._shifted, 0
        if self.shifter is not None:
            shifted += self.shifter.shifted
            self.shifter.shifted = 0
        counts = dict(self.replaced), dict(self.kept), shifted
        self.replaced.clear()
        self.kept.clear()
        return counts

    # -- text -----------------------------------------------------------------------------------

    def scrub_bytes(self, data: bytes) -> bytes:
        """A chunk of text (any number of whole lines), scrubbed."""
        return b"".join(self.scrub_pieces(self.finder.split(data)))

    def scrub_pieces(self, pieces: list[bytes]) -> list[bytes]:
        """Replace the candidates (odd indexes) of a split, in place; returns the list."""
        cands = pieces[1::2]
        if not cands:
            return pieces
        pieces[1::2] = lookup_all(cands, self._cache, self._miss)
        occurrences = Counter(cands)
        self._count(occurrences.keys(), occurrences.values())
        return pieces

    def scrub_scan(self, scan: Scan) -> bytes:
        """A chunk cut by Finder.scan, scrubbed: each distinct candidate looked at once."""
        if not scan.uniques:
            return scan.join([])
        replacements = lookup_all(scan.uniques, self._cache, self._miss)
        self._count(scan.uniques, scan.counts())
        return scan.join(replacements)

    def scrub_strings(self, values: list[str]) -> list[str]:
        """Many short strings (JSON values, CSV fields) in one scan; returns a new list."""
        encoded = [_encode(v) for v in values]
        out = list(values)
        split = self.finder.split_many(encoded)
        if not split:
            return out
        # All the candidates of the batch through one look-up, then back to their strings. Each
        # split has odd length (plain at both ends); an empty candidate between two keeps the
        # candidates at the odd indexes of the whole.
        flat: list[bytes] = []
        for pieces in split.values():
            flat += pieces
            flat.append(b"")
        flat.pop()
        self.scrub_pieces(flat)
        pos = 0
        for i, pieces in split.items():
            n = len(pieces)
            out[i] = _decode(b"".join(flat[pos : pos + n]), values[i])
            pos += n + 1
        return out

    # -- values whose key says what they are ----------------------------------------------------

    def context(self, key: str) -> str | None:
        ctx = self._key_context.get(key)
        if ctx is None and key not in self._key_context:
            ctx = self._key_context[key] = key_context(key)
        return ctx

    def scrub_in_context(self, ctx: str, value: str, times: int = 1) -> str | None:
        """A string under a user, host or secret key; None when the key does not decide it.

        Remembered (bounded): the same user or host comes back on every line. times: how many
        occurrences this call stands for, in the counts.
        """
        key = (ctx, value)
        hit = self._ctx_cache.get(key)
        if hit is None:
            hit = self._in_context(ctx, value)
            if len(self._ctx_cache) >= CACHE_LIMIT:
                self._ctx_cache.clear()
            self._ctx_cache[key] = hit
        new, replaced, kept = hit
        self._add(replaced, kept, times)
        return new

    def _in_context(self, ctx: str, value: str) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
        if ctx == USER:
            parts = detect.user_value_parts(value, 0, len(value))
        elif ctx == HOST:
            parts = detect.host_value_parts(value, 0, len(value))
        elif ctx == SECRET:
            scheme, sep, _ = value.partition(" ")
            if sep and scheme.lower() in ("bearer", "basic", "token", "digest"):
                parts = detect.token_parts(value, len(scheme) + 1, len(value), detect.BEARER)
            else:
                parts = detect.secret_value_parts("password", value, 0, len(value))
        elif ctx == IDENT:
            parts = detect.ident_value_parts(value, 0, len(value))
        elif ctx == PERSON:
            parts = detect.person_value_parts(value, 0, len(value))
        elif ctx == PHONE:
            parts = detect.phone_value_parts(value, 0, len(value))
        elif ctx == NATID:
            parts = detect.national_id_parts(value, 0, len(value), keyed=True)
        elif ctx == DOB:
            parts = detect.birth_date_parts(value, 0, len(value))
        elif ctx == POD:
            parts = detect.pod_value_parts(value, 0, len(value))
        else:
            return None, (), ()
        if not parts:
            return None, (), ()
        return self._apply(value, parts)

    def shift_epoch(self, value: object) -> object:
        return self.shifter.shift_epoch(value) if self.shifter is not None else None

    # -- internals --------------------------------------------------------------------------------

    def _signature(self, replaced: tuple[str, ...], kept: tuple[str, ...]) -> int:
        """The number of this combination of kinds (see _sig)."""
        key = (replaced, kept)
        sig = self._sig_ids.get(key)
        if sig is None:
            sig = self._sig_ids[key] = len(self._sigs)
            self._sigs.append(key)
        return sig

    def _remember(self, cand: bytes, out: bytes, replaced: tuple[str, ...], kept: tuple[str, ...]) -> bytes:
        """Cache the output of a candidate and note its signature."""
        self._cache[cand] = out
        self._sig[cand] = self._signature(replaced, kept)
        return out

    def _miss(self, cand: bytes) -> bytes:
        m = _KEYED_UUID.fullmatch(cand) if len(cand) >= 36 else None
        if m is not None:
            key = m.group(1) or b""
            plain_id = self._id_keys.get(key)
            if plain_id is None:
                plain_id = self._id_keys[key] = not _ID_KEY_HINTS.search(key.lower())
            if plain_id:
                # A request id (bare, or after a key that says nothing: request_id=): the shortest path.
                text = m.group(2).decode("ascii")
                if self.keep(detect.UUID, text):
                    return self._remember(cand, cand, (), _UUID_ONLY)
                return self._remember(cand, key + self.tagged(detect.UUID, text).encode("ascii"), _UUID_ONLY, ())
        if cand[:3] in _MONTHS and cand[15:16] == b" ":
            return self._syslog(cand)
        return self._miss_text(cand)

    def _syslog(self, cand: bytes) -> bytes:
        """A syslog header: unique per second, but the host and program after the timestamp
        repeat; that part is cached alone, and the whole kept out of the cache."""
        rest = cand[15:]
        hit = self._syslog_rest.get(rest)
        if hit is None:
            text = cand.decode("utf-8", "surrogateescape")
            parts = [p for p in self.detector.parts(text) if p.kind != detect.TIMESTAMP]
            if any(p.start < 16 for p in parts):
                return self._miss_text(cand)  # not a header after all
            new, replaced, kept = self._apply(text, parts)
            if len(self._syslog_rest) >= CACHE_LIMIT:
                self._syslog_rest.clear()
            if self.shifter is not None:
                replaced += (detect.TIMESTAMP,)
            hit = self._syslog_rest[rest] = (
                new.encode("utf-8", "surrogateescape")[15:],
                self._signature(replaced, kept),
            )
        out, self._transient[cand] = hit
        ts = cand[:15]
        if self.shifter is not None:
            ts = self.shifter.shift(ts.decode()).encode()
        return ts + out

    def _miss_text(self, cand: bytes) -> bytes:
        text = cand.decode("utf-8", "surrogateescape")
        if text[:1].isdigit() and _BARE_TIMESTAMP.fullmatch(text):
            if self.shifter is None:
                return cand
            self._transient[cand] = self._signature((detect.TIMESTAMP,), ())
            return self.shifter.shift(text).encode()
        new, replaced, kept = self._apply(text, self.detector.parts(text))
        out = new.encode("utf-8", "surrogateescape") if new is not text else cand
        return self._remember(cand, out, replaced, kept)

    def _apply(self, text: str, parts: list[Part]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        if not parts:
            return text, (), ()
        out: list[str] = []
        replaced: list[str] = []
        kept: list[str] = []
        pos = 0
        for kind, start, end in parts:
            value = text[start:end]
            if kind == detect.TIMESTAMP:
                if self.shifter is None:
                    new = value
                else:
                    new = self.shifter.shift(value)
                    replaced.append(kind)  # counted as a shift, not a replacement (see _add)
            elif kind in KIND_CODE:
                # Stateful kinds repeat (the same IP, the same host): remember the decision.
                memo = self._memo[kind]
                remembered = memo.get(value)
                if remembered is not None:
                    new = remembered
                else:
                    if self.keep(kind, value):
                        new = value
                    elif self.stateful is not None:
                        new = self.stateful(kind, value)
                    else:
                        new = PH_START + KIND_CODE[kind] + value + PH_END
                    memo[value] = new
                (kept if new == value else replaced).append(kind)
            elif self.keep(kind, value):
                new = value
                kept.append(kind)
            else:
                replaced.append(kind)
                new = self.tagged(kind, value)
            out.append(text[pos:start])
            out.append(new)
            pos = end
        out.append(text[pos:])
        return "".join(out), tuple(replaced), tuple(kept)

    def _count(self, distinct: Iterable[bytes], counts: Iterable[int]) -> None:
        """Add the kinds of candidates that occurred counts[i] times each to the counters."""
        sig_get, transient_get = self._sig.get, self._transient.get
        by_signature: Counter[int] = Counter()
        for cand, n in zip(distinct, counts):
            sig = sig_get(cand)
            if sig is None:
                sig = transient_get(cand)
                if sig is None:
                    continue  # nothing in it to count
            by_signature[sig] += n
        self._transient.clear()
        sigs = self._sigs
        for sig, n in by_signature.items():
            self._add(*sigs[sig], n)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
            self._sig.clear()

    def _add(self, replaced: Iterable[str], kept: Iterable[str], n: int) -> None:
        for kind in replaced:
            if kind == detect.TIMESTAMP:
                self._shifted += n
            else:
                self.replaced[kind] += n
        for kind in kept:
            self.kept[kind] += n


class Resolver:
    """Main-process side of a deferred scrub: placeholders -> pseudonyms, in file order."""

    def __init__(self, stateful: Pseudonymizer) -> None:
        self.stateful = stateful
        self._cache: dict[bytes, bytes] = {}

    def resolve(self, data: bytes) -> bytes:
        if PH_START_B not in data:
            return data
        pieces = data.replace(PH_END_B, PH_START_B).split(PH_START_B)
        pieces[1::2] = lookup_all(pieces[1::2], self._cache, self._fill)
        return b"".join(pieces)

    def _fill(self, hole: bytes) -> bytes:
        kind = CODE_KIND[hole[:1].decode()]
        out = self.stateful(kind, hole[1:].decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        self._cache[hole] = out
        return out
