"""Films a page's navigation boxes name: rivals for the obfuscated family's film questions (strict audit round 8).

"A film directed by someone with the initials G. G. C., released 1992–1996" was proved unique over the crawled
film *pages*, while Love Affair's own navigation box "Films directed by Glenn Gordon Caron" names Wilder Napalm
(1993) too; "an American film from 1978–1982" fits the films of the John Landis and Taylor Hackford boxes. Such a
box often has no group labels (a title and one list), so the crawler's navbox enumerations (which are by group,
for the count and multi-hop miners) do not hold it; it is read here from the page's HTML, as the second
infoboxes are (``synth.graph.entities.infobox_records``).

A box lists films when its title or a group's label says so ("Films directed by …", "Films", "Films based on
sketches", "… Award for Outstanding Motion Picture"). Each item gives ``(title, years, row)``: the year in
brackets after the title is its release year, except in an award's box, where it is the ceremony's year (the
film came out that year or the year before: a :class:`~synth.graph.values.YearSpan`); no year, ``None``.
Everything else about such a film is unknown to the crawl: the solver takes it as open-world (a listed film is
refuted only by what its row states, or by a cue on its name).
"""

from __future__ import annotations

import re

import lxml.html

from synth.graph.values import YearSpan
from synth.text import clean

_FILMS = re.compile(r"\b(?:films?|filmography|movies?|motion pictures?)\b", re.I)
_NOT_FILMS = re.compile(r"\b(?:video games?|soundtracks?|albums?|songs?|novels?|books?|characters?|cast)\b", re.I)
_AWARD = re.compile(r"\b(?:awards?|prizes?|oscars?|golden globes?|academy)\b", re.I)
_ITEM = re.compile(r"^(?P<title>.+?)\s*\((?P<year>1[89]\d\d|20\d\d)\)\s*$")
_FIRST_BOX = re.compile(r"""class=["'][^"']*\bnavbox\b""")
_BOX = "contains(concat(' ',normalize-space(@class),' '),' navbox ')"


Boxes = list[tuple[str, lxml.html.HtmlElement]]


def navboxes(html_text: str) -> Boxes:
    """``(title, element)`` of a page's outermost navigation boxes, parsed once for :func:`navbox_films` and
    :func:`award_records`; only the boxes are parsed (they close a page)."""
    first = _FIRST_BOX.search(html_text or "")
    if first is None:
        return []
    try:
        doc = lxml.html.fromstring(html_text[html_text.rfind("<", 0, first.start()):])
    except (ValueError, lxml.etree.ParserError):
        return []
    out: Boxes = []
    for box in doc.xpath(f"//*[{_BOX}][not(ancestor::*[{_BOX}])]"):
        titles = box.xpath(".//th[contains(@class,'navbox-title')]")
        out.append((clean(titles[0].text_content()) if titles else "", box))
    return out


def navbox_films(page: str | Boxes) -> list[tuple[str, tuple | None, str]]:
    """``(title, years or None, row)`` of every film a page's navigation boxes list (see the module doc); ``page``
    is its HTML or its :func:`navboxes`."""
    out: list[tuple[str, tuple | None, str]] = []
    seen: set[str] = set()
    for title, box in navboxes(page) if isinstance(page, str) else page:
        award = bool(_AWARD.search(title))
        groups = box.xpath(".//th[contains(@class,'navbox-group')]")
        lists: list[tuple[str, list]] = []
        if groups:
            for g in groups:
                label = clean(g.text_content())
                td = g.getnext()
                while td is not None and not (isinstance(td.tag, str) and td.tag == "td"):
                    td = td.getnext()
                if td is not None and (_FILMS.search(label) or (_FILMS.search(title) and not _NOT_FILMS.search(label))):
                    lists.append((label, td.xpath(".//li")))
        elif _FILMS.search(title) and not _NOT_FILMS.search(title):
            lists.append((title, box.xpath(".//li")))
        for label, items in lists:
            for li in items:
                if li.xpath(".//ul"):
                    continue  # a sub-list's holder: its items come on their own
                text = clean(li.text_content())
                m = _ITEM.match(text)
                name = clean(m.group("title") if m else text).strip("\"“”")
                if not name or len(name) > 120 or name.lower() in seen:
                    continue
                seen.add(name.lower())
                years: tuple | None = None
                if m:
                    y = int(m.group("year"))
                    years = (YearSpan(y - 1, y),) if award else (y,)
                out.append((name, years, f"{title} › {label}: {text}" if label != title else f"{title}: {text}"))
    return out


_AWARD_WORKS = re.compile(r"\b(?:album|record|song|single)s?\s+of\s+the\s+year\b|\bbest\s+(?:\w+\s+){0,3}"
                          r"(?:album|record|song|single)s?\b", re.I)
_WORK_ARTIST = re.compile(r"^(?P<title>.+?)\s+[–—-]\s+(?P<artist>[^()]+?)\s*(?:\((?P<year>1[89]\d\d|20\d\d)\))?\s*$")


def award_records(page: str | Boxes) -> list[tuple[str, str, tuple | None, str, str]]:
    """``(kind, title, years or None, row, artist)`` of every record an award's navigation box lists ("Grammy Award
    for Album of the Year: A Man and His Music – Frank Sinatra (1967)", strict audit round 10): rivals of the
    record questions, as the films of :func:`navbox_films` are of the film questions. The year is the ceremony's
    (the record came out that year or the one before); the artist after the dash. ``page`` is its HTML or its
    :func:`navboxes`."""
    out: list[tuple[str, str, tuple | None, str, str]] = []
    seen: set[str] = set()
    for title, box in navboxes(page) if isinstance(page, str) else page:
        m = _AWARD_WORKS.search(title)
        if not m or not _AWARD.search(title):
            continue
        kind = "album" if re.search(r"album", m.group(0), re.I) else "song"
        for li in box.xpath(".//li"):
            if li.xpath(".//ul"):
                continue
            text = clean(li.text_content())
            w = _WORK_ARTIST.match(text)
            if w is None:
                continue  # "Complete list", "(1960s)": the box's links, not a record and its artist
            name = clean(w.group("title")).strip("\"“”")
            if not name or len(name) > 120 or (kind, name.lower()) in seen:
                continue
            seen.add((kind, name.lower()))
            ym = re.search(r"\((1[89]\d\d|20\d\d)\)\s*$", text)
            years = (YearSpan(int(ym.group(1)) - 1, int(ym.group(1))),) if ym else None
            out.append((kind, name, years, f"{title}: {text}", clean(w.group("artist"))))
    return out


# "Films directed by Taylor Hackford": the box's title credits every film it lists to one person
_CREDIT_BOX = re.compile(r"^(?:the\s+)?(?:films?|movies?|motion pictures?|filmography)\s+(directed|produced|written|"
                         r"scored)\s+by\s+(?P<person>[^()\[\]]{3,80}?)\s*$", re.I)
CREDIT_FAMILY = {"directed": "director", "produced": "producer", "written": "writer", "scored": "composer"}


def credited_films(page: str | Boxes) -> list[tuple[str, str, str, str]]:
    """``(title, relation family, person, row)`` of every film a navigation box credits to the person its title
    names ("Films directed by Taylor Hackford" on Ray (film) lists fifteen films; strict audit round 12): 'the
    film directed by someone with the initials T. H.' fits each of them, not only the crawled film pages.
    ``page`` is its HTML or its :func:`navboxes`."""
    boxes = navboxes(page) if isinstance(page, str) else page
    out: list[tuple[str, str, str, str]] = []
    for title, box in boxes:
        m = _CREDIT_BOX.match(title)
        if m is None:
            continue
        fam = CREDIT_FAMILY[m.group(1).lower()]
        out.extend((name, fam, m.group("person"), row) for name, _, row in navbox_films([(title, box)]))
    return out
