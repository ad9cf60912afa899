"""Structured facts from a page's HTML: the dispatcher to each site's reader.

``extract_structure(html, url, site)`` never raises: a page it cannot parse gives an empty
``Structure`` whose ``error`` says why (the crawler counts it). Everything is lxml, no network.

Each site's reading lives next to its profile, one module per site, each defining
``read(doc, ctx) -> Structure``:

- ``crawlers/profiles/wikipedia_facts.py``: MediaWiki infoboxes (with chronology and the ``Type``
  row), lists and tables under headings, navigation boxes;
- ``crawlers/profiles/arxiv_facts.py``: abstract pages' metadata, listings' papers;
- ``crawlers/profiles/github_facts.py``: repository pages, releases, contributors, issues;
- ``crawlers/profiles/generic_facts.py``: lists and tables under headings, key/value pairs.

What they share is ``crawlers.facts_common`` (parse, visible text, link resolution, value
splitting) and ``crawlers.facts_sections`` (lists and tables under their heading path). Adding a
site is adding ``crawlers/profiles/<site>.py`` (its ``PROFILE``) and ``<site>_facts.py``. All links
are absolute, fragment removed, optionally canonicalised. A generic page that looks like MediaWiki is
read as wikipedia.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

import lxml.html

from crawlers.facts_common import (
    Canonicalize,
    Structure,
    _Ctx,
    first_sentence,
    parse_document,
    split_values,
)

__all__ = ["SITES", "Canonicalize", "Structure", "extract_structure", "first_sentence", "parse_document",
           "split_values"]

SITES = ("wikipedia", "arxiv", "github", "generic")

Reader = Callable[[lxml.html.HtmlElement, _Ctx], Structure]


@cache
def reader(site: str) -> Reader:
    """``crawlers.profiles.<site>_facts.read`` (the generic reader for a site without one)."""
    try:
        module = importlib.import_module(f"crawlers.profiles.{site}_facts")
    except ModuleNotFoundError:
        module = importlib.import_module("crawlers.profiles.generic_facts")
    return module.read


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
        if site not in SITES:
            site = "generic"
        if site == "generic":
            from crawlers.profiles.wikipedia_facts import looks_like_mediawiki

            if looks_like_mediawiki(doc):
                site = "wikipedia"
        return reader(site)(doc, ctx)
    except Exception as exc:  # a bad page must never kill the crawl: report it instead
        return Structure(error=f"{type(exc).__name__}: {exc}"[:300])
