"""Database tables. Ids are prefixed ULIDs; JSON columns hold canonical (pydantic) shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Connection(Base):
    """One configured source or sink: platform, settings, encrypted secrets, health."""

    __tablename__ = "connections"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    direction: Mapped[str] = mapped_column(String(10))  # source | sink
    platform: Mapped[str] = mapped_column(String(50))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets_encrypted: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(30), default="ok")  # ok | rate_limited | needs_reauth | error
    status_message: Mapped[str | None] = mapped_column(Text)
    rate_limited_until: Mapped[datetime | None] = mapped_column()
    last_sync_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RawRecord(Base):
    """Exactly what a source delivered, never modified after insert (except processing status)."""

    __tablename__ = "raw_records"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"))
    source: Mapped[str] = mapped_column(String(50))
    # record: the platform's full record; notice: a push that names records still to be fetched
    kind: Mapped[str] = mapped_column(String(20), default="record")
    external_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | processed | failed
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column()
    lead_id: Mapped[str | None] = mapped_column(String(40))
    # a notice whose records the platform would not return: failed fetches so far, and not before when again
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column()
    __table_args__ = (
        Index("ix_raw_records_status_received", "status", "received_at"),
        Index("ix_raw_records_connection_external", "connection_id", "external_id"),
    )


class Person(Base):
    """One human, resolved across every source; ``merged_into_id`` set when merged away."""

    __tablename__ = "persons"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdentityKey(Base):
    """A normalised key (email, phone, platform user id) that points at a person."""

    __tablename__ = "identity_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(400))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identity_keys_kind_value"),)


class PersonBlock(Base):
    """Blocking keys of a person (e.g. phonetic surname + postcode) so scoring compares few candidates."""

    __tablename__ = "person_blocks"
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    block: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class ReviewItem(Base):
    """A possible duplicate scored between the bands: an admin merges or keeps apart."""

    __tablename__ = "review_items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("persons.id"))
    lead_id: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | merged | kept_apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(320))


class Merge(Base):
    """One merge of two persons with its evidence, kept so that it can be undone."""

    __tablename__ = "merges"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    survivor_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    merged_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column()


class MappingVersion(Base):
    """A versioned mapping of one source connection (raw record → canonical fields)."""

    __tablename__ = "mapping_versions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"))
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("connection_id", "version", name="uq_mapping_versions_version"),)


class Lead(Base):
    """One expression of interest; (connection, external id) is unique so a retried platform push stays one lead."""

    __tablename__ = "leads"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"))
    source: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str] = mapped_column(String(200))
    platform_lead_key: Mapped[str | None] = mapped_column(String(200))
    raw_record_id: Mapped[str | None] = mapped_column(ForeignKey("raw_records.id"))
    mapping_version_id: Mapped[str | None] = mapped_column(ForeignKey("mapping_versions.id"))
    stage: Mapped[str] = mapped_column(String(20), default="captured")
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[float | None] = mapped_column(Float)
    decided_by_rule: Mapped[str | None] = mapped_column(String(200))
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(50))
    campaign: Mapped[str | None] = mapped_column(String(200))
    form_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id", name="uq_leads_connection_external"),
        Index("ix_leads_channel_captured", "channel", "captured_at"),
        Index("ix_leads_captured", "captured_at"),
        Index("ix_leads_campaign_form", "campaign", "form_id"),
    )


class StageChange(Base):
    """A timestamped stage transition of a lead or an application (the funnel measures these)."""

    __tablename__ = "stage_changes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_stage_changes_subject", "subject_type", "subject_id"),)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(String(300))
    ats_connection_id: Mapped[str | None] = mapped_column(ForeignKey("connections.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Application(Base):
    """One candidacy for one job, linked to its person and to the leads it converted from."""

    __tablename__ = "applications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"))
    stage: Mapped[str] = mapped_column(String(20), default="received")
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str | None] = mapped_column(String(50))
    ats_connection_id: Mapped[str | None] = mapped_column(ForeignKey("connections.id"))
    remote_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the credited (first) lead's attribution, copied so the funnel never joins a million leads
    channel: Mapped[str | None] = mapped_column(String(50))
    campaign: Mapped[str | None] = mapped_column(String(200))
    form_id: Mapped[str | None] = mapped_column(String(200))
    first_captured_at: Mapped[datetime | None] = mapped_column()


class Attachment(Base):
    """A file that travels with an application (a CV): bytes, name and type, so every ATS upload style works."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="cv")
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationLead(Base):
    """Lineage: which leads an application converted from."""

    __tablename__ = "application_leads"
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id"), primary_key=True)


class Event(Base):
    """A domain event; its id is the ``webhook-id`` every endpoint receives."""

    __tablename__ = "events"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """A vendor endpoint receiving Standard Webhooks for chosen event types."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column()
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """The outbox row: one push of one record to one sink or endpoint, with its retry state."""

    __tablename__ = "deliveries"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sink: Mapped[str] = mapped_column(String(50))
    endpoint_id: Mapped[str | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    connection_id: Mapped[str | None] = mapped_column(ForeignKey("connections.id"))
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|in_flight|delivered|dead
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    remote_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),)


class RemoteRecord(Base):
    """What a sink calls one of ours (a contact, prospect, candidate, application): the guard against doubles."""

    __tablename__ = "remote_records"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"))
    subject_type: Mapped[str] = mapped_column(String(20))  # person | lead | application
    subject_id: Mapped[str] = mapped_column(String(40), index=True)
    remote_id: Mapped[str] = mapped_column(String(200))
    remote_kind: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    __table_args__ = (
        UniqueConstraint("connection_id", "subject_type", "subject_id", name="uq_remote_records_subject"),
    )


class TimelineNote(Base):
    """A decision worth showing on a person's timeline that no other row records (e.g. a routing refusal)."""

    __tablename__ = "timeline_notes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str | None] = mapped_column(String(40), index=True)
    lead_id: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryAttempt(Base):
    """One try of one delivery: what was sent, what came back, how long it took."""

    __tablename__ = "delivery_attempts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[float] = mapped_column(Float)
    request_summary: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))  # delivered | retry | dead
    error: Mapped[str | None] = mapped_column(Text)


class SyncState(Base):
    """Incremental cursor per connection and stream."""

    __tablename__ = "sync_state"
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="viewer")  # admin | editor | viewer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    """Who changed what, when, before → after (secrets redacted)."""

    __tablename__ = "audit_log"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HubSetting(Base):
    """Settings edited in the admin that every process must see (e.g. the qualification rules)."""

    __tablename__ = "hub_settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(320))


class FunnelCount(Base):
    """How many leads of a month, channel, campaign and form stand in each stage: the dashboard reads this,
    never the million leads (kept in step by every stage change, in the same transaction)."""

    __tablename__ = "funnel_counts"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(200), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        Index("ix_funnel_counts_campaign_month", "campaign", "month"),
        Index("ix_funnel_counts_form_month", "form_id", "month"),
    )


class ApplicationCount(Base):
    """How many applications credited to a capture month, channel, campaign and form stand in each stage: the
    dashboard reads this, never the applications (kept in step by conversion and every stage change)."""

    __tablename__ = "application_counts"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(200), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        Index("ix_application_counts_campaign_month", "campaign", "month"),
        Index("ix_application_counts_form_month", "form_id", "month"),
        Index("ix_application_counts_channel_stage", "channel", "stage", "count"),  # covers the dashboard's sums
    )


class ApplicationDuration(Base):
    """A histogram of days from the credited capture to the application, in tenths of a day, per capture month,
    channel, campaign and form: the dashboard's median comes from it (written once, when the application is made)."""

    __tablename__ = "application_durations"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(200), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenth_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        Index("ix_application_durations_campaign_month", "campaign", "month"),
        Index("ix_application_durations_form_month", "form_id", "month"),
        Index("ix_application_durations_channel_days", "channel", "tenth_days", "count"),  # no sort, no table read
    )
