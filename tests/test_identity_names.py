"""Names, keys and scores for identity resolution: pure functions, no storage."""

from __future__ import annotations

from datetime import date

import pytest

from core.schema import Person
from mappings import names, scoring
from mappings.identity_config import IdentityConfig
from mappings.keys import keys_of, normalise_email, normalise_phone, normalise_profile_url
from mappings.names import Level
from mappings.scoring import Profile, blocks_of, compare, key_guard


@pytest.mark.parametrize(
    ("a", "b"),
    [("Müller", "Mueller"), ("MÜLLER", "mueller"), ("Weiß", "Weiss"), ("Chloé", "Chloe"), ("Yılmaz", "Yilmaz")],
)
def test_transliterations_fold_to_one_spelling(a: str, b: str) -> None:
    assert names.fold(a) == names.fold(b)


def test_an_umlaut_dropped_by_a_system_still_matches_through_the_skeleton() -> None:
    assert names.last_level(names.fold("Müller"), names.fold("Muller")) == Level.exact
    assert names.last_level(names.fold("Schröder"), names.fold("Schroder")) == Level.exact


@pytest.mark.parametrize(
    ("a", "b"), [("Müller", "Möller"), ("Meyer", "Maier"), ("Schmidt", "Schmitt"), ("Mueller", "Muller")]
)
def test_cologne_phonetics_put_sound_alikes_in_one_block(a: str, b: str) -> None:
    assert names.cologne(names.fold(a)) == names.cologne(names.fold(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hans", "Johannes"),
        ("Sepp", "Josef"),
        ("Kathi", "Katharina"),
        ("Bob", "Robert"),
        ("Liz", "Elizabeth"),
        ("Jürgen", "Juergen"),
    ],
)
def test_nicknames_and_spellings_are_compatible_first_names(a: str, b: str) -> None:
    assert names.first_level(names.fold(a), names.fold(b)) in (Level.exact, Level.nickname)


@pytest.mark.parametrize(("a", "b"), [("Jan", "Jana"), ("Daniel", "Daniela"), ("Anna", "Peter"), ("Paul", "Paula")])
def test_siblings_names_are_different_not_typos(a: str, b: str) -> None:
    assert names.first_level(names.fold(a), names.fold(b)) == Level.different


def test_double_names_particles_and_initials_agree_partly() -> None:
    assert names.first_level("anna lena", "anna") == Level.partial
    assert names.first_level("a", "anna") == Level.initial
    assert names.last_level(names.fold("von der Heide"), names.fold("Heide")) == Level.exact
    assert names.last_level(names.fold("Müller-Lüdenscheidt"), names.fold("Mueller")) == Level.partial


def test_full_names_split_with_titles_and_particles() -> None:
    assert names.split_full_name("Dr. Anna-Lena von der Heide") == ("Anna-Lena", "von der Heide")
    assert names.split_full_name("Jürgen Müller-Lüdenscheidt") == ("Jürgen", "Müller-Lüdenscheidt")


def test_gmail_dots_tags_and_googlemail_are_one_address() -> None:
    variants = ["Anna.Mueller+jobs@gmail.com", "annamueller@googlemail.com", "ANNA.MUELLER@GMAIL.COM"]
    assert {normalise_email(v) for v in variants} == {"annamueller@gmail.com"}
    assert normalise_email("Anna.Mueller+x@web.de") == "anna.mueller+x@web.de"  # only Gmail ignores them


@pytest.mark.parametrize("raw", ["0151 2345 6789", "+49 151 23456789", "0049 151 23456789", "(0151) 234 567 89"])
def test_phone_formats_become_one_e164_key(raw: str) -> None:
    assert normalise_phone(raw) == "+4915123456789"


def test_profile_urls_lose_scheme_subdomain_query_and_case() -> None:
    a = normalise_profile_url("https://de.linkedin.com/in/Anna-Mueller-1a2b/?trk=public")
    assert a == normalise_profile_url("www.linkedin.com/in/anna-mueller-1a2b") == "linkedin.com/in/anna-mueller-1a2b"


def test_keys_of_a_person_cover_email_phone_and_profile() -> None:
    person = Person(email="A.B@gmail.com", phone="0151 2345 6789", linkedin_url="https://linkedin.com/in/ab")
    assert keys_of(person) == [
        ("email", "ab@gmail.com"),
        ("phone", "+4915123456789"),
        ("linkedin_url", "linkedin.com/in/ab"),
    ]


def _profile(**fields: object) -> Profile:
    return Profile.of_incoming(Person.model_validate(fields))


def test_a_nickname_and_a_transliteration_share_blocks() -> None:
    a = _profile(first_name="Hans", last_name="Müller", postcode="10115", city="Berlin")
    b = _profile(first_name="Johannes", last_name="Mueller", postcode="10115", city="Berlin")
    assert blocks_of(a) == blocks_of(b)


def test_same_name_and_postcode_link_but_a_household_member_does_not() -> None:
    config = IdentityConfig()
    anna = _profile(first_name="Anna", last_name="Müller", postcode="10115", email="a@web.de")
    again = _profile(first_name="Anna", last_name="Mueller", postcode="10115", email="anna.m@gmx.de")
    peter = _profile(first_name="Peter", last_name="Müller", postcode="10115", email="a@web.de")
    assert scoring.band(compare(again, anna), config) == "link"
    household = compare(peter, anna, {"email": True})
    assert "first_name" in household.conflicts
    assert scoring.band(household, config) == "new"


def test_a_key_match_is_refused_when_names_or_birth_dates_conflict() -> None:
    father = _profile(first_name="Thomas", last_name="Weber", birth_date=date(1961, 3, 2))
    son = _profile(first_name="Thomas", last_name="Weber", birth_date=date(1990, 7, 9))
    sister = _profile(first_name="Julia", last_name="Weber")
    assert key_guard(son, father) == ["birth_date"]
    assert key_guard(sister, father) == ["names"]
    assert key_guard(_profile(first_name="Tom", last_name="Weber"), father) == []


def test_review_threshold_above_auto_is_refused() -> None:
    with pytest.raises(ValueError, match="review_threshold"):
        IdentityConfig(auto_threshold=10, review_threshold=12)
