"""The Salesforce fake's org: the Lead sObject's describe, its records, validation and duplicate rules — each
refusal in Salesforce's own error array (``message``, ``errorCode``, ``fields``)."""

from __future__ import annotations

import itertools
import re
from typing import Any

ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
STATUSES = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"]


class SalesforceError(Exception):
    """A refusal: ``status`` and the JSON array Salesforce answers with."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        entry: dict[str, Any] = {"message": message, "errorCode": code}
        if fields is not None:
            entry["fields"] = fields
        self.errors = [{**extra, **entry}]
        self.headers: dict[str, str] = {}


def record_id(prefix: str, n: int) -> str:
    """An 18-character id: 15 characters and the case-safe checksum Salesforce appends."""
    short = f"{prefix}5g00000{n:05d}"
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, ch in enumerate(short[chunk * 5:chunk * 5 + 5]) if "A" <= ch <= "Z")
        suffix += ID_CHARS[bits]
    return short + suffix


def field(name: str, label: str, type_: str = "string", length: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "type": type_, "length": length, "nillable": True, "createable": True,
            "updateable": True, "externalIdField": False, "unique": False, "caseSensitive": False,
            "restrictedPicklist": False, "picklistValues": [], **extra}


def picklist(name: str, label: str, values: list[str]) -> dict[str, Any]:
    options = [{"active": True, "defaultValue": n == 0 and name == "Status", "label": v, "value": v}
               for n, v in enumerate(values)]
    return field(name, label, "picklist", 255, picklistValues=options)


def lead_fields(external_id_field: str) -> dict[str, dict[str, Any]]:
    found = [
        field("Id", "Lead ID", "id", 18, createable=False, updateable=False, nillable=False),
        field("FirstName", "First Name", length=40),
        field("LastName", "Last Name", length=80, nillable=False),
        field("Company", "Company", length=255, nillable=False),
        field("Email", "Email", "email", 80),
        field("Phone", "Phone", "phone", 40),
        field("City", "City", length=40),
        field("PostalCode", "Zip/Postal Code", length=20),
        field("Country", "Country", length=80),
        field("Description", "Description", "textarea", 32000),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES),
        picklist("Status", "Status", STATUSES),
        field("IsConverted", "Converted", "boolean", createable=False, updateable=False),
        field(external_id_field, "leadhub person id", length=80, externalIdField=True, unique=True),
    ]
    return {f["name"]: f for f in found}


class Org:
    """One org's Leads. Not thread-safe: the fake holds a lock around it."""

    def __init__(self, external_id_field: str = "LeadHub_Person_Id__c") -> None:
        self.fields = lead_fields(external_id_field)
        self.leads: dict[str, dict[str, Any]] = {}
        self.duplicate_rule: str | None = "alert"  # alert (allowSave bypasses) | block | None (no active rule)
        self._ids = itertools.count(1)

    def describe(self) -> dict[str, Any]:
        return {"name": "Lead", "label": "Lead", "keyPrefix": "00Q", "createable": True, "updateable": True,
                "fields": list(self.fields.values())}

    def add_field(self, name: str, label: str, length: int = 255, **extra: Any) -> None:
        self.fields[name] = field(name, label, extra.pop("type_", "string"), length, **extra)

    # -- lookups ------------------------------------------------------------------------------------------------------
    def matching(self, field_name: str, value: str) -> list[str]:
        meta = self.fields.get(field_name)
        if field_name != "Id" and (meta is None or not meta["externalIdField"]):
            raise SalesforceError(404, "NOT_FOUND",
                                  f"Provided external ID field does not exist or is not accessible: {field_name}")
        same = (lambda a: a == value) if field_name == "Id" or (meta and meta["caseSensitive"]) else (
            lambda a: a is not None and str(a).lower() == value.lower())
        key = "Id" if field_name == "Id" else field_name
        return [i for i, lead in self.leads.items() if same(lead.get(key))]

    # -- writes -------------------------------------------------------------------------------------------------------
    def create(self, values: dict[str, Any], allow_save: bool, version: str) -> dict[str, Any]:
        clean = self.validate(values, creating=True)
        self._duplicates(clean, None, allow_save, version)
        lead_id = record_id("00Q", next(self._ids))
        self.leads[lead_id] = {"Id": lead_id, "IsConverted": False, "Status": STATUSES[0], **clean}
        return self.leads[lead_id]

    def update(self, lead_id: str, values: dict[str, Any], allow_save: bool, version: str) -> dict[str, Any]:
        lead = self.leads[lead_id]
        if lead["IsConverted"]:
            raise SalesforceError(400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
        clean = self.validate(values, creating=False)
        self._duplicates({**lead, **clean}, lead_id, allow_save, version)
        lead.update(clean)
        return lead

    def validate(self, values: dict[str, Any], creating: bool) -> dict[str, Any]:
        unknown = [name for name in values if name not in self.fields]
        if unknown:
            raise SalesforceError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type Lead")
        locked = [n for n in values if not self.fields[n]["createable" if creating else "updateable"]]
        if locked:
            raise SalesforceError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                                  f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                                  "settings of this field and verify that it is read/write for your profile or "
                                  "permission set.", locked)
        required = [n for n, f in self.fields.items() if not f["nillable"] and f["createable"]]
        missing = [n for n in required if (creating and not values.get(n)) or (n in values and not values[n])]
        if missing:
            raise SalesforceError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                                  missing)
        for name, value in values.items():
            self._check_value(self.fields[name], value)
        return dict(values)

    def _check_value(self, meta: dict[str, Any], value: Any) -> None:
        if value is None or value == "":
            return
        text, name, label = str(value), meta["name"], meta["label"]
        if meta["type"] == "email" and not EMAIL.match(text):
            raise SalesforceError(400, "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {text}", [name])
        if meta["length"] and meta["type"] not in ("boolean", "picklist") and len(text) > meta["length"]:
            raise SalesforceError(400, "STRING_TOO_LONG",
                                  f"{label}: data value too large: {text[:80]} (max length={meta['length']})", [name])
        allowed = [p["value"] for p in meta["picklistValues"]]
        if meta["type"] == "picklist" and meta["restrictedPicklist"] and text not in allowed:
            raise SalesforceError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                  f"{label}: bad value for restricted picklist field: {text}", [name])

    def _duplicates(self, values: dict[str, Any], own_id: str | None, allow_save: bool, version: str) -> None:
        """The standard Lead rule: same email as another Lead. ``alert`` lets allowSave through, ``block`` never."""
        email = str(values.get("Email") or "").lower()
        if not self.duplicate_rule or not email or (self.duplicate_rule == "alert" and allow_save):
            return
        others = [i for i, lead in self.leads.items() if i != own_id and str(lead.get("Email") or "").lower() == email]
        if not others:
            return
        message = "Use one of these records?" if self.duplicate_rule == "alert" else (
            "You're creating a duplicate record. We recommend you use an existing record instead.")
        records = [{"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                    "record": {"attributes": {"type": "Lead", "url": f"/services/data/{version}/sobjects/Lead/{i}"},
                               "Id": i}} for i in others]
        result = {"allowSave": self.duplicate_rule == "alert", "duplicateRule": "Standard_Lead_Duplicate_Rule",
                  "duplicateRuleEntityType": "Lead", "errorMessage": message,
                  "matchResults": [{"entityType": "Lead", "errors": [], "matchEngine": "FuzzyMatchEngine",
                                    "matchRecords": records, "rule": "Standard_Lead_Match_Rule_v1_0",
                                    "size": len(records), "success": True}]}
        raise SalesforceError(400, "DUPLICATES_DETECTED", message, duplicateResult=result)
