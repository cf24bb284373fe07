"""The pipeline: one raw record → mapped lead → resolved person → events and deliveries, in one transaction."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from core.context import Context
from core.errors import MappingError
from core.ids import new_id
from core.models import Connection, HubSetting, Lead, RawRecord, StageChange, utcnow
from core.schema import Lead as CanonicalLead
from core.schema import LeadStage
from mappings import consents, identity, qualify, versions
from mappings.apply import apply_mapping
from mappings.spec import MappingSpec
from sync import applications, funnel_counts, notices, outbox, stages
from webhooks.event_models import LeadCaptured

log = logging.getLogger(__name__)

ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    status: str  # created | duplicate | failed | skipped | fetched
    lead_id: str | None = None
    deliveries: tuple[str, ...] = ()
    error: str | None = None
    raw_records: tuple[str, ...] = ()


def process(ctx: Context, raw_id: str) -> Outcome:
    """Idempotent: a processed record is skipped, a lead already stored for the same external id is reused."""
    with ctx.db.session() as session:
        kind = session.scalar(select(RawRecord.kind).where(RawRecord.id == raw_id))
    if kind == "status":
        return Outcome("status", raw_records=tuple(applications.apply_status_webhook(ctx, raw_id)))
    if kind == "notice":
        stored = notices.complete(ctx, raw_id)
        for child in stored:
            ctx.dispatch.process_raw(child)
        return Outcome("fetched", raw_records=tuple(stored))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            outcome = _process_once(ctx, raw_id)
            break
        except (IntegrityError, OperationalError) as exc:
            # A concurrent worker stored the same lead or key first, or a serialisation failure:
            # the next attempt sees its row.
            if attempt == ATTEMPTS:
                raise
            log.info("retrying raw record %s after %s", raw_id, type(exc).__name__)
    for delivery_id in outcome.deliveries:
        ctx.dispatch.deliver(delivery_id)
    return outcome


_RULES: dict[str, tuple[float, qualify.RuleSet]] = {}
RULES_KEY = "qualification_rules"
RULES_TTL_S = 5.0


def rules(ctx: Context) -> qualify.RuleSet:
    """The rules in force: edited in the admin (stored in the database), else LEADHUB_RULES, else the defaults.
    Re-read every few seconds so every worker follows an edit."""
    import time

    key = f"{ctx.settings.database_url}|{ctx.settings.rules_path}"
    cached = _RULES.get(key)
    if cached is not None and time.monotonic() - cached[0] < RULES_TTL_S:
        return cached[1]
    with ctx.db.session() as session:
        stored = session.get(HubSetting, RULES_KEY)
    if stored is not None:
        ruleset = qualify.RuleSet.model_validate(stored.value)
    else:
        ruleset = qualify.RuleSet.load(ctx.settings.rules_path)
    _RULES[key] = (time.monotonic(), ruleset)
    return ruleset


def forget_rules() -> None:
    """After an edit in this process, use the new rules at once."""
    _RULES.clear()


def lead_captured_data(lead: Lead, canonical: CanonicalLead) -> dict[str, object]:
    """The ``lead.captured`` payload: the canonical lead with our ids, built through its event model."""
    return LeadCaptured.build(canonical, lead.id, lead.person_id, LeadStage(lead.stage)).dump()


def _process_once(ctx: Context, raw_id: str) -> Outcome:
    with ctx.db.transaction() as session:
        raw = session.get(RawRecord, raw_id)
        if raw is None or raw.status != "pending":
            return Outcome("skipped", raw.lead_id if raw else None)
        connection = session.get(Connection, raw.connection_id)
        assert connection is not None
        mapping = versions.published(session, connection)
        try:
            canonical = apply_mapping(
                MappingSpec.model_validate(mapping.spec),
                json.loads(raw.body),
                defaults={"captured_at": raw.received_at},
                source=raw.source,
                connection=connection.name,
                mapping_version=mapping.version,
            )
            # The platform's checkbox keys become the purposes rules and routes ask for (recruiting_contact …).
            canonical.consents = consents.rename(
                canonical.consents, consents.effective(connection.platform, connection.settings)
            )
        except (MappingError, ValueError) as exc:
            raw.status, raw.error, raw.processed_at = "failed", str(exc), utcnow()
            return Outcome("failed", error=str(exc))
        existing = session.scalar(
            select(Lead.id).where(Lead.connection_id == connection.id, Lead.external_id == canonical.external_id)
        )
        if existing:
            raw.status, raw.lead_id, raw.processed_at = "processed", existing, utcnow()
            return Outcome("duplicate", existing)
        person = identity.resolve(session, canonical.person)
        canonical.id = new_id("lead")
        lead = Lead(
            id=canonical.id,
            person_id=person.id,
            connection_id=connection.id,
            source=raw.source,
            external_id=canonical.external_id,
            platform_lead_key=canonical.platform_lead_key,
            raw_record_id=raw.id,
            mapping_version_id=mapping.id,
            stage=canonical.stage.value,
            captured_at=canonical.captured_at,
            is_test=canonical.is_test,
            channel=canonical.attribution.channel,
            campaign=canonical.attribution.campaign_name or canonical.attribution.utm_campaign,
            form_id=canonical.attribution.form_id,
            data=canonical.model_dump(mode="json", exclude_none=True),
        )
        session.add(lead)
        session.flush()
        funnel_counts.move(session, lead, None, lead.stage)
        session.add(
            StageChange(
                id=new_id("stg"),
                subject_type="lead",
                subject_id=lead.id,
                from_stage=None,
                to_stage=lead.stage,
                reason=f"captured from {raw.source}",
            )
        )
        data = lead_captured_data(lead, canonical)
        deliveries = outbox.emit(session, "lead.captured", "lead", lead.id, data)
        deliveries += stages.apply_decision(session, lead, qualify.evaluate(rules(ctx), canonical), canonical)
        raw.status, raw.lead_id, raw.processed_at = "processed", lead.id, utcnow()
        return Outcome("created", lead.id, tuple(deliveries))
