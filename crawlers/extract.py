"""Extraction of one page: main text (markdown with lists and tables), title, date, language,
and the structured facts of ``crawlers.facts``. Runs in worker processes, never in the spider.

``process_page`` is the function the worker pool calls for each fetched page: one parse gives the
page's content links and declared canonical URL (``crawlers.links``, which the crawl needs to go
on) and its extraction (``extract_page``: ``ok``, ``reason``, ``detail``, ``data``, the
zlib-compressed JSON of an ``Extracted``). It never raises, so a bad page is a counted reject and
the crawl goes on. The per-page timeout is enforced by the pool (``crawlers.pipeline``): a page that
takes longer is killed with its worker.

Metadata is read with trafilatura's and htmldate's helpers rather than ``with_metadata=True``:
trafilatura's author normalisation is quadratic in the number of authors (a 1,000-author arXiv
page took 13 s), and the crawler does not need authors from it (``crawlers.facts`` reads them).
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from dataclasses import dataclass, field, fields
from typing import Any

log = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")
_TITLE_SUFFIX = re.compile(r"\s+[-–—|:·]\s+[^-–—|:·]{2,40}$")
_MD_NOISE = re.compile(r"<sup>.*?</sup>|\\\[\d+\\\]|\[\d+\]|\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")


def _plain_html_elements() -> None:
    """Have trafilatura's HTML parser make every element a plain ``lxml.html.HtmlElement``.

    ``lxml.html``'s parser picks each element's class with a Python callback (form, input, label...
    get their own classes), called every time Python touches an element: ~1,000 calls per page as
    the facts, the pruning, trafilatura and htmldate walk the tree, 3-5% of a page's extraction.
    Nothing here or in trafilatura and htmldate uses the form classes; with lxml's C lookup every
    element is still an ``HtmlElement`` (``text_content()``, ``isinstance`` checks), and the
    extraction is the same (checked on 1,086 corpus pages). Set by ``warm_up`` in the extraction
    processes only; a trafilatura without a module-level ``HTML_PARSER`` is left as it is."""
    try:
        import lxml.html
        from lxml import etree
        from trafilatura.utils import HTML_PARSER
    except ImportError:  # pragma: no cover - a trafilatura without the module-level parser
        return
    HTML_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


@dataclass
class Extracted:
    title: str = ""
    text: str = ""
    language: str = ""
    date: str | None = None
    subject: str = ""
    description: str = ""
    facts: list[dict[str, Any]] = field(default_factory=list)
    enumerations: list[dict[str, Any]] = field(default_factory=list)
    facts_error: str = ""

    def pack(self) -> bytes:
        # the fields are plain JSON values already (facts are model_dump() dicts): no asdict() deep copy
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 3)

    @classmethod
    def unpack(cls, blob: bytes) -> Extracted:
        return cls(**json.loads(zlib.decompress(blob).decode("utf-8")))


def subject_from_title(title: str) -> str:
    """The entity a page is about: its title without a site suffix or an arXiv id prefix."""
    t = re.sub(r"^\[[^\]]{3,30}\]\s*", "", title.strip())
    stripped = _TITLE_SUFFIX.sub("", t)
    return stripped.strip() or t


def first_sentence(text: str) -> str:
    """The first sentence of the first prose paragraph of a markdown text."""
    for para in re.split(r"\n\s*\n", text):
        p = para.strip()
        if not p or p.startswith(("#", "|", "- ", "* ", ">", "```")) or len(p) < 40:
            continue
        p = " ".join(_MD_NOISE.sub("", p).split())
        return _SENTENCE_END.split(p, maxsplit=1)[0][:500]
    return ""


def detect_language(text: str, html_lang: str | None) -> str:
    lang = (html_lang or "").strip().lower().replace("_", "-").split("-")[0]
    if len(text) < 100 and re.fullmatch(r"[a-z]{2,3}", lang):
        return lang
    try:
        from crawlers.langid import identifier

        return str(identifier().classify(text[:5000])[0])
    except Exception as exc:  # langid is best effort; the html lang attribute is the fallback
        log.debug("language detection failed: %s", exc)
        return lang if re.fullmatch(r"[a-z]{2,3}", lang or "") else ""


def _profile(site: str) -> Any:
    from crawlers.profiles import generic_profile, get_profile

    try:
        return get_profile(site)
    except ValueError:
        return generic_profile()


def _structure(doc: Any, url: str, site: str) -> tuple[Any, str]:
    """``crawlers.facts`` on the page; ``doc`` is the HTML or its parsed document (read only)."""
    from crawlers.facts import extract_structure
    from crawlers.urls import canonicalize

    try:
        s = extract_structure(doc, url, site, canonicalize=canonicalize)
    except Exception as exc:  # the facts extractor must not cost us the page
        return None, f"{type(exc).__name__}: {exc}"[:300]
    return s, getattr(s, "error", "") or ""


def _title_metas(tree: Any) -> dict[str, str]:
    """The content of the first ``<meta name="citation_title">`` and ``<meta property="og:title">``
    that have one (what ``//meta[@name=...]/@content`` finds first), in one pass over the meta
    elements (two XPath walks of the whole tree cost 0.2 ms)."""
    found: dict[str, str] = {}
    for meta in tree.getroottree().getroot().iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        if meta.get("name") == "citation_title":
            found.setdefault("citation_title", content)
        if meta.get("property") == "og:title":
            found.setdefault("og:title", content)
    return found


def extract(html: str, url: str, site: str = "generic", *, fast: bool = True, tree: Any = None) -> Extracted | None:
    """Main text + metadata + structure of one page, or None when trafilatura finds no text.

    ``tree``: the page already parsed by trafilatura's ``load_html`` (it is changed in place)."""
    from trafilatura import bare_extraction
    from trafilatura.metadata import extract_title
    from trafilatura.utils import load_html

    if tree is None:
        tree = load_html(html)
    if tree is None:
        raise ValueError("unparseable HTML")
    # One parse for everything. The facts run first, on the pristine tree (they only read it);
    # trafilatura's tree has no comments or processing instructions, which the facts skip anyway.
    # A document that did not parse to a whole <html> tree gets its own parse for the facts.
    whole = tree.tag == "html" and tree.getparent() is None
    structure, err = _structure(tree if whole else html, url, site)
    title = ""
    declared = _title_metas(tree)
    for key in ("citation_title", "og:title"):
        if declared.get(key, "").strip():
            title = declared[key]
            break
    if not title:
        try:
            title = extract_title(tree) or ""
        except Exception as exc:  # a missing title is not fatal
            log.debug("no title for %s: %s", url, exc)
        title = re.sub(r"^\s*Title:\s*", "", title)
    profile = _profile(site)
    date = None
    try:
        date = profile.page_date(tree, url)
    except Exception as exc:  # dates are best effort
        log.debug("no date for %s: %s", url, exc)
    html_lang = tree.get("lang")
    # The profile's chrome (menus, reference lists, navboxes) is pruned here, in one pass, rather
    # than by trafilatura's ``prune_xpath`` (one XPath walk per expression); same tree either way.
    # bare_extraction copies the tree it is given before changing it.
    profile.prune(tree)
    doc = bare_extraction(
        tree, url=url, fast=fast, include_comments=False, include_tables=True,
        include_formatting=True, include_links=False, include_images=False, with_metadata=False,
    )
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    out = Extracted(title=" ".join(title.split()), text=text, date=date)
    out.language = detect_language(text, html_lang)
    out.facts_error = err
    if structure is not None:
        out.subject = structure.subject or ""
        out.description = structure.description or ""
        out.facts = [f.model_dump() for f in structure.facts]
        out.enumerations = [e.model_dump() for e in structure.enumerations]
    out.subject = out.subject or subject_from_title(out.title)
    out.description = out.description or first_sentence(text)
    return out if text else None


def extract_page(html: str, url: str, site: str, min_text_chars: int = 200, fast: bool = True,
                 *, tree: Any = None) -> dict:
    """The extraction of one page; never raises. ``{"ok", "reason", "detail", "data"}``."""
    try:
        res = extract(html, url, site, fast=fast, tree=tree)
    except Exception as exc:
        return {"ok": False, "reason": "extract_failed", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    if res is None:
        return {"ok": False, "reason": "too_little_text", "detail": "no main text found"}
    if len(res.text) < min_text_chars:
        return {"ok": False, "reason": "too_little_text",
                "detail": f"{len(res.text)} < {min_text_chars} characters", "data": res.pack()}
    return {"ok": True, "reason": "", "detail": res.facts_error, "data": res.pack()}


def process_page(html: str, url: str, site: str, min_text_chars: int = 200, fast: bool = True) -> dict:
    """Worker entry point for one fetched page; never raises.

    ``{"links": packed content links, "skipped": {reason: n}, "links_error": str,
    "canonical": absolute URL or None, "canonical_error": str, "extract": extract_page's dict}``;
    the page's HTML stays in the crawl process, which has it. The links are read before the
    extraction prunes the tree, and whatever the extraction's outcome (a listing page with too
    little text still leads on).
    """
    from trafilatura.utils import load_html

    from crawlers.facts import parse_document
    from crawlers.links import no_links, read_links

    try:
        tree = load_html(html)
    except Exception as exc:  # the extraction below reports it as extract_failed
        log.debug("unparseable page %s: %s", url, exc)
        tree = None
    links_tree = tree if tree is not None else parse_document(html)  # trafilatura refused it
    out: dict[str, Any] = read_links(_profile(site), links_tree, html, url) if links_tree is not None else no_links()
    out["extract"] = extract_page(html, url, site, min_text_chars, fast, tree=tree)
    return out


_WARM_UP_PAGE = (
    "<html><head><title>Warm up</title></head><body><h1>Warm up</h1><p>This page is extracted once "
    "when a worker starts, so that imports, compiled expressions and the language model are loaded "
    "before the first real page arrives.</p><ul><li>one</li><li>two</li></ul></body></html>"
)


def warm_up() -> None:
    """Pool initializer: load everything once, so the first real page is not slower."""
    _plain_html_elements()
    process_page(_WARM_UP_PAGE, "http://warm.up/", "generic")
