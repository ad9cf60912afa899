"""Facts of arXiv pages: an abstract page's title, authors, dates, subjects, versions, comments,
journal reference (facts) and its authors / subjects / versions (enumerations); a listing page's
papers per section. The profile is ``crawlers.profiles.arxiv``."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from crawlers.facts_common import (
    _NAME_SUFFIX,
    Structure,
    _Ctx,
    _lines,
    _norm,
    _strip_label,
    _text,
    _tidy,
    first_sentence,
    split_values,
)
from crawlers.profiles.generic_facts import read as read_generic
from schemas.records import Enumeration, Fact

_SUBMITTED = re.compile(r"Submitted on\s+(\d{1,2} \w+ \d{4})")
_REVISED = re.compile(r"last revised\s+(\d{1,2} \w+ \d{4})")
_VERSION_LINE = re.compile(r"\[(v\d+)\]\s*(?:\w{3}, )?(\d{1,2} \w{3} \d{4})[^\[]*?(?:\([\d.,]+\s*[KMG]?B\))?(?=\s*\[v\d|\s*$)")


# The parts of an abstract page, ``//tag[contains(@class, cls)]`` each, found in one pass over the
# document's h1, div and blockquote elements (lxml filters the tags in C): 0.12 ms, where libxml2
# walks the whole tree once per ``//`` expression (0.34 ms for the six of them).
_ARXIV_PARTS = {
    "title": ("h1", "title"), "authors": ("div", "authors"), "dateline": ("div", "dateline"),
    "abstract": ("blockquote", "abstract"), "metatable": ("div", "metatable"),
    "history": ("div", "submission-history"),
}
_ARXIV_TAGS = tuple(sorted({tag for tag, _cls in _ARXIV_PARTS.values()}))


def _arxiv_parts(doc: etree._Element) -> dict[str, list[etree._Element]]:
    """{part: the elements ``//tag[contains(@class, cls)]`` finds, in document order}."""
    parts: dict[str, list[etree._Element]] = {name: [] for name in _ARXIV_PARTS}
    for el in doc.getroottree().getroot().iter(*_ARXIV_TAGS):
        cls = el.get("class")
        if not cls:
            continue
        for name, (tag, part_cls) in _ARXIV_PARTS.items():
            if el.tag == tag and part_cls in cls:
                parts[name].append(el)
    return parts


def _rows_under(tables: list[etree._Element]) -> list[etree._Element]:
    """The ``tr`` elements under any of ``tables``, in document order, each once (``//x//tr``)."""
    seen: set[etree._Element] = set()
    rows: list[etree._Element] = []
    for t in tables:
        for tr in t.iter("tr"):
            if tr not in seen:
                seen.add(tr)
                rows.append(tr)
    return rows


_AUTHORS_NOT_SHOWN = re.compile(r"additional authors? not shown", re.I)
_ET_AL = re.compile(r"^et al\.?(\s|$)", re.I)
_LATEX_OPEN = re.compile(r"``")
_LATEX_CLOSE = re.compile(r"''")


def latex_quotes(title: str) -> str:
    """LaTeX quotes of a title as typographic ones: ``Gauge'' theory and ''Gauge'' theory →
    “Gauge” theory (without a ``, the '' pairs open and close in turn)."""
    if "``" in title:
        return _LATEX_CLOSE.sub("\u201d", _LATEX_OPEN.sub("\u201c", title))
    if title.count("''") >= 2 and title.count("''") % 2 == 0:
        marks = iter(["\u201c", "\u201d"] * (title.count("''") // 2))
        return _LATEX_CLOSE.sub(lambda _m: next(marks), title)
    return title


def read(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    parts = _arxiv_parts(doc)
    title_el = parts["title"]
    if not title_el:
        if doc.xpath("//dl[@id='articles'] | //dl[dt and dd]"):
            return _arxiv_listing(doc, ctx)
        return read_generic(doc, ctx)
    s = Structure()
    s.subject = latex_quotes(_norm(re.sub(r"^\s*Title:\s*", "", _text(title_el[0]))))
    facts: list[Fact] = [Fact(key="Title", value=s.subject, source="meta")]
    enums: list[Enumeration] = []
    m = re.search(r"/abs/([^/?#]+?)(?:v\d+)?(?:\.html|/index\.html)?/?$", ctx.page)
    if m:
        facts.append(Fact(key="arXiv ID", value=m.group(1), source="meta"))
    authors_el = parts["authors"]
    if authors_el:
        names, links = [], []
        # "et al. (281 additional authors not shown)": the list shown is not the paper's authors
        truncated = _AUTHORS_NOT_SHOWN.search(_text(authors_el[0])) is not None
        for a in authors_el[0].iter("a"):
            t = _text(a)
            if t and not (a.get("href") or "").startswith("javascript:") and not _ET_AL.match(t):
                if _NAME_SUFFIX.match(t) and names:  # "M. Finger, Jr." is two links on the page
                    names[-1] = f"{names[-1]}, {t}"
                    continue
                names.append(t)
                links.append(ctx.resolve(a.get("href")))
        if not names:
            names = split_values(re.sub(r"^\s*Authors:\s*", "", _text(authors_el[0])))
            names = [n for n in names if not _ET_AL.match(n)]
            links = [""] * len(names)
        if names:
            facts.append(Fact(key="Authors", value=", ".join(names), links=[u for u in links if u], source="meta"))
            if len(names) > 1:  # "first author" of a single-author paper is no question
                facts.append(Fact(key="First author", value=names[0], links=[links[0]] if links[0] else [],
                                  source="meta"))
                if not truncated:
                    facts.append(Fact(key="Last author", value=names[-1], source="meta"))
            if not truncated:
                enums.append(Enumeration(kind="authors", label="authors", section="Authors", items=names,
                                         item_links=links))
    dateline = parts["dateline"]
    if dateline:
        dl = _text(dateline[0])
        if (m := _SUBMITTED.search(dl)):
            facts.append(Fact(key="Submitted", value=m.group(1), source="meta"))
        if (m := _REVISED.search(dl)):
            facts.append(Fact(key="Last revised", value=m.group(1), source="meta"))
    abstract = parts["abstract"]
    if abstract:
        s.description = first_sentence(re.sub(r"^\s*Abstract:\s*", "", _text(abstract[0])))
    for row in _rows_under(parts["metatable"]):
        tds = row.xpath("./td")
        if len(tds) < 2:
            continue
        key = _strip_label(_text(tds[0]))
        val = _text(tds[1])
        if not val:
            continue
        if not key:
            continue
        if key == "Subjects":
            subjects = [x for x in (_tidy(v) for v in val.split(";")) if x]
            facts.append(Fact(key="Primary subject", value=subjects[0], source="meta"))
            enums.append(Enumeration(kind="subjects", label="subjects", section="Subjects", items=subjects,
                                     item_links=[""] * len(subjects)))
            facts.append(Fact(key="Subjects", value="; ".join(subjects), source="meta"))
        elif key in ("Cite as", "Report number", "Comments", "Journal reference", "MSC classes",
                     "ACM classes", "Related DOI", "DOI"):
            facts.append(Fact(key=key, value=val, links=ctx.links(tds[1]), source="meta"))
    history = parts["history"]
    if history:
        versions: list[str] = []
        links: list[str] = []
        text = " ".join(_lines(history[0]))
        for m in _VERSION_LINE.finditer(text):
            versions.append(_tidy(m.group(0)))
        anchors = {(_text(a).strip("[]")): ctx.resolve(a.get("href")) for a in history[0].iter("a")}
        links = [anchors.get(v[1:].split("]", 1)[0], "") for v in versions]
        if versions:
            enums.append(Enumeration(kind="versions", label="versions", section="Submission history",
                                     items=versions, item_links=links))
            facts.append(Fact(key="Latest version", value=versions[-1][1:].split("]", 1)[0], source="meta"))
            m0 = re.search(r"From:\s*([^\[\n]+?)\s*\[", text)
            if m0:
                facts.append(Fact(key="Submitted by", value=_norm(m0.group(1)), source="meta"))
    s.facts = facts
    s.enumerations = enums
    return s


_PERIODS = {"new": "new submissions", "recent": "recent submissions", "pastweek": "past week"}
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"]


def listing_period(url: str) -> str:
    """What a listing URL lists: ``/list/cs/new`` → "new submissions", ``/list/gr-qc/2009-06`` →
    "June 2009", ``/list/hep-th/99`` → "1999"; '' for another URL."""
    m = re.search(r"/list/[^/?#]+/([^/?#]+?)(?:\.html|/index\.html)?/?(?:[?#].*)?$", url)
    if not m:
        return ""
    period = m.group(1)
    if period in _PERIODS:
        return _PERIODS[period]
    ym = re.fullmatch(r"(\d{2}|\d{4})(?:-?(\d{2}))?", period)
    if not ym:
        return ""
    year = int(ym.group(1))
    year = year if year > 999 else (1900 + year if year >= 91 else 2000 + year)
    month = int(ym.group(2)) if ym.group(2) else 0
    return f"{_MONTH_NAMES[month - 1]} {year}" if 1 <= month <= 12 else str(year)


_SHOWING = re.compile(r"showing\s+(\d+)\s+of\s+(\d+)\s+entries", re.I)
_TOTAL = re.compile(r"Total of (\d+) entries", re.I)


def _arxiv_listing(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    """A listing (new submissions, an author's papers): one enumeration of papers per section."""
    h1 = doc.xpath("//h1")
    name = _text(h1[-1]) if h1 else _norm(doc.findtext(".//title") or "")
    # "Computer Science" is the name of /list/cs/new, /list/cs/recent and /list/cs/2009-06 alike
    s = Structure(subject=f"{name} ({which})" if name and (which := listing_period(ctx.page)) else name)
    enums: list[Enumeration] = []
    skipped: list[Enumeration] = []  # sections the page shows only in part
    label = ""
    partial = False
    cur: Enumeration | None = None
    for el in doc.xpath("//h2 | //h3 | //dt"):
        if el.tag in ("h2", "h3"):
            if el.xpath("ancestor::header | ancestor::nav | ancestor::footer"):
                continue
            head = _text(el)
            label = re.sub(r"\s*\(showing.*\)\s*$", "", head, flags=re.I)
            shown = _SHOWING.search(head)
            # "(showing 25 of 130 entries)": the section's list on this page is not the whole
            partial = shown is not None and shown.group(1) != shown.group(2)
            cur = None
            continue
        a = next((x for x in el.iter("a") if "/abs/" in (x.get("href") or "")), None)
        if a is None:
            continue
        dd = el.getnext()
        title = ""
        if dd is not None and dd.tag == "dd":
            t = dd.xpath(".//div[contains(@class,'list-title')]")
            if t:
                title = _norm(re.sub(r"^\s*Title:\s*", "", _text(t[0])))
        title = latex_quotes(title or _text(a))
        if cur is None:
            cur = Enumeration(kind="papers", label=label or "papers", section=label)
            if partial:
                skipped.append(cur)
            else:
                enums.append(cur)
        cur.items.append(title)
        cur.item_links.append(ctx.resolve(a.get("href")))
    total = _TOTAL.search(" ".join(_text(x) for x in doc.xpath("//div[contains(@class,'paging')]")))
    listed = sum(len(e.items) for e in enums) + sum(len(e.items) for e in skipped)
    if total is not None and int(total.group(1)) != listed:
        # the page's own "Total of N entries" disagrees with the papers read: no count is right
        enums = []
    s.enumerations = enums
    return s

