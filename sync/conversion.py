"""Lead → application: one application for the person and job, crediting the original source, linked to
every lead of that person (the lineage), handed to the ATS through the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from connectors import registry
from core.context import Context
from core.errors import NotFound
from core.ids import new_id
from core.models import Application, ApplicationLead, Attachment, Job, Lead, Person
from core.schema import LeadStage
from sync import application_counts, outbox, stages
from webhooks.event_models import ApplicationCreated

MAX_CV_BYTES = 10 * 1024 * 1024
CV_TYPES = {
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
}


@dataclass(frozen=True)
class Cv:
    filename: str
    content_type: str
    content: bytes

    def check(self) -> None:
        if len(self.content) > MAX_CV_BYTES:
            raise ValueError(f"The CV is {len(self.content) // 1024} KB; the limit is {MAX_CV_BYTES // 1024} KB.")
        if self.content_type not in CV_TYPES:
            raise ValueError(f"A CV must be PDF, Word or text, not {self.content_type}.")


def source_label(platform: str) -> str:
    """What the ATS sees as the source: the connector's own label, e.g. "Meta Lead Ads"."""
    try:
        module = registry.get(platform, "source").load()
    except NotFound:
        module = None
    return str(getattr(module, "SOURCE_LABEL", None) or platform.replace("_", " ").title())


def convert(
    ctx: Context, lead_id: str, job_ref: str, job_title: str | None = None, cv: Cv | None = None, via: str = "api"
) -> str:
    """Returns the application id; converting the same person for the same job again returns the same one."""
    if cv is not None:
        cv.check()
    with ctx.db.transaction() as session:
        lead = session.get(Lead, lead_id)
        if lead is None or lead.data.get("deleted"):
            raise NotFound(f"No lead {lead_id}.")
        job = session.scalar(select(Job).where(Job.external_id == job_ref))
        if job is None:
            job = Job(id=new_id("job"), external_id=job_ref, title=job_title or job_ref)
            session.add(job)
            session.flush()
        existing = session.scalar(
            select(Application).where(Application.person_id == lead.person_id, Application.job_id == job.id)
        )
        if existing is not None:
            return existing.id
        leads = session.scalars(select(Lead).where(Lead.person_id == lead.person_id).order_by(Lead.captured_at)).all()
        original = leads[0]  # the first touch is credited
        application = Application(
            id=new_id("app"),
            person_id=lead.person_id,
            job_id=job.id,
            source=source_label(original.source),
            channel=original.channel,
            campaign=original.campaign,
            form_id=original.form_id,
            first_captured_at=original.captured_at,
        )
        session.add(application)
        session.flush()
        application_counts.created(session, application)
        for each in leads:
            session.add(ApplicationLead(application_id=application.id, lead_id=each.id))
        files = []
        if cv is not None:
            attachment = Attachment(
                id=new_id("file"),
                application_id=application.id,
                filename=cv.filename,
                content_type=cv.content_type,
                content=cv.content,
            )
            session.add(attachment)
            files.append(
                {"id": attachment.id, "filename": cv.filename, "content_type": cv.content_type, "size": len(cv.content)}
            )
        person = session.get(Person, lead.person_id)
        assert person is not None
        data = ApplicationCreated.model_validate(
            {
                "id": application.id,
                "person_id": person.id,
                "stage": application.stage,
                "person": {
                    k: getattr(person, k)
                    for k in ("first_name", "last_name", "email", "phone", "city", "postcode", "country")
                    if getattr(person, k)
                },
                "job": {"id": job.id, "external_id": job.external_id, "title": job.title},
                "source": application.source,
                "source_platform": original.source,
                "lead_ids": [each.id for each in leads],
                "attribution": original.data.get("attribution", {}),
                "consents": [c for each in leads for c in each.data.get("consents", [])],
                "attachments": files,
                "via": via,
            }
        )
        deliveries = outbox.emit(session, data.event_type, "application", application.id, data.dump())
        for each in leads:
            deliveries += stages.move_lead(session, each, LeadStage.converted, f"converted via {via}")
    for delivery_id in deliveries:
        ctx.dispatch.deliver(delivery_id)
    return application.id
