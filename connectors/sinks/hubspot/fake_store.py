"""The HubSpot fake's portal: the contact property registry and the contacts, with HubSpot's rules.

Email is unique case-insensitively, so is every property created with ``hasUniqueValue``; property values are
validated (unknown property, bad email, enum option, read-only) and answered in HubSpot's words; ids and all
values are strings; ``lifecyclestage`` only moves forward.
"""

from __future__ import annotations

import copy
import itertools
import re
from datetime import UTC, datetime
from typing import Any

from connectors.sinks.hubspot import fake_errors as errors

LIFECYCLE = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
             "evangelist", "other"]
LEAD_STATUS = ["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
               "BAD_TIMING"]
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate"}
KNOWN_TLDS = {"com", "org", "net", "de", "at", "ch", "fr", "uk", "io", "eu", "info", "nl", "pl", "tr", "it", "es",
              "dev", "app", "biz", "be", "dk", "se", "no", "fi", "cz", "pt", "us", "co"}
EMAIL = re.compile(r"^[^@\s]+@([^@\s]+\.)+([A-Za-z]{2,})$")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(moment * 1000) % 1000:03d}Z"


def definition(name: str, label: str, type_: str = "string", field_type: str = "text",
               group: str = "contactinformation", options: list[str] | None = None,
               unique: bool = False) -> dict[str, Any]:
    return {
        "name": name, "label": label, "type": type_, "fieldType": field_type, "groupName": group,
        "hasUniqueValue": unique, "hidden": False, "calculated": False, "externalOptions": False,
        "modificationMetadata": {"archivable": True, "readOnlyDefinition": True, "readOnlyValue": name in READ_ONLY},
        "options": [{"label": o, "value": o, "displayOrder": n, "hidden": False} for n, o in enumerate(options or [])],
    }


def default_properties() -> dict[str, dict[str, Any]]:
    plain = {"email": "Email", "firstname": "First Name", "lastname": "Last Name", "phone": "Phone Number",
             "city": "City", "zip": "Postal Code", "country": "Country/Region", "company": "Company Name",
             "jobtitle": "Job Title", "hs_object_id": "Record ID"}
    found = {name: definition(name, label) for name, label in plain.items()}
    found["createdate"] = definition("createdate", "Create Date", "datetime", "date")
    found["lastmodifieddate"] = definition("lastmodifieddate", "Last Modified Date", "datetime", "date")
    found["lifecyclestage"] = definition("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", options=LIFECYCLE)
    found["hs_lead_status"] = definition("hs_lead_status", "Lead Status", "enumeration", "radio", options=LEAD_STATUS)
    return found


class Portal:
    """One HubSpot account's contacts and contact properties. Not thread-safe: the fake holds a lock around it."""

    def __init__(self) -> None:
        self.properties = default_properties()
        self.groups: dict[str, dict[str, Any]] = {
            "contactinformation": {"name": "contactinformation", "label": "Contact information", "displayOrder": -1}
        }
        self.contacts: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(151)

    # -- state --------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.contacts)

    def restore(self, snapshot: dict[str, dict[str, Any]]) -> None:
        self.contacts = snapshot

    def find(self, id_property: str, value: str) -> str | None:
        if id_property == "hs_object_id":
            return value if value in self.contacts else None
        wanted = value.lower() if id_property == "email" else value
        for contact_id, contact in self.contacts.items():
            have = contact["properties"].get(id_property)
            if have is not None and (have.lower() if id_property == "email" else have) == wanted:
                return contact_id
        return None

    def id_property(self, name: str | None) -> str:
        """``idProperty`` must be email, the record id, or a property created with ``hasUniqueValue``."""
        name = name or "hs_object_id"
        if name in ("email", "hs_object_id"):
            return name
        found = self.properties.get(name)
        if found is None:
            raise errors.validation(f'Property "{name}" does not exist', context={"propertyName": [name]})
        if not found["hasUniqueValue"]:
            raise errors.validation(f"{name} is not a unique identifier property and cannot be used as idProperty.")
        return name

    # -- writes -----------------------------------------------------------------------------------------------
    def create(self, properties: dict[str, Any], now: float) -> dict[str, Any]:
        values = self.validate(properties)
        self._unique(values, None)
        contact_id = str(next(self._ids))
        stamp = iso(now)
        values.update(hs_object_id=contact_id, createdate=stamp, lastmodifieddate=stamp)
        self.contacts[contact_id] = {"id": contact_id, "properties": values, "createdAt": stamp, "updatedAt": stamp,
                                     "archived": False, "touched": now}
        return self.contacts[contact_id]

    def update(self, contact_id: str, properties: dict[str, Any], now: float) -> dict[str, Any]:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise errors.not_found([contact_id])
        values = self.validate(properties)
        self._unique(values, contact_id)
        current = contact["properties"].get("lifecyclestage")
        wanted = values.get("lifecyclestage")
        if current in LIFECYCLE and wanted in LIFECYCLE and LIFECYCLE.index(wanted) < LIFECYCLE.index(current):
            values.pop("lifecyclestage")  # [UNCONFIRMED] HubSpot keeps the later stage unless it is cleared first
        stamp = iso(now)
        contact["properties"].update(values, lastmodifieddate=stamp)
        contact["updatedAt"], contact["touched"] = stamp, now
        return contact

    def upsert(self, id_property: str, value: str, properties: dict[str, Any],
               now: float) -> tuple[dict[str, Any], bool]:
        existing = self.find(id_property, value)
        if existing is not None:
            return self.update(existing, properties, now), False
        if id_property == "hs_object_id":
            raise errors.not_found([value])
        return self.create({**properties, id_property: value}, now), True

    def _unique(self, values: dict[str, str], own_id: str | None) -> None:
        """Creating (or changing to) an email or unique value another contact has is a conflict."""
        for name, value in values.items():
            if not value or not (name == "email" or self.properties[name]["hasUniqueValue"]):
                continue
            other = self.find(name, value)
            if other is not None and other != own_id:
                if name == "email":
                    raise errors.conflict(other)
                # [UNCONFIRMED] wording; HubSpot refuses a second record with the same unique value
                raise errors.HubSpotError(409, "CONFLICT", f"A contact with {name}={value} already exists. "
                                                           f"Existing ID: {other}")

    # -- validation ---------------------------------------------------------------------------------------------
    def validate(self, properties: dict[str, Any]) -> dict[str, str]:
        """Values as strings, or one ``VALIDATION_ERROR`` listing every invalid property."""
        problems, values = [], {}
        for name, raw in properties.items():
            value = "" if raw is None else ("true" if raw is True else "false" if raw is False else str(raw))
            found = self.properties.get(name)
            if found is None:
                problems.append(errors.problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            elif name in READ_ONLY:
                problems.append(errors.problem(name, "READ_ONLY_VALUE", f"{name} is a read only property; its value "
                                                                        "cannot be set."))
            elif value and (problem := self._value_problem(found, value)):
                problems.append(problem)
            else:
                values[name] = value
        if problems:
            raise errors.invalid_properties(problems)
        return values

    def _value_problem(self, found: dict[str, Any], value: str) -> dict[str, Any] | None:
        name = found["name"]
        if name == "email":
            match = EMAIL.match(value)
            if match is None or match.group(2).lower() not in KNOWN_TLDS:
                return errors.problem(name, "INVALID_EMAIL", f"Email address {value} is invalid")
        if found["type"] == "enumeration":
            allowed = [o["value"] for o in found["options"]]
            chosen = value.split(";") if found["fieldType"] == "checkbox" else [value]
            if any(v not in allowed for v in chosen):
                return errors.problem(name, "INVALID_OPTION",
                                      f"{value} was not one of the allowed options: [{', '.join(allowed)}]")
        if found["type"] in ("datetime", "date") and not (value.isdigit() or _is_iso(value)):
            return errors.problem(name, "INVALID_DATE", f"{value} is not a valid {found['type']} for {name}")
        if found["type"] == "number":
            try:
                float(value)
            except ValueError:
                return errors.problem(name, "INVALID_INTEGER", f"{value} is not a valid number")
        return None

    # -- property registry ---------------------------------------------------------------------------------------
    def create_property(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name") or "")
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise errors.validation(f"Missing required fields: {', '.join(missing)}", context={"fields": missing})
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise errors.validation(f"Property name {name} is invalid: use lowercase letters, digits and _.")
        if name in self.properties:
            raise errors.property_exists(name)
        if body["groupName"] not in self.groups:
            raise errors.validation(f"Property group {body['groupName']} does not exist.")
        if body["type"] not in ("string", "number", "date", "datetime", "enumeration", "bool"):
            raise errors.validation(f"Invalid property type {body['type']}.")
        options = [str(o.get("value")) for o in body.get("options") or []]
        created = definition(name, str(body["label"]), str(body["type"]), str(body["fieldType"]),
                             str(body["groupName"]), options, bool(body.get("hasUniqueValue")))
        self.properties[name] = created
        return created

    def create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name") or "")
        if not name or not body.get("label"):
            raise errors.validation("Missing required fields: name, label")
        if name in self.groups:
            raise errors.group_exists(name)
        self.groups[name] = {"name": name, "label": body["label"], "displayOrder": body.get("displayOrder", -1)}
        return self.groups[name]


def _is_iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def public(contact: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
    """A contact as the API shows it: the named properties (always the three HubSpot adds), strings only."""
    props = contact["properties"]
    wanted = set(names if names is not None else props) | {"hs_object_id", "createdate", "lastmodifieddate"}
    return {
        "id": contact["id"],
        "properties": {k: props.get(k) for k in sorted(wanted) if k in props or names is not None},
        "createdAt": contact["createdAt"],
        "updatedAt": contact["updatedAt"],
        "archived": False,
    }
