"""Which dotted names are host names: the top-level domains we recognise, and the suffixes we keep.

A dotted word is only a host name when its last label is a real top-level domain, because logs are
full of dotted things that are not hosts (file names, logger and class names, metric and attribute
keys). The list is curated rather than complete: every country code, the common generic domains,
and the suffixes used inside companies. Rare brand domains are left out on purpose (`.name`,
`.email`, `.zone` and the like collide with attribute keys such as `service.name`).
"""

from __future__ import annotations

# ISO 3166 country codes that are delegated top-level domains (plus ac, eu, su, uk).
_CC = """
ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw
by bz ca cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu
fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il
im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly
ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu
nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm
sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va
vc ve vg vi vn vu wf ws ye yt za zm zw cc
"""

_GENERIC = """
com net org edu gov mil int info biz pro aero coop mobi asia jobs travel app dev cloud online site
tech store shop xyz top club live news blog website digital network systems solutions software
agency company group media global studio design bank health io ai
"""

# Suffixes for names that exist only inside an organisation. They identify nobody, so a host under
# one keeps it (db.prod.internal stays *.internal), which keeps scenarios readable.
INTERNAL_SUFFIXES = (
    "svc.cluster.local",
    "cluster.local",
    "compute.internal",
    "ec2.internal",
    "home.arpa",
    "localdomain",
    "internal",
    "intranet",
    "private",
    "local",
    "intra",
    "corp",
    "lan",
)

# Reserved for documentation and testing (RFC 2606, RFC 6761): never anyone's name, always kept.
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})
RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org"})

# Country codes that are also common file extensions or English words. A name ending in one of
# them counts as a host only with three labels or more and not right after a slash, so app.py,
# README.md and /lib/libc.so stay as they are while api.acme.co.in is still caught.
AMBIGUOUS_TLDS = frozenset("py md sh rs pl pm so ps ml cc tf at be do in is it me my no to us am as id".split())

TLDS = frozenset(_CC.split()) | frozenset(_GENERIC.split()) | {s.rsplit(".", 1)[-1] for s in INTERNAL_SUFFIXES}

# First labels that mark reversed-DNS identifiers (com.acme.billing.Invoice, io.netty.util):
# package and class names, not hosts.
REVERSED_DNS_FIRST = frozenset("com org net io java javax android kotlin scala edu gov".split())
