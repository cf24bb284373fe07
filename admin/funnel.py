"""Funnel KPIs per channel, campaign and form: captured → qualified → activated → converted → application stages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import ApplicationCount, ApplicationDuration, FunnelCount
from sync.application_counts import TENTHS_PER_DAY

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
    out: dict[str | None, dict[str, int]] = {}
    for channel, stage, count in session.execute(_filtered(query, FunnelCount, filters)):
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


def _filtered(query: Any, table: Any, filters: Filters) -> Any:
    """The dashboard's filters on a rollup keyed by capture month, channel, campaign and form."""
    if filters.channel:
        query = query.where(table.channel == filters.channel)
    if filters.campaign:
        query = query.where(table.campaign == filters.campaign)
    if filters.form:
        query = query.where(table.form_id == filters.form)
    if filters.start:  # whole months, as the filter form offers them
        query = query.where(table.month >= filters.start.strftime("%Y-%m"))
    if filters.end:  # "" is an application without a credited capture: outside any range
        query = query.where(table.month < filters.end.strftime("%Y-%m"), table.month != "")
    return query


def _application_counts(session: Session, filters: Filters) -> dict[str | None, Counter[str]]:
    """Applications per channel and stage, from ``application_counts`` (the credited lead's attribution)."""
    query = select(ApplicationCount.channel, ApplicationCount.stage, func.sum(ApplicationCount.count)).group_by(
        ApplicationCount.channel, ApplicationCount.stage
    )
    out: dict[str | None, Counter[str]] = {}
    for channel, stage, count in session.execute(_filtered(query, ApplicationCount, filters)):
        if count:
            out.setdefault(channel or None, Counter())[stage] += int(count)
    return out


def _durations(session: Session, filters: Filters) -> dict[str | None, Counter[int]]:
    """Per channel, how many applications took each number of tenths of a day from capture to application."""
    query = select(
        ApplicationDuration.channel, ApplicationDuration.tenth_days, func.sum(ApplicationDuration.count)
    ).group_by(ApplicationDuration.channel, ApplicationDuration.tenth_days)
    out: dict[str | None, Counter[int]] = {}
    for channel, tenths, count in session.execute(_filtered(query, ApplicationDuration, filters)):
        if count:
            out.setdefault(channel or None, Counter())[int(tenths)] += int(count)
    return out


def median_days(histogram: Counter[int]) -> float | None:
    """The median of durations kept in tenths of a day (the middle one, or the mean of the middle two)."""
    total = sum(histogram.values())
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2  # 0-based positions of the middle value(s) in sorted order
    seen, low_value = 0, None
    for tenths in sorted(histogram):
        seen += histogram[tenths]
        if low_value is None and seen > lower:
            low_value = tenths
        if seen > upper:
            assert low_value is not None
            return (low_value + tenths) / 2 / TENTHS_PER_DAY
    raise AssertionError("unreachable: the positions are below the total")


def compute(session: Session, filters: Filters) -> tuple[Funnel, list[Funnel]]:
    """The total funnel and one per channel, from the lead and application rollups only."""
    leads = _lead_counts(session, filters)
    apps = _application_counts(session, filters)
    durations = _durations(session, filters)
    channels = sorted(set(leads) | set(apps), key=lambda c: (c is None, c or ""))
    per_channel = [
        _funnel(c or "(none)", leads.get(c, {}), apps.get(c, Counter()), durations.get(c, Counter())) for c in channels
    ]
    total_leads: dict[str, int] = {}
    for counts in leads.values():
        for key, value in counts.items():
            total_leads[key] = total_leads.get(key, 0) + value
    every_app, every_duration = sum(apps.values(), Counter[str]()), sum(durations.values(), Counter[int]())
    return _funnel("All channels", total_leads, every_app, every_duration), per_channel


def _funnel(label: str, leads: dict[str, int], by_stage: Counter[str], durations: Counter[int]) -> Funnel:
    funnel = Funnel(label, {s: leads.get(s, 0) for s in LEAD_STEPS}, disqualified=leads.get("disqualified", 0))
    for index, step in enumerate(APPLICATION_STEPS):
        funnel.steps[step] = sum(n for stage, n in by_stage.items() if _APP_RANK.get(stage, 0) >= index)
    funnel.rejected = by_stage.get("rejected", 0) + by_stage.get("withdrawn", 0)
    funnel.median_days_to_application = median_days(durations)
    return funnel
