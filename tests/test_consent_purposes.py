"""Consent purposes per connection: platform checkbox keys become the purposes rules and routes read."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from connectors.sources.meta_lead_ads.fake import MetaFake
from connectors.sources.tiktok_leads import record as tiktok_record
from core.context import Context
from core.errors import ConfigurationError
from core.models import AuditEntry, Connection, Lead
from core.schema import Consent
from mappings import consents, replay, versions
from mappings.spec import MappingSpec
from sync import config_file, connections
from tests.admin_helpers import csrf_of, login, make_user
from tests.test_source_meta_lead_ads_webhooks import (  # noqa: F401 - fake and hook are fixtures
    APP_SECRET,
    VERIFY_TOKEN,
    fake,
    hook,
    process_all,
)

CALLBACK_FORM = "551200000000202"  # one required checkbox: rueckruf
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def consent(purpose: str, granted: bool = True, **extra: Any) -> Consent:
    return Consent(purpose=purpose, granted=granted, given_at=NOW, source="meta_lead_ads", **extra)


# -- the map ---------------------------------------------------------------------------------------------------------
def test_mapped_keys_take_the_canonical_purpose_and_keep_the_platform_key() -> None:
    given = [consent("kontakt_bewerbung"), consent("talentpool", False), consent("newsletter"), consent("marketing")]
    renamed = consents.rename(given, {"kontakt_bewerbung": "recruiting_contact", "talentpool": "talent_pool",
                                      "marketing": "marketing"})
    assert [(c.purpose, c.platform_key, c.granted) for c in renamed] == [
        ("recruiting_contact", "kontakt_bewerbung", True),
        ("talent_pool", "talentpool", False),
        ("newsletter", None, True),  # not in the map: stays as the platform names it
        ("marketing", None, True),  # mapped to itself: nothing to record
    ]
    assert renamed[0].given_at == NOW and renamed[0].source == "meta_lead_ads"
    again = consents.rename(renamed, {"recruiting_contact": "contact"})
    assert (again[0].purpose, again[0].platform_key) == ("contact", "kontakt_bewerbung")  # the first key survives


def test_a_map_is_read_from_yaml_admin_lines_and_cli_items_alike() -> None:
    expected = {"kontakt_bewerbung": "recruiting_contact", "talentpool": "talent_pool"}
    assert consents.parse(expected) == expected
    lines = "# Meta form\nkontakt_bewerbung = recruiting_contact\n\n talentpool=talent_pool \n"
    assert consents.parse(lines) == expected
    assert consents.parse("kontakt_bewerbung=recruiting_contact,talentpool=talent_pool") == expected
    assert consents.parse({287263023: "recruiting_contact"}) == {"287263023": "recruiting_contact"}  # YAML int key
    assert consents.parse("") == {}
    assert consents.to_text(expected) == "kontakt_bewerbung = recruiting_contact\ntalentpool = talent_pool\n"
    assert consents.parse(consents.to_text(expected)) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("a = recruiting_contact\ntalentpool talent_pool", "line 2 ('talentpool talent_pool') has no '='"),
        ("a = recruiting_contact\na = talent_pool", "line 2: the key 'a' is named twice"),
        ("a = Recruiting Contact", "the purpose 'Recruiting Contact' of 'a' is not a purpose name"),
        ("a =", "'a' has no purpose; write it as `a = recruiting_contact`"),
        ("= talent_pool", "item 1: the checkbox key is empty"),
        ({"a": None}, "'a': 'a' has no purpose"),
        ({"a": 7}, "the purpose 7 of 'a' is not a purpose name"),
        (["a", "b"], "must be a mapping of checkbox key to purpose"),
    ],
)
def test_a_bad_map_is_refused_with_the_place_and_the_fix(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        consents.parse(value)


def test_the_connection_setting_replaces_the_platform_defaults() -> None:
    assert consents.effective("meta_lead_ads", {})["kontakt_bewerbung"] == "recruiting_contact"
    assert consents.effective("meta_lead_ads", {"consent_purposes": {"x": "marketing"}}) == {"x": "marketing"}
    assert consents.effective("meta_lead_ads", {"consent_purposes": {}}) == {}  # no renaming at all
    assert consents.effective("google_ads_lead_forms", {}) == {}  # Google forms carry no consents
    with pytest.raises(ValueError, match=r"consent_purposes is invalid .* correct it on the connection"):
        consents.effective("meta_lead_ads", {"consent_purposes": "a"})


def test_linkedin_and_tiktok_defaults_name_their_sandbox_keys() -> None:
    linkedin = consents.rename([consent("linkedin_consent_0"), consent("linkedin_consent_1")],
                               consents.defaults("linkedin_lead_gen"))
    assert [c.purpose for c in linkedin] == ["recruiting_contact", "talent_pool"]
    row = {"Lead ID": "7400000000000000001", "Einwilligung: Aufnahme in den Talentpool": "Ja",
           "Einwilligung: Kontaktaufnahme": "Ja"}
    flat = [Consent.model_validate(c) for c in tiktok_record.flatten(row)["consents"]]
    tiktok = consents.rename(flat, consents.defaults("tiktok_leads"))
    assert [(c.purpose, c.platform_key) for c in tiktok] == [
        ("talent_pool", "einwilligung_aufnahme_in_den_talentpool"),
        ("recruiting_contact", "einwilligung_kontaktaufnahme"),
    ]


# -- stored with the connection: create, CLI items, config file --------------------------------------------------------
def test_create_stores_a_cli_map_as_a_mapping_and_refuses_a_bad_one(ctx: Context) -> None:
    secrets = {"access_token": "t", "app_secret": "s", "verify_token": "v"}
    cli = {"consent_purposes": "rueckruf=recruiting_contact,talentpool=talent_pool"}  # --setting consent_purposes=…
    conn = connections.create(ctx, "meta", "meta_lead_ads", cli, secrets)
    assert conn.settings["consent_purposes"] == {"rueckruf": "recruiting_contact", "talentpool": "talent_pool"}
    with pytest.raises(ConfigurationError, match=r"Connection 'meta2' \(meta_lead_ads\): setting consent_purposes: "
                                                 r"item 1 \('rueckruf'\) has no '='"):
        connections.create(ctx, "meta2", "meta_lead_ads", {"consent_purposes": "rueckruf"}, secrets)


def test_config_export_and_import_carry_the_map(ctx: Context, tmp_path: Path, monkeypatch: Any) -> None:
    purposes = {"kontakt_bewerbung": "recruiting_contact", "newsletter": "marketing"}
    connections.create(ctx, "meta", "meta_lead_ads", {"page_id": "1", "consent_purposes": purposes},
                       {"access_token": "t", "app_secret": "s", "verify_token": "v"})
    exported = config_file.export(ctx)
    assert yaml.safe_load(exported)["connections"][0]["settings"]["consent_purposes"] == purposes
    document = yaml.safe_load(exported)
    document["connections"][0]["name"] = "meta-copy"
    for key in ("access_token", "app_secret", "verify_token"):
        monkeypatch.setenv(f"META_{key.upper()}", "x")
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert config_file.apply(ctx, config_file.load(path)) == ["connection meta-copy"]
    with ctx.db.session() as session:
        copy = session.scalar(select(Connection).where(Connection.name == "meta-copy"))
    assert copy is not None and copy.settings["consent_purposes"] == purposes
    document["connections"][0].update(name="meta-bad", settings={"consent_purposes": {"newsletter": "News Letter"}})
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"'meta-bad'.*'News Letter' of 'newsletter' is not a purpose name"):
        config_file.apply(ctx, config_file.load(path))


# -- through the pipeline: a Meta lead by webhook ----------------------------------------------------------------------
def stored(ctx: Context, external_id: str) -> Lead:
    with ctx.db.session() as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == external_id))
    assert lead is not None
    return lead


def test_a_meta_lead_qualifies_through_the_default_map(ctx: Context, fake: MetaFake, hook: str) -> None:  # noqa: F811
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    lead = fake.add_lead(CALLBACK_FORM)
    assert process_all(ctx) == ["created"]
    row = stored(ctx, lead["id"])
    [given] = row.data["consents"]
    assert (given["purpose"], given["platform_key"], given["granted"]) == ("recruiting_contact", "rueckruf", True)
    assert given["text"].startswith("Ich bin einverstanden") and given["source"] == "meta_lead_ads"
    assert row.stage == "qualified"


def test_a_meta_lead_stays_captured_when_the_admin_maps_its_key_elsewhere(
    app: Flask, client: Any, ctx: Context, fake: MetaFake, hook: str  # noqa: F811
) -> None:
    make_user(app.extensions["leadhub"], "editor@example.org", "editor")
    login(client, "editor@example.org")
    conn = connections.find(ctx, "meta")
    answer = client.post(f"/admin/connections/{conn.id}/consents", data={
        "csrf_token": csrf_of(client), "action": "save", "consent_purposes": "rueckruf = callback\n"})
    assert answer.status_code == 302
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    lead = fake.add_lead(CALLBACK_FORM)
    assert process_all(ctx) == ["created"]
    row = stored(ctx, lead["id"])
    assert [(c["purpose"], c["platform_key"]) for c in row.data["consents"]] == [("callback", "rueckruf")]
    assert row.stage == "captured"  # no recruiting_contact consent: neither qualified nor refused


def test_a_replay_keeps_the_canonical_purposes(ctx: Context, fake: MetaFake, hook: str) -> None:  # noqa: F811
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    lead = fake.add_lead(CALLBACK_FORM)
    process_all(ctx)
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "meta"))
        assert conn is not None
        spec = MappingSpec.model_validate(versions.published(session, conn).spec)
    version = replay.publish(ctx, conn.id, spec, "test")
    assert replay.replay(ctx, conn.id, version).updated == 1
    row = stored(ctx, lead["id"])
    assert [(c["purpose"], c["platform_key"]) for c in row.data["consents"]] == [("recruiting_contact", "rueckruf")]


# -- the admin card ----------------------------------------------------------------------------------------------------
def test_the_admin_shows_edits_refuses_and_resets_the_map(
    app: Flask, client: Any, ctx: Context, fake: MetaFake  # noqa: F811
) -> None:
    make_user(app.extensions["leadhub"], "editor@example.org", "editor")
    login(client, "editor@example.org")
    conn = connections.find(ctx, "meta")
    page = client.get(f"/admin/connections/{conn.id}").get_data(as_text=True)
    assert "kontakt_bewerbung = recruiting_contact" in page and "uses the platform's defaults" in page
    assert "consent_purposes" not in page.split('name="settings"')[1].split("</textarea>")[0]
    url = f"/admin/connections/{conn.id}/consents"
    refused = client.post(url, data={"csrf_token": csrf_of(client), "action": "save",
                                     "consent_purposes": "rueckruf = recruiting_contact\ntalentpool: talent_pool"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "line 2 (&#39;talentpool: talent_pool&#39;) has no &#39;=&#39;" in html
    assert "talentpool: talent_pool</textarea>" in html  # the admin's text is kept for the fix
    client.post(url, data={"csrf_token": csrf_of(client), "action": "save", "consent_purposes": "rueckruf = contact"})
    client.post(f"/admin/connections/{conn.id}/settings",
                data={"csrf_token": csrf_of(client), "settings": "page_id: '551200000000999'\n"})
    with ctx.db.session() as session:
        row = session.get(Connection, conn.id)
        assert row is not None
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == conn.id)).all()
    assert row.settings == {"page_id": "551200000000999", "consent_purposes": {"rueckruf": "contact"}}
    assert "connection.consent_purposes" in audit
    page = client.get(f"/admin/connections/{conn.id}").get_data(as_text=True)
    assert "uses its own map" in page and "rueckruf = contact" in page and "Use the platform defaults" in page
    client.post(url, data={"csrf_token": csrf_of(client), "action": "defaults"})
    with ctx.db.session() as session:
        row = session.get(Connection, conn.id)
    assert row is not None and "consent_purposes" not in row.settings
