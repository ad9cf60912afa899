"""Page records from saved HTML files, without crawling (tests, benchmarks, quick offline trials).

The crawler is the real way to get pages (it fetches, follows redirects, respects robots.txt).
This builds the same :class:`schemas.records.Page` fields the E2H search index reads — subject,
first sentence, main text, infobox facts, out-links — from files on disk, with the same extractors
(``crawlers.facts.extract_structure`` and trafilatura). A Kiwix-style meta-refresh stub becomes a
page whose ``final_url`` is its target (an alias of it in the index).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urldefrag, urljoin

from schemas.ids import page_id
from schemas.records import Link, Page

_REFRESH_RE = re.compile(
    r"<meta[^>]+http-equiv=[\"']?refresh[\"']?[^>]*content=[\"']?\s*\d+\s*;\s*url=([^\"'>]+)", re.I)
# the closing quote is the opening one: "I_Don't_Need_No_Doctor.html" keeps its apostrophe
_HREF_RE = re.compile(r"<a\s[^>]*href=([\"'])([^\"'#](?:(?!\1).)*)\1[^>]*>(.*?)</a>", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def file_url(root: Path, path: Path, base_url: str) -> str:
    rel = path.relative_to(root).as_posix()
    return base_url.rstrip("/") + "/" + quote(rel, safe="/!$&'()*+,;=:@-._~")


def page_from_html(html: str, url: str, *, site: str = "wikipedia", root_url: str = "",
                   depth: int = 1) -> Page:
    """A Page record from one HTML document (main text by trafilatura, facts by crawlers.facts), the HTML kept as
    a crawled page keeps it (the index reads its navigation boxes)."""
    import trafilatura

    from crawlers.facts import extract_structure

    m = _REFRESH_RE.search(html[:4000])
    if m:
        target = urldefrag(urljoin(url, m.group(1).strip()))[0]
        return Page(id=page_id(url), url=url, final_url=target, root_url=root_url or url, depth=depth,
                    status=200, content_type="text/html", fetched_at=_FIXED_TIME, site=site)
    st = extract_structure(html, url, site)
    text = trafilatura.extract(html, output_format="markdown", include_tables=True, include_comments=False,
                               include_links=False, deduplicate=False) or ""
    title_m = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    title = " ".join(_TAG_RE.sub("", title_m.group(1)).split()) if title_m else ""
    links = []
    for _, href, inner in _HREF_RE.findall(html):
        target = urldefrag(urljoin(url, href.strip()))[0]
        if target.startswith(("http://", "https://")):
            links.append(Link(url=target, text=" ".join(_TAG_RE.sub("", inner).split())[:200]))
    return Page(
        id=page_id(url), url=url, final_url=url, root_url=root_url or url, depth=depth, status=200,
        content_type="text/html", fetched_at=_FIXED_TIME, title=title, subject=st.subject or title,
        description=(st.description or "").strip(), text=text, html=html, site=site,
        out_links=links[:500], facts=st.facts, enumerations=st.enumerations,
    )


def pages_from_files(root: Path | str, files: Iterable[Path], base_url: str, *,
                     site: str = "wikipedia") -> Iterator[Page]:
    """Pages of saved HTML files under ``root``, as if served at ``base_url``."""
    root = Path(root)
    for path in files:
        html = path.read_text(encoding="utf-8", errors="replace")
        yield page_from_html(html, file_url(root, path, base_url), site=site)
