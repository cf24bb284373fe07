"""What the Graph fake holds: one Page, its lead forms and their leads (seeded, then added by tests and the demo)."""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

from connectors.sources.meta_lead_ads import fake_errors as errors
from connectors.sources.meta_lead_ads import fake_graph as graph
from connectors.sources.meta_lead_ads import fake_seed as seed

Node = tuple[dict[str, Any], str]  # the object and its Graph node type (Lead, LeadgenForm, Page)


class GraphStore:
    """Nodes by id and the edges between them, newest first as Graph lists them."""

    def __init__(self, rng_seed: int = 7) -> None:
        forms, leads = seed.seed(rng_seed)
        self.page_id = seed.PAGE_ID
        self.forms: dict[str, dict[str, Any]] = {form["id"]: form for form in forms}
        self.leads: dict[str, dict[str, Any]] = {lead["id"]: lead for lead in leads}
        self.test_lead_ids: set[str] = set()
        self._numbers = itertools.count(len(leads) + 1)
        self._rng = random.Random(rng_seed + 1)
        self._lock = threading.RLock()

    def find(self, node_id: str) -> Node:
        with self._lock:
            if node_id in self.leads:
                return self.leads[node_id], "Lead"
            if node_id in self.forms:
                return self.form(node_id), "LeadgenForm"
            if node_id == self.page_id:
                return {"id": self.page_id, "name": seed.PAGE_NAME, "category": "Krankenhaus"}, "Page"
        raise errors.unknown_object(node_id)

    def form(self, form_id: str) -> dict[str, Any]:
        """A form as served, with its counters."""
        form = dict(self.forms[form_id])
        leads = [lead for lead in self.leads.values() if lead["form_id"] == form_id]
        form.update(
            leads_count=len(leads),
            organic_leads_count=sum(bool(lead["is_organic"]) for lead in leads),
            expired_leads_count=0,
            allow_organic_lead=True,
            privacy_policy_url=form.get("legal_content", {}).get("privacy_policy", {}).get("url"),
        )
        return form

    def edge(self, node: Node, edge: str, filtering: str | None) -> tuple[list[dict[str, Any]], str]:
        """The items of ``/{node}/{edge}`` and their node type; an edge the node lacks is error 100."""
        found, node_type = node
        with self._lock:
            if node_type == "Page" and edge == "leadgen_forms":
                forms = [self.form(form_id) for form_id in self.forms]
                return sorted(forms, key=lambda f: (f["created_time"], f["id"]), reverse=True), "LeadgenForm"
            if node_type == "LeadgenForm" and edge in ("leads", "test_leads"):
                filters = graph.time_filters(filtering)
                leads = [
                    lead
                    for lead in self.leads.values()
                    if lead["form_id"] == found["id"]
                    and graph.keep(lead, filters)
                    and (edge == "leads" or lead["id"] in self.test_lead_ids)
                ]
                return sorted(leads, key=lambda lead: (lead["created_time"], lead["id"]), reverse=True), "Lead"
        raise errors.invalid_parameter(f"Tried accessing nonexisting field ({edge}) on node type ({node_type})")

    def add_lead(self, form_id: str | None, created: int | None, organic: bool) -> dict[str, Any]:
        """A new lead from a person who just filled in the form (the first form unless named)."""
        form_id = form_id or next(iter(self.forms))
        seeding = next((form for form in seed.FORMS if form["id"] == form_id), None)
        if seeding is None:
            raise ValueError(f"no form {form_id}")
        with self._lock:
            lead = seed.lead(next(self._numbers), seeding, created or int(time.time()), self._rng, organic=organic)
            self.leads[lead["id"]] = lead
        return lead

    def add_test_lead(
        self, form: dict[str, Any], field_data: list[dict[str, Any]] | None, disclaimers: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        """``POST /{form}/test_leads``: one test lead per form at a time; dummy answers unless ``field_data``."""
        with self._lock:
            if any(self.leads[i]["form_id"] == form["id"] for i in self.test_lead_ids):
                raise errors.invalid_parameter(
                    "A test lead already exists for this form and user. Delete it before creating a new one."
                )
            lead: dict[str, Any] = {
                "id": str(980_000_000_000_000 + next(self._numbers)),
                "created_time": seed.graph_time(int(time.time())),
                "form_id": form["id"],
                "is_organic": False,
                "platform": "fb",
                "field_data": field_data or [dummy(q["key"]) for q in form.get("questions", [])],
            }
            if disclaimers:
                lead["custom_disclaimer_responses"] = disclaimers
            self.leads[lead["id"]] = lead
            self.test_lead_ids.add(lead["id"])
        return lead

    def delete(self, node_id: str) -> dict[str, bool]:
        with self._lock:
            if node_id not in self.leads:
                raise errors.unknown_object(node_id)
            del self.leads[node_id]
            self.test_lead_ids.discard(node_id)
        return {"success": True}


def dummy(key: str) -> dict[str, Any]:
    """What the Lead Ads Testing Tool fills in when no answers are given."""
    return {"name": key, "values": ["test@fb.com" if key == "email" else f"<test lead: dummy data for {key}>"]}
