"""Bare AWS account ids after their word, and national ids of other countries than the US, found
in their written shapes only when their checksum holds (python-stdnum)."""

from __future__ import annotations

import re

import pytest

from dojo.sanitize.check import Checker
from dojo.sanitize.keep import Keep

from .conftest import run
from .test_detectors import found


@pytest.mark.parametrize(
    "text",
    [
        "quota exceeded for account=483920175562 region=us-east-1",
        '{"AccountId": "483920175562"}',
        "aws_account_id=483920175562",
        "snapshot owner id 483920175562",
        "Owner ID: 483920175562",
        "AWS account 483920175562 over its limit",
        '{"account": "483920175562"}',
    ],
)
def test_a_bare_account_id_after_its_word(text):
    assert ("account_id", "483920175562") in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "processed 483920175562 bytes",  # no account word: any twelve digits
        "account=123456789012",  # the AWS documentation's example: kept
        "account locked after 3 attempts",
    ],
)
def test_twelve_digits_without_an_account_word_or_kept(text):
    keep = Keep()
    assert [v for k, v in found(text) if k == "account_id" and not keep(k, v)] == []


VALID = [
    ("UK NINO", "NI number JG 12 34 56 C on file", "JG 12 34 56 C"),
    ("UK NINO compact", "nino check AB123456C", "AB123456C"),
    ("DE Steuer-ID", "Steuer-ID 36 574 261 809 gespeichert", "36 574 261 809"),
    ("FR NIR", "NIR 2 95 10 99 126 111 93 enregistré", "2 95 10 99 126 111 93"),
    ("IN Aadhaar", "kyc aadhaar 2341 2341 2346 verified", "2341 2341 2346"),
    ("ES DNI", "DNI 54362315K validado", "54362315K"),
    ("ES NIE", "NIE X2482300W validado", "X2482300W"),
    ("IT codice fiscale", "codice fiscale RCCMNL83S18D969H", "RCCMNL83S18D969H"),
    ("BR CPF", "CPF 390.533.447-05 aprovado", "390.533.447-05"),
    ("NL BSN under its key", "bsn=111222333 ok", "111222333"),
    ("a tax id under its key", '{"tax_id": "DE-4411-22"}', "DE-4411-22"),
]


@pytest.mark.parametrize("text, value", [(t, v) for _, t, v in VALID], ids=[n for n, _, _ in VALID])
def test_a_national_id_valid_by_its_checksum(text, value):
    assert ("national_id", value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Steuer-ID 36 574 261 808 gespeichert",  # check digit off by one
        "CPF 390.533.447-06",
        "ref 2341 2341 2347 ok",
        "RCCMNL83S18D969X",
        "order 54362315Z",
        "NI QQ 12 34 56 C",  # HMRC's placeholder prefix, never issued
        "part GB123456A",
        "bsn 111222333",  # nine digits with no key: any number
        "4111 1111 1111 1111",  # a card, not an Aadhaar plus one group
    ],
)
def test_random_numbers_of_the_same_shape_are_not_national_ids(text):
    assert [v for k, v in found(text) if k == "national_id"] == []


def test_national_ids_get_pseudonyms_of_their_shape_that_check_clean(tmp_path):
    src = tmp_path / "kyc.log"
    lines = [t for _, t, _ in VALID] + ["account=483920175562 AccountId=483920175562"]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    report = run([src], out)
    text = (out / "kyc.log").read_text(encoding="utf-8")
    assert [v for _, _, v in VALID if v in text] == [] and "483920175562" not in text
    assert report.replaced["national_id"] == len(VALID)  # type: ignore[attr-defined]
    new = text.splitlines()
    # Separators and shape in place: letters for letters, digits for digits.
    assert re.fullmatch(r"NI number [A-Z]{2} [0-9]{2} [0-9]{2} [0-9]{2} [A-Z] on file", new[0])
    cf = new[7].split()[-1]
    assert len(cf) == 16 and cf[:6].isalpha() and cf[:6] != "RCCMNL"
    assert re.fullmatch(r"CPF [0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2} aprovado", new[8])
    assert new[-1].count(new[-1].split("=")[1].split()[0]) == 2  # one account, one pseudonym
    assert [str(f) for f in Checker().check(out / "kyc.log", lambda m: None)] == []
    assert len(list(Checker().check(src, lambda m: None))) == len(VALID) + 2
