"""Read-back from sink connections: CRM progress makes qualified leads ``activated`` (timestamped stage changes),
and one entry point runs every read-back a sink offers (for ``leadhub sync`` and the worker's "Sync now")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.context import Context
from core.models import Lead, RemoteRecord, SyncState, utcnow
from core.schema import LeadStage
from sync import stages

STREAM = "progress"


def poll_crm(ctx: Context, connection_name: str) -> int:
    """Ask a CRM which contacts progressed since the last poll; their persons' qualified leads become activated.

    Returns how many leads moved. Leads already activated (or further, or not qualified) stay as they are."""
    from connectors import registry
    from connectors.sources.base import new_http
    from sync import connections

    view = connections.find(ctx, connection_name)
    plugin = registry.get(view.platform, "sink").load()
    if not callable(getattr(plugin, "poll_progress", None)):
        raise ValueError(f"{view.platform} reports no CRM progress; leads activate by their link or the API instead.")
    with ctx.db.session() as session:
        saved = session.get(SyncState, (view.id, STREAM))
    since = datetime.fromisoformat(saved.state["since"]) if saved and saved.state.get("since") else None
    started = utcnow()
    moved = sum(_activate(ctx, view.id, p.contact_id, p.reason) for p in plugin.poll_progress(view, new_http(), since))
    with ctx.db.transaction() as session:
        row = session.get(SyncState, (view.id, STREAM))
        if row is None:
            session.add(SyncState(connection_id=view.id, stream=STREAM, state={"since": started.isoformat()}))
        else:
            row.state = {"since": started.isoformat()}
    return moved


def _activate(ctx: Context, connection_id: str, contact_id: str, reason: str) -> int:
    """The qualified leads of the person this contact is, activated in one transaction; how many moved."""
    deliveries: list[str] = []
    moved = 0
    with ctx.db.transaction() as session:
        person_id = session.scalar(
            select(RemoteRecord.subject_id).where(
                RemoteRecord.connection_id == connection_id,
                RemoteRecord.subject_type == "person",
                RemoteRecord.remote_id == contact_id,
            )
        )
        if person_id is None:
            return 0  # a contact leadhub did not create (or of another connection)
        leads = session.scalars(
            select(Lead).where(Lead.person_id == person_id, Lead.stage == LeadStage.qualified.value).with_for_update()
        )
        for lead in leads:
            deliveries += stages.activate(session, lead, reason)
            moved += 1
    for delivery_id in deliveries:
        ctx.dispatch.deliver(delivery_id)
    return moved


def poll_sink(ctx: Context, connection_name: str) -> str:
    """Every read-back the sink's platform offers (CRM progress, ATS application statuses); a sentence of counts."""
    from connectors import registry
    from sync import applications, connections

    plugin = registry.get(connections.find(ctx, connection_name).platform, "sink").load()
    said = []
    if callable(getattr(plugin, "poll_progress", None)):
        said.append(f"{poll_crm(ctx, connection_name)} leads activated by progress in the CRM.")
    if callable(getattr(plugin, "poll_statuses", None)) or not said:
        said.append(f"{applications.poll(ctx, connection_name)} applications moved to a new stage.")
    return " ".join(said)
