"""Funnel KPIs per channel, campaign and form: captured → qualified → activated → converted → application stages."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Application, FunnelCount

LEAD_STEPS = ["captured", "qualified", "activated", "converted"]
APPLICATION_STEPS = ["received", "in_review", "interview", "offer", "hired"]
_LEAD_RANK = {"captured": 0, "disqualified": 0, "qualified": 1, "activated": 2, "converted": 3}
_APP_RANK = {"received": 0, "rejected": 0, "withdrawn": 0, "in_review": 1, "interview": 2, "offer": 3, "hired": 4}


@dataclass
class Filters:
    channel: str | None = None
    campaign: str | None = None
    form: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Funnel:
    label: str
    steps: dict[str, int] = field(default_factory=dict)
    disqualified: int = 0
    rejected: int = 0
    median_days_to_application: float | None = None

    def rate(self, step: str, previous: str) -> float | None:
        before = self.steps.get(previous, 0)
        return self.steps.get(step, 0) / before if before else None


def _lead_counts(session: Session, filters: Filters) -> dict[str | None, dict[str, int]]:
    """From ``funnel_counts`` (one row per month, channel, campaign, form and stage), not from the leads."""
    query = select(FunnelCount.channel, FunnelCount.stage, func.sum(FunnelCount.count)).group_by(
        FunnelCount.channel, FunnelCount.stage
    )
    if filters.channel:
        query = query.where(FunnelCount.channel == filters.channel)
    if filters.campaign:
        query = query.where(FunnelCount.campaign == filters.campaign)
    if filters.form:
        query = query.where(FunnelCount.form_id == filters.form)
    if filters.start:  # whole months: the counts are kept per month
        query = query.where(FunnelCount.month >= filters.start.strftime("%Y-%m"))
    if filters.end:
        query = query.where(FunnelCount.month < filters.end.strftime("%Y-%m"))
    out: dict[str | None, dict[str, int]] = {}
    for channel, stage, count in session.execute(query):
        counts = out.setdefault(channel or None, dict.fromkeys([*LEAD_STEPS, "disqualified"], 0))
        rank, n = _LEAD_RANK.get(stage, 0), int(count or 0)
        counts["captured"] += n
        for index, step in enumerate(LEAD_STEPS[1:], start=1):
            counts[step] += n if rank >= index else 0
        counts["disqualified"] += n if stage == "disqualified" else 0
    return out


_CHOICES: dict[str, tuple[float, dict[str, list[str]]]] = {}
CHOICES_TTL_S = 60.0


def choices(session: Session) -> dict[str, list[str]]:
    """The channels, campaigns and forms the dashboard can filter by (cached a minute per database)."""
    import time

    key = str(session.get_bind().engine.url)
    cached = _CHOICES.get(key)
    if cached and time.monotonic() - cached[0] < CHOICES_TTL_S:
        return cached[1]
    found = {
        name: [v for v in session.scalars(select(column).distinct().order_by(column).limit(500)) if v]
        for name, column in (
            ("channel", FunnelCount.channel),
            ("campaign", FunnelCount.campaign),
            ("form", FunnelCount.form_id),
        )
    }
    _CHOICES[key] = (time.monotonic(), found)
    return found


def _days(session: Session) -> Any:
    """Days from the credited capture to the application, computed by the database (no datetimes in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Application.created_at - Application.first_captured_at) / 86400.0
    return func.julianday(Application.created_at) - func.julianday(Application.first_captured_at)


def _application_rows(session: Session, filters: Filters) -> list[tuple[str | None, str, float]]:
    """(channel, stage, days from first capture to application) per application, from the credited lead's
    attribution copied onto the application (no join over the leads)."""
    query = select(Application.channel, Application.stage, func.coalesce(_days(session), 0.0))
    if filters.channel:
        query = query.where(Application.channel == filters.channel)
    if filters.campaign:
        query = query.where(Application.campaign == filters.campaign)
    if filters.form:
        query = query.where(Application.form_id == filters.form)
    if filters.start:
        query = query.where(Application.first_captured_at >= filters.start)
    if filters.end:
        query = query.where(Application.first_captured_at < filters.end)
    return [(channel, stage, float(days)) for channel, stage, days in session.execute(query)]


def compute(session: Session, filters: Filters) -> tuple[Funnel, list[Funnel]]:
    """The total funnel and one per channel."""
    leads = _lead_counts(session, filters)
    apps_by_channel: dict[str | None, list[tuple[str | None, str, float]]] = {}
    for row in _application_rows(session, filters):
        apps_by_channel.setdefault(row[0], []).append(row)
    channels = sorted(set(leads) | set(apps_by_channel), key=lambda c: (c is None, c or ""))
    per_channel = [_funnel(c or "(none)", leads.get(c, {}), apps_by_channel.get(c, [])) for c in channels]
    total_leads: dict[str, int] = {}
    for counts in leads.values():
        for key, value in counts.items():
            total_leads[key] = total_leads.get(key, 0) + value
    every_app = [row for rows in apps_by_channel.values() for row in rows]
    return _funnel("All channels", total_leads, every_app), per_channel


def _funnel(label: str, leads: dict[str, int], apps: list[tuple[str | None, str, float]]) -> Funnel:
    funnel = Funnel(label, {s: leads.get(s, 0) for s in LEAD_STEPS}, disqualified=leads.get("disqualified", 0))
    by_stage = Counter(stage for _, stage, _ in apps)
    for index, step in enumerate(APPLICATION_STEPS):
        funnel.steps[step] = sum(n for stage, n in by_stage.items() if _APP_RANK.get(stage, 0) >= index)
    funnel.rejected = by_stage.get("rejected", 0) + by_stage.get("withdrawn", 0)
    days = [d for _, _, d in apps]
    funnel.median_days_to_application = statistics.median(days) if days else None
    return funnel
