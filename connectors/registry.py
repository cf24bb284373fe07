"""The connector registry: platform name → its folder. Adding a platform adds one line here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from core.errors import NotFound


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    direction: str  # source | sink
    module: str
    status: str  # available | planned

    def load(self) -> ModuleType:
        """Import lazily, so the web role never pays for connectors it does not serve."""
        if self.status != "available":
            raise NotFound(f"Connector {self.name} is planned but not built yet (see docs/ROADMAP.md).")
        return importlib.import_module(self.module)


CONNECTORS: dict[str, ConnectorInfo] = {
    info.name: info
    for info in [
        ConnectorInfo("form_webhook", "source", "connectors.sources.form_webhook", "available"),
        ConnectorInfo("api", "source", "connectors.sources.api", "available"),
        ConnectorInfo("meta_lead_ads", "source", "connectors.sources.meta_lead_ads", "available"),
        ConnectorInfo("linkedin_lead_gen", "source", "connectors.sources.linkedin_lead_gen", "available"),
        ConnectorInfo("tiktok_leads", "source", "connectors.sources.tiktok_leads", "available"),
        ConnectorInfo("google_ads_lead_forms", "source", "connectors.sources.google_ads_lead_forms", "available"),
        ConnectorInfo("eventbrite", "source", "connectors.sources.eventbrite", "available"),
        ConnectorInfo("file_import", "source", "connectors.sources.file_import", "available"),
        ConnectorInfo("webhook", "sink", "connectors.sinks.webhook", "available"),
        ConnectorInfo("hubspot", "sink", "connectors.sinks.hubspot", "available"),
        ConnectorInfo("salesforce", "sink", "connectors.sinks.salesforce", "available"),
        ConnectorInfo("greenhouse", "sink", "connectors.sinks.greenhouse", "available"),
        ConnectorInfo("lever", "sink", "connectors.sinks.lever", "available"),
        ConnectorInfo("personio", "sink", "connectors.sinks.personio", "available"),
    ]
}


def get(name: str, direction: str | None = None) -> ConnectorInfo:
    info = CONNECTORS.get(name)
    if info is None or (direction and info.direction != direction):
        known = ", ".join(sorted(n for n, i in CONNECTORS.items() if not direction or i.direction == direction))
        raise NotFound(f"Unknown {direction or 'connector'} {name!r}; known: {known}.")
    return info
