"""The ``data`` of every event as a pydantic model: payloads are built through these models and the published
JSON Schemas are generated from them, so what vendors are told and what they receive cannot drift apart."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from core import schema
from core.schema import ApplicationStage, Canonical, LeadStage


class EventData(Canonical):
    """One subclass per event type; :meth:`dump` is the ``data`` object sent (fields without a value left out)."""

    event_type: ClassVar[str]

    def dump(self) -> dict[str, Any]:
        """The JSON-ready ``data`` for :func:`sync.outbox.emit`."""
        return self.model_dump(mode="json", exclude_none=True)


class LeadCaptured(EventData, schema.Lead):
    """A new lead: the canonical lead as stored, with leadhub's lead id, person id and stage."""

    event_type: ClassVar[str] = "lead.captured"

    id: str = Field(description="leadhub's lead id (`lead_…`).")
    person_id: str = Field(description="The person this lead was resolved to (`per_…`).")

    @classmethod
    def build(cls, canonical: schema.Lead, lead_id: str, person_id: str, stage: LeadStage) -> LeadCaptured:
        """From the already validated canonical lead, without validating its nested parts again (the hot path)."""
        values = {name: getattr(canonical, name) for name in schema.Lead.model_fields}
        values.update(id=lead_id, person_id=person_id, stage=stage)
        return cls.model_validate(values)


class LeadQualified(LeadCaptured):
    """A lead the qualification rules moved to ``qualified``: the same document as ``lead.captured``."""

    event_type: ClassVar[str] = "lead.qualified"

    stage: Literal[LeadStage.qualified] = LeadStage.qualified


class LeadDeleted(EventData):
    """A platform deleted a lead; only ids are left, so that receivers can find and delete their copy."""

    event_type: ClassVar[str] = "lead.deleted"

    id: str = Field(description="leadhub's lead id.")
    person_id: str
    source: str = Field(description="The source platform, e.g. linkedin_lead_gen.")
    external_id: str = Field(description="The platform's id of the deleted lead.")


class PersonMerged(EventData):
    """Two persons are one human: ``merged_id`` now points at ``survivor_id``; re-key what you hold."""

    event_type: ClassVar[str] = "person.merged"

    merge_id: str = Field(description="The merge (`mrg_…`); an admin can undo it by this id.")
    survivor_id: str = Field(description="The person that remains.")
    merged_id: str = Field(description="The person merged into the survivor.")


class AttachmentRef(Canonical):
    """A file that travels with an application; the bytes stay in leadhub."""

    id: str
    filename: str
    content_type: str
    size: int = Field(description="Bytes.")


class ApplicationCreated(EventData):
    """A lead converted into an application: the person, the job, the original source and every lead."""

    event_type: ClassVar[str] = "application.created"

    id: str = Field(description="leadhub's application id (`app_…`).")
    person_id: str
    stage: ApplicationStage
    person: schema.Person = Field(description="The person's contact fields that have a value.")
    job: schema.Job
    source: str = Field(description="The original source as the ATS should credit it, e.g. Meta Lead Ads.")
    source_platform: str = Field(description="The platform of the person's first lead, e.g. meta_lead_ads.")
    lead_ids: list[str] = Field(description="Every lead of the person, oldest first (the lineage).")
    attribution: schema.Attribution = Field(description="The first lead's attribution.")
    consents: list[schema.Consent] = Field(description="The consents of every lead.")
    attachments: list[AttachmentRef] = Field(default_factory=list)
    via: str = Field(description="How the lead converted: api or application link.")


class ApplicationStatusChanged(EventData):
    """An application moved to another stage (usually the ATS told us)."""

    event_type: ClassVar[str] = "application.status_changed"

    id: str
    person_id: str
    from_stage: ApplicationStage
    stage: ApplicationStage
    remote_id: str | None = Field(default=None, description="The ATS's id of the application, once it has one.")
    source: str | None = None


class EndpointTest(EventData):
    """The admin pressed “Send test event” for one endpoint; no personal data."""

    event_type: ClassVar[str] = "endpoint.test"

    endpoint_id: str
    message: str


EVENT_MODELS: dict[str, type[EventData]] = {
    model.event_type: model
    for model in (
        LeadCaptured,
        LeadQualified,
        LeadDeleted,
        PersonMerged,
        ApplicationCreated,
        ApplicationStatusChanged,
        EndpointTest,
    )
}
