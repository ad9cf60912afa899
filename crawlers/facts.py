"""Structured facts from a page's HTML: infobox rows, lists under headings, table rows, navboxes,
arXiv metadata, GitHub repository facts.

``extract_structure(html, url, site)`` never raises: a page it cannot parse gives an empty
``Structure`` whose ``error`` says why (the crawler counts it). Everything is lxml, no network.

What is extracted (all links absolute, fragment removed, optionally canonicalised):

- wikipedia (MediaWiki, also Kiwix dumps): the infobox rows as ``Fact(source="infobox")`` (with a
  ``Type`` row from the infobox header "Studio album by X" and ``Previous``/``Next <kind>`` rows from
  the chronology box); multi-valued infobox fields as ``Enumeration(kind="infobox")``; lists under
  their heading path (``kind="list"``, multi-column lists under one heading merged); data tables
  (``kind="table"``, one item per row from the table's key column, rowspan/colspan expanded);
  navigation boxes (``kind="navbox"``, one per group).
- arxiv: an abstract page's title, authors, dates, subjects, versions, comments, journal reference
  (facts) and its authors / subjects / versions (enumerations); a listing page's papers per section.
- github: a repository page's counters (stars, forks, watchers, commits, branches, releases,
  contributors), licence, languages, topics, latest release (old and current page layouts).
- generic: lists and tables under headings, ``dl`` key/value pairs and two-column key/value tables.
  A generic page that looks like MediaWiki is read as wikipedia.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree

from schemas.records import Enumeration, Fact

Canonicalize = Callable[[str], str]

SITES = ("wikipedia", "arxiv", "github", "generic")


@dataclass
class Structure:
    subject: str = ""
    description: str = ""
    facts: list[Fact] = field(default_factory=list)
    enumerations: list[Enumeration] = field(default_factory=list)
    error: str = ""  # why extraction failed ("" when it did not)


def extract_structure(
    html: str | bytes | lxml.html.HtmlElement, url: str, site: str = "generic",
    canonicalize: Canonicalize | None = None,
) -> Structure:
    """Infobox rows, lists under headings, table rows, arXiv/GitHub metadata of one page.

    ``html`` may also be the page's parsed document (its root ``<html>`` element, e.g. the tree
    trafilatura parsed), which is only read, so one parse serves both. Never raises: malformed or
    empty HTML gives ``Structure()`` (with ``error`` set on a failure).
    """
    try:
        doc = html if isinstance(html, lxml.html.HtmlElement) else parse_document(html)
        if doc is None:
            return Structure(error="empty document")
        ctx = _Ctx(doc, url, canonicalize)
        if site not in _EXTRACTORS:
            site = "generic"
        if site == "generic" and _looks_like_mediawiki(doc):
            site = "wikipedia"
        return _EXTRACTORS[site](doc, ctx)
    except Exception as exc:  # a bad page must never kill the crawl: report it instead
        return Structure(error=f"{type(exc).__name__}: {exc}"[:300])


# ----------------------------------------------------------------------------------------------
# parsing and text helpers

_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "button", "input", "select", "textarea"}
_SKIP_CLASSES = {
    "reference", "mw-editsection", "noprint", "navbar", "sortkey", "mw-cite-backlink",
    "visually-hidden", "sr-only", "reflist", "references", "printfooter", "catlinks",
}
_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3",
    "h4", "h5", "h6", "section", "article", "blockquote", "pre", "tbody", "thead", "caption",
}
_CITE_MARK = re.compile(r"^\s*\[(?:\d+|[a-z]|note \d+|citation needed|nb \d+)\]\s*$", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.I)


def parse_document(html: str | bytes) -> lxml.html.HtmlElement | None:
    """lxml's lenient parse of a whole page (an XML declaration dropped), or None."""
    if not html:
        return None
    if isinstance(html, str):
        # lxml refuses str input with an XML encoding declaration
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html, count=1)
        if not html.strip():
            return None
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    return doc


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def _skipped(el: etree._Element) -> bool:
    if not isinstance(el.tag, str):
        return True
    if el.tag in _SKIP_TAGS:
        return True
    if el.get("hidden") is not None or el.get("role") == "tooltip":
        return True
    if _classes(el) & _SKIP_CLASSES:
        return True
    if el.tag == "sup" and ((el.get("id") or "").startswith("cite_ref") or _CITE_MARK.match(el.text_content())):
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _norm(s: str) -> str:
    return " ".join(s.split())  # str.split() splits at the whitespace \s matches, \xa0 included


def _collect(el: etree._Element, out: list[str], skip: Callable[[etree._Element], bool]) -> None:
    if el.text:
        out.append(el.text)
    for child in el:
        if isinstance(child.tag, str) and not skip(child):
            if child.tag == "br":
                out.append("\n")
            elif child.tag in _BLOCK_TAGS:
                out.append("\n")
                _collect(child, out, skip)
                out.append("\n")
            else:
                _collect(child, out, skip)
        if child.tail:
            out.append(child.tail)


def _lines(el: etree._Element, skip: Callable[[etree._Element], bool] = _skipped) -> list[str]:
    """Visible text of ``el`` split at ``<br>`` and block elements, whitespace collapsed."""
    out: list[str] = []
    _collect(el, out, skip)
    return [t for t in (_norm(x) for x in "".join(out).split("\n")) if t]


def _text(el: etree._Element, skip: Callable[[etree._Element], bool] = _skipped) -> str:
    if len(el) == 0:  # no child (most links, cells and items): its own text, the same result faster
        return _tidy(el.text or "")
    return _tidy(" ".join(_lines(el, skip)))


_SPACE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
_OPEN_SPACE = re.compile(r"([(\[])\s+")


_UNTIDY = re.compile(r" [,.;:!?)\]]|[(\[] ")  # what the two patterns above can change in a _norm'ed text


def _tidy(s: str) -> str:
    t = _norm(s)
    return _OPEN_SPACE.sub(r"\1", _SPACE_PUNCT.sub(r"\1", t)) if _UNTIDY.search(t) else t


_LEAD_SYMBOLS = re.compile(r"^[^\w(\"'“‘]+")


def _strip_label(s: str) -> str:
    return _LEAD_SYMBOLS.sub("", _norm(s)).rstrip(":").strip()


class _Ctx:
    """Per-page link resolution (base URL, fragment removal, optional canonicalisation)."""

    def __init__(self, doc: lxml.html.HtmlElement, url: str, canonicalize: Canonicalize | None) -> None:
        base = doc.find(".//base[@href]")
        self.url = url
        self.base = urljoin(url, base.get("href")) if base is not None else url
        self.canonicalize = canonicalize
        self.page = urldefrag(url)[0]

    def resolve(self, href: str | None) -> str:
        if not href:
            return ""
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            return ""
        try:
            absolute = urldefrag(urljoin(self.base, href))[0]
        except ValueError:
            return ""
        if not absolute.startswith(("http://", "https://")):
            return ""
        if self.canonicalize is not None:
            try:
                absolute = self.canonicalize(absolute) or ""
            except Exception:  # a hook that chokes on one URL drops only that link
                return ""
        return absolute

    def links(self, el: etree._Element, skip: Callable[[etree._Element], bool] = _skipped) -> list[str]:
        out: list[str] = []
        for a in _iter_visible(el, skip):
            if a.tag == "a":
                u = self.resolve(a.get("href"))
                if u and u != self.page and u not in out:
                    out.append(u)
        return out


def _iter_visible(el: etree._Element, skip: Callable[[etree._Element], bool] = _skipped) -> Iterator[etree._Element]:
    stack = [el]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed([c for c in node if isinstance(c.tag, str) and not skip(c)]))


_SENT_END = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[A-Z\"“(])")
_ABBREV_END = re.compile(r"\b(?:[A-Z]|U\.S|U\.K|e\.g|i\.e|et al|Jr|Sr|Dr|Mr|Mrs|Ms|St|No|vs|Vol|ca|c|Inc|Ltd|Co|Corp|Prof|Gen|Mt|Ft)\.$")


def first_sentence(text: str, min_len: int = 25, max_len: int = 400) -> str:
    """The first sentence of ``text`` (abbreviation-aware, length-bounded)."""
    text = _norm(text)
    if not text:
        return ""
    start = 0
    for m in _SENT_END.finditer(text):
        cand = text[: m.start()].rstrip()
        if len(cand) < min_len or _ABBREV_END.search(cand):
            continue
        start = m.start()
        break
    sent = text[:start].rstrip() if start else text
    if len(sent) > max_len:
        cut = sent[:max_len].rsplit(" ", 1)[0]
        sent = cut.rstrip(",;:") + "…"
    return sent


_PAREN_YEAR = re.compile(r"\s*\((?:\d{4}(?:[–-]\d{2,4})?|[A-Za-z]+ \d{4})\)\s*$")


def split_values(s: str) -> list[str]:
    """Split "a, b (x, y), c and d" at top-level commas/semicolons (not inside brackets)."""
    parts: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch in ",;" and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    out = [_tidy(p) for p in parts]
    return [p for p in out if p]


# ----------------------------------------------------------------------------------------------
# headings walk shared by wikipedia and generic pages

_SKIP_SECTIONS = re.compile(
    r"^(references?|notes?|footnotes|citations|sources|bibliography|further reading|"
    r"external links|see also|contents|table of contents|navigation menu|works cited|"
    r"literatur|einzelnachweise|weblinks|références|notes et références|liens externes|referencias|"
    r"enlaces externos|véase también|voir aussi|siehe auch)\b",
    re.I,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CONTAINER_SKIP_CLASSES = {
    "infobox", "navbox", "vertical-navbox", "toc", "metadata", "mbox-small", "ambox", "sistersitebox",
    "thumb", "gallery", "references", "reflist", "refbegin", "hatnote", "dablink", "portal", "succession-box",
    "quotebox", "sidebar", "catlinks", "printfooter", "mw-references-wrap", "navigation-not-searchable",
}
_MAX_ITEM_LEN = 300


def _container_skipped(el: etree._Element) -> bool:
    if _skipped(el):
        return True
    if el.tag in ("nav", "header", "footer", "aside", "form"):
        return True
    cls = _classes(el)
    if cls & _CONTAINER_SKIP_CLASSES:
        return True
    return el.get("id") in ("toc", "catlinks", "footer", "mw-navigation", "siteSub", "contentSub", "jump-to-nav")


def _item_text(li: etree._Element) -> str:
    """Text of a list item without its nested lists."""
    return _text(li, lambda e: _container_skipped(e) or e.tag in ("ul", "ol", "dl"))


def _item_link(li: etree._Element, ctx: _Ctx, text: str) -> str:
    """The link naming the item: the first link whose anchor text starts the item."""
    key = _entity_key(text)
    for a in _iter_visible(li, lambda e: _skipped(e) or e.tag in ("ul", "ol", "dl")):
        if a.tag != "a":
            continue
        anchor = _entity_key(_text(a))
        if anchor and key.startswith(anchor):
            return ctx.resolve(a.get("href"))
    return ""


_LEAD_PUNCT = re.compile(r"^[\s\"'“”‘’«»(\[*•·\-–—]+")


def _entity_key(s: str) -> str:
    return _LEAD_PUNCT.sub("", _norm(s)).casefold()


@dataclass
class _Heading:
    level: int
    text: str


class _SectionWalker:
    """Walk a content root in document order: lists and tables under their heading path."""

    def __init__(self, ctx: _Ctx, root: etree._Element, *, tables: bool = True) -> None:
        self.ctx = ctx
        self.root = root
        self.tables = tables
        self.path: list[_Heading] = []
        self.leadin = ""
        self.enums: list[Enumeration] = []
        self._open: Enumeration | None = None  # a list enumeration that may continue (multi-column)

    # -- headings
    def _heading(self, level: int, text: str) -> None:
        text = _strip_label(text)
        while self.path and self.path[-1].level >= level:
            self.path.pop()
        self.path.append(_Heading(level, text))
        self.leadin = ""
        self._open = None

    def section(self) -> str:
        return " › ".join(h.text for h in self.path if h.level > 1)

    def label(self) -> str:
        heads = [h.text for h in self.path if h.level > 1]
        return heads[-1] if heads else ""

    def skipping(self) -> bool:
        return any(_SKIP_SECTIONS.match(h.text) for h in self.path if h.level > 1)

    # -- walk
    def run(self) -> list[Enumeration]:
        self._walk(self.root)
        return [e for e in self.enums if e.items]

    def _walk(self, el: etree._Element) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag
            if tag in _HEADINGS:
                self._heading(_HEADINGS[tag], _text(child))
                continue
            if _container_skipped(child):
                continue
            if tag == "dl" and all(c.tag == "dt" for c in child if isinstance(c.tag, str)) and len(child):
                # MediaWiki ";term" pseudo-heading
                self._heading(6, _text(child))
                continue
            if tag == "p":
                t = _text(child)
                if t:
                    self.leadin = t[:-1].strip() if t.endswith(":") and len(t) <= 100 else ""
                    self._open = None
                continue
            if tag in ("ul", "ol"):
                self._list(child)
                continue
            if tag == "table":
                if self._is_layout_table(child):
                    self._walk_table_cells(child)
                elif self.tables:
                    self._table(child)
                    self._open = None
                continue
            self._walk(child)  # containers, custom elements (<markdown-accessiblity-table>), inline

    @staticmethod
    def _is_layout_table(table: etree._Element) -> bool:
        cls = _classes(table)
        if "multicol" in cls:
            return True
        if cls & {"wikitable", "tracklist", "sortable"}:
            return False
        rows = _rows(table)
        if not rows:
            return True
        has_th = any(c.tag == "th" for r in rows for c in r)
        return len(rows) == 1 or not has_th

    def _walk_table_cells(self, table: etree._Element) -> None:
        for row in _rows(table):
            for cell in row:
                if isinstance(cell.tag, str) and cell.tag in ("td", "th"):
                    self._walk(cell)

    def _list(self, lst: etree._Element) -> None:
        if self.skipping():
            return
        items: list[str] = []
        links: list[str] = []
        for li in lst:
            if not isinstance(li.tag, str) or li.tag != "li" or _skipped(li):
                continue
            t = _item_text(li)
            if not t or len(t) > _MAX_ITEM_LEN:
                continue
            items.append(t)
            links.append(_item_link(li, self.ctx, t))
        if not items:
            return
        label = self.leadin or self.label()
        section = self.section()
        if self.leadin and section:
            section = f"{section} › {self.leadin}"
        if not label:
            return
        if self._open is not None and self._open.label == label and self._open.section == section:
            self._open.items.extend(items)
            self._open.item_links.extend(links)
            return
        enum = Enumeration(kind="list", label=label, section=section, items=items, item_links=links)
        self.enums.append(enum)
        self._open = enum

    def _table(self, table: etree._Element) -> None:
        if self.skipping():
            return
        enum = _table_enumeration(table, self.ctx, self.label(), self.section())
        if enum is not None:
            self.enums.append(enum)


# ----------------------------------------------------------------------------------------------
# tables

def _rows(table: etree._Element) -> list[etree._Element]:
    """Rows of ``table`` itself (through thead/tbody/tfoot), not of nested tables."""
    rows: list[etree._Element] = []
    for child in table:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if isinstance(c.tag, str) and c.tag == "tr")
    return rows


def _span(cell: etree._Element, attr: str) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", cell.get(attr, "1")) or 1), 100))
    except ValueError:
        return 1


@dataclass
class _Cell:
    el: etree._Element
    header: bool


def _grid(table: etree._Element) -> list[list[_Cell | None]]:
    """The table as a grid with rowspan/colspan expanded (a spanned cell repeats)."""
    grid: list[list[_Cell | None]] = []
    pending: dict[tuple[int, int], _Cell] = {}
    for r, row in enumerate(_rows(table)):
        line: list[_Cell | None] = []
        c = 0
        cells = [x for x in row if isinstance(x.tag, str) and x.tag in ("td", "th")]
        it = iter(cells)
        nxt = next(it, None)
        while nxt is not None or any(k[0] == r and k[1] >= c for k in pending):
            if (r, c) in pending:
                line.append(pending.pop((r, c)))
                c += 1
                continue
            if nxt is None:
                line.append(None)
                c += 1
                continue
            cell = _Cell(nxt, nxt.tag == "th")
            rs, cs = _span(nxt, "rowspan"), _span(nxt, "colspan")
            for dc in range(cs):
                line.append(cell)
                for dr in range(1, rs):
                    pending[(r + dr, c + dc)] = cell
            c += cs
            nxt = next(it, None)
        grid.append(line)
    return grid


_KEY_HEADER = re.compile(
    r"\b(title|album|song|single|name|film|work|track|player|member|artist|paper|book|episode|"
    r"award|category|nominee|recipient|release|project|repository|person|team|club|city|country|show|role)s?\b",
    re.I,
)
_ATTR_GARBAGE = re.compile(r'^[\w-]+="[^"]*"$')
_NUMERIC = re.compile(r"^[\d\s.,:%–—\-+/()#*]+$")


def _table_enumeration(table: etree._Element, ctx: _Ctx, label: str, section: str) -> Enumeration | None:
    grid = _grid(table)
    if len(grid) < 2:
        return None
    # header rows: leading rows made only of th cells
    n_head = 0
    for line in grid:
        cells = [c for c in line if c is not None]
        if cells and all(c.header for c in cells):
            n_head += 1
        else:
            break
    if n_head == 0:
        return None
    width = max(len(line) for line in grid)
    headers: list[str] = []
    for col in range(width):
        parts: list[str] = []
        for line in grid[:n_head]:
            if col < len(line) and line[col] is not None:
                t = _text(line[col].el)
                if t and t not in parts:
                    parts.append(t)
        headers.append(" ".join(parts))
    body = [line for line in grid[n_head:] if any(c is not None for c in line)]
    if not body:
        return None

    def cell_text(line: list[_Cell | None], col: int) -> str:
        if col < len(line) and line[col] is not None:
            return _text(line[col].el)
        return ""

    # key column: a header naming the entity, else a row-header column, else the first column
    # whose cells are mostly linked and non-numeric, else the first non-numeric column
    key_col = -1
    for col, h in enumerate(headers):
        if _KEY_HEADER.search(h):
            key_col = col
            break
    if key_col < 0:
        for col in range(width):
            vals = [cell_text(line, col) for line in body]
            if vals and sum(1 for v in vals if v and not _NUMERIC.match(v)) >= 0.8 * len(vals):
                key_col = col
                break
    if key_col < 0:
        return None
    items: list[str] = []
    links: list[str] = []
    seen_cells: set[int] = set()
    for line in body:
        cell = line[key_col] if key_col < len(line) else None
        if cell is None:
            continue
        if id(cell.el) in seen_cells and _span(cell.el, "rowspan") > 1:
            continue  # a key cell spanning several rows is one item
        seen_cells.add(id(cell.el))
        t = _text(cell.el)
        if not t or len(t) > _MAX_ITEM_LEN:
            continue
        if re.match(r"^(total|sum|overall)\b", t, re.I) or _ATTR_GARBAGE.match(t):
            continue
        items.append(t)
        links.append(_item_link(cell.el, ctx, t))
    if len({_entity_key(t) for t in items}) < len(items):
        # the key column repeats ("Album of the Year" twice): one item per row is the whole row
        rows: list[str] = []
        rlinks: list[str] = []
        for line in body:
            cells: list[str] = []
            for cell in line:
                t = _text(cell.el) if cell is not None else ""
                if t and (not cells or cells[-1] != t):
                    cells.append(t)
            if cells and not re.match(r"^(total|sum|overall)\b", cells[0], re.I):
                rows.append(" | ".join(cells))
                kc = line[key_col] if key_col < len(line) else None
                rlinks.append(_item_link(kc.el, ctx, _text(kc.el)) if kc is not None else "")
        items, links = rows, rlinks
    caption = table.find("caption")
    cap = _strip_label(_text(caption)) if caption is not None else ""
    if cap and not label:
        label = cap
    elif cap:
        section = f"{section} › {cap}" if section else cap
        label = cap
    if not label or len(items) < 1:
        return None
    return Enumeration(kind="table", label=label, section=section, items=items, item_links=links)


# ----------------------------------------------------------------------------------------------
# wikipedia

_MULTI_KEYS = re.compile(
    r"^(genres?|labels?|occupations?|occupation\(s\)|instruments?|associated acts|members|past members|"
    r"current members|producers?|producer\(s\)|writers?|writer\(s\)|songwriters?|songwriter\(s\)|"
    r"composers?|languages?|spouses?|spouse\(s\)|children|starring|directed by|written by|"
    r"music by|awards|notable works|products|services|subsidiaries|founders?|authors?|"
    r"key people|industry|platforms?|genre)$",
    re.I,
)
_NOT_MULTI = re.compile(r"^(born|died|released|recorded|length|years active|website|origin|location|format)$", re.I)


def _looks_like_mediawiki(doc: lxml.html.HtmlElement) -> bool:
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


def _content_root(doc: lxml.html.HtmlElement) -> etree._Element:
    for xp in ("//*[@id='mw-content-text']", "//*[@id='bodyContent']", "//main", "//article",
               "//*[@id='content']", "//body"):
        found = doc.xpath(xp)
        if found:
            return found[0]
    return doc


def _lead_description(root: etree._Element) -> str:
    """First sentence of the first real paragraph (not one inside a table, infobox or box)."""
    for p in root.iter("p"):
        inside = False
        for a in p.iterancestors():
            if a is root:
                break
            if a.tag == "table" or _container_skipped(a):
                inside = True
                break
        if inside:
            continue
        t = _text(p)
        if len(t) >= 30:
            return first_sentence(t)
    return ""


_FROM_ALBUM = re.compile(r"^from the (album|EP|soundtrack|film|mixtape)\s+(.+)$", re.I)


def _infobox_kind(type_value: str) -> str:
    t = type_value.lower()
    for word in ("album", "single", "song", "film", "book", "ep", "video"):
        if re.search(rf"\b{word}\b", t):
            return "album" if word == "ep" else word
    return "release"


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
        if len(items) >= 2:
            item_links = item_links or _match_links(items, val, ctx)
            value = ", ".join(items)
            enums.append(Enumeration(kind="infobox", label=key, section="Infobox", items=items,
                                     item_links=item_links))
        else:
            value = _tidy("; ".join(lines))
        if value:
            facts.append(Fact(key=key, value=value, links=ctx.links(val), source="infobox"))
    return facts, enums


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


def _wikipedia(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    s = Structure(subject=_wiki_subject(doc))
    root = _content_root(doc)
    facts: list[Fact] = []
    enums: list[Enumeration] = []
    boxes = [t for t in root.xpath(".//table[contains(concat(' ',normalize-space(@class),' '),' infobox ')]")
             if "wikitable" not in _classes(t) and not t.xpath("ancestor::table[contains(@class,'infobox')]")]
    if boxes:
        f, e = _infobox(boxes[0], ctx, s.subject)
        facts.extend(f)
        enums.extend(e)
    enums.extend(_SectionWalker(ctx, root).run())
    enums.extend(_navboxes(doc, ctx))
    s.description = _lead_description(root)
    s.facts = facts
    s.enumerations = enums
    return s


# ----------------------------------------------------------------------------------------------
# arxiv

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


def _arxiv(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    parts = _arxiv_parts(doc)
    title_el = parts["title"]
    if not title_el:
        if doc.xpath("//dl[@id='articles'] | //dl[dt and dd]"):
            return _arxiv_listing(doc, ctx)
        return _generic(doc, ctx)
    s = Structure()
    s.subject = _norm(re.sub(r"^\s*Title:\s*", "", _text(title_el[0])))
    facts: list[Fact] = [Fact(key="Title", value=s.subject, source="meta")]
    enums: list[Enumeration] = []
    m = re.search(r"/abs/([^/?#]+?)(?:v\d+)?(?:\.html|/index\.html)?/?$", ctx.page)
    if m:
        facts.append(Fact(key="arXiv ID", value=m.group(1), source="meta"))
    authors_el = parts["authors"]
    if authors_el:
        names, links = [], []
        for a in authors_el[0].iter("a"):
            t = _text(a)
            if t:
                names.append(t)
                links.append(ctx.resolve(a.get("href")))
        if not names:
            names = split_values(re.sub(r"^\s*Authors:\s*", "", _text(authors_el[0])))
            links = [""] * len(names)
        if names:
            facts.append(Fact(key="Authors", value=", ".join(names), links=[u for u in links if u], source="meta"))
            facts.append(Fact(key="First author", value=names[0], links=[links[0]] if links[0] else [], source="meta"))
            if len(names) > 1:
                facts.append(Fact(key="Last author", value=names[-1], source="meta"))
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


def _arxiv_listing(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    """A listing (new submissions, an author's papers): one enumeration of papers per section."""
    h1 = doc.xpath("//h1")
    s = Structure(subject=_text(h1[-1]) if h1 else _norm(doc.findtext(".//title") or ""))
    enums: list[Enumeration] = []
    label = ""
    cur: Enumeration | None = None
    for el in doc.xpath("//h2 | //h3 | //dt"):
        if el.tag in ("h2", "h3"):
            if el.xpath("ancestor::header | ancestor::nav | ancestor::footer"):
                continue
            label = re.sub(r"\s*\(showing.*\)\s*$", "", _text(el), flags=re.I)
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
        title = title or _text(a)
        if cur is None:
            cur = Enumeration(kind="papers", label=label or "papers", section=label)
            enums.append(cur)
        cur.items.append(title)
        cur.item_links.append(ctx.resolve(a.get("href")))
    s.enumerations = enums
    return s


# ----------------------------------------------------------------------------------------------
# github

_COUNT = re.compile(r"([\d.,]+)\s*([kKmM]?)")


def _num(s: str) -> str:
    """'1,234' → '1234', '1.2k' → '1200'; '' when no number."""
    m = _COUNT.search(s or "")
    if not m:
        return ""
    raw, suffix = m.group(1).replace(",", ""), m.group(2).lower()
    try:
        val = float(raw)
    except ValueError:
        return ""
    if suffix == "k":
        val *= 1000
    elif suffix == "m":
        val *= 1_000_000
    return str(int(val))


def _github_name(doc: lxml.html.HtmlElement, ctx: _Ctx) -> tuple[str, str]:
    nwo = doc.xpath("//meta[@name='octolytics-dimension-repository_nwo']/@content")
    if nwo and "/" in nwo[0]:
        owner, name = nwo[0].strip().split("/", 1)
        return owner, name
    author = doc.xpath("//*[@itemprop='author']")
    name_el = doc.xpath("//strong[@itemprop='name']")
    if author and name_el:
        return _text(author[0]), _text(name_el[0])
    og = doc.xpath("//meta[@property='og:title']/@content")
    if og:
        m = re.search(r"([\w.-]+)/([\w.-]+)", re.sub(r"^GitHub\s*-\s*", "", og[0]))
        if m:
            return m.group(1), m.group(2)
    m = re.match(r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)", ctx.page)
    if m:
        return m.group(1), m.group(2)
    return "", ""


def _github_page_kind(url: str, owner: str, name: str) -> str:
    """repo | releases | contributors | issue | other (the part of the URL after owner/name)."""
    m = re.search(rf"/{re.escape(owner)}/{re.escape(name)}(/.*)?$", url)
    rest = (m.group(1) or "") if m else "?"
    if rest in ("", "/", "/index.html", "/index.htm"):
        return "repo"
    if re.match(r"^/releases(\.html)?/?$", rest):
        return "releases"
    if re.match(r"^/(graphs/)?contributors(\.html)?/?$", rest):
        return "contributors"
    if re.match(r"^/(issues|pull)/\d+", rest):
        return "issue"
    return "other"


def _github(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    owner, name = _github_name(doc, ctx)
    if not (owner and name):
        return _generic(doc, ctx)
    s = Structure(subject=f"{owner}/{name}")
    kind = _github_page_kind(ctx.page, owner, name)
    facts: list[Fact] = []
    enums: list[Enumeration] = []
    about = doc.xpath("//*[@itemprop='about'] | //div[contains(@class,'BorderGrid-cell')]//p[contains(@class,'f4')]")
    desc = _text(about[0]) if about else ""
    if not desc:
        md = doc.xpath("//meta[@name='description']/@content | //meta[@property='og:description']/@content")
        desc = re.sub(r"\s+-\s+[\w.-]+/[\w.-]+$", "", _norm(md[0])) if md else ""
    if desc:
        s.description = first_sentence(desc)
    if kind == "issue":
        return _github_issue(doc, ctx, s)
    if kind == "releases":
        rel = _github_release_list(doc, ctx)
        if rel is not None:
            s.enumerations = [rel]
        return s
    if kind == "contributors":
        people = _github_contributors(doc, ctx, full_page=True)
        if people is not None:
            s.enumerations = [people]
        return s
    if kind != "repo":
        return _generic(doc, ctx)

    facts.append(Fact(key="Repository", value=s.subject, source="meta"))
    facts.append(Fact(key="Owner", value=owner, source="meta"))
    if desc:
        facts.append(Fact(key="Description", value=desc, source="meta"))

    def counter(key: str, xps: list[str]) -> None:
        for xp in xps:
            for el in doc.xpath(xp):
                val = _num(el.get("title") or "") or _num(_text(el))
                if val:
                    facts.append(Fact(key=key, value=val, source="sidebar"))
                    return

    def icon(name_: str) -> str:
        return f"//*[.//*[contains(@class,'octicon-{name_}')]]/strong"

    def strong_before(word: str) -> str:
        return (f"//strong[following-sibling::text()[1][starts-with(normalize-space(translate(.,"
                f"'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')),'{word}')]]")

    counter("Stars", ["//*[@id='repo-stars-counter-star']", icon("star"),
                      "//a[contains(@href,'/stargazers')]//*[contains(@class,'Counter') or self::strong]",
                      "//a[contains(@href,'/stargazers')]"])
    counter("Forks", ["//*[@id='repo-network-counter']", icon("repo-forked"),
                      "//a[contains(@href,'/forks') or contains(@href,'/network/members')]//*[contains(@class,'Counter') or self::strong]",
                      "//a[contains(@href,'/network/members') or contains(@href,'/forks')]"])
    counter("Watchers", [icon("eye"), "//a[contains(@href,'/watchers')]//*[contains(@class,'Counter') or self::strong]",
                         "//a[contains(@href,'/watchers')]"])
    counter("Commits", ["//li[contains(@class,'commits')]//*[contains(@class,'num')]", strong_before("commit"),
                        "//a[contains(@href,'/commits')]//strong", "//a[contains(@href,'/commits')]"])
    counter("Branches", ["//a[contains(@href,'/branches')]//*[contains(@class,'num') or self::strong or contains(@class,'Counter')]",
                         strong_before("branch")])
    counter("Releases", ["//a[contains(@href,'releases') and not(contains(@href,'/tag/'))]//*[contains(@class,'num') or contains(@class,'Counter')]"])
    counter("Contributors", ["//a[contains(@href,'contributors')]//*[contains(@class,'num') or contains(@class,'Counter')]"])
    counter("Open issues", ["//a[substring(@href, string-length(@href) - 6) = '/issues']//*[contains(@class,'Counter')]"])
    counter("Open pull requests", ["//a[substring(@href, string-length(@href) - 5) = '/pulls']//*[contains(@class,'Counter')]"])

    lic = doc.xpath("//li[.//*[contains(@class,'octicon-law')]] | //*[contains(@class,'octicon-law')]/.."
                    " | //h3[normalize-space(.)='License']/following-sibling::*[1]")
    if lic:
        t = re.sub(r"(?i)\s*\blicen[cs]e\b", "", _text(lic[0])).strip(" ,") or _text(lic[0])
        if t:
            facts.append(Fact(key="License", value=t, source="sidebar"))

    tags = doc.xpath("//a[contains(@class,'topic-tag')]")
    topics: list[str] = []
    tlinks: list[str] = []
    for a in tags:
        t = _text(a)
        if t and t not in topics:
            topics.append(t)
            tlinks.append(ctx.resolve(a.get("href")))
    if topics:
        enums.append(Enumeration(kind="topics", label="topics", section="About", items=topics, item_links=tlinks))
        facts.append(Fact(key="Topics", value=", ".join(topics), source="sidebar"))

    langs = _github_languages(doc)
    if langs:
        enums.append(Enumeration(kind="languages", label="languages", section="Languages",
                                 items=[f"{n} {p}".strip() for n, p in langs], item_links=[""] * len(langs)))
        facts.append(Fact(key="Primary language", value=langs[0][0], source="sidebar"))

    latest = _github_latest_release(doc, ctx)
    if latest is not None:
        facts.append(latest)
    readme = doc.xpath("//article[contains(@class,'markdown-body')]")
    if readme:
        for e in _SectionWalker(ctx, readme[0]).run():
            e.section = f"README › {e.section}" if e.section else "README"
            enums.append(e)
    s.facts = facts
    s.enumerations = enums
    return s


def _github_latest_release(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Fact | None:
    for xp in ("//a[contains(@href,'/releases/tag/')]",
               "//h2[.//a[contains(@href,'releases')]]/following-sibling::a[1]"):
        found = doc.xpath(xp)
        if found:
            tag = found[0].xpath(".//*[contains(@class,'css-truncate-target')]")
            lines = [_text(tag[0])] if tag else _lines(found[0])
            if lines and lines[0]:
                return Fact(key="Latest release", value=lines[0], source="sidebar")
    return None


def _github_contributors(doc: lxml.html.HtmlElement, ctx: _Ctx, *, full_page: bool) -> Enumeration | None:
    """Contributor logins: the contributors page's list, or the repository sidebar's avatars."""
    if full_page:
        anchors = [a for li in doc.xpath("//li[contains(@class,'contrib-person')] | //ol[contains(@class,'contrib-data')]/li")
                   for a in (li.xpath(".//h3//a") or li.xpath(".//a"))[:1]]
    else:
        anchors = doc.xpath("//h2[.//a[contains(@href,'contributors')]]/following-sibling::ul[1]//a")
    names: list[str] = []
    links: list[str] = []
    for a in anchors:
        n = (a.get("aria-label") or _text(a) or "").strip()
        if not n:
            img = a.find(".//img")
            n = (img.get("alt") or "").lstrip("@") if img is not None else ""
        if not n:
            n = (a.get("href") or "").rstrip("/").rsplit("/", 1)[-1]
        n = n.lstrip("@")
        if n and n not in names:
            names.append(n)
            links.append(ctx.resolve(a.get("href")))
    if len(names) < 1:
        return None
    return Enumeration(kind="contributors", label="contributors", section="Contributors", items=names,
                       item_links=links)


def _github_languages(doc: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for li in doc.xpath("//*[contains(@class,'repository-lang-stats')]//li"):
        name = li.xpath(".//*[contains(concat(' ',normalize-space(@class),' '),' lang ')]")
        pct = li.xpath(".//*[contains(concat(' ',normalize-space(@class),' '),' percent ')]")
        n = _text(name[0]) if name else ""
        if n:
            out.append((n, _text(pct[0]).rstrip("%") + "%" if pct else ""))
    if out:
        return out
    heads = doc.xpath("//h2[normalize-space(.)='Languages']")
    if heads:
        ul = heads[0].xpath("following::ul[1]")
        for li in ul[0].xpath("./li") if ul else []:
            spans = [t for t in (_text(x) for x in li.xpath(".//span[not(.//span)]")) if t]
            if spans:
                out.append((spans[0], next((x for x in spans[1:] if x.endswith("%")), "")))
    if not out:
        for el in doc.xpath("//span[@itemprop='keywords'][@aria-label]"):
            parts = el.get("aria-label", "").rsplit(" ", 1)
            if parts[0]:
                out.append((parts[0], f"{parts[1]}%" if len(parts) > 1 else ""))
    return out


def _github_release_list(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Enumeration | None:
    items: list[str] = []
    links: list[str] = []
    for el in doc.xpath("//a[contains(@href,'/releases/tag/')] | //section[contains(@aria-labelledby,'hd-')]/h2[1]"):
        t = _text(el)
        if t and t not in items:
            items.append(t)
            links.append(ctx.resolve(el.get("href")) if el.tag == "a" else "")
    if not items:
        return None
    return Enumeration(kind="releases", label="releases", section="Releases", items=items, item_links=links)


def _github_issue(doc: lxml.html.HtmlElement, ctx: _Ctx, s: Structure) -> Structure:
    title = doc.xpath("//*[contains(@class,'js-issue-title')]") or doc.xpath("//h1[contains(@class,'gh-header-title')]")
    if title:
        t = re.sub(r"\s*#\d+$", "", _text(title[0]))
        num = re.search(r"#(\d+)", _text(title[0].getparent()) if title[0].getparent() is not None else "")
        s.subject = f"{s.subject} issue #{num.group(1)}" if num else t
        s.facts.append(Fact(key="Title", value=t, source="meta"))
    state = doc.xpath("//*[contains(@class,'State')][1]")
    if state:
        s.facts.append(Fact(key="State", value=_text(state[0]), source="meta"))
    meta = doc.xpath("//*[contains(@class,'gh-header-meta')]")
    if meta:
        mt = _text(meta[0])
        a = meta[0].xpath(".//a[contains(@class,'author')]")
        if a:
            s.facts.append(Fact(key="Opened by", value=_text(a[0]), source="meta"))
        m = re.search(r"(\d+)\s+comments?", mt)
        if m:
            s.facts.append(Fact(key="Comments", value=m.group(1), source="meta"))
        d = doc.xpath("//*[contains(@class,'gh-header-meta')]//relative-time")
        if d:
            s.facts.append(Fact(key="Opened", value=_text(d[0]), source="meta"))
    labels = [_text(x) for x in doc.xpath("//*[contains(@class,'IssueLabel') or contains(@class,'labels')]//a | //a[contains(@class,'IssueLabel')]")]
    labels = list(dict.fromkeys(x for x in labels if x))
    if labels:
        s.enumerations.append(Enumeration(kind="list", label="labels", section="Labels", items=labels,
                                          item_links=[""] * len(labels)))
    return s


# ----------------------------------------------------------------------------------------------
# generic

def _generic(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    s = Structure()
    h1 = doc.xpath("//h1")
    og = doc.xpath("//meta[@property='og:title']/@content")
    title = _norm(doc.findtext(".//title") or "")
    s.subject = (_text(h1[0]) if h1 else "") or (_norm(og[0]) if og else "") or re.split(r"\s+[-–—|]\s+", title)[0]
    root = _content_root(doc)
    s.description = _lead_description(root)
    facts: list[Fact] = []
    for dl in root.iter("dl"):
        if _container_skipped(dl):
            continue
        key = ""
        for c in dl:
            if not isinstance(c.tag, str):
                continue
            if c.tag == "dt":
                key = _strip_label(_text(c))
            elif c.tag == "dd" and key:
                val = _text(c)
                if val and len(key) <= 60:
                    facts.append(Fact(key=key, value=val, links=ctx.links(c), source="dl"))
                key = ""
    for table in root.iter("table"):
        if _container_skipped(table) and "infobox" not in _classes(table):
            continue
        rows = _rows(table)
        kv = [r for r in rows if len([c for c in r if isinstance(c.tag, str)]) == 2
              and r[0].tag == "th" and r[1].tag == "td"]
        if len(kv) >= 2 and len(kv) >= 0.6 * len(rows):
            for r in kv:
                key = _strip_label(_text(r[0]))
                val = _text(r[1])
                if key and val and len(key) <= 60:
                    facts.append(Fact(key=key, value=val, links=ctx.links(r[1]), source="infobox"))
    s.facts = facts
    s.enumerations = _SectionWalker(ctx, root).run()
    return s


_EXTRACTORS: dict[str, Callable[[lxml.html.HtmlElement, _Ctx], Structure]] = {
    "wikipedia": _wikipedia,
    "arxiv": _arxiv,
    "github": _github,
    "generic": _generic,
}
