"""What every site's fact reader shares: the ``Structure`` result, the lenient parse, visible text of
an element, per-page link resolution (``Ctx``), sentence and value splitting.

Site readers live next to their profiles (``crawlers/profiles/<site>_facts.py``); the walk of lists
and tables under headings that several sites use is ``crawlers.facts_sections``.
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


@dataclass
class Structure:
    subject: str = ""
    description: str = ""
    facts: list[Fact] = field(default_factory=list)
    enumerations: list[Enumeration] = field(default_factory=list)
    error: str = ""  # why extraction failed ("" when it did not)



# ----------------------------------------------------------------------------------------------
# parsing and text helpers

_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "button", "input", "select", "textarea"}
_SKIP_CLASSES = {
    "reference", "mw-editsection", "editsection", "noprint", "navbar", "sortkey", "mw-cite-backlink",
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
    return merge_name_suffixes([p for p in out if p])


# "Robert Sharp, Jr.": the comma belongs to the name, not to a list of names
_NAME_SUFFIX = re.compile(r"^(?:jr|sr|snr|jnr|ii|iii|iv|v|esq|ph\.?\s?d|m\.?\s?d)\.?$", re.I)


_LEAD_AND = re.compile(r"^(?:and|&)\s+(?=\S)", re.I)


def merge_name_suffixes(items: list[str]) -> list[str]:
    """Items split at commas with a name suffix glued back: ["Robert Sharp", "Jr.", "X"] →
    ["Robert Sharp, Jr.", "X"] (a suffix alone is never an item)."""
    out: list[str] = []
    for it in items:
        if out:  # "Herb Abramson, Ahmet Ertegün, and Jerry Wexler": the last is "Jerry Wexler"
            it = _LEAD_AND.sub("", it) or it
        if out and _NAME_SUFFIX.match(it.strip()):
            out[-1] = f"{out[-1]}, {it.strip()}"
        else:
            out.append(it)
    return out

