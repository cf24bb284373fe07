"""Keep the application rollup in step: stage counts (+1 on entering a stage, -1 on leaving) and the histogram of
days from capture to application (+1 when the application is made; that duration never changes afterwards)."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.models import Application, ApplicationCount, ApplicationDuration, utcnow

TENTHS_PER_DAY = 10  # the histogram's resolution: durations are rounded to the nearest tenth of a day (2.4 h)


def _key(application: Application) -> dict[str, str]:
    """The dashboard's filters: the credited lead's capture month (UTC), channel, campaign and form."""
    captured = application.first_captured_at
    return {
        "month": captured.strftime("%Y-%m") if captured else "",
        "channel": application.channel or "",
        "campaign": application.campaign or "",
        "form_id": application.form_id or "",
    }


def tenth_days(application: Application) -> int:
    """Capture → application in tenths of a day, rounded half up (the same rounding the backfill SQL uses)."""
    if application.first_captured_at is None:
        return 0  # what the dashboard has always shown for an application without a credited capture
    created = application.created_at or utcnow()
    seconds = (created - application.first_captured_at).total_seconds()
    return math.floor(seconds * TENTHS_PER_DAY / 86400 + 0.5)


def _upsert(session: Session, table: Any, key: dict[str, Any], delta: int) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**key, count=delta)
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_={"count": table.count + delta}))


def created(session: Session, application: Application) -> None:
    """Count a new application (call after the flush that gave it ``created_at``), in the caller's transaction."""
    key = _key(application)
    _upsert(session, ApplicationCount, {**key, "stage": application.stage}, 1)
    _upsert(session, ApplicationDuration, {**key, "tenth_days": tenth_days(application)}, 1)


def move(session: Session, application: Application, old: str, new: str) -> None:
    """An application changed stage: move its count, in the caller's transaction."""
    key = _key(application)
    _upsert(session, ApplicationCount, {**key, "stage": old}, -1)
    _upsert(session, ApplicationCount, {**key, "stage": new}, 1)


def rebuild(connection: Connection) -> None:
    """Recount both tables from the applications (for data inserted in bulk, e.g. by the admin benchmark)."""
    if connection.dialect.name == "postgresql":
        month = "coalesce(to_char(first_captured_at AT TIME ZONE 'UTC', 'YYYY-MM'), '')"
        half_up = f"floor(extract(epoch FROM created_at - first_captured_at) * {TENTHS_PER_DAY} / 86400.0 + 0.5)"
    else:  # floor() without relying on SQLite's optional math functions
        month = "coalesce(substr(first_captured_at, 1, 7), '')"
        value = f"((julianday(created_at) - julianday(first_captured_at)) * {TENTHS_PER_DAY} + 0.5)"
        half_up = f"(CAST({value} AS INTEGER) - ({value} < CAST({value} AS INTEGER)))"
    key = "coalesce(channel, ''), coalesce(campaign, ''), coalesce(form_id, '')"
    connection.execute(text("DELETE FROM application_counts"))
    connection.execute(text("DELETE FROM application_durations"))
    connection.execute(
        text(
            "INSERT INTO application_counts (month, channel, campaign, form_id, stage, count) "
            f"SELECT {month}, {key}, stage, count(*) FROM applications GROUP BY 1, 2, 3, 4, 5"
        )
    )
    connection.execute(
        text(
            "INSERT INTO application_durations (month, channel, campaign, form_id, tenth_days, count) "
            f"SELECT {month}, {key}, coalesce(CAST({half_up} AS INTEGER), 0), count(*) "
            "FROM applications GROUP BY 1, 2, 3, 4, 5"
        )
    )
