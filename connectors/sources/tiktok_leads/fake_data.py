"""Seeded, invented instant forms and leads for the sandbox fake (no real people)."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FIRST = ["Jürgen", "Anna-Lena", "Özlem", "Lukas", "Sophie", "Mehmet", "Björn", "Chloé", "Jonas", "Zeynep", "Małgorzata"]
LAST = ["Müller", "von der Heide", "Yılmaz", "Schäfer", "Weiß", "Groß", "Kowalski", "Öztürk", "Krüger", "Çelik"]
CITIES = ["Berlin", "München", "Köln", "Düsseldorf", "Nürnberg", "Freiburg im Breisgau", "Lübeck"]
PHONES = ["0151 {a} {b}", "+49 170 {a}{b}", "0176-{a}{b}", "+49 (0)160 {a} {b}"]
EXPERIENCE = ["keine", "1–3 Jahre", "mehr als 3 Jahre"]
START = ["sofort", "in 1–3 Monaten", "später"]
# Export labels: TikTok's standard questions in English, the advertiser's own questions as written.
QUESTIONS = [
    ("name", "Name"),
    ("email", "Email"),
    ("phone", "Phone number"),
    ("city", "City"),
    ("experience", "Wie viele Jahre Berufserfahrung haben Sie?"),
    ("start", "Ab wann können Sie starten?"),
    ("consent", "Einwilligung: Aufnahme in den Talentpool"),
]
METADATA_COLUMNS = [
    "lead_id",
    "created_time",
    "campaign_id",
    "campaign_name",
    "adgroup_id",
    "adgroup_name",
    "ad_id",
    "ad_name",
    "page_id",
    "page_name",
    "is_test",
]


@dataclass
class Form:
    page_id: str
    name: str
    status: str = "ACTIVE"
    leads: list[dict[str, Any]] = field(default_factory=list)

    def fields(self) -> list[dict[str, str]]:
        return [
            {"field_id": f"{self.page_id[-6:]}{n:02d}", "field_name": label, "field_type": kind.upper()}
            for n, (kind, label) in enumerate(QUESTIONS)
        ]

    def columns(self) -> list[str]:
        return METADATA_COLUMNS + [label for _, label in QUESTIONS]


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("ı", "i").replace(" ", "")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def forms(advertiser_id: str, count: int) -> list[Form]:
    titles = ["Pflegefachkraft (m/w/d)", "Berufskraftfahrer CE", "Ausbildung 2027", "IT-Support", "Lagerlogistik"]
    return [
        Form(page_id=f"73{advertiser_id[-5:]}{n:012d}", name=f"{titles[n % len(titles)]} – Instant Form {n + 1}")
        for n in range(count)
    ]


def lead(n: int, form: Form, created: float, is_test: bool = False) -> dict[str, Any]:
    """The ``n``-th lead in the shape ``/lead/get/`` answers; the CSV row is derived from it."""
    rng = random.Random(n)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    campaign = rng.randrange(3)
    answers = {
        "name": f"{first} {last}",
        "email": f"{_ascii(first)}.{_ascii(last)}.{n}@example.org",
        "phone": rng.choice(PHONES).format(a=rng.randint(100, 999), b=rng.randint(10000, 99999)),
        "city": rng.choice(CITIES),
        "experience": rng.choice(EXPERIENCE),
        "start": rng.choice(START),
        "consent": rng.choice(["Yes", "No"]),
    }
    return {
        "lead_id": str(7_400_000_000_000_000_000 + n),
        "created_time": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "campaign_id": str(1_809_876_543_200_000 + campaign),
        "campaign_name": ["Pflege Herbst 2026", "Fahrer Nacht Q4", "Azubi 2027"][campaign],
        "adgroup_id": str(1_809_876_543_210_000 + campaign * 10),
        "adgroup_name": ["Lookalike Pflege 25-45", "Interessen Logistik", "Schüler 16-19"][campaign],
        "ad_id": str(1_809_876_543_211_000 + campaign * 100 + rng.randrange(2)),
        "ad_name": f"Video Stationsalltag {'AB'[rng.randrange(2)]}",
        "page_id": form.page_id,
        "page_name": form.name,
        "is_test": is_test,
        "field_data": [
            {"field_id": spec["field_id"], "field_name": spec["field_name"], "field_value": answers[kind]}
            for spec, (kind, _) in zip(form.fields(), QUESTIONS, strict=True)
        ],
    }


def csv_row(lead: dict[str, Any]) -> list[str]:
    meta = ["true" if lead[c] is True else "false" if lead[c] is False else str(lead[c]) for c in METADATA_COLUMNS]
    return meta + [item["field_value"] for item in lead["field_data"]]
