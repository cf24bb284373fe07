"""Shapes of the REST API (pydantic): the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.schema import Lead as CanonicalLead


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class LeadOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    person_id: str
    source: str
    external_id: str
    stage: str
    stage_changed_at: datetime
    captured_at: datetime
    channel: str | None = None
    campaign: str | None = None
    is_test: bool = False
    data: dict[str, Any] = Field(description="The canonical lead as mapped (see the JSON Schema export).")


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class LeadIn(CanonicalLead):
    """A lead pushed by another system: the canonical shape; `id` is ours and must be left out."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"not": {"required": ["id"]}})


class LeadCreated(BaseModel):
    lead_id: str
    person_id: str
    stage: str
    duplicate: bool = Field(description="True when this (connection, external_id) was known: the same lead.")


class JobRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    external_id: str = Field(min_length=1, max_length=200, description="The job's id in the ATS (or your code).")
    title: str | None = Field(default=None, max_length=300)


class ConvertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: JobRef


class ApplicationCreated(BaseModel):
    application_id: str


class ApplicationLink(BaseModel):
    url: str


class LeadStageOut(BaseModel):
    id: str
    stage: str


class PersonOut(BaseModel):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    merged_into_id: str | None = None


class PersonPage(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None = None


class TimelineEntryOut(BaseModel):
    at: datetime
    kind: str
    title: str
    detail: str
    link_id: str | None = None


class RemoteIdOut(BaseModel):
    connection_id: str
    subject_type: str
    subject_id: str
    remote_id: str
    remote_kind: str | None = None


class TimelineOut(BaseModel):
    person: PersonOut
    entries: list[TimelineEntryOut]
    remote_ids: list[RemoteIdOut]


class ApplicationOut(BaseModel):
    id: str
    person_id: str
    job_id: str | None = None
    stage: str
    stage_changed_at: datetime
    source: str | None = None
    remote_id: str | None = None
    created_at: datetime
    lead_ids: list[str]


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None = None


class FunnelOut(BaseModel):
    label: str
    steps: dict[str, int]
    disqualified: int
    rejected: int
    median_days_to_application: float | None = Field(
        None, description="Median days from capture to application, from durations rounded to 0.1 day."
    )


class FunnelReport(BaseModel):
    total: FunnelOut
    channels: list[FunnelOut]


class DeliveryOut(BaseModel):
    id: str
    sink: str
    status: str
    subject_type: str
    subject_id: str
    attempt_count: int
    next_attempt_at: datetime
    remote_id: str | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class RetryResult(BaseModel):
    queued: list[str]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s/]+")
    event_types: list[str] = Field(default_factory=lambda: ["*"], description="Event types, or * for all.")


class EndpointOut(BaseModel):
    id: str
    name: str
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = None
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The whsec_ signing secret, shown only in this response.")


class EndpointList(BaseModel):
    items: list[EndpointOut]
