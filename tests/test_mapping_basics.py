"""The first cut of the mapping language: paths, transforms, defaults, errors that name the field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.sources import form_webhook
from core.errors import MappingError
from mappings.apply import apply_mapping
from mappings.spec import MappingSpec
from mappings.transforms import phone, timestamp, to_bool


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20T08:15:42+0000", datetime(2026, 11, 20, 8, 15, 42, tzinfo=UTC)),
        ("2026-11-20T08:15:42Z", datetime(2026, 11, 20, 8, 15, 42, tzinfo=UTC)),
        (1795162542, datetime(2026, 11, 20, 8, 15, 42, tzinfo=UTC)),
        ("1795162542000", datetime(2026, 11, 20, 8, 15, 42, tzinfo=UTC)),
        ("20.11.2026", datetime(2026, 11, 20, tzinfo=UTC)),
    ],
)
def test_timestamps_in_the_formats_platforms_send(raw: object, expected: datetime) -> None:
    assert timestamp(raw, None) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0151 2345 6789", "+4915123456789"), ("+43 660 1234567", "+436601234567"), ("0049 30 1234567", "+49301234567")],
)
def test_phones_become_e164_with_germany_as_default_region(raw: str, expected: str) -> None:
    assert phone(raw, "DE") == expected


@pytest.mark.parametrize(("raw", "expected"), [("Ja", True), ("yes", True), ("1", True), ("nein", False)])
def test_yes_no_answers_become_booleans(raw: str, expected: bool) -> None:
    assert to_bool(raw, None) is expected


def test_unknown_transform_is_refused_when_the_mapping_is_loaded() -> None:
    with pytest.raises(ValueError, match="unknown transform"):
        MappingSpec.model_validate({"fields": {"person.email": {"path": "email", "transforms": ["shout"]}}})


def test_a_bad_value_names_the_canonical_field() -> None:
    record = {"submission_id": "1", "fields": {"email": "not-an-email"}}
    with pytest.raises(MappingError) as caught:
        apply_mapping(
            form_webhook.default_mapping(), record, source="form_webhook", defaults={"captured_at": datetime.now(UTC)}
        )
    assert caught.value.field == "person.email"


def test_german_field_names_map_through_the_default_mapping() -> None:
    record = {
        "submission_id": 7,
        "fields": {
            "vorname": "Jürgen",
            "nachname": "Müller-Lüdenscheidt",
            "telefon": "030 1234567",
            "plz": 10115,
            "ort": "Berlin",
        },
    }
    lead = apply_mapping(
        form_webhook.default_mapping(), record, source="form_webhook", defaults={"captured_at": datetime.now(UTC)}
    )
    assert lead.external_id == "7"
    assert (lead.person.first_name, lead.person.last_name) == ("Jürgen", "Müller-Lüdenscheidt")
    assert (lead.person.phone, lead.person.postcode, lead.person.city) == ("+49301234567", "10115", "Berlin")


def test_list_items_are_selected_by_key() -> None:
    from mappings.apply import _MISSING, read_path

    meta = {"field_data": [{"name": "full_name", "values": ["Jürgen Weiß"]}, {"name": "email", "values": ["j@x.de"]}]}
    google = {"user_column_data": [{"column_id": "EMAIL", "string_value": "a.b@example.org"}]}
    assert read_path(meta, "field_data[name=email].values.0") == "j@x.de"
    assert read_path(google, "user_column_data[column_id=EMAIL].string_value") == "a.b@example.org"
    assert read_path(meta, "field_data[name=phone_number].values.0") is _MISSING  # absent, not an error
    assert read_path({"a": [{"k": "x.y", "v": 1}]}, "a[k=x.y].v") == 1


def test_every_other_list_item_is_reshaped_into_answers() -> None:
    from mappings.apply import read_path

    google = {
        "user_column_data": [
            {"column_id": "EMAIL", "string_value": "a@example.org"},
            {"column_name": "Startdatum?", "string_value": "sofort"},
            {"column_id": "JOB_TITLE", "column_name": "Job title", "string_value": "Pflege"},
        ]
    }
    path = (
        "user_column_data[column_id!=EMAIL|FULL_NAME].{key:column_id|column_name,label:column_name,value:string_value}"
    )
    assert read_path(google, path) == [
        {"key": "Startdatum?", "label": "Startdatum?", "value": "sofort"},
        {"key": "JOB_TITLE", "label": "Job title", "value": "Pflege"},
    ]
