"""Invented import files (no real people) of any length, written row by row for tests, benchmarks and the demo."""

from __future__ import annotations

import csv
import random
import unicodedata
from pathlib import Path

from connectors.sources.form_webhook.samples import CAMPAIGNS, CITIES, FIRST, LAST

HEADER_DE = [
    "Vorname",
    "Nachname",
    "E-Mail",
    "Telefon",
    "PLZ",
    "Ort",
    "Einwilligung",
    "Kampagne",
    "Quelle",
    "Datum",
    "Bemerkung",
]
SOURCES = ["Messe", "Website", "Empfehlung", "Karrieretag"]
NOTES = ["", "", "", "Rückruf nach 17 Uhr", "Möchte Nachtschicht,\nab Januar", "Führerschein Klasse C"]


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("ı", "i")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def row(n: int, rng: random.Random) -> list[str]:
    """The ``n``-th invented row: German columns, a unique email, sometimes a note with a line break."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, postcode = rng.choice(CITIES)
    local = _ascii(f"{first}.{last}".lower().replace(" ", ""))
    return [
        first,
        last,
        f"{local}.{n}@example.org",
        f"0151 {rng.randint(1000000, 9999999)}",
        postcode,
        city,
        rng.choice(["Ja", "Nein", "ja"]),
        rng.choice(CAMPAIGNS),
        rng.choice(SOURCES),
        f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026",
        rng.choice(NOTES),
    ]


def write_csv(path: Path, rows: int, delimiter: str = ";", encoding: str = "utf-8", seed: int = 7) -> Path:
    """Stream ``rows`` rows to ``path`` (never built in memory), the way a spreadsheet exports them."""
    rng = random.Random(seed)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER_DE)
        for n in range(rows):
            writer.writerow(row(n, rng))
    return path
