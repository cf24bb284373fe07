"""Setup: create leadhub's contact properties (and their group) where missing; 409 "already exists" is fine."""

from __future__ import annotations

import requests

from connectors.sinks.hubspot import errors
from connectors.sinks.hubspot.client import Api
from connectors.sinks.hubspot.properties import GROUP, PERSON_ID, definitions
from core.errors import AuthExpired, ConfigurationError


def _refuse(response: requests.Response, api: Api, what: str) -> None:
    if response.status_code in (401, 403):
        raise AuthExpired(errors.failure(response, what, api.connection).error or "HubSpot refused the token.")
    if response.status_code >= 400 and response.status_code != 409:
        raise ConfigurationError(f"Setting up HubSpot failed at {what}: {errors.words(errors.body(response))}")


def ensure(api: Api) -> list[str]:
    """The names of the properties created now (none when setup ran before)."""
    try:
        listed = api.call("GET", api.properties)
        _refuse(listed, api, f"GET {api.properties}")
        existing = {p["name"]: p for p in errors.body(listed).get("results", [])}
        missing = [d for d in definitions() if d["name"] not in existing]
        created = []
        if missing:
            _refuse(api.call("POST", api.properties + "/groups", GROUP), api, "creating the property group leadhub")
        for body in missing:
            answer = api.call("POST", api.properties, body)
            _refuse(answer, api, f"creating the property {body['name']}")
            if answer.status_code == 201:
                created.append(body["name"])
                existing[body["name"]] = errors.body(answer)
    except requests.RequestException as exc:
        raise ConfigurationError(f"HubSpot could not be reached at {api.base}: {type(exc).__name__}") from exc
    _check_id_property(api, existing.get(api.id_property), existing.get(PERSON_ID))
    return created


def _check_id_property(api: Api, chosen: dict[str, object] | None, person_id: dict[str, object] | None) -> None:
    if api.id_property != "email" and (chosen is None or not chosen.get("hasUniqueValue")):
        raise ConfigurationError(
            f"The connection setting id_property names {api.id_property}, which is not a unique contact property in "
            "HubSpot. Create it with 'Require unique values' (hasUniqueValue), or use leadhub_person_id or email."
        )
    if person_id is not None and not person_id.get("hasUniqueValue"):
        raise ConfigurationError(
            f"The HubSpot property {PERSON_ID} exists but does not require unique values, so contacts without an "
            "email cannot be upserted by it. Delete it in HubSpot and run setup again."
        )
