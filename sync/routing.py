"""Routing: which sink connections receive an event — by event type, consent and test flag — and why not.

A sink connection's ``settings.route`` says ``{events: [...], require_consent: [...], include_test: false}``;
without it the sink module's ``DEFAULT_ROUTE`` applies. A refusal is written on the lead's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import registry
from core.ids import new_id
from core.models import Connection, TimelineNote

NO_ROUTE: dict[str, Any] = {"events": [], "require_consent": [], "include_test": False}


@dataclass(frozen=True)
class Route:
    connection: Connection
    events: list[str]
    require_consent: list[str]
    include_test: bool


def routes(session: Session) -> list[Route]:
    found = []
    for conn in session.scalars(
        select(Connection).where(
            Connection.direction == "sink", Connection.enabled.is_(True), Connection.platform != "webhook"
        )
    ):
        default = getattr(registry.get(conn.platform, "sink").load(), "DEFAULT_ROUTE", NO_ROUTE)
        route = {**default, **dict(conn.settings.get("route") or {})}
        found.append(Route(conn, list(route["events"]), list(route["require_consent"]), bool(route["include_test"])))
    return found


def refusal(route: Route, data: dict[str, Any]) -> str | None:
    """Why this event must not go to this sink, or ``None`` when it may."""
    if data.get("is_test") and not route.include_test:
        return "test lead"
    granted = {c.get("purpose") for c in data.get("consents", []) if c.get("granted") is True}
    missing = [purpose for purpose in route.require_consent if purpose not in granted]
    if missing:
        return f"no consent for {', '.join(missing)}"
    return None


def note_refusal(
    session: Session, route: Route, event_type: str, subject_id: str, data: dict[str, Any], reason: str
) -> None:
    session.add(
        TimelineNote(
            id=new_id("note"),
            person_id=data.get("person_id"),
            lead_id=data.get("id") if event_type.startswith("lead") else None,
            kind="routing",
            message=f"{event_type} not sent to {route.connection.name} ({route.connection.platform}): {reason}.",
        )
    )
