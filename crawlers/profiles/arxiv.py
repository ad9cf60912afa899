"""arXiv (and mirrors of its browse pages): listing → abstract pages → author/subject listings.

Followed on the same host: ``/abs/<id>`` (latest version only: ``/abs/<id>v2`` is the same paper),
``/list/...``, ``/archive/...``, ``/year/...``, author listings ``/a/<id>`` and author searches
(``/search/?searchtype=author``). Not followed: PDFs, other formats, help and account pages.
The abstract page's metadata (title, authors, subjects, dates) and a listing's papers are read by
``crawlers/profiles/arxiv_facts.py``; ``fold_query`` says which query variants are the same page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from crawlers.profiles.base import Profile
from crawlers.urls import registered_domain

_SECTIONS = frozenset({"abs", "list", "archive", "year", "a"})
_VERSIONED = re.compile(r"/abs/(?:[a-z-]+(?:\.[A-Z]{2})?/)?\d{4,7}(?:\.\d{4,5})?v\d+(?:\.html)?/?$")


# an abstract page or a listing, on arxiv.org or a mirror (under /arxiv/)
_ABS_PATH = re.compile(r"^(?:/arxiv)?/abs/(?:[a-z-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?/?$")
_LIST_PATH = re.compile(r"^(?:/arxiv)?/list/[a-z-]+(?:\.[A-Za-z-]+)?/(?:new|recent|pastweek|\d{2,4}(?:-\d{2})?)/?$")


class ArxivProfile(Profile):
    name = "arxiv"
    priority = 20
    content_xpaths = ("//*[@id='content']", "//main")
    prune_xpaths = (  # site chrome and the "labs" tabs: a third of an abstract page, no content
        "//header", "//footer", "//*[@id='labstabs']", "//*[@class='extra-services']",
        "//*[@id='arxiv-search-overlay']", "//*[@class='endorsers']", "//*[@class='prevnext']",
    )

    def matches(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return registered_domain(host) == "arxiv.org" or self.first_segment(url) == "arxiv"

    def sniff(self, html: str) -> bool:
        head = html[:20000]
        return ('name="citation_arxiv_id"' in head or "<title>arXiv" in head
                or 'content="arXiv.org"' in head
                or "css/arxiv-header-footer.css" in head)  # listings: "<title>Mathematics"

    def fold_query(self, path: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
        """``/abs/<id>?context=cs`` is the abstract page (the context only changes the browse links);
        ``/list/<archive>/<period>?skip=0&show=N`` is the listing's first page, the listing itself
        (a later page, ``skip=25``, is another page)."""
        keys = {k for k, _ in pairs}
        if _ABS_PATH.search(path) and keys <= {"context"}:
            return []
        if _LIST_PATH.search(path) and keys <= {"skip", "show"}:
            skip = dict(pairs).get("skip", "0")
            return [] if skip in ("", "0") else sorted(pairs)
        return None

    def follow(self, url: str, page_url: str) -> str | None:
        if not self.same_host(url, page_url):
            return "offsite_section"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0] == "arxiv":  # a local mirror under /arxiv/
            segments = segments[1:]
        if not segments:
            return None  # the front page
        section = segments[0]
        if section == "search":
            qs = parse_qs(parts.query)
            return None if qs.get("searchtype") == ["author"] else "non_content"
        if section not in _SECTIONS:
            return "non_content"  # pdf, format, help, login, ...
        if section == "abs" and _VERSIONED.search(parts.path):
            return "arxiv_version"
        return None


PROFILE = ArxivProfile()
