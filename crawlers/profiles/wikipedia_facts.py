"""Facts of a MediaWiki page (Wikipedia, Kiwix dumps, old static dumps): the infobox rows as
``Fact(source="infobox")`` (with a ``Type`` row from the infobox header "Studio album by X" and
``Previous``/``Next <kind>`` rows from the chronology box); multi-valued infobox fields as
``Enumeration(kind="infobox")``; lists under their heading path (``kind="list"``, multi-column lists
under one heading merged); data tables (``kind="table"``); navigation boxes (``kind="navbox"``, one
per group). A list or table under a heading with a blanket credit note ("All songs written by Ray
Charles except as indicated.") carries it as ``Enumeration.note``: the credit of its rows that name
none. The profile is ``crawlers.profiles.wikipedia``."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from crawlers.facts_common import (
    _PAREN_YEAR,
    Structure,
    _classes,
    _Ctx,
    _iter_visible,
    _lines,
    _norm,
    _skipped,
    _strip_label,
    _text,
    _tidy,
    split_values,
)
from crawlers.facts_sections import (
    _HEADINGS,
    _content_root,
    _entity_key,
    _item_link,
    _item_text,
    _lead_description,
    _rows,
    _SectionWalker,
)
from schemas.records import Enumeration, Fact

_MULTI_KEYS = re.compile(
    r"^(genres?|labels?|occupations?|occupation\(s\)|instruments?|associated acts|members|past members|"
    r"current members|producers?|producer\(s\)|writers?|writer\(s\)|songwriters?|songwriter\(s\)|"
    r"composers?|languages?|spouses?|spouse\(s\)|children|starring|directed by|written by|"
    r"music by|awards|notable works|products|services|subsidiaries|founders?|authors?|"
    r"key people|industry|platforms?|genre)$",
    re.I,
)
_NOT_MULTI = re.compile(r"^(born|died|released|recorded|length|years active|website|origin|location|format)$", re.I)


def looks_like_mediawiki(doc: lxml.html.HtmlElement) -> bool:
    return bool(
        doc.xpath("//*[@id='mw-content-text'] | //table[contains(concat(' ',normalize-space(@class),' '),' infobox ')]"
                  " | //body[contains(@class,'mediawiki')]")
    )


def _wiki_subject(doc: lxml.html.HtmlElement) -> str:
    for xp in ("//h1[@id='firstHeading']", "//h1[@id='titleHeading']", "//h1"):
        hs = doc.xpath(xp)
        if hs:
            t = _text(hs[0])
            if t:
                return t
    title = doc.findtext(".//title") or ""
    return re.sub(r"\s+[-–—|]\s+Wikipedia.*$", "", _norm(title))



_FROM_ALBUM = re.compile(r"^from the (album|EP|soundtrack|film|mixtape)\s+(.+)$", re.I)


def _infobox_kind(type_value: str) -> str:
    t = type_value.lower()
    for word in ("album", "single", "song", "film", "book", "ep", "video"):
        if re.search(rf"\b{word}\b", t):
            return "album" if word == "ep" else word
    return "release"


_CHRONOLOGY_HEAD = re.compile(
    r"\s*\b(?:(?:US|UK|charting|studio|live|compilation|solo)\s+)*(?:singles?|albums?|EPs?|videos?|films?|"
    r"releases?)?\s*chronology$", re.I)


def chronology_owner(header: str) -> str:
    """The artist whose chronology an infobox header names: "Ray Charles singles chronology" →
    "Ray Charles" ('' when nothing is left)."""
    return _CHRONOLOGY_HEAD.sub("", _norm(header)).strip()


def _infobox(table: etree._Element, ctx: _Ctx, subject: str = "") -> tuple[list[Fact], list[Enumeration]]:
    facts: list[Fact] = []
    enums: list[Enumeration] = []
    rows = _rows(table)
    kind = ""
    chronology_next = False
    for i, row in enumerate(rows):
        cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("th", "td")]
        if not cells:
            continue
        if len(cells) == 1:
            cell = cells[0]
            txt = _text(cell)
            if chronology_next:
                chronology_next = False
                facts.extend(_chronology(cell, ctx, kind or "release", subject))
                continue
            if cell.tag == "th" and txt.lower().endswith("chronology"):
                chronology_next = True
                owner = chronology_owner(txt)
                if owner:  # whose releases "Previous/Next <kind>" walk: "Ray Charles chronology"
                    facts.append(Fact(key="Chronology", value=owner, links=ctx.links(cell)[:1], source="infobox"))
                continue
            m = _FROM_ALBUM.match(txt) if cell.tag == "th" else None
            if m:
                facts.append(Fact(key=m.group(1).capitalize(), value=m.group(2).strip().strip('"“”'),
                                  links=ctx.links(cell)[:1], source="infobox"))
                continue
            if cell.tag == "th" and i > 0 and not kind and re.search(r"\bby\b", txt) and len(txt) <= 120:
                facts.append(Fact(key="Type", value=txt, links=ctx.links(cell), source="infobox"))
                kind = _infobox_kind(txt)
            continue
        head, val = cells[0], cells[-1]
        if head.tag != "th" and not (head.tag == "td" and "infobox-label" in _classes(head)):
            continue
        key = _strip_label(_text(head))
        if not key or len(key) > 60:
            continue
        lines = _lines(val)
        if (chronology_next or key.lower() == "chronology") and _ARROW.search(" ".join(lines)):
            chronology_next = False
            facts.extend(_arrow_chronology(val, ctx, kind or "release"))
            continue
        chronology_next = False
        place = _PLACE_KEYS.get(key.lower())
        if place and len(lines) >= 2:
            where = _tidy(", ".join(lines[1:]))
            anchors = [(_text(a), ctx.resolve(a.get("href"))) for a in _iter_visible(val) if a.tag == "a"]
            plinks = [u for t, u in anchors if u and t and t in where][:1]
            facts.append(Fact(key=place, value=where, links=plinks, source="infobox"))
        lis = [li for li in val.iter("li") if not _skipped(li)]
        items: list[str] = []
        item_links: list[str] = []
        if len(lis) >= 2:
            for li in lis:
                t = _item_text(li)
                if t:
                    items.append(t)
                    item_links.append(_item_link(li, ctx, t))
        elif len(lines) >= 2 and not _NOT_MULTI.match(key) and all(len(x) <= 80 for x in lines):
            items = [_tidy(x).strip(",; ") for x in lines]
            items = [x for x in items if x]
        elif _MULTI_KEYS.match(key):
            items = split_values(" ".join(lines))
        shown = ", ".join(items)
        if _LABEL_KEY.match(key) and len(items) >= 2:
            # "Label: ABC-Paramount 45-10330": a catalogue number is no second label (the value still
            # shows it: "ABC-Paramount, 45-10330")
            keep = [i for i, it in enumerate(items) if not _CATALOGUE_NO.match(it)]
            if len(keep) < len(items):
                items = [items[i] for i in keep]
                item_links = [item_links[i] for i in keep] if item_links else []
        if any(it.endswith(":") for it in items):
            # Ray (film) "Music by: Craig Armstrong / Songs: / Ray Charles": "Songs:" labels the values
            # under it, so the row's entries are of two levels and no count of them is right (2 or 3)
            items, item_links = [], []
        if len(items) >= 2:
            item_links = item_links or _match_links(items, val, ctx)
            value = ", ".join(items)
            lead = next((it for it in items if _NOT_PARALLEL.search(it)), "")
            enums.append(Enumeration(kind="infobox", label=key, section="Infobox", items=items,
                                     item_links=item_links,
                                     # Love Affair (1994 film) "Based on: Love Affair screenplay by / Delmer
                                     # Daves / Donald Ogden Stewart": one work and its two writers, not 3 values
                                     incomplete=f"infobox_row_not_a_list: {lead!r} is no value of its own"
                                     if lead else None))
        elif items and shown != ", ".join(items):
            value = shown  # a label and its catalogue number
        else:
            value = _tidy("; ".join(lines))
        if value:
            facts.append(Fact(key=key, value=value, links=ctx.links(val), source="infobox"))
    return facts, enums


# a part of an infobox cell that is no value of its own but leads into the next parts ("Love Affair screenplay
# by", "a novel by", "from") or credits the part before it ("by Delmer Daves"): the parts are a work and its
# credits, not parallel values, and no count of them is right
_NOT_PARALLEL = re.compile(r"(?:^(?:by|from|of|with|and|featuring|feat\.)\s)|(?:\s(?:by|of|from|with|and|for|to|in|"
                           r"on|the|a|an|at)$)", re.I)
_LABEL_KEY = re.compile(r"^(?:record )?labels?$", re.I)
# "45-10330", "335", "SD-8052", "ABC 335", "(US)": a release's catalogue number, not a label
_CATALOGUE_NO = re.compile(r"^\(?(?:[A-Z]{1,5}[- ]?)?\d[\w./-]*\)?$")
_ARROW = re.compile(r"\s[→←]\s")
_PLACE_KEYS = {"born": "Birthplace", "died": "Place of death"}


def _arrow_chronology(val: etree._Element, ctx: _Ctx, kind: str) -> list[Fact]:
    """'Paper Harbour (2011) → Low Tide Letters (2015)': previous → (this) → next."""
    text = _text(val)
    parts = [p.strip() for p in re.split(r"\s*→\s*", text)]
    anchors = [(_text(a), ctx.resolve(a.get("href"))) for a in _iter_visible(val) if a.tag == "a"]
    facts: list[Fact] = []
    named = [("Previous", parts[0]), ("Next", parts[-1])] if len(parts) >= 2 else []
    if text.lstrip().startswith("→"):
        named = [("Next", parts[-1])]
    elif text.rstrip().endswith("→"):
        named = [("Previous", parts[0])]
    for which, part in named:
        title = _PAREN_YEAR.sub("", part).strip().strip('"“”').strip()
        if title:
            links = [u for t, u in anchors if u and t and t in part][:1]
            facts.append(Fact(key=f"{which} {kind}", value=title, links=links, source="infobox"))
    return facts


def _match_links(items: list[str], el: etree._Element, ctx: _Ctx) -> list[str]:
    anchors = [(_entity_key(_text(a)), ctx.resolve(a.get("href"))) for a in _iter_visible(el) if a.tag == "a"]
    out = []
    for it in items:
        k = _entity_key(it)
        out.append(next((u for ak, u in anchors if ak and u and k.startswith(ak)), ""))
    return out


def _chronology(cell: etree._Element, ctx: _Ctx, kind: str, subject: str) -> list[Fact]:
    """Previous/next release from an infobox chronology row (three cells: previous, this, next)."""
    inner = cell.find(".//table")
    if inner is None:
        return []
    rows = _rows(inner)
    if not rows:
        return []
    cells = [c for c in rows[0] if isinstance(c.tag, str) and c.tag in ("td", "th")]
    titles = []
    for c in cells:
        lines = _lines(c)
        titles.append(_PAREN_YEAR.sub("", lines[0]).strip().strip('"“”').strip() if lines else "")
    subj = _entity_key(re.sub(r"\s*\([^)]*\)$", "", subject))
    current = next((i for i, t in enumerate(titles) if subj and _entity_key(t) == subj), None)
    if current is None and len(cells) == 3:
        current = 1
    if current is None:
        current = next((i for i, c in enumerate(cells) if c.find(".//b") is not None and c.find(".//a") is None), None)
    if current is None:
        return []
    facts: list[Fact] = []
    for i, c in enumerate(cells):
        title = titles[i]
        if i == current or not title or (subj and _entity_key(title) == subj):
            continue
        which = "Previous" if i < current else "Next"
        facts.append(Fact(key=f"{which} {kind}", value=title, links=ctx.links(c), source="infobox"))
    return facts


def _navboxes(doc: lxml.html.HtmlElement, ctx: _Ctx) -> list[Enumeration]:
    out: list[Enumeration] = []
    for box in doc.xpath("//*[contains(concat(' ',normalize-space(@class),' '),' navbox ')]"):
        if box.xpath("ancestor::*[contains(concat(' ',normalize-space(@class),' '),' navbox ')]"):
            continue
        titles = box.xpath(".//th[contains(@class,'navbox-title')]")
        title = _text(titles[0]) if titles else ""
        if not title:
            continue
        for group in box.xpath(".//th[contains(@class,'navbox-group')]"):
            label = _strip_label(_text(group))
            lst = group.getnext()
            while lst is not None and not (isinstance(lst.tag, str) and lst.tag == "td"):
                lst = lst.getnext()
            if not label or lst is None:
                continue
            items: list[str] = []
            links: list[str] = []
            for ul in lst.xpath(".//ul[not(ancestor::li)]"):
                if ul.xpath("ancestor::table[contains(@class,'navbox-subgroup')]") and not group.xpath(
                        "ancestor::table[contains(@class,'navbox-subgroup')]"):
                    continue
                for li in ul:
                    if isinstance(li.tag, str) and li.tag == "li":
                        t = _item_text(li)
                        if t:
                            items.append(t)
                            links.append(_item_link(li, ctx, t))
            if items:
                out.append(Enumeration(kind="navbox", label=label, section=f"{title} navigation box",
                                       items=items, item_links=links))
    return out


# "All songs written by Ray Charles except as indicated.", "All tracks composed by X; except where
# indicated", "All music by A, lyrics by B unless otherwise noted": a track list's blanket credit
BLANKET_NOTE = re.compile(
    r"^all\s+(?:songs|tracks|compositions|selections|titles|music|pieces|lyrics)\b[^.;]{0,40}?"
    r"\b(?:written|composed|arranged|by)\b", re.I)


def _blanket_notes(root: etree._Element) -> dict[str, str]:
    """The blanket credit notes of a page by the heading path they sit under (the ``section`` of the
    page's enumerations: "Track listing", "Track listing › Side one")."""
    notes: dict[str, str] = {}
    path: list[tuple[int, str]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _HEADINGS:
            level = _HEADINGS[el.tag]
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, _strip_label(_text(el))))
            continue
        if el.tag not in ("p", "dd", "caption", "th", "div") or el.xpath("ancestor::table[contains(@class,'infobox')]"):
            continue
        if el.tag == "div" and any(isinstance(c.tag, str) and c.tag in ("p", "div", "ul", "ol", "table") for c in el):
            continue  # a container: its paragraphs are read themselves
        text = _tidy(_text(el))
        if BLANKET_NOTE.match(text) and len(text) <= 300:
            notes.setdefault(" › ".join(t for lv, t in path if lv > 1), text)
    return notes


def _with_notes(enums: list[Enumeration], notes: dict[str, str]) -> list[Enumeration]:
    """Each list or table under a heading with a blanket note (or under one of its subheadings)
    gets the note: the credit of its rows that name none."""
    if not notes:
        return enums
    out = []
    for e in enums:
        note = None
        if e.kind in ("list", "table"):
            note = next((n for sec, n in sorted(notes.items(), key=lambda kv: -len(kv[0]))
                         if e.section == sec or e.section.startswith(sec + " › ")), None)
        out.append(e.model_copy(update={"note": note}) if note else e)
    return out


# a table's footnote row: "(*) designates lists that are unordered.", '"—" denotes a release that did not chart'
_NOTE_ROW = re.compile(r"^\(?[*†‡§—–-]\)?\s|^[\"“]?[—–-][\"”]?\s|\b(?:denotes|designates|indicates)\b", re.I)


def _without_note_rows(enums: list[Enumeration]) -> list[Enumeration]:
    """Tables without their footnote rows: a one-cell row of a table whose entries have several cells
    ("Blender | United States | … | 2002 | 16") that reads as a legend is no entry."""
    out = []
    for e in enums:
        cells = [it.count(" | ") + 1 for it in e.items]
        if e.kind != "table" or not cells or max(cells) < 2:
            out.append(e)
            continue
        keep = [i for i, it in enumerate(e.items) if not (cells[i] == 1 and _NOTE_ROW.search(it))]
        if len(keep) == len(e.items):
            out.append(e)
            continue
        links = [e.item_links[i] if i < len(e.item_links) else "" for i in keep] if e.item_links else []
        out.append(e.model_copy(update={"items": [e.items[i] for i in keep], "item_links": links}))
    return out


# "a ballad written by Paul McCartney (credited to Lennon–McCartney)", "It was written by Paul
# McCartney, and credited to Lennon–McCartney.": the lead names a writer the credit does not
_WRITTEN_CREDITED = re.compile(
    r"\bwritten by (?P<writer>[^,;()]+?)\s*(?:\(\s*|,\s*(?:and\s+|but\s+)?)(?:co-)?credited to (?P<credit>[^,;().]+)",
    re.I,
)
_WRITER_KEYS = {"writer(s)", "writer", "writers", "songwriter(s)", "songwriter", "songwriters", "written by"}


def _lead_credits(root: etree._Element, facts: list[Fact]) -> list[Fact]:
    """A second writer row when the lead says who wrote the song and that the credit names someone
    else (The Long and Winding Road: infobox "Writer(s): Lennon–McCartney", lead "written by Paul
    McCartney (credited to Lennon–McCartney)"): ``Fact(key=<the infobox's writer key>, value=<the
    writer the lead names>, source="lead")``. Two rows under one key make "Who wrote …?" no single
    answer (``askable``: ambiguous_key; multi_hop: credit_conflict)."""
    row = next((f for f in facts if f.key.strip().lower() in _WRITER_KEYS), None)
    if row is None:
        return []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _HEADINGS and el.tag != "h1":
            break  # the lead only
        if el.tag != "p":
            continue
        m = _WRITTEN_CREDITED.search(_text(el))
        if m is None:
            continue
        writer = _tidy(m.group("writer")).strip(" .")
        if writer and _entity_key(writer) != _entity_key(row.value):
            return [Fact(key=row.key, value=writer, source="lead")]
    return []


# a disambiguation or set-index page: MediaWiki's notice box (2008 dumps: id="disambig"; now "disambigbox" /
# class "dmbox", "setindexbox"), its category, or the page property Parsoid writes
_DISAMBIGUATION = (
    "//*[@id='disambig' or @id='disambigbox' or @id='setindexbox']"
    " | //*[contains(concat(' ',normalize-space(@class),' '),' dmbox ')]"
    " | //*[@id='catlinks']//a[contains(translate(@title,'DISAMBIGUTON','disambiguton'),'disambiguation')]"
    " | //meta[@property='mw:PageProp/disambiguation']"
)


# … or, with no notice box, a list introduced by "Ahava may refer to:"
_REFERS_TO = re.compile(r"\b(?:may|can|might|could) (?:also )?refer to\b", re.I)


def disambiguation(doc: lxml.html.HtmlElement) -> str:
    """What shows that the page is a disambiguation (or set index) page, '' when nothing does: its lists
    are the titles that share a name ("Akamatsu can refer to: …"), not an enumeration of things a count or
    an ordinal can be asked of."""
    for el in doc.xpath(_DISAMBIGUATION):
        ident = el.get("id") or el.get("property") or el.get("title") or "dmbox"
        return f"{el.tag} {ident!r}"
    return ""


def _row_key(key: str) -> str:
    """An infobox row's label as two boxes may write it: "Genre"/"Genres", "Writer(s)"/"Writer"."""
    return re.sub(r"(?:\(s\)|s)$", "", _norm(key).lower()).strip()


def _mark_rows_in_other_boxes(enums: list[Enumeration], others: list[etree._Element], ctx: _Ctx, subject: str) -> None:
    """Mark the first infobox's multi-valued rows that another infobox of the page also has (I Can't Stop
    Loving You: Ray Charles's single lists three genres, Van Morrison's 1991 single two): "its infobox" does
    not say which box is meant. A second box without the row (a cover's infobox with no producers) leaves the
    row as it is."""
    for n, box in enumerate(others, start=2):
        f, _ = _infobox(box, ctx, subject)
        keys = {_row_key(x.key) for x in f if x.value}
        head = next((x.value for x in f if x.key == "Type"), "")
        for e in enums:
            if not e.incomplete and _row_key(e.label) in keys:
                e.incomplete = (f"infobox_row_in_two_infoboxes: {e.label!r} also in infobox {n}"
                                + (f" ({head})" if head else ""))


def read(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    s = Structure(subject=_wiki_subject(doc))
    root = _content_root(doc)
    facts: list[Fact] = []
    enums: list[Enumeration] = []
    boxes = [t for t in root.xpath(".//table[contains(concat(' ',normalize-space(@class),' '),' infobox ')]")
             if "wikitable" not in _classes(t) and not t.xpath("ancestor::table[contains(@class,'infobox')]")]
    if boxes:
        f, e = _infobox(boxes[0], ctx, s.subject)
        _mark_rows_in_other_boxes(e, boxes[1:], ctx, s.subject)
        facts.extend(f)
        enums.extend(e)
        facts.extend(_lead_credits(root, facts))
    listed = _without_note_rows(_with_notes(_SectionWalker(ctx, root).run(), _blanket_notes(root)))
    dab = disambiguation(doc) or next((f"lead-in {e.label!r}" for e in listed if _REFERS_TO.search(e.label)), "")
    for e in listed if dab else ():
        # every miner drops an incomplete enumeration under this reason (count, ordinal hops, intersections)
        e.incomplete = e.incomplete or f"disambiguation_page: {dab}"
    enums.extend(listed)
    enums.extend(_navboxes(doc, ctx))
    s.description = _lead_description(root)
    s.facts = facts
    s.enumerations = enums
    return s
