"""Release order of an artist's records: whether a chronology step holds against what the crawl states.

An infobox's "Previous album" / "Next album" rows are one page's claim. The 1957-59 boxes of Ray Charles's
albums (The Great Ray Charles → Ray Charles at Newport → Yes Indeed! → Soul Brothers → What'd I Say)
disagree with the artist's discography table, with the navigation box's "Studio albums" list and with the
release dates the pages themselves give (Soul Brothers: June 1958, Yes Indeed!: October 1958, Newport:
November 1958), and they skip records those lists name (Ray Charles Greatest Hits, 1962, between The
Genius After Hours and Modern Sounds). "The album released just after X" then has several readings.

:class:`ReleaseOrder` is the one place every chronology question asks (the miners' ``Graph``, the entity
graph's ``chronology_ok`` and, through the former, E2HQA): a step A → B (B the next record after A) is
only asked when nothing the crawl states contradicts it:

1. dates: when A and B both state a release date, A's is not after B's; and no other record of the same
   artist and class (a crawled page's infobox, or an entry with a year of one of the artist's record
   lists) may fall strictly between them at the precision stated (two dates in the same year, one
   without a month, cannot be ordered: that counts as "may fall between");
2. ordered lists: every list of the artist's records of the step's class that names both (a navigation
   box group "Studio albums", a discography table or list) has B right after A.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from synth.text import item_key, item_name, norm, strip_quotes

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], 1)}
_MONTH_ABBR = {k[:3]: v for k, v in _MONTHS.items()} | {"sept": 9}
_DATE = re.compile(
    r"\b(?:(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2}),\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})\s+(?P<m2>[A-Za-z]{3,9})\.?\s+(?P<y2>\d{4})"
    r"|(?P<m3>[A-Za-z]{3,9})\.?,?\s+(?P<y3>\d{4})"
    r"|(?P<y4>\d{4})-(?P<m4>\d{2})-(?P<d4>\d{2})"
    r"|(?P<y5>\d{4}))\b")

Date = tuple[int, int | None, int | None]  # (year, month or None, day or None)


def _month(s: str | None) -> int | None:
    if not s:
        return None
    s = s.lower()
    return _MONTHS.get(s) or _MONTH_ABBR.get(s)


def release_date(value: str) -> Date | None:
    """The first date a "Released" value states, at the precision it states it: 'November 1958' →
    (1958, 11, None); 'October 1, 1991' → (1991, 10, 1); '1957, 1962' → (1957, None, None)."""
    for m in _DATE.finditer(value or ""):
        g = m.groupdict()
        if g["y1"]:
            mo = _month(g["m1"])
            if mo:
                return int(g["y1"]), mo, int(g["d1"])
        elif g["y2"]:
            mo = _month(g["m2"])
            if mo:
                return int(g["y2"]), mo, int(g["d2"])
        elif g["y3"]:
            mo = _month(g["m3"])
            if mo:
                return int(g["y3"]), mo, None
            if 1000 <= int(g["y3"]) <= 2999:
                return int(g["y3"]), None, None
        elif g["y4"]:
            return int(g["y4"]), int(g["m4"]), int(g["d4"])
        elif g["y5"] and 1000 <= int(g["y5"]) <= 2999:
            return int(g["y5"]), None, None
    return None


def compare(x: Date, y: Date) -> int | None:
    """-1 / 1 when ``x`` is surely before / after ``y`` at the precision both state, 0 for the same day,
    None when the dates cannot be ordered (1958 and November 1958)."""
    for a, b in zip(x, y, strict=True):
        if a is None or b is None:
            return None
        if a != b:
            return -1 if a < b else 1
    return 0


def show(d: Date) -> str:
    y, m, day = d
    if m is None:
        return str(y)
    month = next(k for k, v in _MONTHS.items() if v == m).capitalize()
    return f"{month} {day}, {y}" if day else f"{month} {y}"


# -- what a page is ----------------------------------------------------------------------------------
_TYPE_BY = re.compile(r"^(?P<what>.*?)\s+by\s+(?P<by>.+)$", re.I)
_SPLIT_NAMES = re.compile(r",|;|&|\band\b|\bwith\b|\bfeat\.?|\bfeaturing\b|\bft\.?", re.I)


def record_class(words: str) -> str:
    """'album' or 'single' for a record noun ('Studio album', 'Next single', a list heading), else ''."""
    w = (words or "").lower()
    if re.search(r"\bsingles?\b|\bsongs?\b", w):
        return "single"
    if re.search(r"\balbums?\b|\bcompilations?\b|\blps?\b|\beps?\b|\bbox sets?\b|\bsoundtracks?\b|\blive\b|"
                 r"\bposthumous\b|\bstudio\b|\brecords\b", w):
        return "album"
    return ""


def _fact(node: object, key: str) -> object | None:
    return next((f for f in getattr(node, "facts", ()) if f.key.strip().lower() == key), None)


def _type(node: object) -> tuple[str, frozenset[str]]:
    """(record class, the normalised names it is credited to) of a page's "Type" row."""
    f = _fact(node, "type")
    m = _TYPE_BY.match(f.value.strip()) if f is not None else None
    if not m:
        return "", frozenset()
    names = frozenset(norm(n) for n in _SPLIT_NAMES.split(m.group("by")) if norm(n))
    return record_class(m.group("what")), names


def owner(node: object) -> str:
    """Whose chronology a record's rows walk: its "Chronology" header, else the one credit of its Type."""
    f = _fact(node, "chronology")
    if f is not None and norm(f.value):
        return norm(re.sub(r"\s+chronology$", "", f.value.strip(), flags=re.I))
    _, names = _type(node)
    return next(iter(names)) if len(names) == 1 else ""


class _Node(Protocol):
    url: str
    subject: str
    facts: list
    enumerations: list

    @property
    def name(self) -> str: ...


class _Graph(Protocol):
    def get(self, url: str | None) -> _Node | None: ...
    def names_of(self, node: _Node) -> set[str]: ...
    def __iter__(self): ...


@dataclass
class _Record:
    key: str            # the crawled page's URL, else 'name:<key>'
    label: str
    dates: list[tuple[Date, str]] = field(default_factory=list)  # (date, where the crawl states it)


@dataclass
class _List:
    where: str          # 'Ray_Charles_discography.html › Albums › The Atlantic years'
    keys: list[str]     # record key per item, in the list's order


_YEAR_ITEM = re.compile(r"^\s*(\d{4})\s*:\s*|\((\d{4})\)\s*$")
# 'Fathead: Ray Charles Presents … (1960) Atlantic Records 1304', 'Journey (Atlantic, 1974)': the title
# before a parenthesis holding the year
_YEAR_PAREN = re.compile(r"\s*\((?:[^()]*?,\s*)?((?:19|20)\d{2})(?:\s*,[^()]*)?\)")
_WITH_PAREN = re.compile(r"\s*\((?:with|feat\.?|featuring)\b[^()]*\)", re.I)


class ReleaseOrder:
    """Every record the crawl states, per (artist, class), with its dates and the ordered lists naming it."""

    def __init__(self, graph: _Graph) -> None:
        self.g = graph
        self.records: dict[tuple[str, str], dict[str, _Record]] = defaultdict(dict)
        self.lists: dict[tuple[str, str], list[_List]] = defaultdict(list)
        self._by_name: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        pages = list(graph)
        for node in pages:
            cls, names = _type(node)
            if not cls:
                continue
            d = self._released(node)
            for artist in names:
                rec = self.records[(artist, cls)].setdefault(node.url, _Record(node.url, node.name))
                if d:
                    rec.dates.append((d, f"{_page(node.url)} infobox"))
                for k in self._names(node):
                    self._by_name[(artist, cls)][k].append(node.url)
        for node in pages:
            for en in getattr(node, "enumerations", ()):
                got = _list_of(node, en)
                if got is None:
                    continue
                artist, cls = got
                where = f"{_page(node.url)} › {en.section or en.label}" + (
                    f" › {en.label}" if en.section and en.label and not en.section.endswith(en.label) else "")
                links = list(en.item_links or [])
                keys = []
                for i, item in enumerate(en.items):
                    key, year, label = self._item(artist, cls, item, links[i] if i < len(links) else "")
                    keys.append(key)
                    if not key:
                        continue
                    rec = self.records[(artist, cls)].setdefault(key, _Record(key, label))
                    if year:
                        rec.dates.append(((year, None, None), where))
                self.lists[(artist, cls)].append(_List(where, keys))

    # -- building -------------------------------------------------------------------------------------
    @staticmethod
    def _released(node: _Node) -> Date | None:
        f = _fact(node, "released") or _fact(node, "release date")
        return release_date(f.value) if f is not None else None

    def _names(self, node: _Node) -> set[str]:
        out = {norm(node.name), norm(getattr(node, "subject", "") or "")}
        try:
            out |= set(self.g.names_of(node))
        except AttributeError:
            out.add(item_key(node.name))
        return {k for k in out if k}

    def _item(self, artist: str, cls: str, item: str, link: str) -> tuple[str, int | None, str]:
        """(record key, year the item states, its title) of one list item: the crawled page it links,
        else the one crawled record of the artist its name names, else the name itself."""
        m = _YEAR_ITEM.search(item)
        year = int(m.group(1) or m.group(2)) if m else None
        text = _YEAR_ITEM.sub("", item).strip()
        p = _YEAR_PAREN.search(text) if year is None else None
        if p and p.start() > 0:
            year, text = int(p.group(1)), text[:p.start()].strip()
        text = _WITH_PAREN.sub("", text).strip()
        label = item_name(text) or text or item
        node = self.g.get(link) if link else None
        if node is not None:
            return node.url, year, label
        if link:
            return f"url:{link}", year, label
        # 'Ray Charles (Coronet)': the full title, not 'Ray Charles'
        k = norm(strip_quotes(text)) if re.search(r"\([^()]*\)\s*$", text) else item_key(text)
        if not k:
            return "", year, label
        # 'The Sound of the Wide Open Spaces!!!! with James Clay': the title without the co-leader
        for key in (k, re.sub(r"\s+with\s+.*$", "", k)):
            hits = set(self._by_name[(artist, cls)].get(key, ()))
            if len(hits) == 1:
                return next(iter(hits)), year, label
        return f"name:{k}", year, label

    # -- the question ---------------------------------------------------------------------------------
    def conflict_urls(self, early: str, late: str, noun: str) -> str:
        """:meth:`conflict` of two pages by URL ('' when either is not a crawled page)."""
        a, b = self.g.get(early), self.g.get(late)
        return self.conflict(a, b, noun) if a is not None and b is not None else ""

    def conflict(self, early: _Node, late: _Node, noun: str) -> str:
        """'' when nothing the crawl states contradicts that ``late`` is the record right after ``early``
        in their artist's ``noun`` ('album') chronology, else which source does."""
        return self.date_conflict(early, late, noun) or self.list_conflict(early, late, noun)

    def _of(self, early: _Node, late: _Node, noun: str) -> tuple[str, str]:
        cls = record_class(noun)
        artist = owner(early) or owner(late)
        return (artist, cls) if cls and artist else ("", "")

    def date_conflict(self, early: _Node, late: _Node, noun: str) -> str:
        """Rule 1: ``early`` is not dated after ``late``, and no other record of the artist may fall
        between them at the precision the dates are stated."""
        artist, cls = self._of(early, late, noun)
        recs = self.records.get((artist, cls), {})
        ra, rb = recs.get(early.url), recs.get(late.url)
        da = ra.dates if ra else []
        db = rb.dates if rb else []
        for x, wx in da:
            for y, wy in db:
                if compare(x, y) == 1:
                    return f"dates: {early.name} released {show(x)} ({wx}) after {late.name} {show(y)} ({wy})"
        if not (da and db):
            return ""
        for key, rec in sorted(recs.items()):
            if key in (early.url, late.url):
                continue
            for z, wz in rec.dates:
                for x, _ in da:
                    for y, _ in db:
                        if compare(z, x) != -1 and compare(z, y) != 1:
                            return (f"dates: {rec.label} ({show(z)}, {wz}) may fall between {early.name} "
                                    f"({show(x)}) and {late.name} ({show(y)})")
        return ""

    def list_conflict(self, early: _Node, late: _Node, noun: str) -> str:
        """Rule 2: every ordered list of the artist's records of that class naming both has ``late``
        right after ``early``."""
        artist, cls = self._of(early, late, noun)
        for lst in self.lists.get((artist, cls), ()):
            ia = [i for i, k in enumerate(lst.keys) if k == early.url]
            ib = [i for i, k in enumerate(lst.keys) if k == late.url]
            if not ia or not ib or any(j == i + 1 for i in ia for j in ib):
                continue
            i, j = ia[0], ib[0]
            if j < i:
                return f"ordered list {lst.where}: {late.name} before {early.name}"
            between = [self._label(artist, cls, k) for k in lst.keys[i + 1:j] if k]
            return f"ordered list {lst.where}: {', '.join(between)} between {early.name} and {late.name}"
        return ""

    def _label(self, artist: str, cls: str, key: str) -> str:
        rec = self.records.get((artist, cls), {}).get(key)
        return rec.label if rec else key

def _page(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


_NAVBOX_OWNER = re.compile(r"\s*(?:navigation box|navbox)\s*$", re.I)
_DISCOGRAPHY = re.compile(r"\s+discography\s*$", re.I)
_ARTIST_LISTS = re.compile(r"\b(?:discography|albums?|singles?|compilations?|releases)\b", re.I)
_NOT_OWN = re.compile(r"\b(?:sideman|guest|appearances?|covers?|tributes?|videos?|performances|see also|"
                      r"awards?|grammy|as producer|featured)\b", re.I)


def _list_of(node: _Node, en: object) -> tuple[str, str] | None:
    """(artist, class) of an ordered list of one artist's records: a navigation box group ('Ray Charles
    navigation box › Studio albums'), a table or list of the artist's discography page or of the
    artist's own page's discography section; None for any other list."""
    kind = getattr(en, "kind", "")
    section, label = getattr(en, "section", "") or "", getattr(en, "label", "") or ""
    where = f"{section} › {label}"
    if _NOT_OWN.search(where):
        return None
    if kind == "navbox":
        artist = norm(_NAVBOX_OWNER.sub("", section)) if _NAVBOX_OWNER.search(section) else ""
        cls = record_class(label)
    elif kind in ("table", "list"):
        subject = getattr(node, "subject", "") or ""
        if _DISCOGRAPHY.search(subject):
            artist = norm(_DISCOGRAPHY.sub("", subject))
        elif _fact(node, "type") is None and _ARTIST_LISTS.search(section.split(" › ")[0]):
            artist = norm(node.name)
        else:
            return None
        cls = record_class(where)
        if not cls and "discography" in where.lower():
            # a person's "Discography › As leader": records; quoted titles are songs
            items = list(getattr(en, "items", []) or [])
            quoted = sum(1 for it in items if it.lstrip()[:1] in "\"“")
            cls = "single" if items and quoted * 2 > len(items) else "album" if items else ""
    else:
        return None
    return (artist, cls) if artist and cls else None


def step_noun(key: str) -> str:
    """'Next album' → 'album'."""
    return re.sub(r"^(?:previous|next)\s+", "", (key or "").strip(), flags=re.I)

