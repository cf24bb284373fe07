"""The form_webhook signature: HMAC-SHA256 over "<t>." + body, constant-time, 5-minute window."""

from __future__ import annotations

import time

import pytest

from connectors.sources.form_webhook.signature import sign, verify
from core.errors import SignatureInvalid

BODY = b'{"submission_id":"1"}'


def test_a_fresh_signature_verifies() -> None:
    verify(sign(BODY, "s3cret"), BODY, ["s3cret"], 300)


def test_either_secret_verifies_during_a_rotation() -> None:
    verify(sign(BODY, "old"), BODY, ["new", "old"], 300)


def test_a_signature_from_six_minutes_ago_is_refused() -> None:
    header = sign(BODY, "s3cret", int(time.time()) - 360)
    with pytest.raises(SignatureInvalid, match="tolerance 300 s"):
        verify(header, BODY, ["s3cret"], 300)


def test_a_signature_from_the_future_is_refused() -> None:
    with pytest.raises(SignatureInvalid, match="away from our clock"):
        verify(sign(BODY, "s3cret", int(time.time()) + 360), BODY, ["s3cret"], 300)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=notanumber,v1=abc", "t=1"])
def test_malformed_headers_are_refused_with_a_reason(header: str) -> None:
    with pytest.raises(SignatureInvalid):
        verify(header, BODY, ["s3cret"], 300)


def test_changing_the_timestamp_breaks_the_signature() -> None:
    now = int(time.time())
    digest = sign(BODY, "s3cret", now).split("v1=")[1]
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify(f"t={now - 1},v1={digest}", BODY, ["s3cret"], 300)
