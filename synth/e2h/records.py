"""Every record the crawl states for an artist, with or without a crawled page of its own (issue 16).

A description of a record is unique only against *every* record the crawl states for its artist, not
only against the records that have a crawled page: "the disc released in the late 1980s by Ray
Charles" also fits Just Between Us (1988), which only Ray Charles Anthology's chronology names, and
"the debut single from Ray Charles" is contradicted by Hallelujah I Love Her So's own "Previous single"
row and by Mess Around (1953), an earlier single by him on another page.

The crawl states a record by:

* a chronology row of a page by the artist ("Previous album: Just Between Us"), and the chronology
  strip under it in the page text (``| *Just Between Us* (1988) | *Ray Charles Anthology* (1988) | …``),
  which gives the year;
* a discography table row (``| 1988 | *Just Between Us* | …``) on the artist's discography or own page.

A named record whose year no page gives keeps the bounds its chronology row implies (the previous
album of a 1988 album is from 1988 or before). Records with a page of their own are read from that
page's rows by the callers (exactly); here they are only used for their kind and year.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from synth.graph.values import parse_years
from synth.search import LocalSearchIndex, base_name, fold, iter_docs, norm_key
from synth.text import DATE_RE, parse_date

T = TypeVar("T")
_PREV = ("previous single", "previous album", "previous release", "preceded by")
_NEXT = ("next single", "next album", "next release", "followed by")
RELEASE_KEYS = ("released", "release date", "release dates", "published", "first published")
# a chronology strip cell: '| *Just Between Us* (1988) |', '| "A Fool for You" (1955) |'
_CELL = re.compile(r"(?<=\|)\s*[\"“]?\s*\**([^|*\"“”\n]{1,120}?)\**\s*[\"”]?\s*\((\d{4})\)\s*(?=\|)")
_ARROW_ROW = re.compile(r"^\|\s*Chronology\s*\|(.*→.*)\|$", re.I)
_TITLE_YEAR = re.compile(r"[\"“]?\**([^*\"“”→|\n]{1,120}?)\**[\"”]?\s*\((\d{4})\)")
# a discography table row: '| 1988 | *Just Between Us* |', '| 1956 | "Hallelujah I Love Her So" |'; a row under
# it whose year cell is empty ('|  | "Lonely Avenue" |') shares the year above: the HTML cell spans rows (rowspan)
_TABLE_ROW = re.compile(r"^\|\s*(\d{4}|)\s*\|\s*(?:\*+([^*|\n]{1,120}?)\*+|[\"“]([^\"”|\n]{1,120})[\"”])\s*([^|\n]*)\|")
# a works list item with its year: '- "I Got a Woman" (1954)', '- *Ray Charles* (1957)'
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}\.)\s+(?:\*+([^*\n]{1,120}?)\*+|[\"“]([^\"”\n]{1,120})[\"”])"
                        r"\s*\((\d{4})\)\s*$")
# what may follow a title in a works table and still name that record ('(with Betty Carter)'); anything else
# ('"I Got a Woman" (Part One)', a 1965 reissue) may be another record of the title
_SAME_RECORD_NOTE = re.compile(r"^(?:\((?:with|feat\.?|featuring|ft\.?)\b[^()]*\))?$", re.I)


# sections whose dated items are not records, and list sections whose items are
_NOT_RECORDS = re.compile(r"film|television|\btv\b|video|book|bibliograph|award|honou?r|accolade|tour|concert|"
                          r"appearance", re.I)
_RECORD_SECTION = re.compile(r"discograph|album|single|release|recording|\bep\b|\blps?\b|works", re.I)


def dated_items(body: str) -> list[tuple[str, int, str, bool]]:
    """(title, year, kind, plain) of every record a page's works tables and lists date: a table row whose first
    cell is a year ('| 1955 | "I Got a Woman" | …'), or empty under such a row (a year cell spanning several
    rows is rendered once: '|  | "This Little Girl of Mine" |' is 1955 too), and a list item 'Title (year)'.
    ``kind`` is 'single' for a quoted title, 'album' for an italic one; ``plain`` is False when the title
    carries a note that may make it another record ('(Part One)')."""
    out: list[tuple[str, int, str, bool]] = []
    year: int | None = None
    heading = ""
    for line in body.splitlines():
        st = line.strip()
        if st.startswith("#"):
            heading = st.lower()
        if _NOT_RECORDS.search(heading):
            continue  # '## Filmography': '*The Blues Brothers* (1980)' is a film, not a record
        if not st.startswith("|"):
            year = None  # a table ends: its years do not run on
            m = _LIST_ITEM.match(line)
            if m and _RECORD_SECTION.search(heading):
                title = (m.group(1) or m.group(2) or "").strip()
                if title:
                    out.append((title, int(m.group(3)), "album" if m.group(1) else "single", True))
            continue
        m = _TABLE_ROW.match(st)
        if m is None:
            first = st.strip("|").split("|")[0].strip()
            if re.fullmatch(r"\d{4}", first):
                year = int(first)
            elif first:
                year = None  # '| Year | Single | …' header, or a row whose first cell is no year
            continue
        if m.group(1):
            year = int(m.group(1))
        if year is None:
            continue
        title = (m.group(2) or m.group(3) or "").strip()
        if title:
            out.append((title, year, "album" if m.group(2) else "single",
                        bool(_SAME_RECORD_NOTE.match(m.group(4).strip()))))
    return out


@dataclass(frozen=True)
class NamedRecord:
    """A record of an artist the crawl names: its title, year bounds (None: unbounded), kind, source."""

    title: str
    lo: int | None
    hi: int | None
    kind: str  # 'single', 'album', or '' (not said)
    url: str  # the page naming it
    plain: bool = True  # False: the title carries a note that may make it another record ('(Part One)')

    @property
    def key(self) -> str:
        return fold(self.title)


_MEMO: weakref.WeakKeyDictionary[LocalSearchIndex, dict[tuple, object]] = weakref.WeakKeyDictionary()


def _memo(index: LocalSearchIndex, key: tuple, make):
    """A value computed once per index (an index is read-only while E2HQA runs; one entry per page or title)."""
    per = _MEMO.setdefault(index, {})
    if key not in per:
        per[key] = make()
    return per[key]


def _type_row(index: LocalSearchIndex, url: str) -> str:
    return _memo(index, ("type", url), lambda: next((r.value for r in index.facts(url) if r.nkey == "type"), ""))


def credit(index: LocalSearchIndex, url: str) -> frozenset[str]:
    """Whose record a page's infobox describes ('Single by Ray Charles' -> {'ray charles'}), or empty."""
    t = _type_row(index, url)
    m = re.search(r"\bby\s+(.+)$", t)
    if not m:
        return frozenset()
    names = re.split(r",|&|\band\b|\bft\.?|\bfeat\.?|\bfeaturing\b|\bwith\b", m.group(1).lower())
    return frozenset(fold(n) for n in names if fold(n))


def record_kind(index: LocalSearchIndex, url: str) -> str:
    t = _type_row(index, url).lower()
    head = re.split(r"\bby\b", t, maxsplit=1)[0]
    if "single" in head or "song" in head:
        return "single"
    if any(w in head for w in ("album", "ep", "box set", "compilation", "soundtrack")):
        return "album"
    return ""


def chronology_strip(body: str) -> list[tuple[str, int]]:
    """(title, year) of the records a page's chronology strip names besides its own (the bold cell):
    a table line whose every cell is 'title (year)' ('| Chart (1978) | Peak position |' is not one)."""
    out: list[tuple[str, int]] = []
    for line in body.splitlines():
        m = _ARROW_ROW.match(line.strip())
        if m:  # '| Chronology | *Low Tide Letters* (2015) → *Quiet Machines* (2020) |'
            out.extend((t.group(1).strip(), int(t.group(2))) for t in _TITLE_YEAR.finditer(m.group(1)))
            continue
        cells = [c for c in line.strip().strip("|").split("|") if c.strip()]
        if len(cells) < 2 or line.count("|") < 3:
            continue
        found = list(_CELL.finditer(line))
        if len(found) != len(cells):
            continue
        for c, m in zip(cells, found, strict=True):
            if "**" not in c:
                out.append((m.group(1).strip(), int(m.group(2))))
    return out


def release_years(index: LocalSearchIndex, url: str) -> tuple[int, ...]:
    return _memo(index, ("released", url), lambda: _release_years(index, url))


def _release_years(index: LocalSearchIndex, url: str) -> tuple[int, ...]:
    for r in index.facts(url):
        if r.nkey in RELEASE_KEYS:
            ys = parse_years(r.value)
            if ys:
                return ys
    return ()


def artists_own_page(key: str, artists: frozenset[str]) -> bool:
    """Whether the page whose entity key is ``key`` is one of ``artists``' own pages or their discography
    ('ray charles', 'ray charles discography'): the pages whose works tables and lists state their records."""
    return key in artists or any(key.startswith(f"{a} ") and "discography" in key for a in artists)


def first_disagreement(told: list[tuple[T, str]], agrees: Callable[[T], bool], say: Callable[[T, str], str]) -> str:
    """Why the crawled pages disagree on a record's value: ``say(value, page name)`` of the first ``(value, page)``
    of ``told`` that ``agrees`` rejects; '' when every page that states the value agrees. The one rule of the
    value conflicts below (release years, labels): a value the pages disagree on is no answer and no clue."""
    for value, where in told:
        if not agrees(value):
            return say(value, where.rsplit("/", 1)[-1])
    return ""


_CACHE: weakref.WeakKeyDictionary[LocalSearchIndex, dict[frozenset[str], list[NamedRecord]]] = \
    weakref.WeakKeyDictionary()


def named_records(index: LocalSearchIndex, artists: frozenset[str]) -> list[NamedRecord]:
    """Every record of ``artists`` the crawl names (see module doc), one entry per naming."""
    if not artists:
        return []
    per = _CACHE.setdefault(index, {})
    if artists in per:
        return per[artists]
    out: list[NamedRecord] = []
    for d in iter_docs(index):
        by = credit(index, d.url)
        own_page = artists_own_page(d.key, artists)
        if by & artists:
            kind = record_kind(index, d.url)
            years = release_years(index, d.url)
            for r in index.facts(d.url):
                nk = r.nkey
                if (nk not in _PREV and nk not in _NEXT) or not r.value.strip():
                    continue
                title = r.value.strip().strip("\"“”'")
                lo = hi = None
                if years:
                    lo, hi = (None, max(years)) if nk in _PREV else (min(years), None)
                rk = "single" if "single" in nk else "album" if "album" in nk else kind
                out.append(NamedRecord(title, lo, hi, rk, d.url))
            for title, y in chronology_strip(index.body(d.url)):
                out.append(NamedRecord(title, y, y, kind, d.url))
        elif own_page:
            for title, y, kind, plain in dated_items(index.body(d.url)):
                out.append(NamedRecord(title, y, y, kind, d.url, plain))
    per[artists] = out
    return out


def same_record(index: LocalSearchIndex, title: str, url: str) -> bool:
    """Whether ``title`` names the page ``url`` (its subject, base name or an alias of it)."""
    doc = index.doc(url)
    if doc is None:
        return False
    t = fold(title)
    if t in (doc.key, fold(base_name(doc.subject))):
        return True
    return any(index.entity_key(u) == doc.key for u in index.aliases().get(t, []))


def has_page_with(index: LocalSearchIndex, title: str, keys: tuple[str, ...]) -> bool:
    """Whether ``title`` is an indexed page with a row of ``keys`` (its own row is then the truth)."""
    nks = {norm_key(k) for k in keys}
    return _memo(index, ("has", fold(title), tuple(sorted(nks))), lambda: any(
        any(r.nkey in nks for r in index.facts(u)) for u in index.aliases().get(fold(title), [])))


def unrefuted_in(index: LocalSearchIndex, url: str, lo: int, hi: int, *, recorded: bool = False) -> list[str]:
    """Titles of records by ``url``'s artist that only other pages name (no page of their own with a
    release row) and whose release year — or, with ``recorded``, recording year (on or before the
    release) — the crawl does not place outside lo..hi."""
    artists = credit(index, url)
    keys = ("recorded",) if recorded else RELEASE_KEYS
    by_title: dict[str, list[NamedRecord]] = {}
    for rec in named_records(index, artists):
        if not re.search(r"\w", rec.title):  # '—': the chronology has no record there
            continue
        if not same_record(index, rec.title, url) and not has_page_with(index, rec.title, keys):
            by_title.setdefault(rec.key, []).append(rec)
    out: list[str] = []
    for recs in by_title.values():
        exact = {r.lo for r in recs if r.lo is not None and r.lo == r.hi}
        if exact:  # the year a chronology strip or a discography gives (any of them, when pages differ)
            span = [(None, y) if recorded else (y, y) for y in exact]
        else:  # only the bounds its chronology rows imply, all of them at once
            los = [r.lo for r in recs if r.lo is not None]
            his = [r.hi for r in recs if r.hi is not None]
            span = [(None if recorded or not los else max(los), min(his) if his else None)]
        if any((a is None or a <= hi) and (b is None or b >= lo) for a, b in span):
            out.append(recs[0].title)
    return out


def earlier_of_kind(index: LocalSearchIndex, url: str, kind: str) -> str:
    """What the crawl states against ``url`` being its artist's first ``kind`` ('single', 'album',
    '' for any record): its own previous-``kind`` row, or an earlier-dated ``kind`` by the same
    artist on any page. '' when nothing contradicts it."""
    for r in index.facts(url):
        if r.nkey in _PREV and r.value.strip() and (not kind or kind in r.nkey or r.nkey in (
                "previous release", "preceded by")):
            return f"its own row '{r.key}: {r.value[:60]}'"
    artists = credit(index, url)
    years = release_years(index, url)
    if not artists or not years:
        return ""
    first = min(years)
    for d in iter_docs(index):
        if d.url == url or not (credit(index, d.url) & artists) or same_record(index, d.subject, url):
            continue
        if kind and record_kind(index, d.url) != kind:
            continue
        ys = release_years(index, d.url)
        if ys and min(ys) < first:
            return f"{d.subject} ({min(ys)}) on {d.url}"
    for rec in named_records(index, artists):
        if (not kind or rec.kind == kind) and rec.hi is not None and rec.lo == rec.hi and rec.hi < first \
                and not same_record(index, rec.title, url):
            return f"{rec.title} ({rec.hi}) named on {rec.url}"
    return ""


def stated_years(index: LocalSearchIndex, url: str) -> list[tuple[int, str]]:
    """(year, page) of every year another crawled page gives for the record ``url`` describes: a chronology
    strip of a record by the same artist ('| "I Got a Woman" (1954) | …'), a works table or list of the
    artist's own or discography page ('| 1955 | "I Got a Woman" |', a row under it with an empty year cell
    included). Only entries naming that very title (no note such as '(Part One)') of a compatible kind."""
    artists = credit(index, url)
    if not artists:
        return []
    kind = record_kind(index, url)
    out: list[tuple[int, str]] = []
    for rec in named_records(index, artists):
        if rec.url == url or not rec.plain or rec.lo is None or rec.lo != rec.hi:
            continue
        if kind and rec.kind and rec.kind != kind:
            continue  # the album "Crying Time" is not the single
        if same_record(index, rec.title, url):
            out.append((rec.lo, rec.url))
    return out


def release_conflict(index: LocalSearchIndex, url: str, years: tuple[int, ...] | None = None) -> str:
    """What another crawled page states against the release year(s) ``years`` (default: the record page's own
    release row) of the record ``url``: Ray Charles discography lists "I Got a Woman" under 1955 while its own
    page and Ray Charles's Discography say 1954. '' when every page that dates the record agrees."""
    own = tuple(years) if years else release_years(index, url)
    if not own:
        return ""
    lo, hi = min(own), max(own)
    told = stated_years(index, url)
    if years:  # a value asked or told of the record: its own page's release row must agree too
        told = [(y, url) for y in release_years(index, url)] + told
    ys = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return first_disagreement(told, lambda y: lo <= y <= hi,
                              lambda y, page: f"{page} dates the record {y}, not {ys}: the pages disagree on its "
                                              f"release year")


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_ORIGINAL = re.compile(r"\b(?:original\s+version|originally\s+(?:recorded|released|performed)\s+by|first\s+(?:recorded|"
                       r"released|performed)\s+(?:in\s+\d{4}\s+)?by|recorded\s+the\s+original)\b", re.I)
_COVER = re.compile(r"\b(?:covered|cover\s+version|cover\s+of)\b", re.I)


def prose_sentences(body: str) -> list[str]:
    """The sentences of a page's prose (table rows, headings and list items left out)."""
    out: list[str] = []
    for line in body.splitlines():
        st = line.strip()
        if not st or st.startswith(("|", "#", ">")) or re.match(r"^(?:[-*+]|\d{1,3}\.)\s", st):
            continue
        out.extend(p for p in _SENTENCE.split(st) if p)
    return out


# a record infobox's type line in a page's text: '| Single by The Everly Brothers |  | '
_TYPE_LINE = re.compile(r"^\|\s*(?:[A-Z][\w-]*\s+){0,3}?(?:single|song|album|ep|compilation|soundtrack)\s+by\s+"
                        r"([^|]{2,80}?)\s*\|", re.I)
_CHRONO_ROW = re.compile(r"^(?:previous|next)\s+(?:single|album|release)$|^preceded by$|^followed by$")


def record_boxes(body: str) -> list[dict[str, str]]:
    """The record infoboxes a page's text shows, each as its rows (folded key -> folded value): from a type line
    ('| Single by Ray Charles |') to the next; 'type' is the credit, 'album' the 'from the album' line, 'chronology'
    the strip under a '… chronology' header."""
    boxes: list[dict[str, str]] = []
    chrono = False
    for line in body.splitlines():
        st = line.strip()
        if not st.startswith("|"):
            continue
        m = _TYPE_LINE.match(st)
        if m:
            boxes.append({"type": fold(re.sub(r"\s+from\s+.*$", "", m.group(1)))})
            chrono = False
            continue
        if not boxes:
            continue
        cells = [c.strip() for c in st.strip("|").split("|")]
        head = cells[0] if cells else ""
        if re.match(r"^from the album\b", head, re.I):
            boxes[-1]["album"] = fold(head)
        elif head.lower().endswith("chronology"):
            chrono = True
        elif chrono and sum(1 for c in cells if c) >= 2:
            boxes[-1]["chronology"] = fold(" ".join(cells))
            chrono = False
        elif len(cells) >= 2 and head and cells[1]:
            boxes[-1].setdefault(norm_key(head), fold(cells[1]))
    return boxes


def several_records(index: LocalSearchIndex, url: str, key: str = "type") -> str:
    """Why an inverse relation through the row ``key`` of page ``url`` ('the B-side of the single X', 'the artist
    of the song X') does not name one record: the page carries infoboxes of records of its title by several
    artists, and they state different values for that row (This Little Girl of Mine: Ray Charles's single, B-side
    "A Fool for You"; The Everly Brothers', B-side "Should We Tell Him"; strict audit round 9). A row only one
    box has ('Next single' of Lonely Avenue: Van Morrison's song has no singles chronology), or that every box
    states alike ('Writer(s): Doc Pomus'), is fine. '' then."""
    boxes = _memo(index, ("boxes", url), lambda: record_boxes(index.body(url)))
    if len(boxes) < 2:
        return ""
    nk = norm_key(key)
    field = ("type" if nk == "type" else "chronology" if _CHRONO_ROW.match(nk) else "album" if nk == "album"
             else nk)
    values = {b[field] for b in boxes if b.get(field)}
    if len(values) < 2:
        return ""
    who = ", ".join(dict.fromkeys(b["type"] for b in boxes))
    return f"{url.rsplit('/', 1)[-1]} has records of its title by several artists ({who}) whose '{key}' rows differ"


_RELEASED_WORD = re.compile(r"\breleased\b", re.I)
_OTHER_RELEASE = re.compile(r"\b(?:re-?released|re-?issued?|re-?issues|reissue\w*|remaster\w*|compilation|box set|"
                            r"soundtrack|film|movie)\b", re.I)


# the date a sentence says the record came out: 'released in June 1959', 'released August 31, 2004'
_RELEASED_ON = re.compile(r"\breleased\s+(?:(?:in|on|as\s+a\s+single\s+in)\s+)?(" + DATE_RE.pattern + ")")


def release_prose_conflict(index: LocalSearchIndex, url: str, answer: str) -> str:
    """What the record's own page says in prose against its release date ``answer`` (a month or a day): What'd I
    Say's infobox 'Released: July 1959', its text "It was held for the summer and released in June 1959"
    (strict audit round 10). A sentence of the page's prose that says 'released' (not a reissue, a compilation or
    a film) with a date of the same precision or finer that differs; '' when none does."""
    own = parse_date(answer)
    if own is None or own[1] < 2 or index.doc(url) is None:
        return ""
    for sent in prose_sentences(index.body(url)):
        if not _RELEASED_WORD.search(sent) or _OTHER_RELEASE.search(sent):
            continue
        for m in _RELEASED_ON.finditer(sent):
            other = parse_date(m.group(1))
            if other is None or other[1] < 2:
                continue
            n = min(own[1], other[1])
            if other[0][:n] != own[0][:n]:
                return f"its page says {m.group(0)!r}: not {answer} (the page disagrees with its own release row)"
    return ""


_SESSION = re.compile(r"\b(?:recorded|recording|session|sessions|cut|taped)\b", re.I)


def _session_sentences(index: LocalSearchIndex) -> list[tuple[str, str, str, set[tuple[int, ...]]]]:
    """``(page, folded sentence, sentence, full dates)`` of every prose sentence of the crawl that speaks of a
    recording or session and gives a full date: read once per index (every recording-date check reads them)."""
    def read() -> list[tuple[str, str, str, set[tuple[int, ...]]]]:
        out = []
        for d in iter_docs(index):
            for sent in prose_sentences(index.body(d.url)):
                if not _SESSION.search(sent):
                    continue
                dates = {p[0] for p in (parse_date(m.group(0)) for m in DATE_RE.finditer(sent)) if p and p[1] == 3}
                if dates:
                    out.append((d.url, fold(sent), sent, dates))
        return out

    return _memo(index, ("session_sentences",), read)


def recording_date_conflict(index: LocalSearchIndex, url: str, answer: str) -> str:
    """What another crawled page's prose states against the recording date ``answer`` of the record ``url``:
    It Should've Been Me's page says it was "Recorded at the same May 10, 1953 session as … 'Mess Around'", whose
    own row says 'Recorded: May 17, 1953' (strict audit round 9). A sentence that names the record's title, speaks
    of a recording or session and gives a full date that is not the answer's; '' when none does."""
    own = parse_date(answer)
    doc = index.doc(url)
    if doc is None or own is None or own[1] < 3:
        return ""  # only a full date is contradicted by another full date
    title = fold(base_name(doc.subject))
    if len(title) < 4:
        return ""
    for where, folded, sent, dates in _session_sentences(index):
        if where != url and title in folded and dates - {own[0]}:
            return (f"{where.rsplit('/', 1)[-1]} says {sent[:160]!r}: the pages disagree on when "
                    f"{doc.subject} was recorded ({answer})")
    return ""


def recorded_by_another(index: LocalSearchIndex, url: str) -> str:
    """Why 'the artist of X' does not single out the single X's credited artist: X's page says the song was
    recorded by someone else first ('Owens recorded the original version of his song …'), or that the credited
    artist covered it ('The song was covered by Ray Charles in 1962'). Its infobox ('Single by Ray Charles') is
    one recording; the song (its writer, its year) has another artist too."""
    artists = credit(index, url)
    if not artists or record_kind(index, url) != "single":
        return ""
    names = {w for a in artists for w in a.split()[-1:]} | set(artists)  # 'Charles' in "Charles' version"
    for sent in prose_sentences(index.body(url)):
        f = f" {fold(sent)} "
        named = any(f" {n} " in f for n in names)
        if _COVER.search(sent) and any(re.search(rf"\bcover(?:ed| version)\b(?: \w+){{0,8}}? by(?: \w+){{0,4}}? {n}\b|"
                                                 rf"\b{n} covered\b", f) for n in names):
            return f"its page says the credited artist covered the song: '{sent[:140]}'"
        if _ORIGINAL.search(sent) and not named:
            return f"its page says another artist recorded the song first: '{sent[:140]}'"
    return ""


def same_year_records(index: LocalSearchIndex, url: str, year: int, writers: tuple[str, ...] = ()) -> list[str]:
    """Records of ``url``'s artist other than itself that the crawl dates ``year`` (a page's release row, a
    chronology strip, a works table or list) and, with ``writers``, credits to each of them (a Writer row):
    'the rhythm and blues single written and released … by Ray Charles in 1955' fits A Fool for You (Released
    1955, Writer(s): Ray Charles) as well as This Little Girl of Mine. A record the crawl only names fits a
    year it is dated; with ``writers`` it fits only when its credit is stated (never, for a named record)."""
    artists = credit(index, url)
    if not artists:
        return []
    kind = record_kind(index, url)
    want = {fold(w) for w in writers if fold(w)}
    out: list[str] = []
    for d in iter_docs(index):
        # a record by every artist the description names ('the 1961 album by Betty Carter and Ray Charles' is not
        # fitted by a 1961 album of Ray Charles alone)
        if d.url == url or not artists <= credit(index, d.url) or same_record(index, d.subject, url):
            continue
        if kind and record_kind(index, d.url) not in ("", kind):
            continue
        ys = release_years(index, d.url)
        if not ys or year not in ys:
            continue
        if want:
            credits = " ".join(fold(r.value) for r in index.facts(d.url) if r.nkey in ("writer", "writer s", "writers",
                                                                                       "written by", "songwriter"))
            if not all(w in credits for w in want):
                continue
        out.append(d.subject)
    if not want and len(artists) == 1:  # a record only named is not known to be by several artists together
        for rec in named_records(index, artists):
            if rec.lo == rec.hi == year and (not kind or rec.kind in ("", kind)) and not same_record(
                    index, rec.title, url) and not has_page_with(index, rec.title, RELEASE_KEYS):
                out.append(rec.title)
    return list(dict.fromkeys(out))


# --- record labels (strict audit round 6: Genius & Friends' infobox 'Label: Rhino', the discography's 'Atlantic') ---
_LABEL_NOISE = re.compile(r"<[^>]*>|\\?\[[^\]]*\\?\]|\([^)]*\)")  # '<sup>\[3\]</sup>', '(US)'
_LABEL_WORDS = frozenset({"records", "record", "recordings", "music", "entertainment", "inc", "ltd", "label",
                          "the", "group", "co"})


def label_words(value: str) -> list[tuple[str, ...]]:
    """Each label a value names, as its significant words: 'ABC-Paramount 335' -> [('abc', 'paramount')],
    'Atlantic, Rhino' -> [('atlantic',), ('rhino',)]; catalogue numbers, 'Records', footnotes dropped."""
    out: list[tuple[str, ...]] = []
    for part in re.split(r"[,;/]|\band\b|\s&\s", _LABEL_NOISE.sub(" ", value)):
        words = tuple(w for w in re.split(r"[\s\-–.]+", fold(part))
                      if w and w not in _LABEL_WORDS and not re.search(r"\d", w))
        if words:
            out.append(words)
    return out


def _one_label(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Loosely the same label: one's words a prefix of the other's ('ABC' / 'ABC Paramount'), or an
    abbreviation of it ('RCA' / 'Radio Corporation of America'), or equal once joined ('Hi Fi' / 'HiFi')."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if long_[:len(short)] == short or "".join(a) == "".join(b):
        return True
    return len(short) == 1 and short[0] == "".join(w[0] for w in long_)


def labels_agree(x: str, y: str) -> bool:
    """Whether two label values name a common label (any label of one loosely the same as one of the other)."""
    return any(_one_label(a, b) for a in label_words(x) for b in label_words(y))


def labelled_items(body: str) -> list[tuple[str, str]]:
    """(title, label) of every works-table row of a page that states a label: a table whose header has a column
    headed 'Label' ('| Year | Album | … | Label |'), a row with a title and a non-empty cell under it. An empty
    label cell (a cell spanning rows, or no label) states nothing."""
    out: list[tuple[str, str]] = []
    col: int | None = None
    width = 0
    for line in body.splitlines():
        st = line.strip()
        if not st.startswith("|"):
            col = None
            continue
        cells = [c.strip() for c in st.strip().strip("|").split("|")]
        heads = [i for i, c in enumerate(cells) if re.fullmatch(r"(?:[A-Za-z]+\s+)?labels?", c, re.I)]
        if heads and re.search(r"album|single|title|record|release", st, re.I):
            col, width = heads[0], len(cells)
            continue
        if col is None or len(cells) != width:
            continue
        m = re.match(r"^(?:\*+([^*]{1,120}?)\*+|[\"“]([^\"”]{1,120})[\"”])\s*$", cells[1] if len(cells) > 1 else "")
        label = _LABEL_NOISE.sub(" ", cells[col]).strip()
        if m and label and re.search(r"[A-Za-z]", label) and label not in ("—", "-"):
            out.append(((m.group(1) or m.group(2)).strip(), label))
    return out


def own_labels(index: LocalSearchIndex, url: str) -> list[str]:
    return [r.value for r in index.facts(url) if r.nkey in ("label", "labels") and r.value.strip()]


def stated_labels(index: LocalSearchIndex, url: str) -> list[tuple[str, str]]:
    """(label, page) of every label the artist's own or discography page states in a works table for the record
    ``url`` describes ('| 2005 | *Genius & Friends* | … | Atlantic |')."""
    artists = credit(index, url)
    if not artists:
        return []
    out: list[tuple[str, str]] = []
    for d in iter_docs(index):
        if d.url == url or not artists_own_page(d.key, artists):
            continue
        items = _memo(index, ("labelled", d.url), lambda u=d.url: labelled_items(index.body(u)))
        out += [(lab, d.url) for title, lab in items if same_record(index, title, url)]
    return out


def label_conflict(index: LocalSearchIndex, url: str, value: str | None = None) -> str:
    """What another crawled page states against the label ``value`` (default: the record page's own label row)
    of the record ``url``: Ray Charles discography's 'Atlantic' for Genius & Friends, 'Label: Rhino' on its own
    page. '' when every page that names the record's label agrees (loosely: 'ABC' and 'ABC-Paramount 335')."""
    own = own_labels(index, url)
    vals = [value] if value else own
    if not vals:
        return ""
    told = stated_labels(index, url)
    if value:  # a value asked or told of the record: its own page's label row must agree too
        told = [(v, url) for v in own] + told
    return first_disagreement(told, lambda lab: any(labels_agree(lab, v) for v in vals),
                              lambda lab, page: f"{page} gives the label {lab!r}, not {' / '.join(vals)!r}: the pages "
                                                f"disagree on its label")
