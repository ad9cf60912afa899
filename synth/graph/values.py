"""Typed values of the entity graph and their obfuscation, as data a program can re-check.

A fact value is parsed once into a typed value (a year, a number with a unit, a place with its
region, a person's initials, a set of genre words...). An obfuscated constraint is a *predicate*: a
small JSON-able dict (``{"op": "year", "lo": 1960, "hi": 1963}``) that

- :func:`holds` evaluates against any entity's parsed value (the solver and ``filters/obfuscated.py``
  use the same code), and
- :func:`phrases` words in several ways ("in the early 1960s", "during the first years of the
  1960s" ...), never quoting the exact value.

Obfuscation per kind: dates → decade / part of a decade or century / a range containing the year;
numbers → a range or "under N"; people → initials; places → region or country; labels → the
initial of their name; genres stay words (they are shared by many entities by nature).
"""

from __future__ import annotations

import functools
import math
import random
import re

from synth.text import norm, numeric_ordinal

YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
DURATION = re.compile(r"(?<![\d:])(\d{1,3}):([0-5]\d)(?::([0-5]\d))?(?![\d:])")
MINUTES = re.compile(r"(\d{1,4}(?:\.\d+)?)\s*(?:min|minutes)\b", re.I)
MONEY = re.compile(r"(?:US)?\$\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(million|billion|thousand)?", re.I)
PLAIN_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])")

US_STATE_REGION: dict[str, str] = {}
for _region, _states in {
    "the American South": "Alabama Arkansas Florida Georgia Kentucky Louisiana Mississippi North_Carolina "
                          "South_Carolina Tennessee Virginia West_Virginia Texas Oklahoma Maryland Delaware",
    "the US Northeast": "Connecticut Maine Massachusetts New_Hampshire Rhode_Island Vermont New_Jersey "
                        "New_York Pennsylvania",
    "the American Midwest": "Illinois Indiana Michigan Ohio Wisconsin Iowa Kansas Minnesota Missouri Nebraska "
                            "North_Dakota South_Dakota",
    "the western United States": "Arizona Colorado Idaho Montana Nevada New_Mexico Utah Wyoming Alaska Hawaii",
    "the US West Coast": "California Oregon Washington",
}.items():
    for _s in _states.split():
        US_STATE_REGION[_s.replace("_", " ").lower()] = _region
US_CITY_STATE = {"los angeles": "california", "san francisco": "california", "new york city": "new york",
                 "chicago": "illinois", "detroit": "michigan", "memphis": "tennessee", "nashville": "tennessee",
                 "new orleans": "louisiana", "seattle": "washington", "atlanta": "georgia", "houston": "texas",
                 "philadelphia": "pennsylvania", "boston": "massachusetts", "beverly hills": "california",
                 "hollywood": "california", "brooklyn": "new york", "manhattan": "new york",
                 "harlem": "new york", "dallas": "texas", "st. louis": "missouri", "kansas city": "missouri"}
COUNTRY_REGION = {
    "united states": "North America", "u.s.": "North America", "usa": "North America", "us": "North America",
    "canada": "North America", "mexico": "North America",
    "united kingdom": "the British Isles", "uk": "the British Isles", "england": "the British Isles",
    "scotland": "the British Isles", "wales": "the British Isles", "ireland": "the British Isles",
    "northern ireland": "the British Isles",
    "france": "Western Europe", "belgium": "Western Europe", "netherlands": "Western Europe",
    "luxembourg": "Western Europe", "germany": "Central Europe", "austria": "Central Europe",
    "switzerland": "Central Europe", "poland": "Central Europe", "czech republic": "Central Europe",
    "hungary": "Central Europe", "italy": "Southern Europe", "spain": "Southern Europe",
    "portugal": "Southern Europe", "greece": "Southern Europe", "sweden": "Scandinavia",
    "norway": "Scandinavia", "denmark": "Scandinavia", "finland": "Northern Europe", "iceland": "Northern Europe",
    "russia": "Eastern Europe", "ukraine": "Eastern Europe", "romania": "Eastern Europe",
    "japan": "East Asia", "china": "East Asia", "south korea": "East Asia", "korea": "East Asia",
    "taiwan": "East Asia", "india": "South Asia", "pakistan": "South Asia", "australia": "Oceania",
    "new zealand": "Oceania", "brazil": "South America", "argentina": "South America",
    "chile": "South America", "colombia": "South America", "egypt": "North Africa", "nigeria": "West Africa",
    "south africa": "Southern Africa", "jamaica": "the Caribbean", "cuba": "the Caribbean",
    "israel": "the Middle East", "iran": "the Middle East", "turkey": "the Middle East",
}
COUNTRY_NAME = {"u.s.": "the United States", "usa": "the United States", "us": "the United States",
                "united states": "the United States", "uk": "the United Kingdom",
                "united kingdom": "the United Kingdom", "england": "England"}
NATIONALITIES = ("American", "British", "English", "Scottish", "Welsh", "Irish", "Canadian", "Australian",
                 "French", "German", "Italian", "Spanish", "Swedish", "Norwegian", "Danish", "Dutch", "Belgian",
                 "Japanese", "Chinese", "Indian", "Russian", "Brazilian", "Mexican", "Jamaican", "Austrian",
                 "Swiss", "Polish", "Greek", "Finnish", "Portuguese", "Argentine", "Cuban", "Korean")
_NAT = re.compile(r"\b(?:is|was) (?:an?|the) (?:[\w-]+ )?(" + "|".join(NATIONALITIES) + r")\b")


# --- parsing --------------------------------------------------------------------------------------

def parse_year(value: str) -> int | None:
    m = YEAR.search(value or "")
    return int(m.group(1)) if m else None


class _Span:
    """A value known only as a span (the shared logic of :class:`YearSpan` and :class:`NumSpan`): as its base
    type it is the span's low end (arithmetic, sorting and old callers keep working); ``hi`` is its high end.
    A clue about it must contain the whole span to be true (:func:`holds`), and refutes it only when it
    misses all of it (``holds(..., possible=True)``, the solver's view)."""

    _base: type = int
    hi: int | float

    def __new__(cls, lo: int | float, hi: int | float) -> _Span:
        obj = cls._base.__new__(cls, lo)
        obj.hi = hi
        return obj

    def __getnewargs__(self) -> tuple[int | float, int | float]:
        return self._base(self), self.hi

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base(self):g}, {self.hi:g})"


def span_bounds(x: int | float) -> tuple[int | float, int | float]:
    """(low, high) a parsed value may be: a plain value is itself, a span its whole range."""
    return (type(x)._base(x), x.hi) if isinstance(x, _Span) else (x, x)


def _fits(lo: float, hi: float, plo: float, phi: float, possible: bool) -> bool:
    """A clue [plo, phi] about a value in [lo, hi]: true when it holds all of it; with ``possible`` (the
    solver asking whether a page refutes it) when it meets any of it."""
    return (lo <= phi and plo <= hi) if possible else (plo <= lo and hi <= phi)


class YearSpan(_Span, int):
    """A year known only as a span: "1950s" is some year of 1950–1959 (``int(span)`` is 1950, ``hi`` 1959)."""

    _base = int
    hi: int


def year_bounds(y: int) -> tuple[int, int]:
    """(first, last) year a parsed year value may be: a plain year is itself, a span its whole range."""
    return span_bounds(y)


_DECADE_S = re.compile(r"^'?s\b")


def parse_years(value: str) -> tuple[int, ...] | None:
    """Every year a value gives, in order (a range "1954-1960", a reissue "1957, 1962"), all of them.
    A decade ("1950s–1990s") is a :class:`YearSpan` of its ten years, not its first year."""
    out: list[int] = []
    text = value or ""
    for m in YEAR.finditer(text):
        y: int = int(m.group(1))
        if _DECADE_S.match(text[m.end():]) and y % 10 == 0:
            y = YearSpan(y, y + 9)
        if not any(o == y and type(o) is type(y) for o in out):
            out.append(y)
    return tuple(out) or None  # every date of the row: a span over a subset of them would be false


class NumSpan(_Span, float):
    """A number known only as a range ("22–24 minutes" is some length of 22 to 24 minutes; ``float(span)`` is its
    low end, ``hi`` its high end); judged as :class:`YearSpan` is."""

    _base = float
    hi: float


def num_bounds(x: float) -> tuple[float, float]:
    """(low, high) a parsed number may be: a plain number is itself, a range its whole span."""
    return span_bounds(x)


_DASH = r"\s*(?:[–—-]|to)\s*"
MINUTES_RANGE = re.compile(r"(\d{1,4}(?:\.\d+)?)" + _DASH + r"(\d{1,4}(?:\.\d+)?)\s*(?:min|minutes)\b", re.I)
MONEY_RANGE = re.compile(r"(?:US)?\$\s?(\d+(?:\.\d+)?)" + _DASH + r"\$?\s?(\d+(?:\.\d+)?)\s*(million|billion|thousand)",
                         re.I)
COUNT_RANGE = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)\s*[–—-]\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d.,])")


def parse_durations_s(value: str) -> tuple[int, ...] | None:
    """Every length a value gives ("2:37 (single version); 4:12 (album version)"), in seconds; a range of
    minutes ("22–24 minutes") is one :class:`NumSpan`, not its last number."""
    m = MINUTES_RANGE.search(value or "")
    if m and not DURATION.search(value or ""):
        lo, hi = float(m.group(1)) * 60, float(m.group(2)) * 60
        if lo <= hi:
            return (NumSpan(lo, hi),)
    out = [(int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))) if m.group(3) is not None
           else int(m.group(1)) * 60 + int(m.group(2)) for m in DURATION.finditer(value or "")]
    if not out:
        one = parse_duration_s(value)
        return (one,) if one is not None else None
    return tuple(out)


def clock_without_seconds(value: str) -> bool:
    """The value gives a length as ``A:BB`` with no third field: a record's length reads m:ss ("3:03"), but a
    film's or a series' running time of that shape may be h:mm ("approx. 0:30 (per episode)", "1:48"), so
    a running time like it is not read as m:ss."""
    return any(m.group(3) is None for m in DURATION.finditer(value or ""))


def parse_duration_s(value: str) -> int | None:
    """A track or running length in seconds ("3:03", "2:01:30", "118 minutes")."""
    m = DURATION.search(value or "")
    if m:
        a, b, c = int(m.group(1)), int(m.group(2)), m.group(3)
        return a * 3600 + b * 60 + int(c) if c is not None else a * 60 + b
    m = MINUTES.search(value or "")
    if m:
        return int(float(m.group(1)) * 60)
    return None


def parse_money(value: str) -> float | None:
    r = MONEY_RANGE.search(value or "")
    if r:  # "$20–40 million": the whole range
        scale = {"million": 1e6, "billion": 1e9, "thousand": 1e3}[r.group(3).lower()]
        lo, hi = float(r.group(1)) * scale, float(r.group(2)) * scale
        if lo <= hi:
            return NumSpan(lo, hi)
    m = MONEY.search(value or "")
    if not m:
        return None
    n = float(m.group(1).replace(",", ""))
    scale = {"million": 1e6, "billion": 1e9, "thousand": 1e3}.get((m.group(2) or "").lower(), 1)
    return n * scale


def parse_count(value: str) -> int | float | None:
    r = COUNT_RANGE.search(value or "")
    if r and not YEAR.fullmatch(r.group(1)):  # "1,200–1,500": the whole range (a year span is no count)
        lo, hi = int(r.group(1).replace(",", "")), int(r.group(2).replace(",", ""))
        if lo <= hi:
            return NumSpan(lo, hi)
    m = PLAIN_NUMBER.search(value or "")
    if not m:
        return None
    try:
        return int(m.group(1).replace(",", ""))
    except ValueError:
        return None


def parse_place(value: str) -> dict | None:
    """``{"region", "country"}`` of a place value like "Albany, Georgia, U.S." (None when unknown)."""
    parts = [p.strip().lower().rstrip(".") + ("." if p.strip().lower().endswith(".") else "")
             for p in re.split(r"[,;]", value or "") if p.strip()]
    parts = [re.sub(r"\[.*?\]|\(.*?\)", "", p).strip() for p in parts]
    region = country = ""
    for p in parts:
        key = p.rstrip(".") if p not in COUNTRY_REGION else p
        if p in US_STATE_REGION or key in US_STATE_REGION:
            region = US_STATE_REGION.get(p) or US_STATE_REGION[key]
            country = "the United States"
        elif p in US_CITY_STATE:
            region = US_STATE_REGION[US_CITY_STATE[p]]
            country = "the United States"
    for p in reversed(parts):
        if p in COUNTRY_REGION:
            country = country or COUNTRY_NAME.get(p, p.title())
            region = region or COUNTRY_REGION[p]
            break
    if not region:
        return None
    return {"region": region, "country": country}


def initials(name: str) -> str:
    """Initials of a person's name ("Jerry Wexler" → "JW"; "Jr." and bracketed roles left out)."""
    name = re.sub(r"\(.*?\)|\[.*?\]", "", name or "")
    words = [w for w in re.findall(r"[A-Za-z][\w'.-]*", name) if w.lower().rstrip(".") not in {"jr", "sr", "ii", "iii"}]
    return "".join(w[0].upper() for w in words if w[0].isalpha())


def person_names(value: str) -> list[str]:
    """Person names in a credit value ("Hoagy Carmichael (music), Stuart Gorrell (lyrics)")."""
    value = re.sub(r"\(.*?\)|\[.*?\]", "", value or "")
    out = []
    for part in re.split(r",|;| and | & |/", value):
        p = part.strip().strip('"')
        words = p.split()
        if 2 <= len(words) <= 4 and all(w[0].isupper() for w in words if w[0].isalpha()):
            out.append(p)
    return out


def nationality(description: str) -> str:
    m = _NAT.search(description or "")
    return m.group(1) if m else ""


GENRE_SYNONYMS = {"r b": "rhythm and blues", "rnb": "rhythm and blues", "r n b": "rhythm and blues",
                  "rock n roll": "rock and roll", "rock roll": "rock and roll", "country music": "country",
                  "hip hop music": "hip hop", "rap music": "hip hop", "pop music": "pop"}


# a genre counts as its parents too ("hard bop" is jazz): a reader would say so
GENRE_PARENTS = {
    "hard bop": ("jazz",), "post bop": ("jazz",), "bebop": ("jazz",), "bop": ("jazz",), "cool jazz": ("jazz",),
    "swing": ("jazz",), "big band": ("jazz",), "free jazz": ("jazz",), "jazz fusion": ("jazz",),
    "mainstream jazz": ("jazz",), "soul jazz": ("jazz", "soul"), "jazz blues": ("jazz", "blues"),
    "jazz funk": ("jazz", "funk"), "bossa nova": ("jazz",), "rockabilly": ("rock and roll", "country"),
    "countrypolitan": ("country",), "doo wop": ("rhythm and blues",), "jump blues": ("blues", "rhythm and blues"),
    "swingin pop": ("pop",), "baroque pop": ("pop",), "traditional pop": ("pop",),
}


def genre_words(value: str) -> list[str]:
    """Genre-like items, normalised, with common spellings merged ("R&B" = "rhythm and blues")."""
    out = []
    for part in re.split(r",|;|/|\n", value or ""):
        g = norm(re.sub(r"\(.*?\)|\[.*?\]", "", part))
        g = GENRE_SYNONYMS.get(g, g)
        if g and len(g) <= 30 and g not in out:
            out.append(g)
    return out


# --- predicates -------------------------------------------------------------------------------

def holds(pred: dict, value: object, *, possible: bool = False) -> bool:
    """Whether a parsed value satisfies an obfuscated predicate (False for a missing value). A year span
    ("1950s") satisfies a year clue only when the clue contains all of it; with ``possible`` (the solver
    asking whether a page *refutes* the clue) when the clue meets any year of it."""
    if value is None:
        return False
    op = pred.get("op")
    if op in ("year", "num") and isinstance(value, tuple):  # several dates or lengths: any of them
        return any(holds(pred, v, possible=possible) for v in value)
    if op == "year":
        if not isinstance(value, int):
            return False
        plo, phi = pred["lo"], pred["hi"]
        if pred.get("style") == "half":  # "the first half of the 21st century": 2001–2050 or 2000–2049, both read
            plo, phi = (plo - 1, phi) if possible else (plo, phi - 1)
        return _fits(*year_bounds(value), plo, phi, possible)
    if op == "num":  # bounds count as inside: a reader takes "between $20 and $40 million" to include 40
        if not isinstance(value, int | float):
            return False
        # "22–24 minutes": a clue must hold all of it (possible: meet any of it)
        return _fits(*num_bounds(value), pred["lo"], pred["hi"], possible)
    if op == "region":
        return isinstance(value, dict) and value.get("region") == pred["v"]
    if op == "country":
        return isinstance(value, dict) and value.get("country") == pred["v"]
    if op == "initials":
        vals = value if isinstance(value, list | tuple) else [value]
        return any(isinstance(v, str) and v == pred["v"] for v in vals)
    if op == "initial":  # first letter of a name
        vals = value if isinstance(value, list | tuple) else [value]
        return any(isinstance(v, str) and v[:1].upper() == pred["v"] for v in vals)
    if op == "has":  # "soul" is also said of "country soul": a genre inside a longer one counts
        vals = value if isinstance(value, list | tuple | set | frozenset) else [value]
        v = GENRE_SYNONYMS.get(pred["v"], pred["v"])
        return any(isinstance(x, str) and (f" {v} " in f" {x} " or v in GENRE_PARENTS.get(x, ())) for x in vals)
    if op == "eq":
        return value == pred["v"]
    if op == "namecue":  # closed world: every entity has a name (solve.attr_ok passes it)
        return isinstance(value, str) and name_cue_holds(pred, value)
    if op == "sort":  # the sort of album a type row names ("Live album by …" → live)
        return isinstance(value, frozenset | set | tuple) and pred["v"] in value
    raise ValueError(f"unknown predicate op {op!r}")


def obfuscate_year(year: int, rng: random.Random) -> list[dict]:
    """Loose predicates that contain ``year`` (several, the caller picks)."""
    dec = year - year % 10
    part = year % 10
    out = [{"op": "year", "lo": dec, "hi": dec + 9, "style": "decade"}]
    if part <= 3:
        out.append({"op": "year", "lo": dec, "hi": dec + 3, "style": "early"})
    elif part <= 6:
        out.append({"op": "year", "lo": dec + 3, "hi": dec + 6, "style": "mid"})
    else:
        out.append({"op": "year", "lo": dec + 7, "hi": dec + 9, "style": "late"})
    lo = year - rng.randint(1, 4)
    out.append({"op": "year", "lo": lo, "hi": lo + rng.randint(5, 8), "style": "range"})
    if year % 50 == 0:  # 2000, 1950: which half (or century) it is in depends on the convention: not told
        return out
    cent = (year - 1) // 100 + 1
    half = "first" if (year - 1) % 100 < 50 else "second"
    base = (cent - 1) * 100 + (1 if half == "first" else 51)
    out.append({"op": "year", "lo": base, "hi": base + 49, "style": "half", "century": cent, "half": half})
    return out


def year_phrase(p: dict) -> str:
    lo, hi = p["lo"], p["hi"]
    style = p.get("style")
    if style == "decade":
        return f"the {lo}s"
    if style == "early":
        return f"the early {lo}s"
    if style == "mid":
        return f"the mid-{lo - 3}s"
    if style == "late":
        return f"the late {lo - 7}s"
    if style == "half":
        return f"the {p['half']} half of the {numeric_ordinal(p['century'])} century"
    return f"sometime between {lo} and {hi}"


def obfuscate_number(x: float, unit: str, rng: random.Random) -> list[dict]:
    """Ranges that contain ``x`` (duration in seconds, money, plain counts)."""
    if unit == "s":
        m = x / 60
        hi = math.floor(m) + rng.randint(1, 2)
        lo = max(0, math.floor(m) - rng.randint(0, 1))
        return [{"op": "num", "lo": 0, "hi": hi * 60, "unit": "s", "style": "under"},
                {"op": "num", "lo": lo * 60, "hi": hi * 60, "unit": "s", "style": "between"}]
    if x <= 0:
        return []
    mag = 10 ** math.floor(math.log10(x))
    hi = (math.floor(x / mag) + rng.randint(1, 3)) * mag
    lo = max(0, math.floor(x / mag) - rng.randint(0, 1)) * mag
    out = [{"op": "num", "lo": 0, "hi": hi, "unit": unit, "style": "under"}]
    if lo > 0:
        out.append({"op": "num", "lo": lo, "hi": hi, "unit": unit, "style": "between"})
    return out


def _amount(x: float, unit: str) -> str:
    if unit == "s":
        m = int(x // 60)
        words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                 10: "ten"}
        if m >= 90 and m % 60 == 0:
            return f"{m // 60} hours"
        return f"{words.get(m, str(m))} minute{'s' if m != 1 else ''}"
    if unit == "$":
        if x >= 1e9:
            return f"${x / 1e9:g} billion"
        if x >= 1e6:
            return f"${x / 1e6:g} million"
        return f"${x:,.0f}"
    return f"{x:,.0f}"


def number_phrase(p: dict) -> str:
    unit = p.get("unit", "")
    if p.get("style") == "under":
        return f"under {_amount(p['hi'], unit)}"
    return f"between {_amount(p['lo'], unit)} and {_amount(p['hi'], unit)}"


def value_phrase(p: dict) -> str:
    """The obfuscated object of a predicate, as words (used in constraints' ``object``)."""
    op = p["op"]
    if op == "year":
        return year_phrase(p)
    if op == "num":
        return number_phrase(p)
    if op in ("region", "country", "has", "eq"):
        return str(p["v"])
    if op == "initials":
        return "initials " + ". ".join(p["v"]) + "."
    if op == "initial":
        return f"a name beginning with {p['v']}"
    if op == "namecue":
        return name_cue_phrase(p)
    if op == "sort":
        return f"a {p['v']} album"
    return str(p)


# --- partial cues on an entity's own name (closed world: every page has a title) -------------------
NAME_WORDS = {1: "one-word", 2: "two-word", 3: "three-word", 4: "four-word", 5: "five-word"}
_NAME_SUFFIX = {"jr", "sr", "ii", "iii", "iv"}
_ARTICLES = {"the", "a", "an"}
MIN_CUE_WORD = 3  # the letter never is the whole word, nor most of it


_WORD_CHAR = re.compile(r"\w")


@functools.lru_cache(maxsize=65536)
def name_words(name: str) -> tuple[str, ...]:
    """Words as a reader counts them: "Moyo-Modise" is one word, a lone dash is none. (Cached: the solver reads
    the names of every rival on every uniqueness check.)"""
    return tuple(w for w in name.split() if _WORD_CHAR.search(w))


_SPOKEN_SYMBOL = frozenset({"&", "+"})  # a lone sign a reader may count as the word it stands for ("and", "plus")


@functools.lru_cache(maxsize=65536)
def word_counts(name: str) -> frozenset[int]:
    """The word counts a reader may give a name: "Genius & Friends" is two words or three ("&" read as "and")."""
    n = len(name_words(name))
    k = sum(1 for w in name.split() if w in _SPOKEN_SYMBOL)
    return frozenset({n, n + k})


@functools.lru_cache(maxsize=65536)
def cue_word(name: str, part: str) -> str:
    """The word a cue's letter is taken from: the first word of a title or a group's name, the surname of a person
    (last word, suffixes such as "Jr." left out), a person's first name (``part == "given"``: the first word as the
    page writes the name), or "" when there is none."""
    ws = name_words(name)
    if not ws:
        return ""
    if part == "surname":
        ws = [w for w in ws if w.strip(".,").lower() not in _NAME_SUFFIX]
        return ws[-1].strip(".,\"'") if len(ws) >= 2 else ""
    return ws[0].strip(".,\"'")  # a title's, a group's, or a person's name as written ("given": its first word)


_HONORIFICS = {"dr", "mr", "mrs", "ms", "sir", "dame", "rev", "st", "lord", "lady", "king", "queen", "big", "little",
               "lil", "young", "old", "mc", "dj", "the"}


@functools.lru_cache(maxsize=65536)
def given_letters(name: str) -> frozenset[str]:
    """Letters a reader may take as the first name's of ``name``: its first word's, and the next word's too when the
    first is a title, a nickname in quotes or brackets, or an initial ("Dr. John", "\"Little\" Jimmy Scott", "J. Smith"
    may be read either way): a cue on the first name refutes a person only when none of them fits."""
    ws = name_words(name)
    out: set[str] = set()
    for i, w in enumerate(ws[:3]):
        bare = w.strip(".,\"'()[]“”‘’")
        if bare[:1].isalpha():
            out.add(bare[:1].upper())
        unsure = (w[:1] in "\"'([“‘" or bare.lower() in _HONORIFICS or len(bare) <= 2 or w.endswith("."))
        if not unsure or i == len(ws) - 1:
            break
    return frozenset(out)


def _cue_letter_fits(pred: dict, name: str) -> bool:
    """The cue's letter (and article, for a title opening with one) fits the name's cue word."""
    if pred.get("part") == "given":
        return pred["letter"] in given_letters(name)
    if pred.get("article"):  # "a title opening with “The” followed by a word beginning with the letter N"
        ws = [w.strip(".,\"'") for w in name_words(name)]
        return len(ws) >= 2 and ws[0].lower() == pred["article"].lower() and ws[1][:1].upper() == pred["letter"]
    w = cue_word(name, pred["part"])
    return bool(w) and w[:1].upper() == pred["letter"]


def name_cue_holds(pred: dict, name: str) -> bool:
    if not _cue_letter_fits(pred, name):
        return False
    return pred.get("words") is None or pred["words"] in word_counts(name)


_LEAD_BRACKET = re.compile(r"^\s*[(\[]([^)\]]*)[)\]]\s*(.*)$")
# where an unquoted list row's title may run on into a label, a catalogue number or a note
_RUN_ON_MARK = re.compile(r"\s[–—-]\s|[()\[\]]|\d{3,}|\s/\s|:\s")


def name_readings(name: str) -> list[str]:
    """Every way a listed title whose row does not show its bounds may be read: as written, with a leading
    bracket's words ("(Ghost) Riders in the Sky": "Ghost Riders in the Sky") or without them ("Riders in the
    Sky"), and the part after a "Name: " prefix."""
    out = [name]
    m = _LEAD_BRACKET.match(name)
    if m:
        out += [f"{m.group(1)} {m.group(2)}".strip(), m.group(2)]
    out += [r.split(": ", 1)[1] for r in list(out) if ": " in r]
    return [r for r in out if r]


def name_cue_possible(pred: dict, name: str) -> bool:
    """Whether a name cue may hold of a title known only in part (``Entity.name_open``): under some reading
    (:func:`name_readings`) its first word has the cue's letter, and the cue's word count is the reading's,
    or, when the reading may run on ("Straight Ahead (1961) Atlantic 1366"), any count up to its words.
    Refutes "(Ghost) Riders in the Sky" for "a title beginning with the letter H", keeps "Straight Ahead …"
    for "a two-word title beginning with S"."""
    for r in name_readings(name):
        if not _cue_letter_fits(pred, r):
            continue
        if pred.get("words") is None or pred["words"] in word_counts(r) or (
                _RUN_ON_MARK.search(r) and pred["words"] <= max(word_counts(r))):
            return True
    return False


_JOINT_CREDIT = re.compile(r"\b(?:and|with|ft|feat|featuring|vs|presents)\b|&|/|,|\+", re.I)


def credit_cues(credit: str) -> list[dict]:
    """A cue on the artist a record's Type row credits ("Single by Harlan Howard" → "an artist whose name begins
    with the letter H"): one artist, named without an article, its first word's letter; [] otherwise."""
    ws = name_words(credit)
    if not 1 <= len(ws) <= 4 or _JOINT_CREDIT.search(credit) or ws[0].lower() in _ARTICLES:
        return []
    w = cue_word(credit, "artist")
    if len(w) < MIN_CUE_WORD or not w[:1].isalpha() or not w[:1].isupper():
        return []
    return [{"op": "namecue", "part": "artist", "letter": w[:1].upper(), "words": None}]


def credit_may_fit(pred: dict, names: list[str]) -> bool:
    """Whether a cue on the credited artist may hold of a record credited to any of ``names``: read by any word of
    each name (which word a reader takes for the artist's name is not sure), so it refutes only when none fits."""
    return any(w.strip("\"'.,()“”")[:1].upper() == pred["letter"] for n in names for w in n.split())


def name_cues(name: str, part: str) -> list[dict]:
    """Partial cues on a name, loosest first: the first letter of its title's first word (of a person's
    surname), then that letter with the name's word count. Never more than one letter, and never when
    that letter is the whole word; a title opening with an article ("The Nanny") is cued by the article
    and the next word's letter (a bare "T" would be misread)."""
    if part == "given":  # a person's first name as written: "Ray Charles" → R (only for names of two words or more)
        w = cue_word(name, part)
        if (len(name_words(name)) < 2 or len(w) < MIN_CUE_WORD or not w[:1].isalpha() or not w[:1].isupper()
                or given_letters(name) != {w[:1].upper()}):
            return []  # "Dr. John", "\"Fathead\" Newman": which word is the first name is unsure
        return [{"op": "namecue", "part": part, "letter": w[:1].upper(), "words": None}]
    person = part == "surname"
    w = cue_word(name, part)
    article = {}
    if not person and w.lower() in _ARTICLES:  # "The Nanny": the article is told, the letter is the next word's
        ws = name_words(name)
        w = ws[1].strip(".,\"'") if len(ws) >= 2 else ""
        article = {"article": ws[0].strip(".,\"'").capitalize()}
    if len(w) < MIN_CUE_WORD or not w[:1].isalpha() or not w[:1].isupper():
        return []
    n = len(name_words(name))
    out = [{"op": "namecue", "part": part, "letter": w[:1].upper(), "words": None, **article}]
    # ("a two-word name" adds nothing to a surname; "(Special Edition)": count unclear; "Genius & Friends": two words
    # or three, as a reader counts the "&")
    if n in NAME_WORDS and not (person and n == 2) and "(" not in name and len(word_counts(name)) == 1:
        out.append({"op": "namecue", "part": part, "letter": w[:1].upper(), "words": n, **article})
    return out


def name_cue_phrase(p: dict) -> str:
    """"a two-word title beginning with the letter S", "a surname beginning with the letter K"."""
    if p["part"] == "given":
        return f"a first name beginning with the letter {p['letter']}"
    if p["part"] == "artist":
        return f"an artist whose name begins with the letter {p['letter']}"
    if p["part"] == "surname":
        head = "a surname" if p.get("words") is None else f"a {NAME_WORDS[p['words']]} name whose surname begins"
        return (f"{head} beginning with the letter {p['letter']}" if p.get("words") is None
                else f"{head} with the letter {p['letter']}")
    words = f"{NAME_WORDS[p['words']]} " if p.get("words") else ""
    if p.get("article"):
        return f"a {words}{p['part']} opening with “{p['article']}” followed by a word beginning with the letter {p['letter']}"
    return f"a {words}{p['part']} beginning with the letter {p['letter']}"
