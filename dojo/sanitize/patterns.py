"""The detectors as regular expressions, in two layers.

COARSE (RE2, through pyarrow) finds candidates: whole tokens that contain a character a sensitive
value needs (`.`, `@`, `:`, a dash between hex digits), long digit runs, and the few idioms that
span several tokens (`for user X`, `Bearer X`, `password: "a b"`, a syslog header). It is small on
purpose: RE2 runs it as an automaton at well over 100 MB/s, while one automaton for all the precise
detectors together has so many states that RE2 thrashes and falls to a few MB/s.

PRECISE (Python's re) is then run on each candidate, which is short and usually seen before (the
result is cached per candidate). It may use look-around and possessive quantifiers, which RE2
lacks. The rule that ties the layers together: every precise match lies inside one coarse
candidate, and a candidate starts at a token boundary, so look-behinds see the same context.

Order matters in both: at one position the first alternative that matches wins, so idioms that
carry context (user=..., Authorization: ...) come before the bare shapes they could contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
SYSLOG_TS = MONTH + " [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
SUDO_USER = "[A-Za-z0-9._-]+"
ISO_TS = (
    "[0-9]{4}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9]"
    "(?::[0-6][0-9](?:[.,][0-9]{1,9})?)?(?:Z|[+-][0-2][0-9](?::?[0-5][0-9])?)?"
)
NGINX_TS = "[0-3][0-9]/" + MONTH + "/[0-9]{4}:[0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4}"

SECRET_WORDS = (
    "password|passwd|passphrase|pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    "|private[_-]?key[_-]?id|private[_-]?key|client[_-]?secret|session|session[_-]?id|sessionid|sid|signature|sig"
    "|account[_-]?key|shared[_-]?access[_-]?key|key|credentials?"
)
USER_WORDS = "user|user[_.-]?name|usr|login|logname|ruser|luser|uname|login[_.-]?name|principal"
HOST_WORDS = (
    "host|host[_.-]?name|rhost|remote[_-]?host|server[_.-]?name|node[_.-]?name|peer[_.-]?name|fqdn"
    "|(?:server|client|source|destination)[_.-]?address"
)
API_KEY_PREFIXES = (
    "(?:sk|rk|pk)_(?:live|test)_|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA|gh[pousr]_|github_pat_|xox[abposr]-|AIza|glpat-"
    "|npm_|pypi-"
)
# Identifiers that name a machine, a boot, a tenant or a person: 32+ hex after one of these keys.
ID_WORDS = (
    "_?machine[_-]?id|_?boot[_-]?id|user[_-]?id|project[_-]?id|tenant[_-]?id|domain[_-]?id|owner[_-]?id"
    "|_?MACHINE_ID|_?BOOT_ID|account[_-]?id|accountId|recipientAccountId"
)
# Keys of national ids beyond the US SSN: UK NINO, DE Steuer-ID, FR NIR, IN Aadhaar, ES DNI/NIE,
# IT codice fiscale, NL BSN, BR CPF, a tax id or a passport number.
NATID_WORDS = (
    "nino|national[_-]?insurance(?:[_-]?number)?|steuer[_-]?id|idnr|tax[_-]?id|nir|aadhaa?r|dni|nie|nif"
    "|codice[_-]?fiscale|bsn|cpf|passport(?:[_-]?(?:number|no))?"
)
# An AWS account by its word: account=, AccountId, aws_account_id, "owner id" (EC2's OwnerId).
ACCOUNT_PHRASE = "(?i:(?:aws[ _-]?)?account|owner)(?:[ _-]?(?i:id))?[\"']?[ \\t]*[:=#]?[ \\t]*[\"']?"
# National ids in their written shapes (validated by their checksums in detect.py): UK NINO, ES DNI
# and NIE, IT codice fiscale, BR CPF, IN Aadhaar, FR NIR and DE Steuer-ID with their spaces.
_CF_DIGIT = "[0-9LMNPQRSTUV]"
NATIONAL_ID_SHAPES = (
    "[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]|[XYZ]?-?[0-9]{7,8}-?[A-Z]"
    "|[A-Z]{6}" + _CF_DIGIT + "{2}[A-Z]" + _CF_DIGIT + "{2}[A-Z]" + _CF_DIGIT + "{3}[A-Z]"
    "|[0-9]{3}\\.[0-9]{3}\\.[0-9]{3}-[0-9]{2}|[2-9][0-9]{3} [0-9]{4} [0-9]{4}"
    "|[12] [0-9]{2} [0-9]{2} [0-9][0-9AB] [0-9]{3} [0-9]{3} [0-9]{2}|[1-9][0-9] [0-9]{3} [0-9]{3} [0-9]{3}"
)
# Keys whose value is a phone number, a national id, a date of birth or a person's name.
PII_WORDS = (
    "phone(?:[_-]?number)?|mobile|telephone|tel|cell|fax|msisdn|ssn|social[_-]?security[_-]?number|national[_-]?id"
    "|" + NATID_WORDS + "|dob|date[_-]?of[_-]?birth|birth[_-]?date|birthdate|birthday"
    "|(?:customer|contact|full|first|last|given|family|holder|cardholder|patient|employee)[_-]?name"
)
# Keys and words that say the value is a pod (pod=, pod/, "podName", k8s.pod.name, kubernetes.pod_name).
POD_KEY = "(?i:pods?|pod[_.-]?name)"
# After it: = or : (pods=[ns/a ...] too), a slash (pod/x, /pods/x) or a space (in pod x), a quote.
POD_SEP = "[\"']?(?:[ \\t]*[:=][ \\t]*\\[?|/|[ \\t]+)(?:\\\\?[\"'])?"
# kubelet's <pod name>_<namespace>(<pod uid>).
KUBELET_POD = "[a-z0-9][a-z0-9-]*-[a-z0-9]+_[a-z0-9][a-z0-9-]*\\([0-9a-f]{8}-[0-9a-f-]{27}\\)"
# Kubernetes' safe alphabet for generated name suffixes (no vowels, no 0, 1, 3).
K8S_ALPHABET = "[bcdfghjklmnpqrstvwxz2456789]"
# A value that may carry letters of any script (jürgen, łukasz, 田中).
_NON_ASCII = "\\x80-\\U0010ffff"

# ---------------------------------------------------------------------------------------------
# COARSE: RE2 syntax (no look-around), ASCII, scoped flags only.

_SEP = "\\s\"'<>()\\[\\]{},;|\\x01\\x02"
_TOK = f"[^{_SEP}]"
_WORDS = "(?i:" + SECRET_WORDS + "|" + USER_WORDS + "|" + HOST_WORDS + "|" + ID_WORDS + "|" + PII_WORDS + ")"
# What makes a token worth a look: an @, a dot before a letter (host names, e-mails, JWTs), four
# dotted numbers (IPv4; not the three of a version such as Safari/537.36.1), :: or four colons
# between hex (IPv6, MAC), three dashes between hex (UUID, MAC, card), dotted hex quads (Cisco
# MAC), a run of 13 digits (cards), an API-key prefix or a home directory. (key=value is an idiom
# below: as a mark inside every token it would cost more than it finds.) Times (14:03:12), dates,
# versions (HTTP/1.1) and plain words are not candidates, which keeps the scan fast: RE2 costs
# about 0.3 us a match. Loose shapes (+ rather than {1,4}) on purpose: counted repeats multiply
# the automaton's states; the precise detectors count.
_HEXS = "[0-9A-Fa-f]+"
_MARKS = (
    "@|\\.[A-Za-z]|[0-9]\\.[0-9]+\\.[0-9]+\\.[0-9]|::|:" + _HEXS + ":" + _HEXS + ":" + _HEXS + ":"
    "|[0-9A-Fa-f]-" + _HEXS + "-" + _HEXS + "-[0-9A-Fa-f]|[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]|[0-9]{13}"
    "|" + API_KEY_PREFIXES + "|/home/|/Users/|/var/mail/|/var/spool/mail/|\\\\Users\\\\"
    "|arn:aws|SHA256:|/v[0-9]/[0-9a-f]|/v2\\.1/|-" + K8S_ALPHABET + "{6,10}-" + K8S_ALPHABET + "{5}"
)
# An empty "key=" ends there: "logname= uid=0" is no user named uid. Spaces after "=" only when
# there are spaces before it too (key = value); after ":" always (user: bob).
_KV_SEP_COARSE = "[\"']?(?:[ \\t]*:[ \\t]*|[ \\t]+=[ \\t]*|=)"
_KV_IDIOM = (
    "(?:[A-Za-z0-9]+[._-])*"
    + _WORDS
    + _KV_SEP_COARSE
    # A value quoted inside a JSON string (password=\\"x\\") first, so the escape is no value.
    + '(?:\\\\"[^"\\\\\\r\\n]*\\\\"|"[^"\\r\\n]*"|\'[^\'\\r\\n]*\'|["\']?[^'
    + _SEP
    + "&]+)"
)
# Each idiom that spans tokens is its own alternative; everything else is one token alternative
# (several token-shaped alternatives side by side make RE2's automaton thrash).
COARSE_IDIOMS: tuple[str, ...] = (
    # A private key in PEM armour spans lines (or \\n escapes in JSON): the whole block is one
    # candidate, with the key it may follow (key=-----BEGIN ...), which would otherwise claim the header.
    "(?:[A-Za-z0-9_.-]+"
    + _KV_SEP_COARSE
    + "[\"']?)?-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.)*?-----END [A-Z ]*PRIVATE KEY-----",
    # sudo's header runs on to the user ("sudo:    bob : TTY=..."); first, so it wins over the next.
    "(?m:^)" + SYSLOG_TS + " [^\\s]+ sudo:[ \\t]+" + SUDO_USER + "[ \\t]+:",
    # A syslog header up to the program name: the host field is a host even without a dot.
    "(?m:^)" + SYSLOG_TS + " [^\\s]+ [A-Za-z0-9_./()-]+(?: [A-Za-z0-9_./()-]+){0,3}(?:\\[|:)",
    "(?m:^)" + ISO_TS + " [^\\s]+ [A-Za-z0-9_./()-]+\\[",
    # An access-log line with an authenticated user: "10.0.0.1 - bob [".
    '(?m:^)[^\\s]+ - [^\\s\\[\\]"-][^\\s\\[\\]"]* \\[',
    "\\b(?i:(?:for|by|from|to|of)(?: invalid| illegal)? user|invalid user|illegal user|unknown user"
    "|(?:password|publickey|keyboard-interactive/pam|hostbased|none) for(?: invalid user)?"
    "|login(?: as| for| of| by)?)[ \\t]+(?:\\\\?[\"'])?(?:" + _KV_IDIOM + "|" + _TOK + "+)",
    # PostgreSQL's log_line_prefix '%m [%p] %u@%d ': the user before the database.
    "\\[[0-9]+\\] [^\\s@\\[\\]]+@[^\\s]+ [A-Z0-9]+:",
    "\\bsudo:[ \\t]+[^\\s]+[ \\t]+:",
    "\\(to [^\\s)]+\\)[ \\t]+" + _TOK + "+",
    "\\b(?i:authorization|proxy-authorization)[\"']?[ \\t]*[=:][ \\t]*[\"']?[A-Za-z]+[ \\t]+[^\\s\"',;]+",
    "\\b(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \\t]+[^\\s\"',;]+",
    # key=value, key: value, "key": "value", key = 'a b'; the key may be namespaced (db.user,
    # db_password), so that the idiom, not the token, claims the whole of "db.user: bob".
    "(?:\\b|[_-])" + _KV_IDIOM,
    "\\b[2-6][0-9]{3} [0-9]{4} [0-9]{4} [0-9]{1,7}|\\b3[47][0-9]{2}[ -][0-9]{6}[ -][0-9]{5}",
    # Phone numbers: international (+44 20 7946 0958), North American ((415) 555-2671, 415-555-2671).
    "\\+[1-9][0-9]{0,3}[ .-]?\\(?[0-9]{1,4}\\)?(?:[ .-]?[0-9]{2,4}){2,4}",
    "\\([0-9]{3}\\) ?[0-9]{3}[ .-][0-9]{4}|\\b[0-9]{3}[.-][0-9]{3}[.-][0-9]{4}\\b",
    # A US social security number.
    "\\b[0-9]{3}-[0-9]{2}-[0-9]{4}\\b",
    # Other national ids, bare in their written shapes.
    "\\b(?:" + NATIONAL_ID_SHAPES + ")\\b",
    # A bare AWS account id after its word (account=, owner id ...).
    "(?:\\b|[_-])" + ACCOUNT_PHRASE + "[0-9]{12}\\b",
    # A name after a title: Mr Smith, Dr. Ada Lovelace.
    "\\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\\.? [A-Z][a-z]+(?: [A-Z][a-z]+)?",
    # A pod named by its context (pod=, "pod": , pod/, pods "x", k8s.pod.name=, PodName: ...): a
    # DaemonSet's (<name>-<5 chars>) or StatefulSet's (<name>-<ordinal>) pod has no replica set hash.
    "(?:\\b|[_-])(?:[A-Za-z0-9]+[._-])*" + POD_KEY + POD_SEP + _TOK + "+",
    # kubelet names a pod <name>_<namespace>(<uid>).
    KUBELET_POD,
    # OpenStack's request context: [req-<uuid> <user id> <project id> ...].
    "\\[req-[0-9a-f-]+ [0-9a-f-]+ [0-9a-f-]+",
    # A bare 40-character secret (an AWS secret access key in prose), with the separators around it
    # rather than \\b: as a mark inside the token alternative, or between word boundaries, the
    # counted run multiplies the automaton's states and RE2 thrashes (five times slower, measured).
    "(?:^|[\\s\"'=:(\\[,])[A-Za-z0-9+/]{40}(?:$|[\\s\"'),;\\]])",
)
# Timestamps, only when shifting (an ISO timestamp with a T is a single token).
COARSE_TIMESTAMPS: tuple[str, ...] = (
    "\\b" + SYSLOG_TS,
    "\\b" + NGINX_TS,
    "\\b[0-9]{4}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]" + _TOK + "*",
)
_ISO_MARK = "|[0-9]{4}-[01][0-9]-[0-3][0-9]T"


def coarse_pattern(*, timestamps: bool) -> str:
    token = _TOK + "*(?:" + _MARKS + (_ISO_MARK if timestamps else "") + ")" + _TOK + "*"
    alternatives = COARSE_IDIOMS + (COARSE_TIMESTAMPS if timestamps else ()) + (token,)
    return "|".join(f"(?:{a})" for a in alternatives)


# ---------------------------------------------------------------------------------------------
# PRECISE: Python re, run on candidates.
#
# Python tries every alternative at every position, so two things keep this cheap: a gate per
# alternative (a substring test on the candidate: no '@', no e-mail pattern), and alternatives that
# begin with a character class, which sre's branch op tests before entering them (a look-behind
# goes after the first character: "[0-9](?<![\w.].)" is "a digit not preceded by a word char").
# Each alternative ends with an empty group named after it, the last group to close, so
# match.lastgroup says which one matched.

_KV_SEP = _KV_SEP_COARSE
_QUOTED = '\\\\"[^"\\\\\\r\\n]*\\\\"|"[^"\\r\\n]*"|\'[^\'\\r\\n]*\''
_USER_VALUE = "[A-Za-z0-9._@+$\\\\" + _NON_ASCII + "-]{1,64}"
_HEX = "[0-9A-Fa-f]"
_LABEL_REST = "(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_KEY_START = "(?<![A-Za-z0-9])"  # db_password, x-api-key: a key may follow _ or -, not a letter


def _pod_name(tag: str) -> str:
    """A pod's name and the suffix after its last dash (a hash, or a StatefulSet's ordinal)."""
    return f"(?P<{tag}_name>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(?P<{tag}_sfx>[a-z0-9]{{1,5}})"


@dataclass(frozen=True)
class Alternative:
    """One precise detector: its name (also its handler's in detect.py), gate and pattern."""

    name: str
    pattern: str


# The idioms the scan anchors at a line start; matched on their own at the candidate's start.
SYSLOG = re.compile(
    "(?P<sl_ts>" + SYSLOG_TS + ") (?P<sl_host>[A-Za-z0-9][A-Za-z0-9._-]*) "
    "(?:sudo:[ \\t]+(?P<sl_sudo>" + SUDO_USER + ")[ \\t]+:|[A-Za-z0-9_./()-]+(?: [A-Za-z0-9_./()-]+){0,3}(?:\\[|:))",
    re.ASCII,
)
SYSLOG_ISO = re.compile(
    "(?P<sl_ts>" + ISO_TS + ") (?P<sl_host>[A-Za-z0-9][A-Za-z0-9._-]*) [A-Za-z0-9_./()-]+\\[", re.ASCII
)
NGINX_USER = re.compile('(?P<ng_client>[^\\s]+) - (?P<ng_user>[^\\s\\[\\]"-][^\\s\\[\\]"]*) \\[', re.ASCII)

ALTERNATIVES: tuple[Alternative, ...] = (
    Alternative(
        "pem",
        "-----BEGIN (?P<pm_kind>[A-Z ]*)PRIVATE KEY-----(?P<pm_body>(?s:.)*?)-----END [A-Z ]*PRIVATE KEY-----",
    ),
    # An AWS account id inside an ARN: arn:aws:iam::123456789012:role/x, arn:aws:lambda:us-east-1:123456789012:...
    Alternative("arn_account", "arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(?P<aa_id>[0-9]{12})(?![0-9])"),
    # OpenStack's request context names the user and the project: [req-<uuid> <user> <project> ...
    Alternative(
        "openstack_ctx",
        "\\[req-(?P<oc_req>[0-9a-f-]{36}) (?P<oc_user>[0-9a-f]{32}|-) (?P<oc_project>[0-9a-f]{32}|-)(?![0-9a-f])",
    ),
    # ... and its URLs the project: /v2/<project>/servers, /v2.1/<project>/...
    Alternative("openstack_url", "/v[0-9](?:\\.[0-9])?/(?P<ou_project>[0-9a-f]{32})(?![0-9A-Za-z])"),
    Alternative(
        "id_kv",
        "(?<![A-Za-z0-9])(?i:"
        + ID_WORDS
        + ")"
        + _KV_SEP
        + "[\"']?(?P<ik_val>[0-9A-Fa-f]{32,64}|[0-9]{12})(?![0-9A-Za-z])",
    ),
    Alternative("account_phrase", _KEY_START + ACCOUNT_PHRASE + "(?P<ap_id>[0-9]{12})(?![0-9A-Za-z])"),
    # ssh key fingerprints: SHA256:<43 base64> and the MD5 form, 16 colon-separated hex pairs.
    Alternative("fp_sha256", "SHA256:(?P<fs_val>[A-Za-z0-9+/]{43})(?![A-Za-z0-9+/])"),
    Alternative("fp_md5", "(?P<fm_val>[0-9a-fA-F](?<![\\w:].)[0-9a-fA-F](?::[0-9a-fA-F]{2}){15})(?![\\w:])"),
    # A pod named by its context: the last dash splits name and suffix (see detect.pod_parts).
    Alternative(
        "pod_ctx",
        _KEY_START + POD_KEY + POD_SEP + "(?:[a-z0-9][a-z0-9-]*/)?" + _pod_name("pc") + "(?![A-Za-z0-9-])",
    ),
    Alternative(
        "pod_kubelet",
        "(?<![A-Za-z0-9-])"
        + _pod_name("kl")
        + "_[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\((?P<kl_uid>"
        + _HEX
        + "{8}-"
        + _HEX
        + "{4}-"
        + _HEX
        + "{4}-"
        + _HEX
        + "{4}-"
        + _HEX
        + "{12})\\)",
    ),
    # A Kubernetes pod of a Deployment: <name>-<replica set hash>-<pod hash>; the name is the service.
    Alternative(
        "pod",
        "[a-z0-9](?<![A-Za-z0-9-].)(?:[a-z0-9-]*[a-z0-9])?-(?P<pd_hash>"
        + K8S_ALPHABET
        + "{6,10}-"
        + K8S_ALPHABET
        + "{5})(?![A-Za-z0-9-])",
    ),
    # An EC2 host name spells its private IP: ip-10-0-3-17(.ec2.internal).
    Alternative("ip_host", "i(?<![\\w-].)p-(?P<ih_ip>[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3})(?![\\w-])"),
    Alternative(
        "pii_kv",
        _KEY_START
        + "(?P<pk_key>(?i:"
        + PII_WORDS
        + "))"
        + _KV_SEP
        + "(?P<pk_val>"
        + _QUOTED
        + "|[^\\s\"',;&<>)}\\]]+)",
    ),
    Alternative(
        "phone",
        "(?:\\+(?<![\\w+.-].)[1-9][0-9]{0,3}[ .-]?\\(?[0-9]{1,4}\\)?(?:[ .-]?[0-9]{2,4}){2,4}"
        "|\\((?<![\\w+.-].)[0-9]{3}\\) ?[0-9]{3}[ .-][0-9]{4}"
        "|[0-9](?<![\\w+.-].)[0-9]{2}(?P<ph_sep>[.-])[0-9]{3}(?P=ph_sep)[0-9]{4})(?![\\w.-])",
    ),
    Alternative("ssn", "[0-9](?<![\\w.-].)[0-9]{2}-[0-9]{2}-[0-9]{4}(?![\\w-])"),
    # The lookahead keeps the three groups of an Aadhaar or the four of a Steuer-ID from being the
    # start of a longer run of digit groups (a card, a phone number).
    Alternative("natid", "(?<![\\w.-])(?:" + NATIONAL_ID_SHAPES + ")(?![\\w-]| [0-9])"),
    Alternative("honorific", "\\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\\.? (?P<ho_name>[A-Z][a-z]+(?: [A-Z][a-z]+)?)"),
    # A bare 40-character secret (an AWS secret access key in prose): mixed case and digits.
    Alternative("bare_secret", "(?P<bs_val>[A-Za-z0-9+/](?<![A-Za-z0-9+/=].)[A-Za-z0-9+/]{39})(?![A-Za-z0-9+/=])"),
    Alternative(
        "url_creds",
        "[A-Za-z](?<![A-Za-z0-9+.-].)[A-Za-z0-9+.-]*+://(?P<uc_user>[^\\s:/@\"'<>]*+):(?P<uc_pass>[^\\s/@\"'<>]*+)@",
    ),
    Alternative(
        "authorization",
        _KEY_START
        + "(?i:authorization|proxy-authorization)"
        + _KV_SEP
        + "[\"']?(?P<az_scheme>[A-Za-z]+)[ \\t]+(?P<az_tok>[^\\s\"',;]+)",
    ),
    Alternative("jwt", "e(?<![\\w.-].)yJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*+"),
    Alternative(
        "api_key",
        "(?<![A-Za-z0-9])(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16,17}\\b"
        "|npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])|pypi-[A-Za-z0-9_-]{50,}"
        "|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
        "|AIza[A-Za-z0-9_-]{35}|glpat-[A-Za-z0-9_-]{20,})",
    ),
    Alternative("bearer", "\\b(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \\t]+(?P<br_tok>[A-Za-z0-9._~+/-]{8,}=*)"),
    Alternative(
        "kv_secret",
        _KEY_START
        + "(?P<ks_key>(?i:"
        + SECRET_WORDS
        + "))"
        + _KV_SEP
        + "(?P<ks_val>"
        + _QUOTED
        + "|[^\\s\"',;&<>)}\\]]+)",
    ),
    Alternative(
        "user_kv",
        _KEY_START
        + "(?i:"
        + USER_WORDS
        + ")"
        + _KV_SEP
        + '(?P<uk_val>\\\\"[^"\\\\\\r\\n]{1,128}\\\\"|"[^"\\r\\n]{1,128}"|\'[^\'\\r\\n]{1,128}\'|'
        + _USER_VALUE
        + ")",
    ),
    Alternative(
        "host_kv", _KEY_START + "(?i:" + HOST_WORDS + ")" + _KV_SEP + "[\"']?(?P<hk_val>[A-Za-z0-9][A-Za-z0-9._-]*)"
    ),
    Alternative(
        "user_phrase",
        "\\b(?i:(?:for|by|from|to|of)(?: invalid| illegal)? user|invalid user|illegal user|unknown user"
        "|(?:password|publickey|keyboard-interactive/pam|hostbased|none) for(?: invalid user)?"
        "|login(?: as| for| of| by)?)[ \\t]+(?:\\\\?[\"'])?(?P<up_val>" + _USER_VALUE + ")",
    ),
    Alternative(
        "pg_user",
        "\\[[0-9]+\\] (?P<pu_user>[A-Za-z0-9._-]{1,64})@[A-Za-z0-9._-]+ "
        "(?:LOG|FATAL|ERROR|WARNING|STATEMENT|DETAIL|HINT|NOTICE|PANIC|INFO|DEBUG[1-5]?|CONTEXT):",
    ),
    # An AWS IAM user in an ARN: arn:aws:iam::123456789012:user/division/frank.
    Alternative("arn_user", ":user/(?:[A-Za-z0-9+=,.@_-]+/)*(?P<au_user>[A-Za-z0-9+=,.@_-]{1,64})"),
    # A Slack incoming webhook: the path is the credential.
    Alternative("slack_hook", "/services/(?P<sh_tok>T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})"),
    # An e-mail written into a URL (%40 for @): its user and its domain.
    Alternative(
        "email_pct",
        "[A-Za-z0-9._+-](?<![\\w.+-].)[A-Za-z0-9._+-]*%40(?:[A-Za-z0-9]" + _LABEL_REST + "\\.)+[A-Za-z]{2,63}\\b",
    ),
    Alternative("sudo", "\\bsudo:[ \\t]+(?P<sd_user>" + SUDO_USER + ")[ \\t]+:"),
    Alternative("su", "\\(to [^\\s)]+\\)[ \\t]+(?P<su_user>" + _USER_VALUE + ")"),
    Alternative(
        "home",
        "(?:/home/|/Users/|/var/mail/|/var/spool/mail/|\\\\\\\\Users\\\\\\\\|\\\\Users\\\\)(?P<hm_user>[A-Za-z0-9._@+$"
        + _NON_ASCII
        + "-]{1,64})",
    ),
    Alternative(
        "email",
        "[A-Za-z0-9._%+-](?<![\\w.%+-].)[A-Za-z0-9._%+-]*+@(?:[A-Za-z0-9]" + _LABEL_REST + "\\.)+[A-Za-z]{2,63}\\b",
    ),
    Alternative(
        "uuid",
        _HEX + "(?<![\\w-].)" + _HEX + "{7}-" + _HEX + "{4}-" + _HEX + "{4}-" + _HEX + "{4}-" + _HEX + "{12}(?![\\w-])",
    ),
    # Only when a time shift was asked for.
    Alternative("ts_iso", "[0-9](?<![\\w.].)[0-9]{3}" + ISO_TS[len("[0-9]{4}") :]),
    Alternative("ts_nginx", "[0-3](?<![\\w.].)" + NGINX_TS[5:]),
    Alternative("ts_syslog", "[JFMASOND](?<![\\w.].)[a-z]{2} [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]"),
    Alternative(
        "ipv6",
        "(?<![\\w:.])(?P<v6>(?:" + _HEX + "{0,4}:){2,6}(?:[0-9]{1,3}\\.){3}[0-9]{1,3}"
        "|(?:" + _HEX + "{1,4}:){7}" + _HEX + "{1,4}"
        "|(?:" + _HEX + "{1,4}:){0,6}" + _HEX + "{0,4}::(?:" + _HEX + "{1,4}:){0,6}" + _HEX + "{0,4})"
        "(?:%[A-Za-z0-9_.-]+)?(?![\\w:])",
    ),
    Alternative(
        "mac",
        "(?<![\\w:.-])(?:" + _HEX + "{2}(?P<mc_sep>[:-])" + _HEX + "{2}(?:(?P=mc_sep)" + _HEX + "{2}){4}"
        "|" + _HEX + "{4}\\." + _HEX + "{4}\\." + _HEX + "{4})(?![\\w:-]|\\.\\w)",
    ),
    Alternative(
        "card",
        "(?<![\\w.-])(?:[2-6][0-9]{3}(?P<cd_sep>[ -]?)[0-9]{4}(?P=cd_sep)[0-9]{4}(?P=cd_sep)[0-9]{1,7}"
        "|3[47][0-9]{2}(?P<cd_sep2>[ -])[0-9]{6}(?P=cd_sep2)[0-9]{5})(?![\\w-])",
    ),
    Alternative("ipv4", "[0-9](?<![\\w.].)[0-9]{0,2}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(?![\\w]|\\.[0-9])"),
    Alternative(
        "hostname",
        "[A-Za-z0-9](?<![\\w.-].)"
        + _LABEL_REST
        + "\\.(?:[A-Za-z0-9]"
        + _LABEL_REST
        + "\\.)*[A-Za-z]"
        + _LABEL_REST
        + "(?![\\w-])",
    ),
)
TIMESTAMP_ALTERNATIVES = frozenset({"ts_iso", "ts_nginx", "ts_syslog"})


def precise_pattern(names: tuple[str, ...]) -> str:
    """The pattern for the given alternatives, in their fixed order, each ending in its tag."""
    return "|".join(f"(?:{alt.pattern}(?P<{alt.name}>))" for alt in ALTERNATIVES if alt.name in names)
