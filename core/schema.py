"""The canonical model: what every source maps into and every sink reads from (the vendor contract)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

SCHEMA_VERSION = "1.1.0"  # 1.1.0: Consent.platform_key


class LeadStage(StrEnum):
    """captured → qualified / disqualified → activated → converted."""

    captured = "captured"
    qualified = "qualified"
    disqualified = "disqualified"
    activated = "activated"
    converted = "converted"


class ApplicationStage(StrEnum):
    """received → in_review → interview → offer → hired / rejected / withdrawn."""

    received = "received"
    in_review = "in_review"
    interview = "interview"
    offer = "offer"
    hired = "hired"
    rejected = "rejected"
    withdrawn = "withdrawn"


LEAD_TRANSITIONS: dict[LeadStage, set[LeadStage]] = {
    LeadStage.captured: {LeadStage.qualified, LeadStage.disqualified, LeadStage.converted},
    LeadStage.qualified: {LeadStage.activated, LeadStage.converted, LeadStage.disqualified},
    LeadStage.disqualified: {LeadStage.qualified},
    LeadStage.activated: {LeadStage.converted},
    LeadStage.converted: set(),
}

APPLICATION_TRANSITIONS: dict[ApplicationStage, set[ApplicationStage]] = {
    ApplicationStage.received: {ApplicationStage.in_review, ApplicationStage.rejected, ApplicationStage.withdrawn},
    ApplicationStage.in_review: {ApplicationStage.interview, ApplicationStage.rejected, ApplicationStage.withdrawn},
    ApplicationStage.interview: {ApplicationStage.offer, ApplicationStage.rejected, ApplicationStage.withdrawn},
    ApplicationStage.offer: {ApplicationStage.hired, ApplicationStage.rejected, ApplicationStage.withdrawn},
    ApplicationStage.hired: set(),
    ApplicationStage.rejected: set(),
    ApplicationStage.withdrawn: set(),
}


class Canonical(BaseModel):
    """Strict on our side of the boundary: unknown fields are an error, strings are trimmed, NUL refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character, which no database column can store")
        return value


class Consent(Canonical):
    """One consent as given with one lead; it travels with that lead and is never merged away."""

    purpose: str = Field(description="What the consent covers, e.g. recruiting_contact, talent_pool, marketing.")
    granted: bool
    text: str | None = Field(default=None, description="The consent text shown, when the source sends it.")
    text_version: str | None = Field(default=None, description="Version of the consent text shown.")
    given_at: datetime | None = None
    source: str | None = Field(default=None, description="Where the consent was given (source platform).")
    legal_basis: str | None = Field(default=None, description="e.g. consent, contract, legitimate_interest.")
    platform_key: str | None = Field(
        default=None,
        description="The platform's own key for this checkbox (Meta checkbox_key, linkedin_consent_<id>, a TikTok "
        "question key) when the connection's consent-purpose map renamed it to purpose.",
    )


class Attribution(Canonical):
    """Where a lead came from, with the platform's ids kept exact (strings, never floats)."""

    channel: str | None = Field(default=None, description="meta, linkedin, tiktok, google, event, landing_page …")
    account_id: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    ad_set_id: str | None = None
    ad_set_name: str | None = None
    ad_id: str | None = None
    ad_name: str | None = None
    form_id: str | None = None
    form_name: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    event_id: str | None = None
    event_name: str | None = None
    ticket_class: str | None = None
    page_url: str | None = None
    click_id: str | None = Field(default=None, description="gclid / li_fat_id / fbclid when a page passes it.")


class Answer(Canonical):
    """One answer to one form question, keyed by a stable question key (never a translated label)."""

    key: str
    label: str | None = None
    value: str | bool | int | float | list[str] | None = None


class Person(Canonical):
    """One human. Contact fields are the survivors of every lead resolved into this person."""

    id: str | None = None
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    full_name: str | None = Field(default=None, max_length=400)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40, description="E.164, e.g. +4915112345678.")
    city: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    birth_date: date | None = None
    linkedin_url: str | None = None


class Lead(Canonical):
    """One expression of interest with its attribution, answers and consents."""

    id: str | None = None
    source: str = Field(description="The source platform, e.g. form_webhook, meta_lead_ads.")
    connection: str | None = None
    external_id: str = Field(description="The platform's id for this lead; (connection, external_id) is unique.")
    platform_lead_key: str | None = Field(
        default=None,
        description="The key the ad platform's conversion API takes (Meta leadgen_id, LinkedIn response URN, "
        "TikTok lead_id, Google gcl_id).",
    )
    captured_at: datetime
    stage: LeadStage = LeadStage.captured
    is_test: bool = False
    person: Person
    attribution: Attribution = Field(default_factory=Attribution)
    answers: list[Answer] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)
    job_ref: str | None = Field(default=None, description="A job the lead showed interest in, if any.")
    mapping_version: int | None = None


class Job(Canonical):
    id: str | None = None
    external_id: str | None = None
    title: str
    location: str | None = None


class Application(Canonical):
    """One candidacy for one job in an ATS, linked to the leads it converted from."""

    id: str | None = None
    person: Person
    job: Job
    stage: ApplicationStage = ApplicationStage.received
    source: str | None = Field(default=None, description="The original source credited in the ATS.")
    lead_ids: list[str] = Field(default_factory=list)
    remote_id: str | None = None
    created_at: datetime | None = None


CANONICAL_MODELS: tuple[type[BaseModel], ...] = (Person, Lead, Application, Job, Consent, Attribution, Answer)


def json_schema() -> dict[str, Any]:
    """One JSON Schema document with every canonical model, stamped with :data:`SCHEMA_VERSION`."""
    defs: dict[str, Any] = {}
    for model in CANONICAL_MODELS:
        schema = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://leadhub.dev/schema/{SCHEMA_VERSION}/canonical.json",
        "title": "leadhub canonical model",
        "version": SCHEMA_VERSION,
        "$defs": dict(sorted(defs.items())),
    }
