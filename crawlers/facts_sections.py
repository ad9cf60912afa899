"""Lists and tables under their heading path, shared by the wikipedia, github (README) and generic
readers: ``SectionWalker(ctx, root).run()`` → enumerations; ``table_enumeration`` reads one data
table (rowspan/colspan expanded, one item per row from the key column)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from crawlers.facts_common import (
    _classes,
    _Ctx,
    _iter_visible,
    _norm,
    _skipped,
    _strip_label,
    _text,
    first_sentence,
)
from schemas.records import Enumeration

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
_MAX_LONG_ITEM_LEN = 2000  # a list entry longer than this makes the list no enumeration
_TRACKS_NOTE = re.compile(r"^(?:tracks?|sides?|discs?|cds?)\s+\d+(?:\s*(?:[-–—,&]|and|to)\s*\d+)*\b", re.I)


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
        self._tables: dict[str, list[Enumeration | None]] = {}  # data tables by the section they sit in
        self._lists: list[Enumeration] = []  # the lists of the current section, so far
        self._after: dict[int, list[str]] = {}  # id(list) → paragraphs after it in its section

    # -- headings
    def _heading(self, level: int, text: str) -> None:
        text = _strip_label(text)
        while self.path and self.path[-1].level >= level:
            self.path.pop()
        self.path.append(_Heading(level, text))
        self.leadin = ""
        self._open = None
        self._lists = []

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
        for section, tables in self._tables.items():
            if len(tables) < 2:
                continue
            for e in tables:
                if e is not None and e.section == section and not e.incomplete:
                    # "the table in the “Charts” section" of Hit the Road Jack: a 1961 and a 2011 table
                    e.incomplete = f"section_has_other_table: {len(tables)} tables under {section!r}"
        for e in self.enums:
            more = self._after.get(id(e))
            if e.kind == "list" and more and not e.incomplete:
                # That Lucky Old Sun's "Other covers": 14 bullets, then six more covers as paragraphs
                e.incomplete = f"section_has_more_text: {len(more)} paragraphs after the list: {more[0][:120]!r}"
        return [e for e in self.enums if e.items or e.incomplete]

    def _walk(self, el: etree._Element) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag
            if tag in _HEADINGS:
                if not _container_skipped(child):  # MediaWiki's <h3 id="siteSub">From Wikipedia, …</h3> is chrome
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
                for e in self._lists:
                    if t and not t.endswith(":") and not (t.startswith("(") and t.endswith(")")):
                        self._after.setdefault(id(e), []).append(t)
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
            if not t:
                continue
            if len(t) > _MAX_LONG_ITEM_LEN:
                # an entry of a paragraph's length is kept (the list is still that many entries: a
                # count of the short ones only would be wrong); a list of whole essays is no enumeration
                self._open = None
                return
            if _TRACKS_NOTE.match(t):
                continue  # "tracks 1-10 live at Newport Jazz Festival 1958": a note on the list, no entry
            if t.endswith(":") and any(isinstance(c.tag, str) and c.tag in ("ul", "ol", "dl") for c in li):
                # "77th Academy Awards:" over a nested list: a header line, not an item; the list's
                # entries are of two levels, so no count of it is right
                self._open = None
                return
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
        self._lists.append(enum)
        self._open = enum

    def _table(self, table: etree._Element) -> None:
        if self.skipping():
            return
        enum = _table_enumeration(table, self.ctx, self.label(), self.section())
        self._tables.setdefault(self.section(), []).append(enum)
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
    row: int = 0  # the grid row the cell starts on (a rowspan repeats it on the rows below)


def _markup_cell(cell: etree._Element) -> bool:
    """A cell whose whole text is a left-over wiki attribute (``<th> scope="row" </th>`` before the
    row's real first cell, on Hit the Road Jack's chart rows): broken markup, not a column."""
    return not cell.get("colspan") and not cell.get("rowspan") and bool(_ATTR_GARBAGE.match(_text(cell)))


def _grid(table: etree._Element) -> list[list[_Cell | None]]:
    """The table as a grid with rowspan/colspan expanded (a spanned cell repeats); a cell that is
    only broken markup (``_markup_cell``) is left out, so the row's cells stay under their headers."""
    grid: list[list[_Cell | None]] = []
    pending: dict[tuple[int, int], _Cell] = {}
    for r, row in enumerate(_rows(table)):
        line: list[_Cell | None] = []
        c = 0
        cells = [x for x in row if isinstance(x.tag, str) and x.tag in ("td", "th") and not _markup_cell(x)]
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
            cell = _Cell(nxt, nxt.tag == "th", r)
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
    # a row with no cell of its own that has text is no row: an empty <tr> that a rowspan reaches
    # into ("Concord" of the discography's posthumous albums), an empty spacer row (The Nanny)
    grid = [line for r, line in enumerate(_grid(table))
            if any(c is not None and c.row == r and _text(c.el) for c in line)]
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
    body = grid[n_head:]
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
    unread: list[str] = []  # data rows whose entry cannot be read: the table's count is unknown
    seen_cells: set[int] = set()
    for line in body:
        cell = line[key_col] if key_col < len(line) else None
        row_text = " | ".join(_text(c.el) for c in line if c is not None)
        if cell is None:
            unread.append(row_text)
            continue
        if width > 1 and _span(cell.el, "colspan") >= width:
            continue  # a note across the whole table ('"—" denotes a release that did not chart.')
        if id(cell.el) in seen_cells and _span(cell.el, "rowspan") > 1:
            continue  # a key cell spanning several rows is one item
        seen_cells.add(id(cell.el))
        t = _text(cell.el)
        if not t or _ATTR_GARBAGE.match(t):
            unread.append(row_text)
            continue
        if len(t) > _MAX_LONG_ITEM_LEN:
            return None  # a key cell of an essay's length: not a table of entities
        if re.match(r"^(total|sum|overall)\b", t, re.I):
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
    if not label or (len(items) < 1 and not unread):
        return None
    incomplete = f"rows_unread: {len(unread)} of {len(body)} rows: {unread[0][:120]!r}" if unread else None
    return Enumeration(kind="table", label=label, section=section, items=items, item_links=links,
                       incomplete=incomplete)



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

