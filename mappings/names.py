"""Name normalisation for identity resolution: transliteration (ä/ae, ß/ss, accents), nicknames, phonetics.

``fold`` makes "Müller", "MUELLER" and "Mueller" one spelling; ``skeleton`` also makes "Muller" (the umlaut
dropped by a system that cannot store it) the same. ``cologne`` is the Kölner Phonetik, the German answer to
Soundex, used for blocking. ``first_level`` and ``last_level`` grade how well two names agree.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler, Levenshtein

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "œ": "oe", "ł": "l", "đ": "d", "ð": "d"}
    | {"þ": "th", "ı": "i", "ſ": "s"}
)
_NOT_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_UMLAUT_E = re.compile(r"(?<=[aou])e")

PARTICLES = frozenset(
    {"von", "vom", "van", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le", "zu", "zum"}
    | {"zur", "ten", "ter", "af", "al", "el", "bin", "ibn", "mc", "st"}
)
TITLES = frozenset({"dr", "prof", "herr", "frau", "mr", "mrs", "ms", "dipl", "ing", "med", "phil", "rer", "nat"})

# One line per given name and its common short or foreign forms; a name may sit in several groups
# ("alex" is Alexander and Alexandra). Folded spellings: ü is "ue", ß is "ss".
NICKNAMES = """
johannes johann hans hannes jan jo jens johan john jonny johnny
johanna hanna hannah hanne jo
josef joseph sepp seppi jupp joe joey jose
katharina katharine katherine catherine kathrin katrin kathi kati katja kate katie kathy cathy kat kaethe trina
elisabeth elizabeth elisa elise liz lizzy lisa lisbeth liesel sissi sisi betty beth bettina elsa ilse
robert rob robbie bob bobby bert
wilhelm willi willy wim
william will bill billy willy liam
michael michi micha mike mick mikey
michaela michi micha ela
alexander alex sascha xander sandro alexandr
alexandra alex sandra sascha sandy
christian chris christoph krischan
christina christine chris tina christl kristina kristin
christopher christoph chris kit
thomas tom tommy thommy
andreas andi andy andre
andrew andy drew
stefan stephan steffen steve
steven stephen steve stevie
matthias mathias matthew matt matze mats
margarete margarethe margaret margit grete gretel gretchen maggie meg peggy marga greta
barbara babsi barbie babs
susanne susi sanne susan sue suzy susann
franziska franzi fanny
franz franzl francis frank
friedrich fritz fred friedel
frederick frederik fred freddy fritz
alfred fred alf freddy
manfred manni fred
daniel dani dan danny
daniela dani ela
nikolaus niklas klaus nico nick niko
nicholas nicolas nick nicky nico
maximilian max maxi
benjamin ben benni benny
sebastian basti seb bastian
tobias tobi
florian flo
joachim jochen achim
wolfgang wolf wolfi
gerhard gerd
bernhard bernd
ludwig lutz louis lu
heinrich heinz hein henry hinrich
henry harry hank
magdalena magda lena leni
helena helene lena leni ellen
caroline carolin karoline karolin caro carol lina
charlotte lotte lotta charly lotti
patricia patty trish tricia pat
patrick pat paddy
richard rick ricky dick richie rich
james jim jimmy jamie
jakob jacob jake kobi
edward ed eddie ted ned
anthony antony tony toni
anton toni
antonia toni
jennifer jenny jen
rebecca rebekka becky becca
victoria viktoria vicky tori
dorothea dora thea doro dorothy dotty
theodor theodore theo ted
ulrich ulli uli
ursula uschi ulla
gabriele gabriela gabi
gabriel gabi
angelika angela geli angie
cornelia conny nele
konrad conny
rudolf rudi
dietrich dieter
samuel sam sammy
samantha sam sammy
emanuel manuel manu
emanuela manuela manu
valentin valle
valentina vali
jessica jessi jess
veronika veronica vroni
walburga walli
walter walther walt
leonhard leonard leon leo
leopold leo poldi
hubert hubsi
peter pete piet
paul paule
monika monica moni
sophie sophia sofie sofia
anna anni anne annie anja
marie maria mia mimi mariechen
""".strip()


# How common a name is decides how much its agreement weighs ("Müller" agreeing says less than "Mohrenholt").
# Surnames: thousands of German telephone-book entries (of about 27 million). First names: share among the
# working-age people who send leads, where the common names cluster more than in the whole population
# (calibrated on the labelled set). Names not listed are rarer than the last one listed.
SURNAME_THOUSANDS = {
    "mueller": 256, "schmidt": 190, "schneider": 115, "fischer": 98, "weber": 85, "meyer": 84, "wagner": 79,
    "becker": 75, "schulz": 74, "hoffmann": 73, "schaefer": 62, "koch": 60, "bauer": 59, "richter": 58,
    "klein": 57, "wolf": 54, "schroeder": 52, "neumann": 51, "schwarz": 49, "zimmermann": 48, "braun": 46,
    "krueger": 45, "hofmann": 45, "hartmann": 44, "lange": 43, "schmitt": 42, "werner": 42, "schmitz": 41,
    "krause": 40, "meier": 40, "lehmann": 39, "schmid": 38, "schulze": 38, "maier": 37, "koehler": 36,
    "herrmann": 35, "koenig": 35, "walter": 34, "mayer": 34, "huber": 33, "kaiser": 33, "fuchs": 32,
    "peters": 32, "lang": 31, "scholz": 31, "moeller": 30, "weiss": 30, "jung": 29, "hahn": 29, "schubert": 28,
    "vogel": 28, "friedrich": 28, "keller": 27, "guenther": 27, "frank": 27, "berger": 26, "winkler": 26,
    "roth": 26, "beck": 25, "lorenz": 25, "baumann": 25, "franke": 24, "albrecht": 24, "schuster": 24,
    "simon": 24, "ludwig": 23, "boehm": 23, "winter": 23, "kraus": 23, "martin": 22, "schumacher": 22,
    "kraemer": 22, "vogt": 22, "stein": 21, "jaeger": 21, "otto": 21, "sommer": 21, "gross": 21, "seidel": 20,
    "heinrich": 20, "brandt": 20, "haas": 20, "schreiber": 20, "graf": 19, "schulte": 19, "dietrich": 19,
    "ziegler": 19, "kuhn": 19, "kuehn": 18, "pohl": 18, "engel": 18, "horn": 18, "busch": 18, "bergmann": 18,
    "thomas": 17, "voigt": 17, "sauer": 17, "arnold": 17, "wolff": 17, "pfeiffer": 17, "yilmaz": 20,
    "kaya": 12, "demir": 11, "sahin": 10, "celik": 9, "oeztuerk": 7, "nowak": 8, "kowalski": 6,
}  # fmt: skip
FIRST_NAME_SHARE = {
    name: 0.012
    for name in [
        "thomas",
        "michael",
        "andreas",
        "peter",
        "stefan",
        "christian",
        "klaus",
        "wolfgang",
        "juergen",
        "frank",
        "markus",
        "daniel",
        "alexander",
        "sebastian",
        "jan",
        "tobias",
        "matthias",
        "martin",
        "uwe",
        "dieter",
        "bernd",
        "hans",
        "werner",
        "manfred",
        "lukas",
        "jonas",
        "felix",
        "paul",
        "maria",
        "anna",
        "ursula",
        "monika",
        "petra",
        "sabine",
        "elisabeth",
        "andrea",
        "julia",
        "claudia",
        "susanne",
        "stefanie",
        "nicole",
        "laura",
        "katharina",
        "lisa",
        "sarah",
        "christina",
        "sandra",
        "birgit",
        "karin",
        "gabriele",
        "renate",
        "helga",
        "marie",
        "sophie",
        "lena",
        "lea",
    ]
}
RARE_SURNAME = 6 / 27000
RARE_FIRST_NAME = 0.004


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, transliterated to ASCII letters and single spaces: "Jürgen  Groß-Weiß" → "juergen gross weiss"."""
    text = unicodedata.normalize("NFC", text).lower().translate(_TRANSLIT)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("-", " ").replace("'", "")
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", text)).strip()


def skeleton(folded: str) -> str:
    """Drop the e of ae/oe/ue so that "mueller" and "muller" meet; spaces go too ("von der heide")."""
    return _UMLAUT_E.sub("", folded).replace(" ", "")


_SURNAME_SHARES = {skeleton(name): thousands / 27000 for name, thousands in SURNAME_THOUSANDS.items()}
_FIRST_SHARES = {skeleton(name): share for name, share in FIRST_NAME_SHARE.items()}


def surname_share(folded_core: str) -> float:
    """The share of people bearing this folded, particle-free surname ("muller" counts as "mueller")."""
    return _SURNAME_SHARES.get(skeleton(folded_core), RARE_SURNAME)


def first_name_share(folded_first: str) -> float:
    return _FIRST_SHARES.get(skeleton(folded_first.split(" ", 1)[0]), RARE_FIRST_NAME)


def _groups() -> dict[str, frozenset[int]]:
    table: dict[str, set[int]] = {}
    for number, line in enumerate(NICKNAMES.splitlines()):
        for name in line.split():
            table.setdefault(name, set()).add(number)
    return {name: frozenset(ids) for name, ids in table.items()}


_GROUPS = _groups()
_CANONICAL = {number: line.split()[0] for number, line in enumerate(NICKNAMES.splitlines())}


def nickname_groups(folded_first: str) -> frozenset[int]:
    """The nickname groups a folded first name belongs to (empty if it is in none)."""
    return _GROUPS.get(folded_first.replace(" ", ""), frozenset()) | _GROUPS.get(folded_first, frozenset())


def canonical_firsts(folded_first: str) -> list[str]:
    """The formal names a first name stands for ("sepp" → ["josef"]), else the first token itself."""
    token = folded_first.split(" ", 1)[0] if folded_first else ""
    groups = nickname_groups(folded_first) or nickname_groups(token)
    return sorted({_CANONICAL[g] for g in groups}) or ([token] if token else [])


_COLOGNE_PLAIN = {
    **dict.fromkeys("aeijouy", "0"),
    "b": "1",
    "f": "3",
    "v": "3",
    "w": "3",
    "g": "4",
    "k": "4",
    "q": "4",
    "l": "5",
    "m": "6",
    "n": "6",
    "r": "7",
    "s": "8",
    "z": "8",
}


@lru_cache(maxsize=65536)
def cologne(word: str) -> str:
    """Kölner Phonetik of a folded word: "mueller", "muller" and "möller" → "657"; "meyer" and "maier" → "67"."""
    letters = word.replace(" ", "")
    codes: list[str] = []
    for i, char in enumerate(letters):
        before = letters[i - 1] if i else ""
        after = letters[i + 1] if i + 1 < len(letters) else ""
        if char == "h":
            continue
        if char == "p":
            code = "3" if after == "h" else "1"
        elif char in "dt":
            code = "8" if after in ("c", "s", "z") and after else "2"
        elif char == "c":
            if i == 0:
                code = "4" if after and after in "ahkloqrux" else "8"
            else:
                code = "4" if after and after in "ahkoqux" and before not in ("s", "z") else "8"
        elif char == "x":
            code = "8" if before and before in "ckq" else "48"
        else:
            code = _COLOGNE_PLAIN.get(char, "")
        codes.append(code)
    collapsed: list[str] = []
    for code in "".join(codes):
        if not collapsed or collapsed[-1] != code:
            collapsed.append(code)
    if not collapsed:
        return ""
    return collapsed[0] + "".join(c for c in collapsed[1:] if c != "0")


def split_full_name(full: str) -> tuple[str, str]:
    """A rough split of a full name for matching only: titles dropped, particles join the surname."""
    tokens = [t for t in full.replace(",", " ").split() if t.lower().rstrip(".") not in TITLES]
    if len(tokens) < 2:
        return (tokens[0] if tokens else "", "")
    cut = len(tokens) - 1
    while cut > 1 and tokens[cut - 1].lower() in PARTICLES:
        cut -= 1
    return " ".join(tokens[:cut]), " ".join(tokens[cut:])


def surname_core(folded_last: str) -> str:
    """The surname without particles: "von der heide" → "heide" (double names keep both parts)."""
    parts = [p for p in folded_last.split() if p not in PARTICLES]
    return " ".join(parts) or folded_last


class Level(StrEnum):
    """How two names compare, best first; ``different`` is a conflict, ``missing`` is no evidence."""

    exact = "exact"
    nickname = "nickname"
    partial = "partial"
    typo = "typo"
    initial = "initial"
    different = "different"
    missing = "missing"


_GENDERED_ENDINGS = ("a", "e", "s", "ne", "na", "ina")


def _gender_pair(a: str, b: str) -> bool:
    """Daniel/Daniela, Jan/Jana, Christian/Christiane: siblings more often than typos."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short) :] in _GENDERED_ENDINGS


def _typo(a: str, b: str) -> bool:
    """One slip of the keyboard; short names must keep their first letter (Anna and Hanna are two names)."""
    if min(len(a), len(b)) < 4 or _gender_pair(a, b) or (min(len(a), len(b)) < 6 and a[0] != b[0]):
        return False
    if Levenshtein.distance(a, b, score_cutoff=2) <= (1 if min(len(a), len(b)) < 6 else 2):
        return True
    return JaroWinkler.similarity(a, b) >= 0.93


def first_level(a: str, b: str) -> Level:
    """Compare two folded first names: "hans"/"johannes" are nicknames, "anna lena"/"anna" partial."""
    if not a or not b:
        return Level.missing
    if a == b or skeleton(a) == skeleton(b):
        return Level.exact
    if nickname_groups(a) & nickname_groups(b):
        return Level.nickname
    ta, tb = a.split(), b.split()
    if len(ta[0]) == 1 or len(tb[0]) == 1:
        return Level.initial if ta[0][0] == tb[0][0] else Level.different
    if set(ta) & set(tb) or nickname_groups(ta[0]) & nickname_groups(tb[0]):
        return Level.partial
    if _typo(skeleton(a), skeleton(b)):
        return Level.typo
    return Level.different


def last_level(a: str, b: str) -> Level:
    """Compare two folded surnames: particles and double-name parts count as a partial agreement."""
    if not a or not b:
        return Level.missing
    sa, sb = skeleton(a), skeleton(b)
    if sa == sb:
        return Level.exact
    ca, cb = surname_core(a), surname_core(b)
    if skeleton(ca) == skeleton(cb):
        return Level.exact
    if {skeleton(p) for p in ca.split()} & {skeleton(p) for p in cb.split()}:
        return Level.partial
    if _typo(skeleton(ca), skeleton(cb)):
        return Level.typo
    return Level.different


def compatible(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Could these folded names belong to one human? Missing parts never conflict; swapped order is fine."""
    straight = first_level(first_a, first_b) != Level.different and last_level(last_a, last_b) != Level.different
    if straight:
        return True
    swapped = first_level(first_a, last_b) not in (Level.different, Level.missing) and last_level(
        last_a, first_b
    ) not in (Level.different, Level.missing)
    return swapped
