"""form_webhook: landing pages, career sites and event tools post JSON submissions to us."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from connectors.sources.form_webhook import signature
from connectors.sources.form_webhook.payload import Submission
from core.errors import PayloadMalformed
from mappings.spec import MappingSpec

NAME = "form_webhook"
DESCRIPTION = "JSON form submissions pushed by landing pages, career sites and event tools (HMAC-signed)."
DIRECTION = "source"
SOURCE_LABEL = "Career site"
SECRET_FIELDS = ("signing_secret",)


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text())


def verify(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], tolerance_s: int) -> None:
    """Raise :class:`SignatureInvalid` unless the request is signed with the connection's secret."""
    keys = [value for key, value in secrets.items() if key.startswith("signing_secret") and value]
    signature.verify(headers.get(signature.HEADER), body, keys, tolerance_s)


def parse(body: bytes) -> Submission:
    """Validate the body; the error says where the JSON breaks or which field is wrong."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadMalformed("Body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise PayloadMalformed(f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    if not isinstance(document, dict):
        raise PayloadMalformed("Expected a JSON object with submission_id, fields, consents …")
    try:
        return Submission.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PayloadMalformed(f"Submission is invalid: {problems}.") from None


def external_id(body: bytes) -> str:
    return parse(body).submission_id
