"""Identity resolution through the pipeline: keys, guards, shared keys, scored links, review, merge and undo."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from connectors.sources import form_webhook
from core.context import Context
from core.ids import new_id
from core.models import IdentityKey, Lead, MappingVersion, Merge, Person, PersonBlock, ReviewItem, utcnow
from core.schema import Person as CanonicalPerson
from mappings import identity, review, synthetic
from mappings.identity_config import IdentityConfig
from mappings.merge import MergeRefused, undo
from sync import connections, pipeline
from tests.helpers import encode
from webhooks import inbox


class Hub:
    """A form_webhook connection whose mapping also reads birth date and profile URL; leads go through
    ``inbox.store`` and ``pipeline.process`` exactly as a posted form would."""

    _serial = itertools.count(1)

    def __init__(self, ctx: Context, name: str = "careers") -> None:
        self.ctx = ctx
        self.connection_id = connections.create(ctx, name, "form_webhook", {}, {"signing_secret": "x"}).id
        spec = form_webhook.default_mapping().model_dump(mode="json", exclude_defaults=True)
        spec["fields"].update(synthetic.MAPPING_FIELDS)
        with ctx.db.transaction() as session:
            session.add(
                MappingVersion(
                    id=new_id("map"),
                    connection_id=self.connection_id,
                    version=1,
                    spec=spec,
                    published_at=utcnow(),
                    created_by="test",
                )
            )

    def body(self, fields: dict[str, Any], submission_id: str | None = None, consents: Any = None) -> bytes:
        consents = consents or [{"purpose": "recruiting_contact", "granted": True, "text_version": "2026-03"}]
        sid = submission_id or f"sub-{next(self._serial)}"
        return encode({"submission_id": sid, "fields": fields, "consents": consents})

    def store(self, fields: dict[str, Any], submission_id: str | None = None, consents: Any = None) -> str:
        return inbox.store(self.ctx, self.connection_id, "form_webhook", self.body(fields, submission_id, consents))

    def submit(self, consents: Any = None, **fields: Any) -> str:
        """Process one form submission; returns the lead id."""
        outcome = pipeline.process(self.ctx, self.store(fields, consents=consents))
        assert outcome.status == "created", outcome
        assert outcome.lead_id is not None
        return outcome.lead_id

    def person(self, lead_id: str) -> str:
        with self.ctx.db.session() as session:
            person_id = session.scalar(select(Lead.person_id).where(Lead.id == lead_id))
            assert person_id is not None
            return person_id

    def live_persons(self) -> int:
        with self.ctx.db.session() as session:
            return len(session.scalars(select(Person.id).where(Person.merged_into_id.is_(None))).all())

    def key(self, kind: str, value: str) -> IdentityKey:
        with self.ctx.db.session() as session:
            found = session.scalar(select(IdentityKey).where(IdentityKey.kind == kind, IdentityKey.value == value))
            assert found is not None
            return found

    def state(self) -> dict[str, Any]:
        """Every identity row, for before/after comparisons."""
        with self.ctx.db.session() as session:
            persons = {
                p.id: {c.key: getattr(p, c.key) for c in Person.__table__.columns}
                for p in session.scalars(select(Person))
            }
            keys = {k.id: (k.person_id, k.kind, k.value, k.shared) for k in session.scalars(select(IdentityKey))}
            blocks = sorted(session.execute(select(PersonBlock.person_id, PersonBlock.block)).all())
            leads = dict(session.execute(select(Lead.id, Lead.person_id)).all())
            items = {r.id: (r.status, r.decided_by) for r in session.scalars(select(ReviewItem))}
        return {"persons": persons, "keys": keys, "blocks": blocks, "leads": leads, "review_items": items}


@pytest.fixture
def hub(ctx: Context) -> Hub:
    return Hub(ctx)


ANNA = {"first_name": "Anna", "last_name": "Müller", "city": "Berlin", "postcode": "10115"}
LISA = {"first_name": "Lisa", "last_name": "Vogel", "city": "Hamburg", "postcode": "20095"}
LISA_MAYBE = {"first_name": "Lisa", "last_name": "Vogel", "city": "Hamburg"}  # no postcode, another email: review


def test_email_case_and_gmail_variants_are_one_person(hub: Hub) -> None:
    first = hub.submit(**ANNA, email="anna.mueller@gmail.com")
    second = hub.submit(**ANNA, email="AnnaMueller+jobs@googlemail.com")
    assert hub.person(first) == hub.person(second)
    assert hub.live_persons() == 1


def test_phone_format_variants_are_one_person(hub: Hub) -> None:
    leads = [hub.submit(**ANNA, phone=p) for p in ("0151 2345 6789", "+49 151 23456789", "0049 151 23456789")]
    assert len({hub.person(lead) for lead in leads}) == 1


def test_cross_platform_duplicate_with_another_email_links_through_the_phone(hub: Hub) -> None:
    meta = hub.submit(first_name="Hans", last_name="Müller", email="hans.m@gmx.de", phone="0151 1111 2222")
    linkedin = hub.submit(
        first_name="Johannes",
        last_name="Mueller",
        email="johannes.mueller@firma.example",
        phone="+49 151 11112222",
        linkedin_url="https://www.linkedin.com/in/johannes-mueller-42",
    )
    assert hub.person(meta) == hub.person(linkedin)
    assert hub.key("email", "johannes.mueller@firma.example").person_id == hub.person(meta)


def test_cross_platform_duplicate_without_a_common_key_is_merged_by_score_with_evidence(hub: Hub) -> None:
    meta = hub.submit(**ANNA, email="anna.m@gmail.com", phone="0151 2222 3333", birth_date="1991-04-05")
    linkedin = hub.submit(first_name="Anna", last_name="Mueller", email="a.mueller@firma.example", postcode="10115")
    assert hub.person(meta) == hub.person(linkedin)
    with hub.ctx.db.session() as session:
        merge = session.scalars(select(Merge)).one()
    assert merge.survivor_id == hub.person(meta)
    assert merge.evidence["via"] == "score"
    assert merge.evidence["levels"]["location"] == "postcode"
    assert merge.evidence["score"] >= IdentityConfig().auto_threshold
    assert merge.snapshot["incoming_lead_id"] == linkedin  # filled in when the pipeline added the lead


def test_a_lead_whose_email_and_phone_point_at_two_persons_merges_them(hub: Hub) -> None:
    by_email = hub.submit(first_name="Jonas", last_name="Becker", email="jonas.becker@web.de", city="Hamburg")
    by_phone = hub.submit(first_name="Jonas", last_name="Becker", phone="0176 1234 5678", city="Bremen")
    assert hub.person(by_email) != hub.person(by_phone)
    both = hub.submit(first_name="Jonas", last_name="Becker", email="jonas.becker@web.de", phone="0176 12345678")
    assert hub.person(both) == hub.person(by_email) == hub.person(by_phone)
    with hub.ctx.db.session() as session:
        merge = session.scalars(select(Merge)).one()
    assert merge.evidence["via"] == "keys" and merge.evidence["keys"] in (["email"], ["phone"])


def test_household_sharing_a_mailbox_stays_apart_and_the_mailbox_becomes_evidence_only(hub: Hub) -> None:
    family = {"last_name": "Schmidt", "email": "schmidts@t-online.de", "postcode": "50667", "city": "Köln"}
    anna = hub.submit(first_name="Anna", birth_date="1980-01-02", **family)
    assert hub.key("email", "schmidts@t-online.de").shared is False
    peter = hub.submit(first_name="Peter", birth_date="1978-05-06", **family)
    assert hub.person(anna) != hub.person(peter)
    assert hub.key("email", "schmidts@t-online.de").shared is True
    anna_again = hub.submit(first_name="Anna", **family)
    peter_again = hub.submit(first_name="Peter", phone="0171 555 6666", **family)
    assert hub.person(anna_again) == hub.person(anna)
    assert hub.person(peter_again) == hub.person(peter)
    assert hub.live_persons() == 2


def test_family_and_role_mailboxes_are_shared_keys_from_the_start(hub: Hub) -> None:
    lead = hub.submit(first_name="Eva", last_name="Roth", email="familie.roth@gmx.de", postcode="79098")
    nameless = hub.submit(last_name="Roth", email="familie.roth@gmx.de", postcode="79098")
    assert hub.key("email", "familie.roth@gmx.de").shared is True
    assert hub.person(nameless) != hub.person(lead)  # without a first name, nobody can tell who wrote it
    with hub.ctx.db.session() as session:
        item = session.scalars(select(ReviewItem)).one()  # surname and address alone: a household's evidence
    assert item.candidate_id == hub.person(lead)
    assert item.score >= IdentityConfig().auto_threshold


def test_household_sharing_a_landline_stays_apart(hub: Hub) -> None:
    home = {"last_name": "Yılmaz", "phone": "0221 123456", "city": "Köln"}
    mother = hub.submit(first_name="Özlem", email="oezlem.y@web.de", birth_date="1970-03-04", **home)
    son = hub.submit(first_name="Emre", email="emre2004@gmail.com", birth_date="2004-11-12", **home)
    assert hub.person(mother) != hub.person(son)
    assert hub.key("phone", "+49221123456").shared is True


def test_father_and_son_of_one_name_sharing_an_address_go_to_review_not_merged(hub: Hub) -> None:
    common = {"first_name": "Thomas", "last_name": "Weber", "email": "weber@web.de", "postcode": "80331"}
    father = hub.submit(birth_date="1961-03-02", **common)
    son = hub.submit(birth_date="1990-07-09", **common)
    assert hub.person(father) != hub.person(son)
    with hub.ctx.db.session() as session:
        item = session.scalars(select(ReviewItem)).one()
    assert (item.person_id, item.candidate_id) == (hub.person(son), hub.person(father))
    assert "birth_date" in item.evidence["conflicts"]
    assert hub.key("email", "weber@web.de").shared is False  # until an admin says they are two people
    with hub.ctx.db.transaction() as session:
        review.decide(session, item.id, "keep_apart", decided_by="admin@example.org")
    assert hub.key("email", "weber@web.de").shared is True


def test_an_agency_address_used_for_different_candidates_links_none_of_them(hub: Hub) -> None:
    agency = {"email": "bewerbung@personal-plus.example", "phone": "030 9876543"}
    leads = [
        hub.submit(first_name=first, last_name=last, **agency)
        for first, last in (("Lukas", "Becker"), ("Sophie", "Nowak"), ("Mehmet", "Kaya"))
    ]
    assert len({hub.person(lead) for lead in leads}) == 3


def test_the_review_band_creates_a_person_and_an_item_that_an_admin_merges(hub: Hub) -> None:
    first = hub.submit(**LISA, email="lisa.v@gmail.com")
    second = hub.submit(**LISA_MAYBE, email="lisa@firma.example")
    assert hub.person(first) != hub.person(second)
    with hub.ctx.db.transaction() as session:
        [item] = review.open_items(session)
        assert item.lead_id == second
        assert item.candidate["id"] == hub.person(first)
        assert review.IdentityConfig().review_threshold <= item.score < review.IdentityConfig().auto_threshold
        merge = review.decide(session, item.id, "merge", decided_by="admin@example.org")
        assert merge is not None and merge.decided_by == "admin@example.org"
    assert hub.person(first) == hub.person(second)
    with hub.ctx.db.session() as session:
        decided = session.get(ReviewItem, item.id)
        assert decided is not None and (decided.status, decided.decided_by) == ("merged", "admin@example.org")
        assert review.count_open(session) == 0


def test_keep_apart_is_recorded_and_cannot_be_decided_twice(hub: Hub) -> None:
    hub.submit(**LISA, email="lisa.v@gmail.com")
    hub.submit(**LISA_MAYBE, email="lisa@firma.example")
    with hub.ctx.db.transaction() as session:
        [item] = review.open_items(session)
        assert review.decide(session, item.id, "keep_apart", decided_by="admin@example.org") is None
    with hub.ctx.db.transaction() as session, pytest.raises(MergeRefused, match="decided already"):
        review.decide(session, item.id, "merge", decided_by="someone@example.org")
    assert hub.live_persons() == 2


def test_undo_restores_persons_keys_blocks_and_leads_exactly(hub: Hub) -> None:
    a1 = hub.submit(**LISA, email="lisa.v@gmail.com", phone="0151 9999 0000")
    a2 = hub.submit(**LISA, email="lisa.v@gmail.com", birth_date="1991-04-05")
    b1 = hub.submit(**LISA_MAYBE, email="lisa@firma.example")
    before = hub.state()
    with hub.ctx.db.transaction() as session:
        [item] = review.open_items(session)
        merge = review.decide(session, item.id, "merge", decided_by="admin@example.org")
        assert merge is not None
    merged = hub.state()
    assert {merged["leads"][lead] for lead in (a1, a2, b1)} == {hub.person(a1)}
    assert merged != before
    with hub.ctx.db.transaction() as session:
        undo(session, merge.id, undone_by="admin@example.org")
    assert hub.state() == before
    with hub.ctx.db.session() as session:
        record = session.get(Merge, merge.id)
        assert record is not None and record.undone_at is not None
    with hub.ctx.db.transaction() as session, pytest.raises(MergeRefused, match="undone already"):
        undo(session, merge.id)


def test_undoing_a_scored_link_gives_the_lead_its_own_person_back(hub: Hub) -> None:
    meta = hub.submit(**ANNA, email="anna.m@gmail.com")
    before = hub.state()
    linkedin = hub.submit(first_name="Anna", last_name="Mueller", email="a.mueller@firma.example", postcode="10115")
    assert hub.person(linkedin) == hub.person(meta)
    with hub.ctx.db.transaction() as session:
        merge = session.scalars(select(Merge)).one()
        undo(session, merge.id)
    after = hub.state()
    assert hub.person(linkedin) == merge.merged_id != hub.person(meta)
    assert hub.key("email", "a.mueller@firma.example").person_id == merge.merged_id
    assert {pid: row for pid, row in after["persons"].items() if pid in before["persons"]} == before["persons"]


def test_undo_waits_for_a_later_merge_of_the_same_person(hub: Hub) -> None:
    first = hub.submit(**ANNA, email="anna.m@gmail.com")
    hub.submit(first_name="Anna", last_name="Mueller", email="a.mueller@firma.example", postcode="10115")
    hub.submit(first_name="Anna", last_name="Müller", email="anna.mueller@uni.example", postcode="10115")
    with hub.ctx.db.session() as session:
        older, newer = session.scalars(select(Merge).order_by(Merge.created_at, Merge.id)).all()
    assert older.survivor_id == newer.survivor_id == hub.person(first)
    with hub.ctx.db.transaction() as session, pytest.raises(MergeRefused, match=newer.id):
        undo(session, older.id)
    with hub.ctx.db.transaction() as session:
        undo(session, newer.id)
        undo(session, older.id)
    assert hub.live_persons() == 3


def test_consents_stay_with_each_lead_through_merge_and_undo(hub: Hub) -> None:
    talent_pool = [{"purpose": "talent_pool", "granted": True, "text_version": "2025-11", "legal_basis": "consent"}]
    no_marketing = [{"purpose": "marketing", "granted": False, "text_version": "2026-03"}]
    a = hub.submit(consents=talent_pool, **LISA, email="lisa.v@gmail.com")
    b = hub.submit(consents=no_marketing, **LISA_MAYBE, email="lisa@firma.example")

    def consents() -> dict[str, Any]:
        with hub.ctx.db.session() as session:
            return {lead.id: lead.data["consents"] for lead in session.scalars(select(Lead))}

    before = consents()
    assert before[a] != before[b]
    with hub.ctx.db.transaction() as session:
        [item] = review.open_items(session)
        merge = review.decide(session, item.id, "merge", decided_by="admin@example.org")
        assert merge is not None
    assert consents() == before
    with hub.ctx.db.transaction() as session:
        undo(session, merge.id)
    assert consents() == before


def test_most_recent_non_empty_value_survives(hub: Hub) -> None:
    first = hub.submit(**ANNA, email="anna.m@gmail.com", phone="0151 2345 6789")
    hub.submit(first_name="Anna", last_name="Mueller", email="anna.m@gmail.com", city="Potsdam")
    with hub.ctx.db.session() as session:
        person = session.get(Person, hub.person(first))
        assert person is not None
        assert (person.last_name, person.city, person.postcode, person.phone) == (
            "Mueller",
            "Potsdam",
            "10115",
            "+4915123456789",
        )


def test_a_source_priority_list_keeps_the_better_sources_values(ctx: Context, hub: Hub) -> None:
    config = IdentityConfig(source_priority=["linkedin_lead_gen"])

    def arrive(source: str, **fields: Any) -> str:
        with ctx.db.transaction() as session:
            lead_id = new_id("lead")
            person = identity.resolve(
                session, CanonicalPerson.model_validate(fields), config=config, lead_id=lead_id, source=source
            )
            session.add(
                Lead(
                    id=lead_id,
                    person_id=person.id,
                    connection_id=hub.connection_id,
                    source=source,
                    external_id=lead_id,
                    captured_at=utcnow(),
                    data={"source": source, "person": fields},
                )
            )
            return person.id

    first = arrive("linkedin_lead_gen", first_name="Anna", last_name="Müller", email="a@web.de", city="Berlin")
    second = arrive("meta_lead_ads", first_name="Anna", last_name="Mueller", email="a@web.de", city="Bernau")
    assert first == second
    with ctx.db.session() as session:
        person = session.get(Person, first)
        assert person is not None and (person.last_name, person.city) == ("Müller", "Berlin")
