"""Every transform with the awkward inputs platforms and spreadsheets really send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import MappingError
from mappings.apply import apply_mapping, map_fields
from mappings.spec import MappingSpec
from mappings.transforms import country, first_name, last_name, postcode, regex

NOW = {"captured_at": datetime(2026, 11, 26, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Dr. Anna-Lena von der Heide", "Anna-Lena", "von der Heide"),
        ("Jürgen Müller-Lüdenscheidt", "Jürgen", "Müller-Lüdenscheidt"),
        ("Prof. Dr. med. Hans Peter Schulze", "Hans Peter", "Schulze"),
        ("Müller, Jürgen", "Jürgen", "Müller"),
        ("  Chloé   de la Croix ", "Chloé", "de la Croix"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("Madonna", None, "Madonna"),
    ],
)
def test_full_names_split_around_titles_and_particles(full: str, first: str | None, last: str) -> None:
    assert first_name(full, None) == first
    assert last_name(full, None) == last


@pytest.mark.parametrize(
    ("raw", "iso"),
    [("Deutschland", "DE"), ("D", "DE"), ("deu", "DE"), ("Österreich", "AT"), ("Schweiz", "CH"), (" germany ", "DE")],
)
def test_countries_in_german_and_english_become_iso_codes(raw: str, iso: str) -> None:
    assert country(raw, None) == iso


def test_an_unknown_country_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="unknown country"):
        country("Atlantis", None)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("1067", "DE", "01067"),
        (1067, "DE", "01067"),
        ("D-10115", "DE", "10115"),
        ("10115.0", "DE", "10115"),
        ("A-1010", "AT", "1010"),
        ("SW1A 1AA", "GB", "SW1A 1AA"),
    ],
)
def test_postcodes_are_normalised_and_zero_padded(raw: object, region: str, expected: str) -> None:
    assert postcode(raw, region) == expected


def test_a_postcode_with_letters_in_germany_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DE postcode"):
        postcode("1O115", "DE")


def test_regex_extracts_the_first_group() -> None:
    assert regex("Kampagne: pflege-2026 (Video)", r"Kampagne: (\S+)") == "pflege-2026"
    assert regex("nothing here", r"(\d+)") is None


def test_value_maps_turn_answer_text_into_values() -> None:
    spec = MappingSpec.model_validate(
        {
            "value_maps": {"yes_no": {"Ja": True, "Yes": True, "1": True, "Nein": False, "No": False, "0": False}},
            "fields": {"consents.0.granted": {"path": "consent", "transforms": ["trim", "map:yes_no"]}},
        }
    )
    assert map_fields(spec, {"consent": " ja "}) == {"consents": {"0": {"granted": True}}}
    with pytest.raises(MappingError, match="not in value map 'yes_no'") as caught:
        map_fields(spec, {"consent": "vielleicht"})
    assert caught.value.field == "consents.0.granted"


def test_a_map_transform_without_its_value_map_is_refused_on_load() -> None:
    with pytest.raises(ValueError, match="names no value map"):
        MappingSpec.model_validate({"fields": {"person.city": {"path": "x", "transforms": ["map:nope"]}}})


def test_concatenation_joins_every_present_part() -> None:
    spec = MappingSpec.model_validate(
        {"fields": {"person.full_name": {"path": ["first", "middle", "last"], "join": " "}}}
    )
    assert map_fields(spec, {"first": "Anna", "last": "Schmidt"}) == {"person": {"full_name": "Anna Schmidt"}}


def test_conditions_decide_whether_a_field_is_filled() -> None:
    spec = MappingSpec.model_validate(
        {
            "fields": {
                "attribution.channel": {"path": "platform", "when": {"path": "platform", "in": ["fb", "ig"]}},
                "is_test": {"default": True, "transforms": ["bool"], "when": {"path": "ad_id", "equals": "0"}},
            }
        }
    )
    assert map_fields(spec, {"platform": "ig", "ad_id": "0"}) == {"attribution": {"channel": "ig"}, "is_test": True}
    assert map_fields(spec, {"platform": "web", "ad_id": "5"}) == {}


def test_validation_errors_name_every_field_at_fault() -> None:
    spec = MappingSpec.model_validate(
        {
            "fields": {
                "external_id": {"path": "id"},
                "person.email": {"path": "mail"},
                "person.phone": {"path": "tel"},
            }
        }
    )
    with pytest.raises(MappingError) as caught:
        apply_mapping(spec, {"id": "1", "mail": "kein-at-zeichen"}, source="x", defaults=NOW)
    assert caught.value.field == "person.email"
    assert "person.email" in str(caught.value)
