"""A fetched page's content links and its declared canonical URL, read from its parsed HTML.

This runs in the extraction workers (``crawlers.extract.process_page``), on the tree the extraction
parses anyway: the crawl process (Scrapy's reactor, one thread for every page of the crawl) never
parses HTML. What the crawl process still decides (the crawl policy, the frontier) it decides on
the plain strings returned here.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from lxml import etree
from w3lib.html import get_base_url

from crawlers.frontier import Link, pack_links
from crawlers.profiles import Profile
from crawlers.urls import canonicalize, fetch_url, is_http

log = logging.getLogger(__name__)

_HEAD_LINKS = etree.XPath("/html/head/link[@href]")


def base_url(html: str, url: str) -> str:
    """The URL relative links of the page resolve against (``<base href>``), as Scrapy's
    ``get_base_url(response)`` reads it."""
    return get_base_url(html[:4096], url)


def content_links(profile: Profile, tree: Any, html: str, page_url: str) -> tuple[list[Link], Counter[str]]:
    """The page's content links in document order, one per canonical key, as (key, URL to fetch,
    anchor text); and the links skipped by the profile, counted by reason (once per URL as written,
    less its fragment)."""
    skipped: Counter[str] = Counter()
    raw = profile.extract_links(tree, base_url(html, page_url))
    page_key = canonicalize(page_url)
    out: list[Link] = []
    seen: set[str] = {page_key}
    seen_skipped: set[str] = set()
    for url, text in raw:
        if not is_http(url):
            continue
        # The profile decides on the URL as written; a link it skips is counted once per URL (less
        # its fragment) without canonicalizing it: a third of a page's links (share buttons, other
        # sites, special pages), and w3lib's canonicalization of a URL with a query costs ~50 µs.
        why = profile.follow(url, page_url)
        if why:
            written = url.split("#", 1)[0]
            if written not in seen_skipped:
                seen_skipped.add(written)
                skipped[why] += 1
            continue
        k = canonicalize(url)
        if k in seen:
            continue
        seen.add(k)
        out.append((k, fetch_url(url), text[:300]))
    return out, skipped


def declared_canonical(tree: Any, html: str, page_url: str) -> tuple[str | None, str]:
    """The absolute URL of the page's first ``<link rel="canonical">`` (None when there is none)
    and, when it cannot be read, why (``unreadable``, ``bad_url``). Whether that URL may stand for
    the page is the crawl policy's decision (``CrawlqaSpider.canonical_key``)."""
    from urllib.parse import urljoin

    try:
        hrefs = [el.get("href") for el in _HEAD_LINKS(tree)
                 if "canonical" in (el.get("rel") or "").lower().split()]
    except Exception as exc:  # an unreadable head: the page is kept under its own URL
        log.debug("canonical of %s unreadable: %s", page_url, exc)
        return None, "unreadable"
    if not hrefs or not (hrefs[0] or "").strip():
        return None, ""
    try:
        return urljoin(base_url(html, page_url), hrefs[0].strip()), ""
    except ValueError:
        return None, "bad_url"


def no_links() -> dict[str, Any]:
    """The link half of a page result when nothing could be read (``read_links``'s keys)."""
    return {"links": pack_links([]), "skipped": {}, "links_error": "", "canonical": None, "canonical_error": ""}


def read_links(profile: Profile, tree: Any, html: str, page_url: str) -> dict[str, Any]:
    """What the crawl needs of a parsed page: ``links`` (packed content links), ``skipped``
    ({reason: n}), ``links_error`` (why the links could not be read, else ""), ``canonical`` and
    ``canonical_error`` (``declared_canonical``). Never raises: a page whose links cannot be read is
    still a page. The same in a worker (``crawlers.extract.process_page``) and in the crawl process
    (``crawlers.spider.local_links``)."""
    got = no_links()
    try:
        links, skipped = content_links(profile, tree, html, page_url)
        got["links"], got["skipped"] = pack_links(links), dict(skipped)
    except Exception as exc:  # counted by the spider as crawl/links_unreadable
        got["links_error"] = f"{type(exc).__name__}: {exc}"[:300]
    got["canonical"], got["canonical_error"] = declared_canonical(tree, html, page_url)
    return got
