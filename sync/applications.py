"""Applications: stage moves (from the ATS back to us) checked against the funnel, timestamped, announced."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.context import Context
from core.ids import new_id
from core.models import Application, RemoteRecord, StageChange, utcnow
from core.schema import APPLICATION_TRANSITIONS, ApplicationStage
from sync import application_counts, outbox
from webhooks.event_models import ApplicationStatusChanged


def move(session: Session, application: Application, to: ApplicationStage, reason: str) -> list[str]:
    """Move if the funnel allows it (a jump forward over skipped steps is allowed, backwards is not)."""
    current = ApplicationStage(application.stage)
    if to == current or not _reachable(current, to):
        return []
    now = utcnow()
    session.add(
        StageChange(
            id=new_id("stg"),
            subject_type="application",
            subject_id=application.id,
            from_stage=current.value,
            to_stage=to.value,
            reason=reason,
            at=now,
        )
    )
    application_counts.move(session, application, current.value, to.value)
    application.stage, application.stage_changed_at = to.value, now
    data = ApplicationStatusChanged(
        id=application.id,
        person_id=application.person_id,
        from_stage=current,
        stage=to,
        remote_id=application.remote_id,
        source=application.source,
    )
    return outbox.emit(session, data.event_type, "application", application.id, data.dump())


def _reachable(current: ApplicationStage, to: ApplicationStage) -> bool:
    seen, frontier = {current}, [current]
    while frontier:
        for nxt in APPLICATION_TRANSITIONS[frontier.pop()]:
            if nxt == to:
                return True
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False


def record_remote_status(
    ctx: Context, connection_id: str, remote_application_id: str, stage: ApplicationStage, reason: str
) -> bool:
    """An ATS told us (webhook or poll) where an application stands; returns whether we knew it."""
    with ctx.db.transaction() as session:
        remote = session.scalar(
            select(RemoteRecord).where(
                RemoteRecord.connection_id == connection_id,
                RemoteRecord.subject_type == "application",
                RemoteRecord.remote_id == remote_application_id,
            )
        )
        application = session.get(Application, remote.subject_id) if remote else None
        if application is None:
            return False
        deliveries = move(session, application, stage, reason)
    for delivery_id in deliveries:
        ctx.dispatch.deliver(delivery_id)
    return True


def apply_status_webhook(ctx: Context, raw_id: str) -> list[str]:
    """A stored (already verified) ATS status webhook: move each application it names; returns their ids."""
    from connectors import registry
    from core.models import Connection, RawRecord

    with ctx.db.session() as session:
        raw = session.get(RawRecord, raw_id)
        if raw is None or raw.status != "pending":
            return []
        connection = session.get(Connection, raw.connection_id)
        assert connection is not None
    plugin = registry.get(connection.platform, "sink").load()
    import inspect

    from sync import connections

    accepted = inspect.signature(plugin.status_updates).parameters
    extra: dict[str, object] = {}
    if "settings" in accepted:
        extra["settings"] = dict(connection.settings)
    if "conn" in accepted:
        extra["conn"] = connections.view(ctx, connection)
    moved = []
    for update in plugin.status_updates(raw.body, **extra):
        if record_remote_status(ctx, connection.id, update.remote_application_id, update.stage, update.reason):
            moved.append(update.remote_application_id)
    with ctx.db.transaction() as session:
        row = session.get(RawRecord, raw_id)
        if row is not None:
            row.status, row.processed_at = "processed", utcnow()
            row.error = None if moved else "No known application in this status update."
    return moved


def poll(ctx: Context, connection_name: str) -> int:
    """Ask an ATS that cannot push for status changes since the last poll; returns how many moved."""
    from datetime import datetime

    from connectors import registry
    from connectors.sources.base import new_http
    from core.models import SyncState
    from sync import connections

    view = connections.find(ctx, connection_name)
    plugin = registry.get(view.platform, "sink").load()
    if not callable(getattr(plugin, "poll_statuses", None)):
        raise ValueError(f"{view.platform} has no status polling; it pushes status webhooks instead.")
    with ctx.db.session() as session:
        saved = session.get(SyncState, (view.id, "statuses"))
    since = datetime.fromisoformat(saved.state["since"]) if saved and saved.state.get("since") else None
    started = utcnow()
    moved = sum(
        record_remote_status(ctx, view.id, u.remote_application_id, u.stage, u.reason)
        for u in plugin.poll_statuses(view, new_http(), since)
    )
    with ctx.db.transaction() as session:
        row = session.get(SyncState, (view.id, "statuses"))
        if row is None:
            session.add(SyncState(connection_id=view.id, stream="statuses", state={"since": started.isoformat()}))
        else:
            row.state = {"since": started.isoformat()}
    return moved
