"""What a crawl may follow beyond the address/domain policy: URL allow/deny patterns, sitemap seeds.

``with_patterns`` wraps the crawl policy (``crawlers.safety.make_policy``): a link matching a ``deny``
pattern is refused as ``url_denied``; with ``allow`` patterns, a link matching none is refused as
``url_not_allowed``. The roots themselves are never refused by a pattern (the user named them).
Refused links are counted (``crawl/links_skipped/<reason>``), like off-site links.

``sitemap_urls`` reads a sitemap (``<urlset>`` or ``<sitemapindex>``) with Scrapy's own parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from crawlers.urls import canonicalize

Policy = Callable[[int, str], str | None]

URL_DENIED = "url_denied"
URL_NOT_ALLOWED = "url_not_allowed"


def with_patterns(policy: Policy, roots: list[str], allow: list[str], deny: list[str]) -> Policy:
    if not allow and not deny:
        return policy
    allow_re = [re.compile(p) for p in allow]
    deny_re = [re.compile(p) for p in deny]
    root_keys = {canonicalize(r) for r in roots} | set(roots)

    def patterned(root: int, url: str) -> str | None:
        reason = policy(root, url)
        if reason or url in root_keys:
            return reason
        if any(p.search(url) for p in deny_re):
            return URL_DENIED
        if allow_re and not any(p.search(url) for p in allow_re):
            return URL_NOT_ALLOWED
        return None

    return patterned


def sitemap_url(root: str) -> str:
    """``/sitemap.xml`` at the root's origin."""
    parts = urlsplit(root)
    return f"{parts.scheme}://{parts.netloc}/sitemap.xml"


def sitemap_urls(body: bytes) -> tuple[str, list[str]]:
    """(``urlset`` | ``sitemapindex`` | ``invalid``, the ``<loc>`` URLs in document order)."""
    from scrapy.utils.sitemap import Sitemap

    try:
        sm = Sitemap(body)
    except Exception:  # not XML at all (an HTML 'not found' page served with 200)
        return "invalid", []
    locs = [str(e["loc"]).strip() for e in sm if e.get("loc")]
    return sm.type or "invalid", locs
