"""A cloud provider's own service endpoint names no customer and stays (a sanitized CloudTrail
export must still say which AWS service was called); a customer's name under it goes."""

from __future__ import annotations

import json

from .conftest import run


def test_provider_service_endpoints_stay_and_customer_names_under_them_go(tmp_path):
    src = tmp_path / "trail.log"
    src.write_text(
        json.dumps({"eventSource": "lambda.amazonaws.com", "note": "called sts.amazonaws.com"})
        + "\n"
        + "GET https://acme-payroll-exports.s3.amazonaws.com/2026/q3.csv from storage.googleapis.com\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run([src], out)
    text = (out / "trail.log").read_text(encoding="utf-8")
    assert "lambda.amazonaws.com" in text and "sts.amazonaws.com" in text
    assert "storage.googleapis.com" in text
    assert "acme-payroll-exports" not in text
