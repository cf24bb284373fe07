"""A seeded, labelled set of invented leads for testing and benchmarking identity resolution.

Every lead carries the id of the human it came from (``truth``). The noise is what real recruiting leads
show: typos, transliterations (Müller/Mueller/Muller), nickname swaps (Johannes/Hans), phone formats
(0151 …, +49 151 …, 0049 …), Gmail dots and ``+tags``, missing fields, one human on several platforms
with a different email on each, and households or agencies sharing an email or a landline while their
people differ in first name and birth date. No real person is described.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from mappings import names


def _words(text: str) -> list[str]:
    return text.split()


COMMON_LAST = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner "
    "Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs "
    "Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler "
    "Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher "
    "Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich "
    "Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Yılmaz Kaya "
    "Demir Şahin Çelik Öztürk Nowak Kowalski Wiśniewski Dubois Rossi"
)
SPECIAL_LAST = ["von der Heide", "van Dijk", "Müller-Lüdenscheidt", "de la Cruz", "zu Löwenstein", "Schmidt-Weiß"]
ROOTS = _words(
    "Acker Adler Alt Amsel Bach Bär Baum Berg Birk Blum Bock Brand Breit Brück Brun Buch Dahl Dorn Drechs "
    "Eich Eis Eng Falk Feld Fink Fleisch Forst Frei Fröh Fuhr Gärt Geb Gold Gött Grün Hag Hain Hall Hamm Hart "
    "Hass Heck Heil Held Herz Hirsch Hoch Hölz Holz Horst Hüb Jahn Kamm Kast Kirch Klee Knapp Köl Kolb Kopp "
    "Korn Kräm Kreuz Kühl Kunz Lamm Land Lind Löw Lust Mähl Mark Mast Mohr Moos Mühl Nagel Neu Nord Ober Ost "
    "Pank Pflug Quast Rad Rau Reh Reich Rein Ring Rohr Rös Rot Rück Sand Schall Scheu Schick Schön Schrei "
    "Schütz Seel Sieb Sonn Spät Stahl Stark Steg Stier Storch Strauß Sturm Süß Tann Teich Thal Tief Töp Uhl "
    "Wach Wald Wall Wass Weid Wend Wies Wild Will Wirt Wöhl Zell Zieg"
)
CONNECTORS = ["", *_words("en el s er ing stein wald bach berg feld hof kamp horn brink au eck heim mar rod")]
SUFFIXES = _words(
    "mann er ler ner ke bach berg hoff meier feld stein wald hausen dorf brink kamp baum rich hardt mayer "
    "huber kötter müller wig ling inger ig sch ert holt rath sen"
)

MALE = _words(
    "Thomas Michael Andreas Stefan Christian Peter Markus Frank Jürgen Klaus Wolfgang Daniel Alexander "
    "Sebastian Tobias Jan Lukas Jonas Florian Matthias Johannes Josef Robert Maximilian Benjamin Felix Paul "
    "Leon Tim Niklas Björn Jörg Sören Günther Uwe Dieter Bernd Gerhard Heinrich Friedrich Wilhelm Ludwig "
    "Joachim Ulrich Manfred Patrick Dennis Kevin Marcel Sven Dirk Oliver Philipp Simon David Fabian Dominik "
    "Marco René André Mehmet Ahmet Mustafa Emre Łukasz Piotr Tomasz José Luca Mateo Noah Elias Finn Ben Anton "
    "Emil Theo Konrad Richard Samuel"
)
FEMALE = _words(
    "Anna Julia Laura Sarah Lisa Katharina Maria Sophie Lena Hannah Lea Marie Johanna Elisabeth Christina "
    "Sandra Nicole Stefanie Sabine Petra Claudia Susanne Andrea Birgit Monika Ursula Gabriele Karin Angelika "
    "Margarete Barbara Franziska Magdalena Charlotte Caroline Jennifer Jessica Vanessa Melanie Nadine Anja "
    "Tanja Kerstin Silke Heike Jana Carina Miriam Theresa Veronika Rebecca Victoria Dorothea Helena Anna-Lena "
    "Özlem Zeynep Ayşe Elif Emine Katarzyna Małgorzata Agnieszka Chloé Léa Zoé Amélie Mia Emma Emilia Clara "
    "Ida Greta Frieda"
)
NICKS = {
    "Johannes": ["Hans", "Hannes"],
    "Josef": ["Sepp", "Joseph"],
    "Katharina": ["Kathi", "Katrin"],
    "Robert": ["Bob", "Rob"],
    "Elisabeth": ["Liz", "Lisa", "Sissi"],
    "Michael": ["Micha", "Mike"],
    "Alexander": ["Alex", "Sascha"],
    "Christian": ["Chris"],
    "Christina": ["Tina", "Chris"],
    "Thomas": ["Tom"],
    "Andreas": ["Andi"],
    "Stefan": ["Stephan"],
    "Matthias": ["Mathias", "Matze"],
    "Margarete": ["Grete", "Margarethe"],
    "Barbara": ["Babsi"],
    "Susanne": ["Susi"],
    "Franziska": ["Franzi"],
    "Maximilian": ["Max"],
    "Benjamin": ["Ben", "Benni"],
    "Sebastian": ["Basti"],
    "Tobias": ["Tobi"],
    "Florian": ["Flo"],
    "Joachim": ["Jochen"],
    "Gerhard": ["Gerd"],
    "Heinrich": ["Heinz"],
    "Friedrich": ["Fritz"],
    "Wilhelm": ["Willi"],
    "Magdalena": ["Magda", "Lena"],
    "Caroline": ["Carolin", "Caro"],
    "Jennifer": ["Jenny"],
    "Rebecca": ["Rebekka", "Becky"],
    "Victoria": ["Viktoria", "Vicky"],
    "Dorothea": ["Doro"],
    "Ulrich": ["Uli"],
    "Ursula": ["Uschi"],
    "Gabriele": ["Gabi"],
    "Angelika": ["Angela"],
    "Daniel": ["Dani"],
    "Veronika": ["Vroni"],
    "Jessica": ["Jessi"],
    "Johanna": ["Hanna"],
    "Richard": ["Richie"],
    "Samuel": ["Sam"],
    "Sophie": ["Sofie"],
}
CITIES = [  # (city, first postcode, how many postcodes, weight); a few spelled without umlauts sometimes
    ("Berlin", 10115, 180, 37),
    ("Hamburg", 20095, 100, 18),
    ("München", 80331, 90, 15),
    ("Köln", 50667, 60, 11),
    ("Frankfurt am Main", 60306, 50, 8),
    ("Stuttgart", 70173, 40, 6),
    ("Düsseldorf", 40210, 40, 6),
    ("Leipzig", 4103, 40, 6),
    ("Dortmund", 44135, 40, 6),
    ("Essen", 45127, 40, 6),
    ("Bremen", 28195, 40, 6),
    ("Dresden", 1067, 40, 6),
    ("Hannover", 30159, 40, 5),
    ("Nürnberg", 90402, 40, 5),
    ("Duisburg", 47051, 30, 5),
    ("Bochum", 44787, 30, 4),
    ("Wuppertal", 42103, 30, 4),
    ("Bielefeld", 33602, 30, 3),
    ("Bonn", 53111, 30, 3),
    ("Münster", 48143, 30, 3),
    ("Mannheim", 68159, 30, 3),
    ("Karlsruhe", 76131, 30, 3),
    ("Augsburg", 86150, 30, 3),
    ("Wiesbaden", 65183, 30, 3),
    ("Mönchengladbach", 41061, 20, 3),
    ("Gelsenkirchen", 45879, 20, 3),
    ("Aachen", 52062, 20, 2),
    ("Braunschweig", 38100, 20, 2),
    ("Kiel", 24103, 20, 2),
    ("Chemnitz", 9111, 20, 2),
    ("Halle (Saale)", 6108, 20, 2),
    ("Magdeburg", 39104, 20, 2),
    ("Freiburg im Breisgau", 79098, 20, 2),
    ("Krefeld", 47798, 20, 2),
    ("Mainz", 55116, 20, 2),
    ("Lübeck", 23552, 20, 2),
    ("Erfurt", 99084, 20, 2),
    ("Rostock", 18055, 20, 2),
    ("Kassel", 34117, 20, 2),
    ("Saarbrücken", 66111, 20, 2),
    ("Würzburg", 97070, 10, 1),
    ("Göttingen", 37073, 10, 1),
    ("Regensburg", 93047, 10, 1),
    ("Ingolstadt", 85049, 10, 1),
    ("Fürth", 90762, 10, 1),
    ("Osnabrück", 49074, 10, 1),
    ("Oldenburg", 26121, 10, 1),
    ("Heidelberg", 69115, 10, 1),
    ("Darmstadt", 64283, 10, 1),
    ("Paderborn", 33098, 10, 1),
]
PROVIDERS = ["gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de", "yahoo.de", "icloud.com", "gmx.net"]
PROVIDER_WEIGHTS = [30, 20, 18, 10, 8, 5, 5, 4]
SOURCES = ["meta_lead_ads", "linkedin_lead_gen", "tiktok_leads", "google_ads_lead_forms", "eventbrite", "form_webhook"]
SOURCE_WEIGHTS = [35, 15, 10, 15, 10, 15]
MOBILE_PREFIXES = ["151", "152", "157", "159", "160", "162", "163", "170", "171", "172", "173", "175", "176", "177"]


@dataclass
class Human:
    """One invented person: the truth every lead of theirs is labelled with."""

    id: str
    first: str
    last: str
    female: bool
    birth_date: date
    city: str
    postcode: str
    mobile: str
    emails: dict[str, str]  # source → the address this human uses there
    linkedin: str | None
    household: str | None = None
    shared_email: str | None = None
    shared_phone: str | None = None


@dataclass
class SyntheticLead:
    """A form_webhook-shaped submission and its label."""

    truth: str
    source: str
    record: dict[str, Any]
    household: str | None = None


@dataclass
class Generator:
    """Leads in arrival order: a human's later leads arrive within ``window`` leads of their first one."""

    seed: int = 7
    duplicate_rate: float = 0.38  # share of humans with more than one lead
    household_rate: float = 0.04  # share of humans starting a household that shares an email or a landline
    agency_rate: float = 0.004  # share of leads sent by an agency address on a candidate's behalf
    window: int = 4000
    rng: random.Random = field(init=False)
    _humans: count[int] = field(init=False, default_factory=count)
    _serial: count[int] = field(init=False, default_factory=count)
    _agencies: list[tuple[str, str]] = field(init=False, default_factory=list)
    _emails: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._surnames = _surname_pool(random.Random(self.seed + 1))
        self._cities = [c for c in CITIES]
        self._city_weights = [c[3] for c in CITIES]
        self._male_w = [1 / (i + 1) ** 0.8 for i in range(len(MALE))]
        self._female_w = [1 / (i + 1) ** 0.8 for i in range(len(FEMALE))]
        self._agencies = [
            (f"bewerbung@{name}.de", f"+49{self.rng.choice(['30', '40', '89', '221'])}{self.rng.randint(10**6, 10**7)}")
            for name in ("personal-plus", "jobwerk-agentur", "talentbruecke", "staffing-nord")
        ]

    # ------------------------------------------------------------------ humans

    def _name(self, female: bool) -> str:
        pool, weights = (FEMALE, self._female_w) if female else (MALE, self._male_w)
        return self.rng.choices(pool, weights)[0]

    def _surname(self) -> str:
        rng = self.rng
        if rng.random() < 0.01:
            return rng.choice(SPECIAL_LAST)
        if rng.random() < 0.3:
            return rng.choices(COMMON_LAST, [1 / (i + 1) ** 0.7 for i in range(len(COMMON_LAST))])[0]
        return rng.choice(self._surnames)

    def _place(self) -> tuple[str, str]:
        city, first, size, _w = self.rng.choices(self._cities, self._city_weights)[0]
        return city, f"{first + self.rng.randrange(size) * 2:05d}"

    def _local(self, first: str, last: str, birth: date) -> str:
        f, l_ = _ascii(first).lower().replace(" ", ""), _ascii(last).lower().replace(" ", "")
        pattern = self.rng.randrange(6)
        return [
            f"{f}.{l_}",
            f"{f[0]}{l_}",
            f"{f}.{l_}{birth.year % 100:02d}",
            f"{l_}.{f}",
            f"{f}{l_}{self.rng.randint(1, 999)}",
            f"{f}_{l_[:4]}{birth.day}",
        ][pattern]

    def _unique(self, email: str) -> str:
        """An address belongs to one human (a provider does not hand it out twice)."""
        local, domain = email.split("@")
        key = f"{local.replace('.', '') if domain == 'gmail.com' else local}@{domain}"
        while key in self._emails:
            local = f"{local}{self.rng.randint(1, 99)}"
            key = f"{local.replace('.', '') if domain == 'gmail.com' else local}@{domain}"
        self._emails.add(key)
        return f"{local}@{domain}"

    def human(self, **fixed: Any) -> Human:
        rng = self.rng
        female = fixed.pop("female", rng.random() < 0.5)
        first = fixed.pop("first", None) or self._name(female)
        last = fixed.pop("last", None) or self._surname()
        birth = fixed.pop("birth_date", None) or date(1960, 1, 1) + timedelta(days=rng.randrange(46 * 365))
        city, postcode = fixed.pop("place", None) or self._place()
        mobile = f"+49{rng.choice(MOBILE_PREFIXES)}{rng.randint(10**6, 10**8 - 1)}"
        primary = self._unique(f"{self._local(first, last, birth)}@{rng.choices(PROVIDERS, PROVIDER_WEIGHTS)[0]}")
        emails = dict.fromkeys(SOURCES, primary)
        if rng.random() < 0.35:  # another address on some platforms (work, older provider, …)
            local = primary.split("@")[0] if rng.random() < 0.4 else self._local(first, last, birth)
            other = self._unique(f"{local}@{rng.choices(PROVIDERS, PROVIDER_WEIGHTS)[0]}")
            for source in rng.sample(SOURCES, rng.randint(1, 3)):
                emails[source] = other
        slug = f"{_ascii(first).lower()}-{_ascii(last).lower().replace(' ', '-')}-{rng.randrange(16**6):06x}"
        linkedin = f"https://www.linkedin.com/in/{slug}" if rng.random() < 0.6 else None
        return Human(
            f"h{next(self._humans):08d}", first, last, female, birth, city, postcode, mobile, emails, linkedin, **fixed
        )

    def household(self, head: Human) -> list[Human]:
        """One or two more people at the head's address, sharing a family mailbox or a landline with the head."""
        rng = self.rng
        head.household = head.id
        if rng.random() < 0.5:
            local = rng.choice(("familie.", "fam.", "", "die")) + _ascii(head.last).lower().replace(" ", "")
            head.shared_email = self._unique(
                f"{local}{'s' if not local.startswith('f') else ''}@{rng.choice(PROVIDERS)}"
            )
        else:
            head.shared_phone = f"+49{rng.choice(['30', '40', '89', '221', '69', '711'])}{rng.randint(10**6, 10**7)}"
        members = []
        used = {head.first}
        for _ in range(rng.choice((1, 1, 2))):
            female = rng.random() < 0.5
            first = self._name(female)
            while first in used or _same_name_family(first, used):
                first = self._name(female)
            used.add(first)
            years = rng.choice((-30, -25, -3, 2, 24, 28)) * 365
            birth = head.birth_date + timedelta(days=years + rng.randrange(-300, 300))
            members.append(
                self.human(
                    female=female,
                    first=first,
                    last=head.last,
                    birth_date=birth,
                    place=(head.city, head.postcode),
                    household=head.id,
                    shared_email=head.shared_email,
                    shared_phone=head.shared_phone,
                )
            )
        return [head, *members]

    # ------------------------------------------------------------------ leads

    def leads(self, n: int) -> Iterator[SyntheticLead]:
        """``n`` leads in arrival order (a human's repeat leads interleave with other humans')."""
        rng = self.rng
        pending: list[tuple[int, int, Human]] = []
        emitted = 0
        tie = count()
        while emitted < n:
            if pending and pending[0][0] <= emitted:
                _, _, human = heapq.heappop(pending)
            else:
                humans = [self.human()]
                if rng.random() < self.household_rate:
                    humans = self.household(humans[0])
                for member in humans:
                    extra = 0
                    if rng.random() < self.duplicate_rate:
                        extra = rng.choices((1, 2, 3), (70, 22, 8))[0]
                    for _ in range(extra):
                        heapq.heappush(pending, (emitted + rng.randint(1, self.window), next(tie), member))
                human = humans[0]
                for member in humans[1:]:
                    heapq.heappush(pending, (emitted + rng.randint(1, self.window), next(tie), member))
            yield self.lead(human)
            emitted += 1

    def lead(self, human: Human) -> SyntheticLead:
        rng = self.rng
        source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        serial = next(self._serial)
        first, last = self._noisy_names(human)
        fields: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.02:
            fields["full_name"] = f"{first} {last}"
        elif roll < 0.03:
            fields["first_name"], fields["last_name"] = last, first  # typed into the wrong boxes
        else:
            if rng.random() > 0.02:
                fields["first_name"] = first
            fields["last_name"] = last
        email = self._noisy_email(human.emails[source]) if rng.random() > 0.05 else None
        phone = human.mobile if rng.random() < 0.92 else f"+49{rng.choice(MOBILE_PREFIXES)}{rng.randint(10**6, 10**8)}"
        if human.shared_email and rng.random() < 0.7:
            email = human.shared_email
        if human.shared_phone and rng.random() < 0.7:
            phone = human.shared_phone
        agency = rng.random() < self.agency_rate
        if agency:
            email, phone = rng.choice(self._agencies)
        if email:
            fields["email"] = email
        if rng.random() < 0.7 or agency:
            fields["phone"] = _phone_format(phone, rng)
        if rng.random() < 0.8:
            fields["city"] = _transliterate(human.city) if rng.random() < 0.1 else human.city
        if rng.random() < 0.72:
            fields["postcode"] = human.postcode
        if rng.random() < 0.3:
            fields["birth_date"] = _birth(human.birth_date, rng)
        if source == "linkedin_lead_gen" and human.linkedin and rng.random() < 0.6:
            fields["linkedin_url"] = human.linkedin + rng.choice(["", "/", "?trk=public_profile"])
        submitted = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=serial * 7)
        record = {
            "submission_id": f"{source}-{serial:09d}",
            "submitted_at": submitted.isoformat(),
            "form_id": source,
            "fields": fields,
            "consents": [{"purpose": "recruiting_contact", "granted": True, "text_version": "2026-03"}],
        }
        return SyntheticLead(human.id, source, record, human.household)

    def _noisy_names(self, human: Human) -> tuple[str, str]:
        rng = self.rng
        first, last = human.first, human.last
        if first in NICKS and rng.random() < 0.12:
            first = rng.choice(NICKS[first])
        if rng.random() < 0.15:
            first, last = _transliterate(first, rng), _transliterate(last, rng)
        if rng.random() < 0.04:
            last = _typo(last, rng)
        if rng.random() < 0.04:
            first = _typo(first, rng)
        if rng.random() < 0.03:
            first, last = (first.upper(), last.upper()) if rng.random() < 0.5 else (first.lower(), last.lower())
        return first, last

    def _noisy_email(self, email: str) -> str:
        rng = self.rng
        local, domain = email.split("@")
        if domain == "gmail.com" and rng.random() < 0.3:
            roll = rng.random()
            if roll < 0.4:
                local = local.replace(".", "")
            elif roll < 0.8:
                local = f"{local}+{rng.choice(['jobs', 'bewerbung', 'karriere'])}"
            else:
                domain = "googlemail.com"
        if rng.random() < 0.05:
            local = local.capitalize()
        return f"{local}@{domain}"


def _surname_pool(rng: random.Random) -> list[str]:
    pool = sorted(
        {f"{root}{conn}{suffix}".capitalize() for root in ROOTS for conn in CONNECTORS for suffix in SUFFIXES}
    )
    rng.shuffle(pool)
    return pool


def _same_name_family(first: str, used: set[str]) -> bool:
    """Household members need first names that no nickname or spelling rule can take for one another."""
    folded = names.fold(first)
    return any(names.first_level(folded, names.fold(other)) != names.Level.different for other in used)


_ASCII = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "é": "e", "è": "e", "ë": "e"}
    | {"ł": "l", "Ł": "L", "ı": "i", "ş": "s", "Ş": "S", "ç": "c", "Ç": "C", "ğ": "g", "ś": "s", "ń": "n"}
    | {"ó": "o", "ą": "a", "ę": "e", "ż": "z", "ź": "z", "ć": "c", "ï": "i"}
)


_DROP_UMLAUTS = str.maketrans("äöüÄÖÜ", "aouAOU")


def _ascii(text: str) -> str:
    return text.translate(_ASCII)


def _transliterate(text: str, rng: random.Random | None = None) -> str:
    """Müller → Mueller (or, as some systems do, Muller); Weiß → Weiss; Chloé → Chloe."""
    if rng is not None and rng.random() < 0.3:
        text = text.translate(_DROP_UMLAUTS)
    return _ascii(text)


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]  # a letter dropped
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # two swapped
    return text[:i] + rng.choice("aeinrst") + text[i + 1 :]  # one wrong


def _phone_format(e164: str, rng: random.Random) -> str:
    national = "0" + e164[3:]
    area, rest = national[:4], national[4:]
    return rng.choice(
        [
            f"{area} {rest}",
            f"+49 {area[1:]} {rest}",
            f"0049 {area[1:]} {rest}",
            f"({area}) {rest[:3]} {rest[3:]}",
            f"{area}/{rest}",
            e164,
        ]
    )


def _birth(value: date, rng: random.Random) -> str:
    if rng.random() < 0.01 and value.day <= 12 and value.day != value.month:
        value = date(value.year, value.day, value.month)  # day and month swapped
    return value.isoformat()


MAPPING_FIELDS = {
    "person.birth_date": {"path": "fields.birth_date"},
    "person.linkedin_url": {"path": "fields.linkedin_url", "transforms": ["trim"]},
}


def labelled(n: int, seed: int = 7, **options: Any) -> list[SyntheticLead]:
    """``n`` leads of a fresh generator (same ``n`` and seed, same leads)."""
    return list(Generator(seed=seed, **options).leads(n))


@dataclass(frozen=True)
class PairScores:
    """Pairwise quality: a pair of leads is predicted "one human" when they end up with one person."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pairwise(assignments: list[tuple[str, str]]) -> PairScores:
    """Score ``(truth, predicted person)`` per lead, counting pairs per cluster (no quadratic loop)."""

    def pairs(counter: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    return PairScores(
        true_pairs=pairs(Counter(truth for truth, _ in assignments)),
        predicted_pairs=pairs(Counter(person for _, person in assignments)),
        correct_pairs=pairs(Counter(assignments)),
    )
