"""One send of up to 100 items: update the contacts we already know by their id, upsert the others by their key
(email, or our unique person-id property), and when HubSpot answers a create with ``409 Contact already exists.
Existing ID: N`` take contact N — the create race — instead of failing.

Every input carries an ``objectWriteTraceId`` so HubSpot answers per input (207); a batch it refuses as a whole
is split so one bad record cannot dead-letter the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from connectors.sinks.base import Item, SendResult, classify_status
from connectors.sinks.hubspot import errors, payload
from connectors.sinks.hubspot.client import Api
from connectors.sinks.hubspot.payload import Contact
from connectors.sinks.hubspot.properties import PERSON_ID, ours


@dataclass
class Answer:
    """What one call said about each contact it carried."""

    found: list[tuple[Contact, dict[str, Any]]]
    refused: list[tuple[Contact, dict[str, Any]]]
    status: int
    summary: str


class Send:
    def __init__(self, api: Api, items: list[Item]) -> None:
        self.api, self.items = api, items
        self.answers: dict[int, SendResult] = {}
        self.needs_setup = False

    def run(self) -> list[SendResult]:
        contacts = payload.contacts(self.items, self.api.settings)
        for contact in [c for c in contacts if not self._has_key(c)]:
            contacts.remove(contact)
            self._answer(contact, SendResult("permanent", None, None, "not sent", "The event names no person (and "
                                             "no email), so HubSpot has no key to upsert its contact by."))
        missing = self._update([c for c in contacts if c.remote_id], after_conflict=False)
        fresh = payload.merge(missing + [c for c in contacts if not c.remote_id],
                              lambda c: c.key(self.api.id_property))
        taken = self._upsert(fresh)
        self._update(taken, after_conflict=True)
        lost = SendResult("transient", None, None, "not sent", "HubSpot's answer did not mention this contact.")
        return [self.answers.get(n, lost) for n in range(len(self.items))]

    def _has_key(self, contact: Contact) -> bool:
        by_email = self.api.id_property == "email" and bool(contact.properties.get("email"))
        return by_email or PERSON_ID in contact.properties

    # -- the three steps -------------------------------------------------------------------------------------------
    def _update(self, contacts: list[Contact], after_conflict: bool) -> list[Contact]:
        """By recorded id; the ones HubSpot no longer has (deleted, merged away) are returned for an upsert."""
        if not contacts:
            return []
        contacts = payload.merge(contacts, lambda c: c.remote_id)
        path = self.api.objects + "/batch/update"
        answer = self._post(path, f"POST {path} ({len(contacts)} contacts by id)", contacts,
                            lambda c: {"id": c.remote_id, "properties": c.properties, "objectWriteTraceId": c.trace},
                            lambda c: c.remote_id or "", lambda r: str(r.get("id")))
        missing: list[Contact] = []
        for contact, error in answer.refused:
            if error.get("category") == "OBJECT_NOT_FOUND" and not after_conflict:
                contact.remote_id = None
                missing.append(contact)
            else:
                self._refuse(contact, error, answer.status, answer.summary)
        return missing

    def _upsert(self, contacts: list[Contact]) -> list[Contact]:
        """By key, one call per key property; a 409 naming an existing contact hands it to the update after it."""
        taken: list[Contact] = []
        path = self.api.objects + "/batch/upsert"
        by_property: dict[str, list[Contact]] = {}
        for contact in contacts:
            by_property.setdefault(contact.key(self.api.id_property)[0], []).append(contact)
        for prop, group in by_property.items():
            answer = self._post(path, f"POST {path} ({len(group)} contacts by {prop})", group, _upsert_input(prop),
                                lambda c: c.key(self.api.id_property)[1], _property_of(prop))
            for contact, error in answer.refused:
                existing = errors.existing_id(error)
                if error.get("category") == "CONFLICT" and existing:
                    contact.remote_id = existing
                    taken.append(contact)
                else:
                    self._refuse(contact, error, answer.status, answer.summary)
        return taken

    # -- one call ------------------------------------------------------------------------------------------------
    def _post(self, path: str, summary: str, contacts: list[Contact], make: Callable[[Contact], dict[str, Any]],
              name: Callable[[Contact], str], key: Callable[[dict[str, Any]], str]) -> Answer:
        """What the call said per contact; nothing when it failed as a whole (their answers are set then)."""
        for n, contact in enumerate(contacts):
            contact.trace = str(n)
        try:
            response = self.api.call("POST", path, {"inputs": [make(c) for c in contacts]})
        except requests.RequestException as exc:
            self._answer_all(contacts, errors.timeout(exc, summary, self.api.timeout))
            return Answer([], [], 0, summary)
        status = response.status_code
        if status in (200, 201, 207):
            return self._read(response, summary, contacts, name, key)
        refused_whole = classify_status(status) == "permanent" or status == 409
        if refused_whole and status != 477 and len(contacts) > 1:  # find the bad one: each on its own
            parts = [self._post(path, summary, [c], make, name, key) for c in contacts]
            return Answer([x for p in parts for x in p.found], [x for p in parts for x in p.refused], status, summary)
        if refused_whole and status != 477:
            return Answer([], [(contacts[0], errors.body(response) or {"message": response.text[:300]})], status,
                          summary)
        self._answer_all(contacts, errors.failure(response, summary, self.api.connection, self.api.timezone))
        return Answer([], [], status, summary)

    def _read(self, response: requests.Response, summary: str, contacts: list[Contact],
              name: Callable[[Contact], str], key: Callable[[dict[str, Any]], str]) -> Answer:
        doc = errors.body(response)
        by_trace = {c.trace: c for c in contacts}
        by_name = {name(c).lower(): c for c in contacts}
        answer = Answer([], [], response.status_code, summary)
        for result in doc.get("results") or []:
            contact = by_trace.get(str(result.get("objectWriteTraceId"))) or by_name.get(key(result).lower())
            if contact is not None:
                answer.found.append((contact, result))
                self._answer(contact, SendResult("delivered", response.status_code, None, summary,
                                                 remote_id=str(result["id"]), remote_kind="contact"))
        for error in doc.get("errors") or []:
            context = error.get("context") or {}
            traces = [str(t) for t in context.get("objectWriteTraceId") or [error.get("id")]]
            named = [by_trace[t] for t in traces if t in by_trace]
            named = named or [by_name[str(i).lower()] for i in context.get("ids") or [] if str(i).lower() in by_name]
            answer.refused += [(c, error) for c in (named or (contacts if len(contacts) == 1 else []))]
        return answer

    # -- answers -------------------------------------------------------------------------------------------------
    def _refuse(self, contact: Contact, error: dict[str, Any], status: int, summary: str) -> None:
        if "PROPERTY_DOESNT_EXIST" in errors.codes(error) and any(ours(p) for p in contact.properties):
            self.needs_setup = True
        text = errors.words(error)
        if error.get("category") == "CONFLICT":
            text += " Merge the two contacts in HubSpot, then replay this delivery."
        self._answer(contact, SendResult("permanent", status, json.dumps(error)[:500], summary, f"{text} [{summary}]"))

    def _answer(self, contact: Contact, result: SendResult) -> None:
        for n in contact.items:
            self.answers[n] = result

    def _answer_all(self, contacts: list[Contact], result: SendResult) -> None:
        for contact in contacts:
            self._answer(contact, result)


def _upsert_input(prop: str) -> Callable[[Contact], dict[str, Any]]:
    def make(contact: Contact) -> dict[str, Any]:
        return {"idProperty": prop, "id": contact.properties[prop], "properties": contact.properties,
                "objectWriteTraceId": contact.trace}

    return make


def _property_of(prop: str) -> Callable[[dict[str, Any]], str]:
    return lambda result: str((result.get("properties") or {}).get(prop) or "")
