"""The year hop: a year in a question described through a record of the crawl released that year.

"Which singer first recorded … in 1957?" → "… in the year the single Swanee River Rock was released?". A
year is a value, not an entity: the description only has to have that one value. It does when the record's
own page gives one release year (its Released / Release date row) and no other crawled page dates the
record otherwise (``synth.e2h.records.stated_years`` / ``release_conflict``: chronology strips, works
tables, discography lists). The record is named by its title, which must name no other crawled page, so a
later round can replace it in turn (the record's page is an indexed entity). A record whose page states the
answer is not used (one search of its title would bring the answer up).

Only a bare year after "in" that ends the question or its clause is replaced ("recorded in 1957?"): not a
date ("in May 1965" is not matched), not a year inside a quoted title, not a year that is part of the
answer. The record's page is not disambiguated, no other crawled page bears its title, and its page does
not say the song was first recorded by another artist or covered (``records.recorded_by_another``).
"""

from __future__ import annotations

import re

from synth.e2h.clues import Clue
from synth.e2h.entities import EntitySpan, occurs
from synth.e2h.records import credit, recorded_by_another, release_conflict, stated_years
from synth.graph.values import parse_years
from synth.search import LocalSearchIndex, PageDoc, base_name, fold, iter_docs

KIND = "year_of"
# the year ends the question or its clause ('… in 1957?', '… in 1957, …', '… in 1957 and …'): a phrase after it
# would attach to the description's clause ('released in the year the album X was released on Atlantic
# Records' says the album X was on Atlantic)
_YEAR_AFTER_IN = re.compile(r"\bin\s+((?:1[6-9]|20)\d\d)(?=\s*(?:\?|,\s|\s+and\s))")
_OWN_RELEASE_KEYS = ("released", "release date")
_QUOTES = re.compile(r"\"[^\"]*\"|“[^”]*”")


def year_spans(question: str, answer: str) -> list[EntitySpan]:
    """The bare years of ``question`` after 'in' that a round may describe (not inside quotes, not the answer)."""
    quoted = [(m.start(), m.end()) for m in _QUOTES.finditer(question)]
    out = []
    for m in _YEAR_AFTER_IN.finditer(question):
        s, e = m.start(1), m.end(1)
        if any(a <= s < b for a, b in quoted) or occurs(m.group(1), answer):
            continue
        out.append(EntitySpan(m.group(1), s, e, (), "year"))
    return out


def _noun(index: LocalSearchIndex, url: str) -> str:
    t = next((r.value for r in index.facts(url) if r.nkey == "type"), "").lower()
    head = re.split(r"\bby\b", t, maxsplit=1)[0]
    if "single" in head:
        return "single"
    if "song" in head:
        return "song"
    if re.search(r"\b(?:studio|live)?\s*album\b", head):
        return "album"
    return ""


def release_year(index: LocalSearchIndex, url: str) -> int | None:
    """The one year every crawled page gives for the record ``url``'s release, else None: its own release
    rows all state that one year, and no chronology strip, works table or list of the crawl dates it otherwise."""
    rows = [r for r in index.facts(url) if r.nkey in _OWN_RELEASE_KEYS]
    years = {y for r in rows for y in parse_years(r.value)}
    if len(years) != 1 or not credit(index, url):
        return None
    (year,) = years
    if release_conflict(index, url) or any(y != year for y, _ in stated_years(index, url)):
        return None
    return year


def _title_unique(index: LocalSearchIndex, doc: PageDoc) -> bool:
    own = fold(base_name(doc.subject))
    return sum(1 for d in iter_docs(index) if fold(base_name(d.subject)) == own) == 1


def _credited(index: LocalSearchIndex, url: str) -> str:
    """The credit of a record's infobox as written ('Single by The Everly Brothers' -> 'The Everly Brothers')."""
    t = next((r.value for r in index.facts(url) if r.nkey == "type"), "")
    m = re.search(r"\bby\s+(.+)$", t)
    return m.group(1).strip() if m and len(m.group(1)) <= 60 else ""


def _credit_unique(index: LocalSearchIndex, doc: PageDoc, noun: str) -> bool:
    own, who = fold(base_name(doc.subject)), credit(index, doc.url)
    return not any(d.url != doc.url and fold(base_name(d.subject)) == own and credit(index, d.url) & who
                   and _noun(index, d.url) == noun for d in iter_docs(index))


def year_clues(index: LocalSearchIndex, year: int, *, answer: str, exclude: set[str],
               names: tuple[str, ...] = (), question: str = "") -> list[Clue]:
    """Clues describing ``year`` as the release year of one record of the crawl (see the module doc).
    ``exclude``: entity keys the question went through; ``names``: names it replaced; a record named in
    ``question`` is not used."""
    out = []
    for d in iter_docs(index):
        if d.key in exclude or not d.local:
            continue
        noun = _noun(index, d.url)
        title = base_name(d.subject)
        if not noun or not title or re.search(r"\b\d{4}\b", title) or release_year(index, d.url) != year:
            continue
        if occurs(answer, title) or occurs(answer, index.body(d.url)) or any(occurs(n, title) for n in names if n) \
                or occurs(title, question):
            continue
        shown = f'"{title}"' if re.search(r"[!?]", title) else title
        if noun == "song":
            continue  # 'Song by Harlan Howard' credits the writer: its release row is one recording's of many
        if noun == "single" or d.subject != title or not _title_unique(index, d) or \
                recorded_by_another(index, d.url):
            # a single (a song has other singles: Ray Charles's "Night Time Is the Right Time" of 1958, Nappy
            # Brown's of 1957), a disambiguated page ('Bye Bye Love (The Everly Brothers song)'), a title another crawled page
            # bears, a song its page says was recorded first by someone else or covered: 'the single X' may
            # be another record of the title; 'the single X by A' (its infobox's credit) is the one record,
            # when no other crawled page is a record of that kind and title credited to A
            by = _credited(index, d.url)
            if not by or not _credit_unique(index, d, noun):
                continue
            shown = f"{shown} by {by}"
        row = next(r for r in index.facts(d.url) if r.nkey in _OWN_RELEASE_KEYS)
        out.append(Clue(
            kind=KIND, entity_url=d.url, evidence_url=d.url, snippet=f"{row.key}: {row.value}",
            predicate=f"the year the {noun} {shown} was released", key=row.key, value=str(year), anchor=title,
            anchor_url=d.url, type="year", relation="released", mentions=(d.url,), anchor_type=noun))
    return out


def year_page(span: EntitySpan, clue: Clue) -> PageDoc:
    """The pseudo page of a year attempt: keyed by the year, at the record's page (its evidence)."""
    return PageDoc(url=clue.evidence_url, subject=span.text, local=True)
