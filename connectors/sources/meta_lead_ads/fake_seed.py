"""Invented forms and leads for the Meta sandbox fake (no real people): German/European names, German phones."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime
from typing import Any

PAGE_ID = "104857600123456"
PAGE_NAME = "Klinikverbund Rheinauen (Karriere)"
SEED_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: seeded leads are created after this

FIRST = ["Jürgen", "Anna-Lena", "Özlem", "Lukas", "Sophie", "Mehmet", "Katarzyna", "Björn", "Chloé", "Tobias"]
FIRST += ["Marie", "Jonas", "Zeynep", "Léa", "Florian", "Małgorzata", "Søren", "Ines", "Dragan", "Grete"]
LAST = ["Müller", "von der Heide", "Yılmaz", "Schäfer", "Nowak", "Weiß", "Dubois", "Groß", "Kowalski", "Hoffmann"]
LAST += ["Becker", "Lehmann", "Fischer", "Öztürk", "Krüger", "Çelik", "Jensen", "Łukasik", "Brandt", "Vogt"]
CITIES = [("Köln", "50667"), ("Düsseldorf", "40213"), ("Bonn", "53111"), ("Leverkusen", "51373"), ("Neuss", "41460")]
CITIES += [("Mönchengladbach", "41061"), ("Krefeld", "47798"), ("Brühl", "50321")]

CONSENT_TEXT = "Ich willige ein, dass der Klinikverbund Rheinauen mich zu meiner Bewerbung kontaktiert."
POOL_TEXT = "Nehmt mich in euren Talentpool auf (Speicherung bis zu 12 Monate, jederzeit widerrufbar)."
CALLBACK_TEXT = "Ich bin einverstanden, dass mich das Recruiting-Team telefonisch zurückruft."

FORMS: list[dict[str, Any]] = [
    {
        "id": "551200000000101",
        "name": "Pflegefachkraft (m/w/d) – Schnellbewerbung",
        "status": "ACTIVE",
        "locale": "DE_DE",
        "created_time": "2025-11-03T08:00:00+0000",
        "questions": [
            {"id": "q1", "key": "first_name", "label": "Vorname", "type": "FIRST_NAME"},
            {"id": "q2", "key": "last_name", "label": "Nachname", "type": "LAST_NAME"},
            {"id": "q3", "key": "email", "label": "E-Mail", "type": "EMAIL"},
            {"id": "q4", "key": "phone_number", "label": "Telefonnummer", "type": "PHONE"},
            {"id": "q5", "key": "city", "label": "Ort", "type": "CITY"},
            {"id": "q6", "key": "zip_code", "label": "Postleitzahl", "type": "ZIP"},
            {
                "id": "q7",
                "key": "berufserfahrung",
                "label": "Wie viele Jahre Berufserfahrung haben Sie?",
                "type": "CUSTOM",
                "options": [
                    {"key": "0_2", "value": "0–2 Jahre"},
                    {"key": "3_5", "value": "3–5 Jahre"},
                    {"key": "6_plus", "value": "mehr als 5 Jahre"},
                ],
            },
            {
                "id": "q8",
                "key": "schichtbereitschaft",
                "label": "Welche Schichten passen zu Ihnen?",
                "type": "CUSTOM",
                "options": [
                    {"key": "frueh", "value": "Frühdienst"},
                    {"key": "spaet", "value": "Spätdienst"},
                    {"key": "nacht", "value": "Nachtdienst"},
                ],
            },
        ],
        "tracking_parameters": [
            {"key": "utm_source", "value": "facebook"},
            {"key": "utm_medium", "value": "paid_social"},
            {"key": "utm_campaign", "value": "pflege-fruehjahr-2026"},
        ],
        "legal_content": {
            "id": "880100000000101",
            "privacy_policy": {"url": "https://karriere.example.org/datenschutz", "link_text": "Datenschutz"},
            "custom_disclaimer": {
                "title": "Einwilligungen",
                "body": {"text": "Bitte bestätigen Sie, wie wir mit Ihren Angaben umgehen dürfen."},
                "checkboxes": [
                    {
                        "id": "c1",
                        "key": "kontakt_bewerbung",
                        "text": CONSENT_TEXT,
                        "is_required": True,
                        "is_checked_by_default": False,
                    },
                    {
                        "id": "c2",
                        "key": "talentpool",
                        "text": POOL_TEXT,
                        "is_required": False,
                        "is_checked_by_default": False,
                    },
                ],
            },
        },
        "campaign": ("238500000000101", "Pflege Frühjahr 2026 – NRW"),
        "adsets": [("238500000001101", "Pflege 25–55 Köln/Bonn"), ("238500000001102", "Pflege Retargeting")],
        "ads": [("238500000002101", "Video Schichtmodell"), ("238500000002102", "Karussell Team")],
        "leads": 14,
    },
    {
        "id": "551200000000202",
        "name": "IT-Talente Q1 – Rückrufwunsch",
        "status": "ACTIVE",
        "locale": "DE_DE",
        "created_time": "2025-12-01T09:30:00+0000",
        "questions": [
            {"id": "q1", "key": "full_name", "label": "Vollständiger Name", "type": "FULL_NAME"},
            {"id": "q2", "key": "email", "label": "E-Mail", "type": "EMAIL"},
            {"id": "q3", "key": "phone_number", "label": "Telefonnummer", "type": "PHONE"},
            {"id": "q4", "key": "job_title", "label": "Aktuelle Position", "type": "JOB_TITLE"},
            {
                "id": "q5",
                "key": "tech_stack",
                "label": "Mit welchen Technologien arbeiten Sie am liebsten?",
                "type": "CUSTOM",
            },
        ],
        "tracking_parameters": [{"key": "utm_campaign", "value": "it-talente-q1"}],
        "legal_content": {
            "id": "880100000000202",
            "privacy_policy": {"url": "https://karriere.example.org/datenschutz", "link_text": "Datenschutz"},
            "custom_disclaimer": {
                "title": "Rückruf",
                "body": {"text": "Wir melden uns innerhalb von zwei Werktagen."},
                "checkboxes": [
                    {
                        "id": "c1",
                        "key": "rueckruf",
                        "text": CALLBACK_TEXT,
                        "is_required": True,
                        "is_checked_by_default": False,
                    },
                ],
            },
        },
        "campaign": ("238500000000202", "IT-Talente Q1 2026"),
        "adsets": [("238500000001201", "Entwickler:innen DACH")],
        "ads": [("238500000002201", "Bild Remote-Tage")],
        "leads": 7,
    },
    {
        "id": "551200000000303",
        "name": "Azubi 2027 – Logistik (archiviert)",
        "status": "ARCHIVED",
        "locale": "DE_DE",
        "created_time": "2025-09-15T07:00:00+0000",
        "questions": [
            {"id": "q1", "key": "first_name", "label": "Vorname", "type": "FIRST_NAME"},
            {"id": "q2", "key": "last_name", "label": "Nachname", "type": "LAST_NAME"},
            {"id": "q3", "key": "email", "label": "E-Mail", "type": "EMAIL"},
            {"id": "q4", "key": "zip_code", "label": "Postleitzahl", "type": "ZIP"},
            {"id": "q5", "key": "schulabschluss", "label": "Welchen Schulabschluss haben Sie?", "type": "CUSTOM"},
        ],
        "tracking_parameters": [],
        "legal_content": {"id": "880100000000303", "privacy_policy": {"url": "https://karriere.example.org/ds"}},
        "campaign": ("238500000000303", "Azubi Logistik 2027"),
        "adsets": [("238500000001301", "Schüler:innen 16–20")],
        "ads": [("238500000002301", "Story Lagerrundgang")],
        "leads": 3,
    },
]

FORM_KEYS = ("campaign", "adsets", "ads", "leads")  # seeding hints, never served


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("Ł", "L").replace("ı", "i").replace("ø", "o")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def graph_time(unix: int) -> str:
    """Meta's wire format for times: ``2026-01-31T09:29:50+0000``."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def answer_for(question: dict[str, Any], rng: random.Random, person: dict[str, str]) -> list[str]:
    """The ``values`` list of one ``field_data`` entry."""
    if question["key"] in person:
        return [person[question["key"]]]
    if question.get("options"):
        return [rng.choice(question["options"])["value"]]
    free = {
        "tech_stack": ["Python und PostgreSQL", "Kotlin, Spring", "TypeScript/React"],
        "schulabschluss": ["Realschulabschluss", "Abitur", "Hauptschulabschluss"],
    }
    return [rng.choice(free.get(question["key"], ["k. A."]))]


def person(n: int, rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, zip_code = rng.choice(CITIES)
    local = _ascii(f"{first}.{last}".lower().replace(" ", ""))
    mobile = f"0{rng.choice(['151', '160', '170', '176'])} {rng.randint(1000000, 9999999)}"
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "email": f"{local}.{n}@example.org",
        "phone_number": rng.choice([mobile, "+49" + mobile[1:].replace(" ", "")]),
        "city": city,
        "zip_code": zip_code,
        "job_title": rng.choice(["Backend-Entwicklerin", "DevOps Engineer", "Data Analyst"]),
    }


def lead(n: int, form: dict[str, Any], created: int, rng: random.Random, organic: bool = False) -> dict[str, Any]:
    """One lead as the Graph API stores it (every field; the fake projects on ``fields``)."""
    who = person(n, rng)
    record: dict[str, Any] = {
        "id": str(900_000_000_000_000 + n),
        "created_time": graph_time(created),
        "form_id": form["id"],
        "is_organic": organic,
        "platform": rng.choice(["fb", "fb", "ig"]),
        "field_data": [{"name": q["key"], "values": answer_for(q, rng, who)} for q in form["questions"]],
    }
    boxes = (form.get("legal_content", {}).get("custom_disclaimer") or {}).get("checkboxes", [])
    if boxes:
        record["custom_disclaimer_responses"] = [
            {"checkbox_key": box["key"], "is_checked": "1" if box["is_required"] or rng.random() < 0.5 else "0"}
            for box in boxes
        ]
    if not organic:
        (adset_id, adset_name), (ad_id, ad_name) = rng.choice(form["adsets"]), rng.choice(form["ads"])
        record.update(
            campaign_id=form["campaign"][0],
            campaign_name=form["campaign"][1],
            adset_id=adset_id,
            adset_name=adset_name,
            ad_id=ad_id,
            ad_name=ad_name,
        )
    return record


def seed(rng_seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Forms (as served) and leads, the same every time for the same seed."""
    rng = random.Random(rng_seed)
    forms, leads, n = [], [], 0
    for form in FORMS:
        created = SEED_EPOCH
        for i in range(form["leads"]):
            n += 1
            created += rng.randint(3_600, 86_400)
            leads.append(lead(n, form, created, rng, organic=i % 5 == 4))
        forms.append({key: value for key, value in form.items() if key not in FORM_KEYS} | {"page_id": PAGE_ID})
    return forms, leads
