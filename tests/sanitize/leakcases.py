"""The leaks and damage issue 18 reported, one case each: a line and the originals it holds.

The same corpus serves the scrubber (no original survives) and --check (each unscrubbed case is
reported; each scrubbed one passes). Values are invented but written in the real formats.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    originals: tuple[str, ...]
    # Text that must still be there after scrubbing (structure the scrubber must not damage).
    kept: tuple[str, ...] = ()


RSA_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAv7k1Q2Hn3fQx9aZ0Yd4dF0a1b2c3d4e5f6g7h8i9j0kLmNoPqRs\n"
    "TuVwXyZ0123456789abcdefGhIjKlMnOpQrStUvWxYz0a1B2c3D4e5F6g7H8i9J0kLm\n"
    "-----END RSA PRIVATE KEY-----\n"
)
OPENSSH_PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBqQ7vT3mZx9yK2pL8wR4nF6sD1aH0cJ5eB7uV3tY9oXgAAAJgQ2w7xEN\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
PKCS8_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEf\n"
    "YyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76\n"
    "-----END PRIVATE KEY-----\n"
)

CASES: tuple[Case, ...] = (
    Case(
        "syslog host, program name with a space",
        "Jul  1 09:02:26 jeffs-macbook-pro Microsoft Word[14463]: spell check done\n",
        ("jeffs-macbook-pro",),
        ("Microsoft Word[14463]:",),
    ),
    Case(
        "detected user replaced in all its occurrences",
        "job 4711 submitted by user=kwalter42 from login node\n"
        "open /g/g90/kwalter42/runs/sim.in failed: permission denied\n"
        "kwalter42 exceeded quota on /p/lscratch\n",
        ("kwalter42",),
        ("/g/g90/", "/runs/sim.in"),
    ),
    Case(
        "AWS account id in an ARN",
        "AccessDenied on arn:aws:s3:::bucket by arn:aws:sts::483920175562:assumed-role/deployer/session1\n"
        "role arn:aws:iam::483920175562:role/ci-runner\n",
        ("483920175562",),
        ("arn:aws:sts::", ":assumed-role/deployer"),
    ),
    Case(
        "journald machine and boot ids",
        '{"__REALTIME_TIMESTAMP":"1704103200000000","_MACHINE_ID":"8f3c2a1b9d4e4f6a8b7c6d5e4f3a2b1c",'
        '"_BOOT_ID":"1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6","MESSAGE":"Started nginx"}\n',
        ("8f3c2a1b9d4e4f6a8b7c6d5e4f3a2b1c", "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"),
        ('"MESSAGE":"Started nginx"',),
    ),
    Case(
        "ssh key fingerprint",
        "Accepted publickey for deploy from 10.4.7.21 port 52114 ssh2: RSA "
        "SHA256:Yk8m2vQ4pL9xW3nR7tZ1cB6dF0hJ5sK2gA8eU4iO3qM\n"
        "key fingerprint 3e:a1:9f:22:4b:7c:10:d5:8e:66:af:01:b2:c3:d4:e5\n",
        ("Yk8m2vQ4pL9xW3nR7tZ1cB6dF0hJ5sK2gA8eU4iO3qM", "3e:a1:9f:22:4b:7c:10:d5:8e:66:af:01:b2:c3:d4:e5"),
        ("Accepted publickey for ", "SHA256:"),
    ),
    Case(
        "OpenStack user and project ids",
        "2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
        "[req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 "
        '54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail '
        'HTTP/1.1" status: 200 len: 1893 time: 0.2477829\n',
        (
            "113d3a99c3da401fbd62cc2caa5b96d2",
            "54fadb412c4e40cdbaed9335e4c35a9e",
            "10.11.10.1",
            "38101a0b-2096-447d-96ea-a692162415ae",
        ),
        ("/servers/detail", "status: 200"),
    ),
    Case(
        "Kubernetes pod names",
        "2026-03-10T14:03:12Z pod checkoutservice-7d4b9c8f6-x2kqp restarted on node ip-10-0-3-17\n"
        "Back-off restarting failed container in pod frontend-6b8d5f7c9d-4mzlw\n",
        ("7d4b9c8f6-x2kqp", "6b8d5f7c9d-4mzlw", "ip-10-0-3-17"),
        ("checkoutservice-", "frontend-", "restarted on node"),
    ),
    Case(
        "an empty key= does not swallow the next key",
        "Mar 10 14:03:12 mkt-sftp-02 sshd[812]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=ssh ruser= rhost=203.0.114.77  user=mlindqvist\n",
        ("203.0.114.77", "mlindqvist", "mkt-sftp-02"),
        ("logname= uid=0 euid=0", "ruser= rhost="),
    ),
    Case(
        "a value before an escaped quote keeps no stray backslash",
        '{"msg":"login failed for user \\"pjohansen\\" from 198.18.44.2"}\n',
        ("pjohansen",),
        ('\\"',),
    ),
    Case(
        "values quoted inside a JSON string keep their escapes",
        '{"msg":"retry with password=\\"Tr0ub4dor&3x\\" as user=\\"hkowalczyk\\" token=\\"9f8e7d6c5b4a3210\\""}\n',
        ("Tr0ub4dor", "hkowalczyk", "9f8e7d6c5b4a3210"),
        ('password=\\"', 'user=\\"', 'token=\\"', '\\""}'),
    ),
    Case(
        "PEM RSA private key block", "loaded key:\n" + RSA_PEM + "done\n", ("MIIEowIBAAKCAQEAv7k1Q2Hn3fQx9aZ0Yd4dF0a1",)
    ),
    Case("PEM OpenSSH private key block", OPENSSH_PEM, ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",)),
    Case("PEM PKCS8 private key block", "key=" + PKCS8_PEM, ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",)),
    Case(
        "npm token",
        "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"
        "publishing with npm_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8\n",
        ("npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "npm_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"),
    ),
    Case(
        "PyPI token",
        "uploading with pypi-AgEIcHlwaS5vcmcCJGE0ZjU2NzM4LWJiYzAtNGIyYS05YzQxLWQ1ZTZmN2E4YjljMAACKlszLCJhYmMiXQ\n",
        ("pypi-AgEIcHlwaS5vcmcCJGE0ZjU2NzM4LWJiYzAtNGIyYS05YzQxLWQ1ZTZmN2E4YjljMAACKlszLCJhYmMiXQ",),
    ),
    Case(
        "Azure AccountKey",
        "conn=DefaultEndpointsProtocol=https;AccountName=shopdata;"
        "AccountKey=q8Zr3vT1mN5bX7kP2wL9yH4cF6dJ0sA3eG8uR1iO5tY7nB2mK4xC9vZ6qW3pE0rT8yU1iO4pA7sD2fG5hJ8kL1z==;"
        "EndpointSuffix=core.windows.net\n",
        ("q8Zr3vT1mN5bX7kP2wL9yH4cF6dJ0sA3eG8uR1iO5tY7nB2mK4xC9vZ6qW3pE0rT8yU1iO4pA7sD2fG5hJ8kL1z==",),
        ("EndpointSuffix=",),
    ),
    Case(
        "GCP private_key_id",
        '{"type": "service_account", "project_id": "shop-prod", '
        '"private_key_id": "4f8e2a9c1b7d3e6f0a5b8c2d9e1f4a7b3c6d0e8f", "client_id": "104857392018374650192"}\n',
        ("4f8e2a9c1b7d3e6f0a5b8c2d9e1f4a7b3c6d0e8f",),
    ),
    Case(
        "bare AWS secret in prose",
        "rotated the old secret wJalrXUtnFEMI/K7MDENG/bPxRfiCY9XAMPLEKEY yesterday, new one is "
        "Zq8Kx2Vb7Nm4Lp1Rt6Yw3Hj9Gf5Dc0Sa2Qe8Uo7I in vault\n",
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCY9XAMPLEKEY", "Zq8Kx2Vb7Nm4Lp1Rt6Yw3Hj9Gf5Dc0Sa2Qe8Uo7I"),
        ("rotated the old secret", "in vault"),
    ),
    Case("non-ASCII user jürgen", "Failed password for jürgen from 198.18.9.9 port 22 ssh2\n", ("jürgen", "ürgen")),
    Case("non-ASCII user łukasz", "session opened for user łukasz by (uid=0)\n", ("łukasz", "ukasz")),
    Case("non-ASCII user 田中", "Invalid user 田中 from 198.18.9.10\n", ("田中",)),
    Case("non-ASCII user ömer.çelik", "user=ömer.çelik action=login\n", ("ömer.çelik", "mer.", "elik")),
    Case("Amex card with dashes", "charged card 3782-822463-10005 amount=12.00\n", ("3782-822463-10005",)),
)

# Personal data the issue asked to detect: phone numbers, national ids, dates of birth, names.
PII_CASES: tuple[Case, ...] = (
    Case(
        "phone numbers",
        "callback requested to +44 20 7946 0321 and (415) 867-2671; sms to +1 650-253-0187\n",
        ("7946 0321", "867-2671", "253-0187"),
        ("callback requested to +44",),
    ),
    Case(
        "phone under a key",
        '{"phone": "+49 30 9018 2271", "event": "signup"}\n',
        ("9018 2271",),
        ('"event": "signup"',),
    ),
    Case(
        "US social security number", "kyc check failed for ssn 536-22-8146\n", ("536-22-8146",), ("kyc check failed",)
    ),
    Case("date of birth under a key", "dob=1984-03-17 plan=gold\n", ("1984-03-17",), ("plan=gold",)),
    Case("date of birth in JSON", '{"date_of_birth": "17/03/1984", "plan": "gold"}\n', ("17/03/1984",)),
    Case(
        "person names under keys and after a title",
        'customer_name="Ada Lovelace" order=7 escalated to Dr. Grace Hopper\n',
        ("Lovelace", "Hopper"),
        ("order=7 escalated to Dr. ",),
    ),
    Case("person name in JSON", '{"fullName": "Margaret Hamilton", "tier": 2}\n', ("Hamilton",), ('"tier": 2',)),
)

# The last gaps: pods without a replica set hash, bare account ids, other countries' national ids.
GAP_CASES: tuple[Case, ...] = (
    Case(
        "DaemonSet pods where the context says pod",
        "2026-03-10T14:03:12Z pod=fluentd-x2kqp restarted; kubectl delete pod/calico-node-h7xkq\n"
        'E0310 14:03:12.123456 1234 pod_workers.go:191] Error syncing pod ("node-exporter-m9v4t_kube-system'
        '(5f1e2d3c-1111-4222-8333-444455556666)"), skipping\n',
        ("x2kqp", "h7xkq", "m9v4t", "5f1e2d3c-1111-4222-8333-444455556666"),
        ("pod=fluentd-", "pod/calico-node-", "node-exporter-", "_kube-system("),
    ),
    Case(
        "bare AWS account ids after their word",
        "quota exceeded for account=483920175562; snapshot owner id 590183746251\n",
        ("483920175562", "590183746251"),
        ("quota exceeded for account=", "snapshot owner id "),
    ),
    Case(
        "national ids of other countries, valid by their checksums",
        "kyc: NINO JG 12 34 56 C, Steuer-ID 36 574 261 809, NIR 2 95 10 99 126 111 93, aadhaar 2341 2341 2346, "
        "DNI 54362315K, codice fiscale RCCMNL83S18D969H, CPF 390.533.447-05, bsn=111222333\n",
        (
            "JG 12 34 56 C",
            "36 574 261 809",
            "2 95 10 99 126 111 93",
            "2341 2341 2346",
            "54362315K",
            "RCCMNL83S18D969H",
            "390.533.447-05",
            "111222333",
        ),
        ("kyc: NINO ", ", Steuer-ID ", ", codice fiscale "),
    ),
)
