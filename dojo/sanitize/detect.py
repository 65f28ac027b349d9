"""From a candidate the scan found to the sensitive parts inside it, validated.

The scan (patterns.py) is deliberately broad: it finds every dotted word, every digit run shaped
like a card, every `user=`. Here each candidate is re-read with the same pattern in Python, the
alternative that matched is known, and the checks that need code run: Luhn for cards, octet
ranges for IPv4, ipaddress for IPv6, the top-level-domain rules for host names, stop words for
user idioms ("login failed" names nobody). What comes out is a list of parts: kind and span.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from typing import NamedTuple

from . import patterns, tlds

IPV4 = "ipv4"
IPV6 = "ipv6"
EMAIL = "email"
HOSTNAME = "hostname"
USERNAME = "username"
UUID = "uuid"
API_KEY = "api_key"
BEARER = "bearer_token"
JWT = "jwt"
URL_PASSWORD = "url_password"
SECRET = "secret"
CARD = "card"
MAC = "mac"
TIMESTAMP = "timestamp"
ACCOUNT_ID = "account_id"  # an AWS account: 12 digits
HEX_ID = "hex_id"  # a machine, boot, user or project id: 32+ hex digits
FINGERPRINT = "fingerprint"  # an ssh key's SHA256 or MD5 fingerprint
PRIVATE_KEY = "private_key"  # the body of a PEM private key block
POD = "pod"  # the generated part of a Kubernetes pod name
PHONE = "phone"
NATIONAL_ID = "national_id"
BIRTH_DATE = "birth_date"
PERSON = "person_name"

# Everything that is replaced; timestamps are shifted, not replaced, and only on request.
SENSITIVE_KINDS = (
    IPV4,
    IPV6,
    EMAIL,
    HOSTNAME,
    USERNAME,
    UUID,
    API_KEY,
    BEARER,
    JWT,
    URL_PASSWORD,
    SECRET,
    CARD,
    MAC,
    ACCOUNT_ID,
    HEX_ID,
    FINGERPRINT,
    PRIVATE_KEY,
    POD,
    PHONE,
    NATIONAL_ID,
    BIRTH_DATE,
    PERSON,
)


class Part(NamedTuple):
    kind: str
    start: int
    end: int


# Words that follow "login" or "user" in messages without being a user name.
_STOPWORDS = frozenset(
    """failed failure fail success successful succeeded ok error attempt attempts from for to as by of on in at
    with via the a an is was has had not no and or incorrect invalid denied required timeout expired page
    session user name unknown none null nil true false node shell screen prompt server host prompt timed
    attempted accepted rejected""".split()
)

# Values that sit where a secret would but are not one: empty, masked, placeholders, templates.
_PLACEHOLDER = re.compile(
    r"(?i)^(?:|null|none|nil|undefined|true|false|-+|\*+|x{3,}|•+|<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\$\{?[A-Za-z_][\w]*\}?"
    r"|%[sdv]|redacted|masked|hidden|secret|password|changeme|\?+)$"
)
_TOKEN_WORDS_MIN = 8  # a value after token=, key=, sid= shorter than this is not a token
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_.~-]+\Z")
_ASCII_DIGIT = re.compile(r"[0-9]")
_PASSWORD_WORDS = re.compile(r"(?i)(?:password|passwd|passphrase|pass|pwd|secret|credentials?)$")

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\Z")
_API_KEY = re.compile(
    r"(?:(?:sk|rk|pk)_(?:live|test)_|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA|gh[pousr]_|github_pat_|xox[abposr]-|AIza|glpat-"
    r"|npm_|pypi-)"
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z")
_IPV4 = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\Z")
_BARE_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_BARE_IPV4 = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\Z")
_CC_SLD = frozenset("co ac go or web net org gov edu res sch mil my biz".split())
_CC_SLD_ONLY = frozenset({"id", "in"})


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def valid_ipv4(text: str) -> bool:
    return all(int(octet) <= 255 for octet in text.split("."))


def valid_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


MAX_HOST = 253  # characters in a DNS name, dots included


def host_span(name: str, *, slash_before: bool = False) -> tuple[int, int] | None:
    """The span of the host name at the start of a dotted word, or None if it is not one.

    The longest run of labels that ends in a recognised top-level domain wins, so the host in
    db.acme.com.bak is db.acme.com; reversed-DNS identifiers, mixed-case endings (acme.Service)
    and file-like endings (app.py, /srv/README.md) are not hosts.
    """
    if len(name) > MAX_HOST:
        # No DNS name is longer; past it is a dotted blob (minified code, a hostile line), and
        # mapping its thousands of labels one by one under their parents costs quadratic memory.
        name = name[: name.rfind(".", 0, MAX_HOST + 1)]
    labels = name.split(".")
    if len(labels) >= 3 and labels[0].lower() in tlds.REVERSED_DNS_FIRST:
        return None
    for k in range(len(labels), 1, -1):
        tld = labels[k - 1]
        low = tld.lower()
        if low not in tlds.TLDS or not (tld.islower() or tld.isupper()):
            continue
        if low in tlds.AMBIGUOUS_TLDS and (k < 3 or slash_before):
            if not (low in _CC_SLD_ONLY and labels[k - 2].lower() in _CC_SLD):
                continue
        elif low in _CC_SLD_ONLY and labels[k - 2].lower() not in _CC_SLD:
            continue
        return 0, len(".".join(labels[:k]))
    return None


def _strip_quotes(start: int, end: int, text: str) -> tuple[int, int]:
    # Inside a JSON string a quoted value is \"bob\": the backslashes go with the quotes, not the value.
    if end - start >= 4 and text[start] == "\\" and text[start + 1] == '"' and text[end - 2 : end] == '\\"':
        return start + 2, end - 2
    if end - start >= 2 and text[start] in "\"'" and text[end - 1] == text[start]:
        return start + 1, end - 1
    if end > start and text[end - 1] == "\\" and text[end : end + 1] in ('"', "'"):
        end -= 1  # bob\" : the escape of a closing quote
    return start, end


def _strip_trailing_dots(start: int, end: int, text: str) -> int:
    while end > start and text[end - 1] in ".-":
        end -= 1
    return end


def host_value_parts(text: str, start: int, end: int) -> list[Part]:
    """A value known to name a host (host=, a syslog host field, a host key in JSON): IP or name."""
    value = text[start:end]
    if not value:
        return []
    if _IPV4.match(value):
        return [Part(IPV4, start, end)] if valid_ipv4(value) else []
    if ":" in value and valid_ipv6(value):
        return [Part(IPV6, start, end)]
    end = _strip_trailing_dots(start, end, text)
    if end <= start or not all(_LABEL.match(label) for label in text[start:end].split(".")):
        return []
    return [Part(HOSTNAME, start, end)]


def user_value_parts(text: str, start: int, end: int) -> list[Part]:
    """A value known to name a user (user=, "for user X", /home/X): a name, or an e-mail, or a UUID."""
    start, end = _strip_quotes(start, end, text)
    while end > start and text[end - 1] == "\\":
        end -= 1
    end = _strip_trailing_dots(start, end, text)
    value = text[start:end]
    if not value or value.lower() in _STOPWORDS or _PLACEHOLDER.match(value):
        return []
    if "@" in value:
        return [Part(EMAIL, start, end)] if _EMAIL.match(value) else []
    if _UUID.match(value):
        return [Part(UUID, start, end)]
    return [Part(USERNAME, start, end)]


_HEX_ID = re.compile(r"[0-9A-Fa-f]{32,64}\Z")
_ACCOUNT = re.compile(r"[0-9]{12}\Z")
_PERSON = re.compile(r"[^\W\d_][\w'.-]*(?: [^\W\d_][\w'.-]*){0,4}\Z")


def ident_value_parts(text: str, start: int, end: int) -> list[Part]:
    """A value under a machine, boot, user, project or account id key."""
    start, end = _strip_quotes(start, end, text)
    value = text[start:end]
    if _HEX_ID.match(value):
        return [Part(HEX_ID, start, end)]
    if _ACCOUNT.match(value):
        return [Part(ACCOUNT_ID, start, end)]
    if _UUID.match(value):
        return [Part(UUID, start, end)]
    return []


def person_value_parts(text: str, start: int, end: int) -> list[Part]:
    """A value under a person's-name key: one to five words of letters (Ada Lovelace, 田中 太郎)."""
    start, end = _strip_quotes(start, end, text)
    value = text[start:end]
    if not value or _PLACEHOLDER.match(value) or not _PERSON.match(value):
        return []
    return [Part(PERSON, start, end)]


def secret_value_parts(key: str, text: str, start: int, end: int) -> list[Part]:
    """The value after password=, token=, api_key= and friends."""
    start, end = _strip_quotes(start, end, text)
    value = text[start:end]
    if _PLACEHOLDER.match(value):
        return []
    if _JWT.match(value):
        return [Part(JWT, start, end)]
    if _API_KEY.match(value):
        return [Part(API_KEY, start, end)]
    if not _PASSWORD_WORDS.search(key) and not _looks_like_token(value):
        return []  # key: service.name, session: expired: words, not tokens
    if key.lower() == "key" and (len(value) < 16 or "." in value):
        return []  # a bare "key" is everywhere ({"key": "peer.ipv4"}): only a long token counts
    return [Part(SECRET, start, end)]


def _looks_like_token(value: str) -> bool:
    """After token=, key=, sid=: long enough, one piece, and not a plain word or dotted name."""
    return (
        len(value) >= _TOKEN_WORDS_MIN
        and _TOKEN_CHARS.match(value) is not None
        # _TOKEN_CHARS admits ASCII only, so an ASCII digit is any digit.
        and (_ASCII_DIGIT.search(value) is not None or (not value.islower() and not value.isupper()))
    )


def _user_phrase(m: re.Match[str], text: str) -> list[Part]:
    # "login username: 'carla'": the word after the phrase is a key; its value is the user.
    if text[m.end("up_val") : m.end("up_val") + 1] in (":", "="):
        return []
    return user_value_parts(text, *m.span("up_val"))


def _kv_secret(m: re.Match[str], text: str) -> list[Part]:
    # PWD=/home/bob (sudo, env dumps) is the working directory, not a password: its path speaks.
    if m.group("ks_key") == "PWD" and text[m.start("ks_val") : m.start("ks_val") + 1] == "/":
        return []
    return secret_value_parts(m.group("ks_key"), text, *m.span("ks_val"))


def token_parts(text: str, start: int, end: int, kind: str) -> list[Part]:
    value = text[start:end]
    if _JWT.match(value):
        return [Part(JWT, start, end)]
    return [Part(kind, start, end)] if not _PLACEHOLDER.match(value) else []


# One handler per alternative in patterns.ALTERNATIVES, by name.
Handler = Callable[[re.Match[str], str], list[Part]]


def _idiom_parts(m: re.Match[str], text: str, host: str, user: str | None = None) -> list[Part]:
    parts = host_value_parts(text, *m.span(host))
    if user is not None:
        parts += user_value_parts(text, *m.span(user))
    return parts


def _url_creds(m: re.Match[str], text: str) -> list[Part]:
    parts = user_value_parts(text, *m.span("uc_user"))
    s, e = m.span("uc_pass")
    if e > s and not _PLACEHOLDER.match(text[s:e]):
        parts.append(Part(URL_PASSWORD, s, e))
    return parts


def _ipv6(m: re.Match[str], text: str) -> list[Part]:
    s, e = m.span("v6")
    return [Part(IPV6, s, e)] if valid_ipv6(text[s:e]) else []


def _card(m: re.Match[str], text: str) -> list[Part]:
    s, e = m.span()
    digits = text[s:e].replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
        return []
    return [Part(CARD, s, e)]


def _ipv4(m: re.Match[str], text: str) -> list[Part]:
    s, e = m.span()
    return [Part(IPV4, s, e)] if valid_ipv4(text[s:e]) else []


def _hostname(m: re.Match[str], text: str) -> list[Part]:
    s, e = m.span()
    span = host_span(text[s:e], slash_before=s > 0 and text[s - 1] in "/\\")
    return [Part(HOSTNAME, s, s + span[1])] if span else []


def _email(m: re.Match[str], text: str) -> list[Part]:
    # The domain ends where a real top-level domain ends: bob@acme.io.log is bob@acme.io + .log.
    s, e = m.span()
    at = text.index("@", s)
    span = host_span(text[at + 1 : e])
    return [Part(EMAIL, s, at + 1 + span[1])] if span else []


def _email_pct(m: re.Match[str], text: str) -> list[Part]:
    # The same pseudonyms as bob@acme.io would get: the user, then the domain, %40 kept between.
    s, e = m.span()
    at = text.index("%40", s)
    span = host_span(text[at + 3 : e])
    if not span:
        return []
    return user_value_parts(text, s, at) + [Part(HOSTNAME, at + 3, at + 3 + span[1])]


_EDGE = re.compile(r"(?:\s|\\n|\\r)+")


def _pem(m: re.Match[str], text: str) -> list[Part]:
    # The body without the line breaks (real, or \n escapes in JSON) around it; header and footer
    # stay, so the block still reads as a key.
    s, e = m.span("pm_body")
    lead = _EDGE.match(text, s)
    if lead is not None:
        s = lead.end()
    while e > s:
        if text[e - 1].isspace():
            e -= 1
        elif text[e - 2 : e] in ("\\n", "\\r"):
            e -= 2
        else:
            break
    return [Part(PRIVATE_KEY, s, e)] if e > s else []


def _bare_secret(m: re.Match[str], text: str) -> list[Part]:
    s, e = m.span("bs_val")
    value = text[s:e]
    upper = sum(c.isupper() for c in value)
    lower = sum(c.islower() for c in value)
    digits = _digits(value)
    # Random base64 of 40 characters: every class well represented; a path or a word run is not.
    if upper < 4 or lower < 4 or digits < 2 or value.startswith("/") or "//" in value:
        return []
    return [Part(SECRET, s, e)]


_POD_SUFFIX = re.compile(patterns.K8S_ALPHABET + "{5}\\Z")
_RS_HASH = re.compile("-" + patterns.K8S_ALPHABET + "{6,10}\\Z")
_POD_VALUE = re.compile(r"(?:[a-z0-9][a-z0-9-]*/)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-([a-z0-9]{1,5})\Z")


def pod_parts(text: str, name: tuple[int, int], suffix: tuple[int, int]) -> list[Part]:
    """A pod where its context says it is one: name, last dash, suffix. A Deployment's pod has a
    replica set hash before its pod hash, a DaemonSet's only the pod hash (five characters of
    Kubernetes' alphabet), a StatefulSet's an ordinal, which identifies nothing and is kept
    (keep.py). Anything else after "pod" is a word (pod re-created): no part."""
    sfx = text[suffix[0] : suffix[1]]
    if _POD_SUFFIX.match(sfx):
        rs = _RS_HASH.search(text, name[0], name[1])
        return [Part(POD, rs.start() + 1 if rs else suffix[0], suffix[1])]
    if sfx.isdigit():
        return [Part(POD, *suffix)]
    return []


def pod_value_parts(text: str, start: int, end: int) -> list[Part]:
    """A value under a pod key ({"pod": "fluentd-x2kqp"}, k8s.pod.name, a PodName column)."""
    start, end = _strip_quotes(start, end, text)
    m = _POD_VALUE.match(text, start, end)
    return pod_parts(text, m.span(1), m.span(2)) if m else []


def _pod_kubelet(m: re.Match[str], text: str) -> list[Part]:
    return pod_parts(text, m.span("kl_name"), m.span("kl_sfx")) + [Part(UUID, *m.span("kl_uid"))]


def _ip_host(m: re.Match[str], text: str) -> list[Part]:
    s, e = m.span("ih_ip")
    return [Part(IPV4, s, e)] if all(int(o) <= 255 for o in text[s:e].split("-")) else []


_FICTIONAL_NANP = re.compile(r"1?[2-9][0-9]{2}55501[0-9]{2}\Z")  # 555-0100..0199, reserved for fiction
_ID_SEPARATORS = re.compile(r"[ .\-/]")
_EXAMPLE_SSNS = frozenset({"123456789", "078051120", "219099999"})  # published examples, no one's
_DATE = re.compile(
    r"(?:(?P<y1>(?:19|20)[0-9]{2})(?P<s1>[-/.])[01]?[0-9](?P=s1)[0-3]?[0-9]"
    r"|[0-3]?[0-9](?P<s2>[-/.])[01]?[0-9](?P=s2)(?P<y2>(?:19|20)[0-9]{2}))\Z"
)


def phone_value_parts(text: str, start: int, end: int) -> list[Part]:
    """A phone number, if libphonenumber says it is a valid one (read as North American if no +)."""
    import phonenumbers  # only when a candidate looks like a phone: most runs never pay the import

    start, end = _strip_quotes(start, end, text)
    value = text[start:end]
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) < 7 or _FICTIONAL_NANP.match(digits):
        return []
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return []
    return [Part(PHONE, start, end)] if phonenumbers.is_valid_number(number) else []


_NATID_KEY = re.compile("(?i:" + patterns.NATID_WORDS + ")")
# HMRC's rules for a National Insurance number's prefix and suffix (it has no check digit).
_NINO = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]\Z")


def _valid_bare_id(compact: str) -> bool:
    """Whether a bare id in one of patterns.NATIONAL_ID_SHAPES passes its country's checksum
    (python-stdnum), so that a random number of the same shape is not taken for one."""
    from stdnum.br import cpf
    from stdnum.de import idnr
    from stdnum.es import dni, nie
    from stdnum.fr import nir
    from stdnum.in_ import aadhaar
    from stdnum.it import codicefiscale

    if compact[:2].isalpha():
        return bool(_NINO.match(compact)) or codicefiscale.is_valid(compact)
    if compact[-1:].isalpha():
        return (nie if compact[0] in "XYZ" else dni).is_valid(compact)
    validators = {11: (cpf, idnr), 12: (aadhaar,), 15: (nir,)}.get(len(compact), ())
    return any(v.is_valid(compact) for v in validators)


def national_id_parts(text: str, start: int, end: int, *, keyed: bool = False, bare: bool = False) -> list[Part]:
    """A US social security number (its published rules, via python-stdnum); with bare, another
    country's id by its checksum; under an id key, any id."""
    from stdnum.us import ssn

    start, end = _strip_quotes(start, end, text)
    value = text[start:end]
    compact = _ID_SEPARATORS.sub("", value).upper()
    if compact in _EXAMPLE_SSNS or _PLACEHOLDER.match(value):
        return []
    if bare:
        return [Part(NATIONAL_ID, start, end)] if _valid_bare_id(compact) else []
    if ssn.is_valid(compact) or (keyed and len(compact) >= 6 and any(c.isdigit() for c in compact)):
        return [Part(NATIONAL_ID, start, end)]
    return []


def birth_date_parts(text: str, start: int, end: int) -> list[Part]:
    start, end = _strip_quotes(start, end, text)
    return [Part(BIRTH_DATE, start, end)] if _DATE.match(text[start:end]) else []


def _pii_kv(m: re.Match[str], text: str) -> list[Part]:
    key = m.group("pk_key").lower()
    s, e = m.span("pk_val")
    if "ssn" in key or "social" in key or _NATID_KEY.fullmatch(key):
        return national_id_parts(text, s, e, keyed=True)
    if "birth" in key or key == "dob":
        return birth_date_parts(text, s, e)
    if "name" in key:
        return person_value_parts(text, s, e)
    return phone_value_parts(text, s, e)


def _whole(kind: str) -> Handler:
    return lambda m, t: [Part(kind, *m.span())]


HANDLERS: dict[str, Handler] = {
    "pem": _pem,
    "arn_account": lambda m, t: [Part(ACCOUNT_ID, *m.span("aa_id"))],
    "openstack_ctx": lambda m, t: (
        ([Part(UUID, *m.span("oc_req"))] if _UUID.match(m.group("oc_req")) else [])
        + [Part(HEX_ID, *m.span(g)) for g in ("oc_user", "oc_project") if m.end(g) - m.start(g) == 32]
    ),
    "openstack_url": lambda m, t: [Part(HEX_ID, *m.span("ou_project"))],
    "id_kv": lambda m, t: [
        Part(ACCOUNT_ID if m.end("ik_val") - m.start("ik_val") == 12 else HEX_ID, *m.span("ik_val"))
    ],
    "fp_sha256": lambda m, t: [Part(FINGERPRINT, *m.span("fs_val"))],
    "fp_md5": lambda m, t: [Part(FINGERPRINT, *m.span("fm_val"))],
    "pod_ctx": lambda m, t: pod_parts(t, m.span("pc_name"), m.span("pc_sfx")),
    "pod_kubelet": _pod_kubelet,
    "pod": lambda m, t: [Part(POD, *m.span("pd_hash"))],
    "ip_host": _ip_host,
    "bare_secret": _bare_secret,
    "pii_kv": _pii_kv,
    "phone": lambda m, t: phone_value_parts(t, *m.span()),
    "ssn": lambda m, t: national_id_parts(t, *m.span()),
    "natid": lambda m, t: national_id_parts(t, *m.span(), bare=True),
    "account_phrase": lambda m, t: [Part(ACCOUNT_ID, *m.span("ap_id"))],
    "honorific": lambda m, t: [Part(PERSON, *m.span("ho_name"))],
    "url_creds": _url_creds,
    "authorization": lambda m, t: token_parts(t, *m.span("az_tok"), BEARER),
    "jwt": _whole(JWT),
    "api_key": _whole(API_KEY),
    "bearer": lambda m, t: token_parts(t, *m.span("br_tok"), BEARER),
    "kv_secret": _kv_secret,
    "user_kv": lambda m, t: user_value_parts(t, *m.span("uk_val")),
    "host_kv": lambda m, t: host_value_parts(t, *m.span("hk_val")),
    "user_phrase": _user_phrase,
    "sudo": lambda m, t: user_value_parts(t, *m.span("sd_user")),
    "su": lambda m, t: user_value_parts(t, *m.span("su_user")),
    "pg_user": lambda m, t: user_value_parts(t, *m.span("pu_user")),
    "arn_user": lambda m, t: user_value_parts(t, *m.span("au_user")),
    "slack_hook": lambda m, t: [Part(SECRET, *m.span("sh_tok"))],
    "email_pct": _email_pct,
    "home": lambda m, t: user_value_parts(t, *m.span("hm_user")),
    "email": _email,
    "uuid": _whole(UUID),
    "ts_iso": _whole(TIMESTAMP),
    "ts_nginx": _whole(TIMESTAMP),
    "ts_syslog": lambda m, t: [Part(TIMESTAMP, *m.span())] if t[m.start() : m.start() + 3] in _MONTHS else [],
    "ipv6": _ipv6,
    "mac": _whole(MAC),
    "card": _card,
    "ipv4": _ipv4,
    "hostname": _hostname,
}

_MONTHS: frozenset[str] = frozenset("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())
# Substrings without which a key idiom cannot match; one C-level search each.
_SECRET_HINTS = re.compile("pass|pwd|secret|token|key|session|sid|sig|credential")
_USER_HINTS = re.compile("user|usr|login|logname|uname|principal")
_HOST_HINTS = re.compile("host|server|node|peer|fqdn|address")
_API_HINTS = re.compile(
    r"_live_|_test_|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA|gh[pousr]_|github_pat_|xox|AIza|glpat-|npm_|pypi-"
)
_PII_HINTS = re.compile(
    "phone|mobile|tel|cell|fax|msisdn|ssn|social|national|nino|steuer|idnr|tax|nir|aadha|dni|nie|nif|codice|bsn|cpf"
    "|passport|dob|birth|name"
)
_NOT_DIGITS = str.maketrans("", "", "0123456789")
_NATID_SHAPE = re.compile(patterns.NATIONAL_ID_SHAPES)


def _digits(t: str) -> int:
    return len(t) - len(t.translate(_NOT_DIGITS))


def gate(t: str, timestamps: bool) -> tuple[str, ...]:
    """The alternatives that could match in candidate t at all, by cheap substring tests.

    One function rather than a test per alternative: on a never-seen candidate this runs once,
    and it is most of the cost of looking at it.
    """
    low = t.lower()
    names: list[str] = []
    add = names.append
    if "-----BEGIN" in t:
        add("pem")
    if "arn:aws" in t:
        add("arn_account")
    if "[req-" in t:
        add("openstack_ctx")
    if "/v" in t:
        add("openstack_url")
    at = "@" in t
    dots = t.count(".")
    colons = t.count(":")
    dashes = t.count("-")
    kv = "=" in t or colons
    if at and "://" in t:
        add("url_creds")
    if kv and "authorization" in low:
        add("authorization")
    if "eyJ" in t:
        add("jwt")
    if _API_HINTS.search(t):
        add("api_key")
    if "bearer" in low or "basic" in low:
        add("bearer")
    if kv:
        if "id" in low:
            add("id_kv")
        if _SECRET_HINTS.search(low):
            add("kv_secret")
        if _USER_HINTS.search(low):
            add("user_kv")
        if _HOST_HINTS.search(low):
            add("host_kv")
    if " " in t:
        if " user" in low or "login" in low or " for" in low:
            add("user_phrase")
        if "sudo:" in t:
            add("sudo")
        if "(to " in t:
            add("su")
    if "SHA256:" in t:
        add("fp_sha256")
    if colons >= 15:
        add("fp_md5")
    if dashes:
        if "pod" in low:
            add("pod_ctx")
        if "_" in t and "(" in t:
            add("pod_kubelet")
    if dashes >= 2:
        add("pod")
    if "ip-" in t:
        add("ip_host")
    if len(t) >= 40:
        add("bare_secret")
    if kv and _PII_HINTS.search(low):
        add("pii_kv")
    if ("+" in t or "(" in t or dashes == 2 or dots == 2) and _digits(t) >= 7:
        add("phone")
    if dashes >= 2 and _digits(t) >= 9:
        add("ssn")
    # The scan hands a bare national id over as a candidate of its own (a search inside longer
    # candidates costs more than all the other gates together).
    if len(t) <= 21 and _NATID_SHAPE.fullmatch(t):
        add("natid")
    if ("ccount" in low or "owner" in low) and _digits(t) >= 12:
        add("account_phrase")
    if "Mr" in t or "Ms" in t or "Dr" in t or "Prof" in t:
        add("honorific")
    if "/home/" in t or "Users" in t or "/mail/" in t:
        add("home")
    if "] " in t and at:
        add("pg_user")
    if ":user/" in t:
        add("arn_user")
    if "/services/T" in t:
        add("slack_hook")
    if "%40" in t:
        add("email_pct")
    if at:
        add("email")
    if dashes >= 4:
        add("uuid")
    if timestamps and colons:
        if dashes:
            add("ts_iso")
        if "/" in t:
            add("ts_nginx")
        if " " in t:
            add("ts_syslog")
    if colons >= 6 or "::" in t:
        add("ipv6")
    if colons >= 5 or dashes >= 5 or dots >= 2:
        add("mac")
    if len(t) >= 13 and _digits(t) >= 13:
        add("card")
    if dots >= 3:
        add("ipv4")
    if dots:
        add("hostname")
    return tuple(names)


@functools.lru_cache(maxsize=512)
def _compiled(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(patterns.precise_pattern(names), re.ASCII)


class Detector:
    """Finds the parts in a candidate; the same rules serve sanitizing and --check."""

    def __init__(self, *, timestamps: bool) -> None:
        self.timestamps = timestamps

    def parts(self, text: str) -> list[Part]:
        # The commonest never-seen candidates are a bare UUID or IP (request ids, clients): one
        # fullmatch settles them, with the same result the general search would give.
        if _BARE_UUID.fullmatch(text):
            return [Part(UUID, 0, len(text))]
        if _BARE_IPV4.fullmatch(text):
            return [Part(IPV4, 0, len(text))] if valid_ipv4(text) else []
        idiom = self._idiom(text)
        if idiom is not None:
            return idiom
        names = gate(text, self.timestamps)
        if not names:
            return []
        # Not finditer: when a match fails its check (db.user is no host name), the search goes on
        # from the next character, so that the failure does not hide a detector that would have
        # matched inside it (the user in "db.user: grace").
        search = _compiled(names).search
        found: list[Part] = []
        pos = 0
        while True:
            m = search(text, pos)
            if m is None:
                return found
            got = HANDLERS[m.lastgroup](m, text)  # type: ignore[index]
            if got:
                found.extend(got)
                pos = m.end() if m.end() > pos else pos + 1
            else:
                pos = m.start() + 1

    def _idiom(self, text: str) -> list[Part] | None:
        """The line-start idioms the scan hands over whole: syslog headers, access-log users."""
        if text[:3] in _MONTHS:
            m = patterns.SYSLOG.fullmatch(text)
        elif text[:1].isdigit() and text.endswith("["):
            m = patterns.SYSLOG_ISO.fullmatch(text)
        else:
            m = None
        if m is not None:
            ts = [Part(TIMESTAMP, *m.span("sl_ts"))] if self.timestamps else []
            return ts + _idiom_parts(m, text, "sl_host", "sl_sudo" if m.groupdict().get("sl_sudo") else None)
        if text.endswith(" [") and " - " in text:
            m = patterns.NGINX_USER.fullmatch(text)
            if m is not None:
                return _idiom_parts(m, text, "ng_client", "ng_user")
        return None
