"""Funnel KPIs per channel, campaign and form: captured → qualified → activated → converted → application stages."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import Application, ApplicationLead, Lead

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

    def apply(self, query: Any) -> Any:
        if self.channel:
            query = query.where(Lead.channel == self.channel)
        if self.campaign:
            query = query.where(Lead.campaign == self.campaign)
        if self.form:
            query = query.where(Lead.form_id == self.form)
        if self.start:
            query = query.where(Lead.captured_at >= self.start)
        if self.end:
            query = query.where(Lead.captured_at < self.end)
        return query


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
    rank = case(*[(Lead.stage == s, r) for s, r in _LEAD_RANK.items()], else_=0)
    query = filters.apply(
        select(
            Lead.channel,
            func.count(),
            func.sum(case((rank >= 1, 1), else_=0)),
            func.sum(case((rank >= 2, 1), else_=0)),
            func.sum(case((rank >= 3, 1), else_=0)),
            func.sum(case((Lead.stage == "disqualified", 1), else_=0)),
        )
        .where(Lead.is_test.is_(False))
        .group_by(Lead.channel)
    )
    out: dict[str | None, dict[str, int]] = {}
    for channel, *counts in session.execute(query):
        out[channel] = dict(zip([*LEAD_STEPS, "disqualified"], (int(c or 0) for c in counts), strict=True))
    return out


def _application_rows(session: Session, filters: Filters) -> list[tuple[str | None, str, float]]:
    """(channel, stage, days from first capture to application) per application, credited to its first lead."""
    first = filters.apply(
        select(
            ApplicationLead.application_id,
            func.min(Lead.captured_at).label("first_at"),
            func.min(Lead.channel).label("channel"),
        )
        .join(Lead, Lead.id == ApplicationLead.lead_id)
        .where(Lead.is_test.is_(False))
        .group_by(ApplicationLead.application_id)
    ).subquery()
    rows = session.execute(
        select(first.c.channel, Application.stage, first.c.first_at, Application.created_at).join(
            Application, Application.id == first.c.application_id
        )
    )
    return [
        (channel, stage, (created - first_at).total_seconds() / 86400) for channel, stage, first_at, created in rows
    ]


def compute(session: Session, filters: Filters) -> tuple[Funnel, list[Funnel]]:
    """The total funnel and one per channel."""
    leads = _lead_counts(session, filters)
    apps = _application_rows(session, filters)
    channels = sorted({c for c in leads} | {c for c, _, _ in apps}, key=lambda c: (c is None, c or ""))
    per_channel = [_funnel(c or "(none)", leads.get(c, {}), [a for a in apps if a[0] == c]) for c in channels]
    total_leads: dict[str, int] = {}
    for counts in leads.values():
        for key, value in counts.items():
            total_leads[key] = total_leads.get(key, 0) + value
    return _funnel("All channels", total_leads, apps), per_channel


def _funnel(label: str, leads: dict[str, int], apps: list[tuple[str | None, str, float]]) -> Funnel:
    funnel = Funnel(label, {s: leads.get(s, 0) for s in LEAD_STEPS}, disqualified=leads.get("disqualified", 0))
    for index, step in enumerate(APPLICATION_STEPS):
        funnel.steps[step] = sum(1 for _, stage, _ in apps if _APP_RANK.get(stage, 0) >= index)
    funnel.rejected = sum(1 for _, stage, _ in apps if stage in ("rejected", "withdrawn"))
    days = [d for _, _, d in apps]
    funnel.median_days_to_application = statistics.median(days) if days else None
    return funnel
