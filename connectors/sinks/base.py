"""What a sink connector module offers; ``connectors/sinks/README.md`` explains each piece."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from core.schema import ApplicationStage


@dataclass(frozen=True)
class SendResult:
    """One attempt's outcome, classified by the sink that knows its vendor.

    ``outcome``: delivered | transient (retry) | permanent (dead letter) | gone (endpoint removed) |
    auth (credentials revoked: the connection needs re-authorisation; the delivery waits).
    """

    outcome: str
    status_code: int | None
    excerpt: str | None
    request_summary: str
    error: str | None = None
    retry_after: str | None = None
    remote_id: str | None = None
    remote_kind: str | None = None
    remote_subject: str = "person"  # what the remote id names: person | lead | application


@dataclass(frozen=True)
class Item:
    """One delivery as a sink sees it: the event, its data, and what the sink already calls this subject."""

    delivery_id: str
    event_type: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    person_id: str | None = None
    remote_ids: dict[str, str] = field(default_factory=dict)  # subject type → what this sink calls it
    files: list[File] = field(default_factory=list)  # an application's CV and other attachments


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    content: bytes


def classify_status(status: int) -> str:
    """The usual reading of an HTTP status; sinks refine it with the vendor's error body."""
    if 200 <= status < 300:
        return "delivered"
    if status in (401, 403):
        return "auth"
    if status == 410:
        return "gone"
    if status in (408, 409, 425, 429) or status >= 500:
        return "transient"
    return "permanent"


def excerpt(response: requests.Response, limit: int = 500) -> str:
    return response.text[:limit]


@dataclass(frozen=True)
class StatusUpdate:
    """An ATS says an application (by its id there) reached a stage of ours."""

    remote_application_id: str
    stage: ApplicationStage
    reason: str
