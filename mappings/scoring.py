"""Blocking keys and a Fellegi-Sunter score: how much likelier two records are one human than two.

Each field comparison lands on a level; each level weighs ``log2(m / u)``, where ``m`` is how often the
level occurs for records of one human and ``u`` for records of two (estimated for German recruiting leads,
then checked against the labelled set of :mod:`mappings.synthetic`). For an exact name agreement ``u`` is
the name's own frequency, so "Müller" weighs less than "Mohrenholt". The sum is the score: +1 doubles the
odds. A first name or a birth date that disagrees outright is a *conflict*: whatever the sum, it never
links on its own (see :func:`band`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from core import models, schema
from mappings import names
from mappings.identity_config import IdentityConfig
from mappings.keys import is_shared_address, normalise_email, normalise_phone
from mappings.names import Level

# (m, u) per comparison level.
M_U: dict[str, dict[str, tuple[float, float]]] = {
    "first_name": {
        Level.exact: (0.80, 0.012),
        Level.nickname: (0.06, 0.002),
        Level.partial: (0.04, 0.002),
        Level.typo: (0.05, 0.006),
        Level.initial: (0.02, 0.01),
        Level.different: (0.03, 0.98),
    },
    "last_name": {
        Level.exact: (0.85, 0.003),
        Level.partial: (0.04, 0.002),
        Level.typo: (0.06, 0.004),
        Level.different: (0.05, 0.99),
    },
    "birth_date": {"exact": (0.95, 1 / 20000), "near": (0.03, 0.002), "different": (0.02, 0.998)},
    "email": {"exact": (0.6, 1e-5), "shared": (0.6, 0.2), "local": (0.1, 0.002), "different": (0.4, 1.0)},
    "phone": {"exact": (0.7, 1e-5), "shared": (0.7, 0.2), "different": (0.15, 1.0)},
    "linkedin_url": {"exact": (0.9, 1e-6), "shared": (0.9, 0.2)},
    "location": {
        "postcode": (0.80, 0.0015),
        "region": (0.05, 0.01),
        "city": (0.85, 0.03),
        "different": (0.10, 0.96),
    },
}
WEIGHTS: dict[str, dict[str, float]] = {
    fld: {str(level): math.log2(m / u) for level, (m, u) in levels.items()} for fld, levels in M_U.items()
}
PERSONAL_LEVELS = {
    "first_name": {"exact", "nickname", "partial", "typo"},
    "birth_date": {"exact", "near"},
    "email": {"exact", "local"},
    "phone": {"exact"},
    "linkedin_url": {"exact"},
}
# Share of Germany's population per large city; a shared city weighs log2(m / u) with u four times the
# share (leads cluster in cities; calibrated on the labelled set), and at least that of a mid-sized town.
CITY_SHARES = {
    "berlin": 0.044, "hamburg": 0.022, "munchen": 0.018, "koln": 0.013, "frankfurtammain": 0.009,
    "stuttgart": 0.0075, "dusseldorf": 0.0075, "leipzig": 0.0072, "dortmund": 0.0071, "essen": 0.007,
    "bremen": 0.0069, "dresden": 0.0067, "hannover": 0.0064, "nurnberg": 0.0063, "duisburg": 0.006,
}  # fmt: skip
CITY_FLOOR = 0.004
CONFLICT_LEVELS = {("first_name", Level.different.value), ("birth_date", "different")}


@dataclass(slots=True)
class Profile:
    """The comparable fields of one record, normalised once."""

    first: str = ""
    last: str = ""
    birth_date: str | None = None
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    city: str | None = None

    @classmethod
    def of_incoming(cls, person: schema.Person) -> Profile:
        first, last = person.first_name or "", person.last_name or ""
        if person.full_name and not (first and last):
            split_first, split_last = names.split_full_name(person.full_name)
            first, last = first or split_first, last or split_last
        return cls(
            first=names.fold(first),
            last=names.fold(last),
            birth_date=person.birth_date.isoformat() if person.birth_date else None,
            email=normalise_email(str(person.email)) if person.email else None,
            phone=normalise_phone(person.phone, person.country) if person.phone else None,
            postcode=_postcode(person.postcode),
            city=names.skeleton(names.fold(person.city)) if person.city else None,
        )

    @classmethod
    def of_row(cls, row: models.Person) -> Profile:
        return cls(
            first=names.fold(row.first_name or ""),
            last=names.fold(row.last_name or ""),
            birth_date=row.birth_date,
            email=normalise_email(row.email) if row.email else None,
            phone=row.phone,
            postcode=_postcode(row.postcode),
            city=names.skeleton(names.fold(row.city)) if row.city else None,
        )


def _postcode(value: str | None) -> str | None:
    return value.replace(" ", "").upper() or None if value else None


def blocks_of(profile: Profile) -> set[str]:
    """Blocking keys: records sharing none of them are never compared (so the cost stays near linear).

    Each key pairs a phonetic surname or first name (nicknames read as their formal name) with a place or
    a birth date; each survives a different kind of noise (typo in one name, missing postcode, nickname).
    """
    core = names.surname_core(profile.last)
    parts = core.split()
    lasts = {names.cologne(core)} | ({names.cologne(p) for p in parts} if len(parts) > 1 else set())
    lasts.discard("")
    firsts = {names.cologne(c) for c in names.canonical_firsts(profile.first)} - {""}
    blocks: set[str] = set()
    for last in lasts:
        if profile.postcode:
            blocks.add(f"l:{last}:{profile.postcode}")
        if profile.birth_date:
            blocks.add(f"b:{last}:{profile.birth_date}")
        for first in firsts:
            pair = ":".join(sorted((last, first)))  # first and last typed into each other's boxes meet too
            if profile.postcode:
                blocks.add(f"n:{pair}:{profile.postcode[:3]}")
            if profile.city:
                blocks.add(f"c:{pair}:{profile.city[:40]}")
    for first in firsts:
        if profile.postcode:
            blocks.add(f"f:{first}:{profile.postcode}")
        if profile.birth_date:
            blocks.add(f"d:{first}:{profile.birth_date}")
    if profile.email:
        local = profile.email.split("@", 1)[0]
        if any(c.isdigit() for c in local) and not is_shared_address(profile.email):
            blocks.add(f"e:{local[:100]}")
    return blocks


@dataclass(slots=True)
class Comparison:
    """One scored pair: per-field levels and weights, their sum, and the conflicts that forbid a link."""

    score: float = 0.0
    levels: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def add(self, fld: str, level: str, weight: float | None = None) -> None:
        if level == "missing":
            return
        self.levels[fld] = level
        self.weights[fld] = WEIGHTS[fld][level] if weight is None else weight
        self.score += self.weights[fld]
        if (fld, level) in CONFLICT_LEVELS:
            self.conflicts.append(fld)

    @property
    def personal(self) -> bool:
        """Agreement on something of this one person, beyond the surname and address a household shares."""
        return any(self.levels.get(fld) in levels for fld, levels in PERSONAL_LEVELS.items())

    def evidence(self) -> dict[str, Any]:
        weights = {fld: round(weight, 2) for fld, weight in self.weights.items()}
        return {"score": round(self.score, 2), "levels": self.levels, "weights": weights, "conflicts": self.conflicts}


def _birth_level(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    swapped = ya == yb and ma == db and da == mb
    one_digit = sum(x != y for x, y in zip(a, b, strict=False)) == 1
    return "near" if swapped or one_digit else "different"


def _contact_level(kind: str, mine: str | None, theirs: str | None, hits: dict[str, bool]) -> str:
    """``hits`` maps the key kinds that point at the candidate to whether that key is shared."""
    if kind in hits:
        return "shared" if hits[kind] else "exact"
    if not mine or not theirs:
        return "missing"
    if kind == "email":
        local_a, local_b = mine.split("@", 1)[0], theirs.split("@", 1)[0]
        # The same local part at another provider: telling only when it holds more than the name (digits).
        if local_a == local_b and any(c.isdigit() for c in local_a) and not is_shared_address(mine):
            return "local"
    return "different"


def _location_level(a: Profile, b: Profile) -> str:
    if a.postcode and b.postcode:
        if a.postcode == b.postcode:
            return "postcode"
        if a.city and b.city and a.city == b.city:
            return "city"
        return "region" if a.postcode[:3] == b.postcode[:3] else "different"
    if a.city and b.city:
        return "city" if a.city == b.city else "different"
    return "missing"


def compare(incoming: Profile, candidate: Profile, hits: dict[str, bool] | None = None) -> Comparison:
    """Score ``incoming`` against ``candidate``; ``hits``: key kinds shared by both (kind → shared flag)."""
    hits = hits or {}
    result = Comparison()
    first = names.first_level(incoming.first, candidate.first)
    last = names.last_level(incoming.last, candidate.last)
    if first == Level.different and last == Level.different:
        swapped_first = names.first_level(incoming.first, candidate.last)
        swapped_last = names.last_level(incoming.last, candidate.first)
        if swapped_first not in (Level.different, Level.missing) and swapped_last != Level.different:
            first, last = swapped_first, swapped_last
    first_weight = last_weight = None
    if first == Level.exact:
        first_weight = math.log2(M_U["first_name"][Level.exact][0] / names.first_name_share(incoming.first))
    if last == Level.exact:
        share = names.surname_share(names.surname_core(incoming.last))
        last_weight = math.log2(M_U["last_name"][Level.exact][0] / share)
    result.add("first_name", first.value, first_weight)
    result.add("last_name", last.value, last_weight)
    result.add("birth_date", _birth_level(incoming.birth_date, candidate.birth_date))
    result.add("email", _contact_level("email", incoming.email, candidate.email, hits))
    result.add("phone", _contact_level("phone", incoming.phone, candidate.phone, hits))
    if "linkedin_url" in hits:
        result.add("linkedin_url", "shared" if hits["linkedin_url"] else "exact")
    location = _location_level(incoming, candidate)
    city_weight = None
    if location == "city" and incoming.city:
        u = 4 * max(CITY_SHARES.get(incoming.city, CITY_FLOOR), CITY_FLOOR)
        city_weight = math.log2(M_U["location"]["city"][0] / u)
    result.add("location", location, city_weight)
    return result


def key_guard(incoming: Profile, candidate: Profile) -> list[str]:
    """Why an exact key match must not link on its own: names that cannot be one human, another birth date."""
    reasons: list[str] = []
    if not names.compatible(incoming.first, incoming.last, candidate.first, candidate.last):
        reasons.append("names")
    if _birth_level(incoming.birth_date, candidate.birth_date) == "different":
        reasons.append("birth_date")
    return reasons


def band(comparison: Comparison, config: IdentityConfig) -> str:
    """``link`` (auto), ``review`` (new person + review item) or ``new``. A conflict costs one band, and so
    does evidence that a whole household shares (surname, address, shared keys) with nothing personal."""
    if comparison.score >= config.auto_threshold:
        return "review" if comparison.conflicts or not comparison.personal else "link"
    if comparison.score >= config.review_threshold and not comparison.conflicts:
        return "review"
    return "new"
