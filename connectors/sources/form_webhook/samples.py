"""Invented sample submissions (no real people) for the demo, tests and benchmarks."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime
from typing import Any

FIRST = [
    "Jürgen",
    "Anna-Lena",
    "Özlem",
    "Lukas",
    "Sophie",
    "Mehmet",
    "Katarzyna",
    "Björn",
    "Chloé",
    "Tobias",
    "Marie",
    "Jonas",
    "Zeynep",
    "Léa",
    "Florian",
    "Małgorzata",
]
LAST = [
    "Müller",
    "von der Heide",
    "Yılmaz",
    "Schäfer",
    "Nowak",
    "Weiß",
    "Dubois",
    "Groß",
    "Kowalski",
    "Hoffmann",
    "Becker",
    "Lehmann",
    "Fischer",
    "Öztürk",
    "Krüger",
    "Çelik",
]
CITIES = [
    ("Berlin", "10115"),
    ("München", "80331"),
    ("Köln", "50667"),
    ("Düsseldorf", "40213"),
    ("Hamburg", "20095"),
    ("Leipzig", "04109"),
    ("Nürnberg", "90402"),
    ("Freiburg im Breisgau", "79098"),
]
CAMPAIGNS = ["pflege-herbst-2026", "it-talents-q4", "logistik-nacht", "azubi-2027"]


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("ı", "i")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def submission(n: int, rng: random.Random | None = None, prefix: str = "demo") -> dict[str, Any]:
    """The ``n``-th sample submission; the same ``n`` and seed give the same person."""
    rng = rng or random.Random(n)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, postcode = rng.choice(CITIES)
    local = _ascii(f"{first}.{last}".lower().replace(" ", ""))
    return {
        "submission_id": f"{prefix}-{n:07d}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "form_id": "karriere-kontakt",
        "form_name": "Karriereseite Kontakt",
        "page_url": "https://jobs.example.org/pflege",
        "fields": {
            "first_name": first,
            "last_name": last,
            "email": f"{local}.{n}@example.org",
            "phone": f"0151 {rng.randint(1000000, 9999999)}",
            "city": city,
            "postcode": postcode,
        },
        "answers": [{"key": "shift", "label": "Bevorzugte Schicht", "value": rng.choice(["früh", "spät", "nacht"])}],
        "consents": [{"purpose": "recruiting_contact", "granted": True, "text_version": "2026-03"}],
        "utm": {"source": "newsletter", "medium": "email", "campaign": rng.choice(CAMPAIGNS)},
    }
