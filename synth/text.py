"""Text helpers shared by the miners and the template writer (pure functions, English wording)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_QUOTES = "\"'“”‘’«»"


def clean(s: str) -> str:
    return _WS.sub(" ", (s or "").replace("\xa0", " ")).strip()


_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0'](?=\d{3}\b)")


def norm(s: str) -> str:
    """NFKC, casefold, thousands separators dropped, non-word runs → one space (as ``filters.text``)."""
    s = _THOUSANDS.sub("", unicodedata.normalize("NFKC", s or "")).casefold()
    return " ".join(_NON_WORD.sub(" ", s).split())


def contains(haystack: str, needle: str) -> bool:
    """Whole-word containment of ``needle`` in ``haystack`` after ``norm``."""
    n = norm(needle)
    return bool(n) and f" {n} " in f" {norm(haystack)} "


def strip_quotes(s: str) -> str:
    s = clean(s)
    while len(s) >= 2 and s[0] in _QUOTES and s[-1] in _QUOTES:
        s = s[1:-1].strip()
    return s


def url_key(url: str) -> str:
    """A loose URL key: percent-decoded, lower-case scheme/host, no fragment, no trailing slash."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = unquote(parts.path).rstrip("/") or "/"
    if path.endswith(("/index.html", "/index.htm")):
        path = path.rsplit("/", 1)[0] or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, unquote(parts.query), ""))


# ----------------------------------------------------------------------------------------------
# entity keys for items ("Clark Terry - trumpet" → "clark terry")

# a role in brackets after a credit ('Producer: Tom Dowd (engineer)'): the row says the person did something
# else than the row's key
ROLE_QUALIFIER = re.compile(r"\b(?:engineer|engineering|arrange|arranger|arrangements?|conduct|conductor|mix|mixing|"
                            r"mixed|master|mastering|remaster|executive|reissue|compil\w*|assist\w*|associate)\b", re.I)


def role_qualified(value: str) -> bool:
    """Whether a credit value carries a bracketed role other than its row's ('Tom Dowd (engineer)')."""
    return bool(ROLE_QUALIFIER.search(" ".join(re.findall(r"\((.*?)\)", value))))


# prose that makes the page's own song the B-side of another: 'The song was the B-side to Charles' number-one R&B
# single, "A Fool for You"', 'was released as the B-side of "Oh, Lonesome Me"'
_WAS_B_SIDE = re.compile(r"\b(?:was|is|as)\s+(?:released\s+as\s+)?the\s+B[- ]side\s+(?:to|of)\s+(?P<rest>[^.\n]{0,160})",
                         re.I)


def side_reversed(text: str, value: str) -> str:
    """The sentence of ``text`` (the page's prose) that makes the page's song the B-side of ``value``, the record its
    'B-side' row names: the row and the prose disagree on which side is which (This Little Girl of Mine: 'B-side:
    "A Fool for You"', and 'The song was the B-side to Charles' number-one R&B single, "A Fool for You"'; strict
    audit round 14). '' when no sentence does."""
    v = norm(strip_quotes(value))
    if not v:
        return ""
    for m in _WAS_B_SIDE.finditer(text or ""):
        if f" {v} " in f" {norm(m.group('rest'))} ":
            return m.group(0)
    return ""


_ROLE_SPLIT = re.compile(r"\s+[-–—]\s+")
# a title in quotes opening the item, followed by credits, a duration, a featured artist or nothing
# '"What'd I Say" [Live] (Ray Charles)': a [tag] after the title is not part of it
_QUOTED_TITLE = re.compile(r"^[\"“]([^\"“”]+)[\"”](?=\s*(?:$|\(|\[|[-–—:,]|with\b|feat\b|featuring\b))")
_TRAILING_PAREN = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])\s*$")


def item_name(item: str) -> str:
    """The entity an enumeration item names: text before a role dash, without a trailing (...)."""
    s = clean(item)
    head = s.split(": ", 1)[0].split() if ": " in s else []
    if head and len(head) <= 4 and all(w.islower() for w in head[1:]) and not head[0][0].isdigit():
        # "Sleeve notes: Nat Hentoff" → "Nat Hentoff" (not "Crawling for Questions: Mining …")
        s = s.split(": ", 1)[1]
    m = _QUOTED_TITLE.match(s)
    if m:
        # '"You Are My Sunshine" (Davis/Mitchell) with Chris Isaak' → the quoted title
        s = m.group(1)
    s = _ROLE_SPLIT.split(s, maxsplit=1)[0]
    prev = None
    while prev != s:  # '"Swanee River Rock (Talkin' 'Bout That River)" (Charles)' → 'Swanee River Rock'
        prev = s
        s = strip_quotes(_TRAILING_PAREN.sub("", s))
    return s.strip(" ,;")


_NICKNAME = re.compile(r"(?<=\w)\s+[\"“‘']\w[^\"“”‘’]{1,30}?[\"”’']\s+(?=\w)")  # not "rock 'n' roll"


def without_nickname(name: str) -> str:
    """'David "Fathead" Newman' → 'David Newman' (a quoted nickname between two names)."""
    return _NICKNAME.sub(" ", clean(name))


def item_key(item: str) -> str:
    """Comparable key of an item's entity ('' for bare numbers such as catalogue numbers); a quoted
    nickname does not count ('David "Fathead" Newman' and 'David Newman' are one key)."""
    k = norm(without_nickname(item_name(item)))
    k = _SYNONYMS.get(k, k)
    return "" if re.fullmatch(r"[\d ]*", k) else k


# one key for names a page writes two ways ("R&B" in one infobox, "Rhythm and blues" in the next)
_SYNONYMS = {"r b": "rhythm and blues", "rnb": "rhythm and blues", "r n b": "rhythm and blues",
             "rock n roll": "rock and roll", "rock n' roll": "rock and roll", "rock & roll": "rock and roll",
             "c w": "country and western", "hip hop music": "hip hop", "soul music": "soul",
             "pop music": "pop", "jazz music": "jazz", "blues music": "blues", "country music": "country"}


# ----------------------------------------------------------------------------------------------
# dates

_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
DATE_RE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}},\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}|{_MONTHS}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}})\b"
)


def first_date(value: str) -> str:
    m = DATE_RE.search(value or "")
    return m.group(0) if m else ""


_RANGE_SEP = re.compile(r"\s*[–—-]\s*")


def date_value(value: str) -> str:
    """The date a value states, whole: "October 1959" → itself; a range "1952–1960" or
    "1952-1955" → "1952–1960" (never its first year); "" when the value is not one date or one
    range ("1961, 1962", "1957 and 2002", "1956; 1958")."""
    v = clean(value)
    d = first_date(v)
    if not d or not v.startswith(d):
        return ""
    if v == d:
        return d
    rest = v[len(d):]
    m = _RANGE_SEP.match(rest)
    if m:
        end = rest[m.end():]
        if end and first_date(end) == end:
            return f"{d}–{end}"
    return ""


_DURATION_ANY = re.compile(r"\b(?:\d+:)?\d{1,2}:\d{2}\b")


def duration_value(value: str) -> str:
    """The one running time a value states ("3:25", "2:45 (album version)" → "2:45"); "" when it
    states several ("2:58 (single version); 3:25 (album version)") or none."""
    found = _DURATION_ANY.findall(clean(value))
    return found[0] if len(found) == 1 else ""


# ----------------------------------------------------------------------------------------------
# nouns

_IRREGULAR_PLURAL = {"person": "people", "child": "children", "series": "series", "personnel": "personnel",
                     "media": "media", "criterion": "criteria"}
_IRREGULAR_SINGULAR = {v: k for k, v in _IRREGULAR_PLURAL.items()}


def singular(noun: str) -> str:
    """'studio albums' → 'studio album' (last word only)."""
    noun = clean(noun)
    if not noun:
        return noun
    head, _, last = noun.rpartition(" ")
    low = last.lower()
    if low in _IRREGULAR_SINGULAR:
        out = _IRREGULAR_SINGULAR[low]
    elif low.endswith("ies") and len(low) > 4:
        out = last[:-3] + "y"
    elif low.endswith(("ches", "shes", "sses", "xes")):
        out = last[:-2]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        out = last[:-1]
    else:
        out = last
    return f"{head} {out}".strip()


def plural(noun: str) -> str:
    noun = clean(noun)
    if not noun:
        return noun
    head, _, last = noun.rpartition(" ")
    low = last.lower()
    if low in _IRREGULAR_PLURAL:
        out = _IRREGULAR_PLURAL[low]
    elif is_plural(last):
        out = last
    elif low.endswith("y") and low[-2:-1] not in "aeiou":
        out = last[:-1] + "ies"
    elif low.endswith(("ch", "sh", "s", "x")):
        out = last + "es"
    else:
        out = last + "s"
    return f"{head} {out}".strip()


def is_plural(word: str) -> bool:
    low = clean(word).lower().rsplit(" ", 1)[-1]
    if low in _IRREGULAR_SINGULAR or low in ("people", "personnel", "credits"):
        return True
    if low.endswith("ics") and low not in _ICS_PLURAL:
        return False  # "Physics", "Mathematics", "Statistics": a field, not a plural of things to count
    return low.endswith("s") and not low.endswith(("ss", "us", "is", "ous"))


# "-ics" words that are plurals of countable things (the rest name a field: physics, economics)
_ICS_PLURAL = {"lyrics", "comics", "classics", "topics", "critics", "relics", "clinics", "tactics", "basics",
               "characteristics", "metrics", "heuristics", "graphics", "mechanics", "academics", "epics",
               "mosaics", "tunics", "antics", "ceramics", "cosmetics", "picnics", "tropics", "paperbacks"}


def label_noun(label: str) -> str:
    """A plural noun phrase for what a label enumerates ('' when the label is not one).

    'Studio albums' → 'studio albums', 'Occupation(s)' → 'occupations', 'Genre' → 'genres',
    'Filmography' → 'films', 'Track listing' → 'tracks'; 'Early years (1930–45)' → ''.
    """
    lab = clean(label)
    if lab.endswith("(s)"):  # 'Production company(s)' → 'Production companies', not 'companys'
        lab = plural(lab[:-3])
    low = lab.lower()
    if low in _LABEL_NOUNS:
        return _LABEL_NOUNS[low]
    if re.search(r"[\d:;(),/&]|\b(and|of|in|on|the|with)\b", low):
        return ""
    words = low.split()
    if not 1 <= len(words) <= 3:
        return ""
    if is_plural(words[-1]):
        return low
    if low in _SINGULAR_OK:
        return plural(low)
    return ""


_LABEL_NOUNS = {
    "filmography": "films", "discography": "releases", "track listing": "tracks", "tracklist": "tracks",
    "track list": "tracks", "personnel": "credited people", "bibliography": "publications",
    "television": "television appearances", "cast": "cast members", "awards": "awards",
    "authors": "authors", "subjects": "subject categories", "versions": "versions", "topics": "topics",
    "languages": "languages", "releases": "releases", "contributors": "contributors",
    "members": "members", "band members": "band members", "works": "works", "publications": "publications",
    "singles": "singles", "albums": "albums", "occupation": "occupations", "genre": "genres",
    "label": "labels", "instrument": "instruments", "producer": "producers", "writer": "writers",
    "associated acts": "associated acts", "starring": "cast members", "children": "children",
    "spouse": "spouses", "spouses": "spouses", "features": "features",
}
_SINGULAR_OK = {"genre", "label", "producer", "writer", "occupation", "instrument", "member", "author",
                "composer", "songwriter", "language", "topic", "platform", "founder", "subsidiary"}

_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
             "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
             "seventeenth", "eighteenth", "nineteenth", "twentieth"]


def ordinal(n: int) -> str:
    if 0 <= n < len(_ORDINALS):
        return _ORDINALS[n]
    return numeric_ordinal(n)


def numeric_ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 11th, 20th, 21st ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def quote(s: str) -> str:
    """A title in double quotes (inner double quotes become single)."""
    return "\u201c" + strip_quotes(s).replace('"', "'").replace("\u201c", "'").replace("\u201d", "'") + "\u201d"


# ----------------------------------------------------------------------------------------------
# how a question refers to a page

def page_ref(site: str, subject: str, url: str = "") -> str:
    """'the Wikipedia article “Ray Charles”', 'the arXiv paper “…”', 'the GitHub repository a/b'."""
    subj = strip_quotes(subject)
    if site == "wikipedia":
        return f"the Wikipedia article {quote(subj)}"
    if site == "arxiv":
        if "/abs/" in url:
            return f"the arXiv paper {quote(subj)}"
        return f"the arXiv listing {quote(subj)}"
    if site == "github":
        if re.fullmatch(r"[\w.-]+/[\w.-]+", subj):
            return f"the GitHub repository {subj}"
        return f"the GitHub page {quote(subj)}"
    return f"the online article {quote(subj)}"  # not "the web page": filters read that as context


_CHART_NAME = re.compile(r"\b(charts?|billboard|hot 100|rpm|top \d+|oricon|ultratop|hitparade|"
                         r"adult contemporary|country (singles|tracks))\b", re.I)


def chart_items(items: list[str]) -> bool:
    """Whether a list's entries are chart names ("U.S. Billboard Hot 100", "UK Albums Chart"): a
    "Charts › Albums" table lists the charts an album entered, not albums."""
    return bool(items) and sum(1 for it in items if _CHART_NAME.search(it)) * 2 > len(items)


def enum_noun(label: str, section: str = "") -> str:
    """``label_noun`` of the label, else of the top heading ("Track listing › Side one" → "tracks")."""
    noun = label_noun(label)
    if noun or not section:
        return noun
    top = section.split("›")[0].strip()
    return label_noun(top) if top and top != clean(label) else ""


def section_phrase(section: str, label: str) -> str:
    """'the “Side one” subsection of the “Personnel” section' from 'Personnel › Side one'."""
    parts = [p for p in (clean(x) for x in (section or "").split("›")) if p] or ([clean(label)] if label else [])
    if not parts:
        return ""
    if parts[0] == "README" and len(parts) > 1:  # a repository page's README headings
        return f"{section_phrase(' › '.join(parts[1:]), label)} of the README"
    if len(parts) == 1:
        return f"the {quote(parts[0])} section"
    if len(parts) == 2:
        return f"the {quote(parts[1])} subsection of the {quote(parts[0])} section"
    return f"the {quote(parts[-1])} part of the {quote(parts[0])} section"


def join_names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [n for n in names if n]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# ----------------------------------------------------------------------------------------------
# comparable values (the comparison miner; filters.grounding re-parses independently)

_MONTH_NUM = {m: i for i, names in enumerate(
    [(), ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")]) for m in names}
_D_M_Y = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")
_M_D_Y = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),\s+(\d{4})$")
_M_Y = re.compile(r"^([A-Za-z]+)\.?\s+(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(\d{3,4})$")


def parse_date(text: str) -> tuple[tuple[int, ...], int] | None:
    """``((y, m, d), 3)``, ``((y, m), 2)`` or ``((y,), 1)`` for a date as ``first_date`` finds it
    ("19 April 2013", "Aug 2, 2023", "March 2009", "2024-01-02", "1187"); None otherwise."""
    s = clean(text)
    for rx, order in ((_D_M_Y, "dmy"), (_M_D_Y, "mdy"), (_ISO, "ymd"), (_M_Y, "my"), (_YEAR, "y")):
        m = rx.match(s)
        if not m:
            continue
        parts = dict(zip(order, m.groups(), strict=True))
        y = int(parts["y"])
        if "m" not in parts:
            return (y,), 1
        mon = parts["m"]
        mo = int(mon) if mon.isdigit() else _MONTH_NUM.get(mon.lower())
        if not mo or not 1 <= mo <= 12:
            return None
        if "d" not in parts:
            return (y, mo), 2
        d = int(parts["d"])
        if not 1 <= d <= 31:
            return None
        return (y, mo, d), 3
    return None


def compare_dates(a: tuple[tuple[int, ...], int], b: tuple[tuple[int, ...], int]) -> int | None:
    """-1 / 1 when ``a`` is before / after ``b``; None when the shared precision cannot tell (a tie)."""
    n = min(a[1], b[1])
    x, y = a[0][:n], b[0][:n]
    if x == y:
        return None
    return -1 if x < y else 1


_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_MEASURE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*([A-Za-z%²2]*)\b")


def parse_measure(text: str) -> tuple[float, str] | None:
    """``(number, unit)`` of a value that starts with a quantity: "812,400" → (812400, ""),
    "34 m (112 ft)" → (34, "m"), "46:05" → (2765, "s"), "48,200 km2" → (48200, "km2"); else None."""
    s = clean(text)
    m = _DURATION.match(s)
    if m:
        h, mi, se = int(m.group(1) or 0), int(m.group(2)), int(m.group(3))
        return float(h * 3600 + mi * 60 + se), "s"
    m = _MEASURE.match(s)
    if not m:
        return None
    num = m.group(1)
    if "," in num and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", num):
        return None  # "1,2" is not a thousands-separated number
    rest = s[m.end():].strip()
    if rest and not rest.startswith("("):
        return None  # "12 pages, 5 figures", "22 nautical miles": not one quantity
    return float(num.replace(",", "")), m.group(2).replace("²", "2")


def clip_text(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` characters at a line or word boundary (never mid-word, no
    ellipsis added), so what is kept is a verbatim prefix of the page text."""
    t = (text or "").strip()
    if len(t) <= budget:
        return t
    cut = t[:budget]
    for sep in ("\n", " "):
        i = cut.rfind(sep)
        if i >= budget // 2:
            return cut[:i].rstrip()
    return cut


def squash(text: str) -> str:
    """Whitespace-normalised text (NFKC, every whitespace run one space): what verbatim quotes are
    matched against."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


# ----------------------------------------------------------------------------------------------
# people: is a list entry one person, are two entries one person under two forms of the name

_GROUP_WORD = re.compile(
    r"\b(orchestra|band|group|choir|chorus|singers|quartet|trio|quintet|sextet|septet|octet|nonet|ensemble|"
    r"strings|symphony|philharmonic|brothers|sisters|combo|all[- ]?stars|players|horns|voices|family|"
    r"unknown|uncredited|various|others|traditional|anonymous|staff|records|studios?|inc|ltd)\b", re.I)


def person_like(item: str) -> bool:
    """Whether a list entry's name reads as one person's: 1–5 capitalised words, no digits, no "The
    …" and no word of a group or a placeholder ("The Ray Charles Orchestra", "The Raelets", "unknown",
    "Recorded on November 5, 1958", "Traditional"). Conservative: a miss drops a question, never
    counts a band as a person."""
    name = without_nickname(item_name(item))
    words = name.split()
    if not 1 <= len(words) <= 5 or re.search(r"\d", name) or _GROUP_WORD.search(name):
        return False
    if words[0].lower() == "the" or ":" in name:
        return False
    return words[0][:1].isupper() and words[-1][:1].isupper()


# the short forms and nicknames of a given name (both directions are looked up)
_NICKNAMES = {
    "joe": "joseph", "joey": "joseph", "bill": "william", "billy": "william", "will": "william",
    "willie": "william", "bob": "robert", "bobby": "robert", "rob": "robert", "dick": "richard",
    "rick": "richard", "richie": "richard", "jim": "james", "jimmy": "james", "jimmie": "james",
    "mike": "michael", "tom": "thomas", "tommy": "thomas", "tony": "anthony", "ed": "edward",
    "eddie": "edward", "ted": "edward", "teddy": "edward", "dave": "david", "ben": "benjamin",
    "benny": "benjamin", "bennie": "benjamin", "hank": "henry", "harry": "henry", "jack": "john",
    "johnny": "john", "chuck": "charles", "charlie": "charles", "ray": "raymond", "sam": "samuel",
    "sammy": "samuel", "al": "albert", "fred": "frederick", "freddie": "frederick", "ken": "kenneth",
    "kenny": "kenneth", "ron": "ronald", "ronnie": "ronald", "don": "donald", "donnie": "donald",
    "pat": "patrick", "pete": "peter", "steve": "steven", "larry": "lawrence", "lew": "lewis",
    "lou": "louis", "les": "lester", "nat": "nathaniel", "abe": "abraham", "gene": "eugene",
    "jerry": "gerald", "andy": "andrew", "dan": "daniel", "danny": "daniel", "matt": "matthew",
    "nick": "nicholas", "alex": "alexander", "greg": "gregory", "phil": "philip", "herb": "herbert",
    "walt": "walter", "art": "arthur", "ernie": "ernest", "vic": "victor", "milt": "milton",
}


def _first_name_variants(a: str, b: str) -> bool:
    if a == b:
        return False
    if _NICKNAMES.get(a) == b or _NICKNAMES.get(b) == a or (_NICKNAMES.get(a) and _NICKNAMES.get(a) == _NICKNAMES.get(b)):
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return True  # "Milt" / "Milton"
    # one letter apart, same length and first letter ("Emmett" / "Emmott"): a spelling of one name
    return (len(a) == len(b) >= 4 and a[0] == b[0] and sum(x != y for x, y in zip(a, b, strict=True)) == 1)


def name_variants(a: str, b: str) -> bool:
    """Whether two person entries may be one person under two forms of the name: the same surname
    and words, the given names a short form / nickname / one-letter spelling of each other ("Milt
    Turner" / "Milton Turner", "Joe Bridgewater" / "Joseph Bridgewater"). Never says two such entries
    are one person: a caller drops what it cannot decide."""
    wa, wb = item_key(a).split(), item_key(b).split()
    if len(wa) < 2 or len(wa) != len(wb) or wa[1:] != wb[1:]:
        return False
    return _first_name_variants(wa[0], wb[0])
