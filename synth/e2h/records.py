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
from dataclasses import dataclass

from synth.graph.values import parse_years
from synth.search import LocalSearchIndex, base_name, fold, iter_docs, norm_key

_PREV = ("previous single", "previous album", "previous release", "preceded by")
_NEXT = ("next single", "next album", "next release", "followed by")
RELEASE_KEYS = ("released", "release date", "release dates", "published", "first published")
# a chronology strip cell: '| *Just Between Us* (1988) |', '| "A Fool for You" (1955) |'
_CELL = re.compile(r"(?<=\|)\s*[\"“]?\s*\**([^|*\"“”\n]{1,120}?)\**\s*[\"”]?\s*\((\d{4})\)\s*(?=\|)")
_ARROW_ROW = re.compile(r"^\|\s*Chronology\s*\|(.*→.*)\|$", re.I)
_TITLE_YEAR = re.compile(r"[\"“]?\**([^*\"“”→|\n]{1,120}?)\**[\"”]?\s*\((\d{4})\)")
# a discography table row: '| 1988 | *Just Between Us* |', '| 1956 | "Hallelujah I Love Her So" |'
_DISCOG_ROW = re.compile(r"^\|\s*(\d{4})\s*\|\s*(?:\*+([^*|\n]{1,120}?)\*+|[\"“]([^\"”|\n]{1,120})[\"”])", re.M)


@dataclass(frozen=True)
class NamedRecord:
    """A record of an artist the crawl names: its title, year bounds (None: unbounded), kind, source."""

    title: str
    lo: int | None
    hi: int | None
    kind: str  # 'single', 'album', or '' (not said)
    url: str  # the page naming it

    @property
    def key(self) -> str:
        return fold(self.title)


def credit(index: LocalSearchIndex, url: str) -> frozenset[str]:
    """Whose record a page's infobox describes ('Single by Ray Charles' -> {'ray charles'}), or empty."""
    t = next((r.value for r in index.facts(url) if r.nkey == "type"), "")
    m = re.search(r"\bby\s+(.+)$", t)
    if not m:
        return frozenset()
    names = re.split(r",|&|\band\b|\bft\.?|\bfeat\.?|\bfeaturing\b|\bwith\b", m.group(1).lower())
    return frozenset(fold(n) for n in names if fold(n))


def record_kind(index: LocalSearchIndex, url: str) -> str:
    t = next((r.value for r in index.facts(url) if r.nkey == "type"), "").lower()
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
    for r in index.facts(url):
        if r.nkey in RELEASE_KEYS:
            ys = parse_years(r.value)
            if ys:
                return ys
    return ()


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
        own_page = d.key in artists or any(d.key.startswith(f"{a} ") and "discography" in d.key for a in artists)
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
            for m in _DISCOG_ROW.finditer(index.body(d.url)):
                y = int(m.group(1))
                title = (m.group(2) or m.group(3) or "").strip()
                if title:
                    out.append(NamedRecord(title, y, y, "", d.url))
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
    return any(any(r.nkey in nks for r in index.facts(u)) for u in index.aliases().get(fold(title), []))


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
