"""MediaWiki sites (Wikipedia, Kiwix dumps, local mirrors): article links only.

Content links are the links of ``#mw-content-text`` less citations, edit links, external links and
reference lists. Followed: links on the same host under the page's article path (``/wiki/``,
Kiwix's ``/A/``, a static dump's ``/articles/``, else the page's own folder) whose title has no namespace (``Special:``, ``Talk:``,
``File:``, ``Help:``, ``Category:``, ``Norvapedia:``...) and no query (edit/history links).
Redirects, including Kiwix ``<meta http-equiv="refresh">`` stubs, are collapsed by the crawler.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from lxml import etree

from crawlers.profiles.base import Profile, path_extension
from crawlers.urls import registered_domain

WIKI_DOMAINS = frozenset({
    "wikipedia.org", "wikimedia.org", "wiktionary.org", "wikivoyage.org", "wikibooks.org",
    "wikiquote.org", "wikisource.org", "wikinews.org", "wikiversity.org", "mediawiki.org",
    "wikidata.org",
})
ARTICLE_ROOTS = frozenset({"wiki", "A", "articles"})
# "Talk:X", "User_talk:X", "Norvapedia:About"; not "Mission:_Impossible" (a colon then a space)
NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[_ ][Tt]alk)?:(?![_ ])")
_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_EXCLUDED = ["reference", "references", "reflist", "mw-editsection", "mw-cite-backlink",
             "catlinks", "printfooter", "mw-jump-link", "toc", "interlanguage-link", "noprint",
             "metadata"]


# the footer line MediaWiki writes: Vector/Minerva, MonoBook, the 2008 static HTML dumps
_LAST_MODIFIED = etree.XPath("//li[@id='footer-info-lastmod' or @id='lastmod' or @id='f-credits']")


class WikipediaProfile(Profile):
    name = "wikipedia"
    priority = 10
    content_xpaths = ("//*[@id='mw-content-text']", "//*[@id='bodyContent']", "//*[@id='content']")
    exclude_xpath = " | ".join(f".//*[{_CLASS.format(c)}]" for c in _EXCLUDED) + " | .//*[@id='toc']"
    extra_link_xpaths = ("//*[@id='p-lang']//a[@href]",)  # other language versions (same host only)
    prune_xpaths = (
        "//*[@id='mw-navigation']", "//*[@id='mw-head']", "//*[@id='mw-panel']",
        "//*[@id='catlinks']", "//*[@id='siteSub']", "//*[@id='contentSub']", "//*[@id='toc']",
        "//*[@id='jump-to-nav']", "//*[@id='footer']", "//footer",
        f"//*[{_CLASS.format('mw-editsection')}]", f"//*[{_CLASS.format('mw-jump-link')}]",
        # reference lists and navigation boxes: citations and link lists, not prose (the facts
        # extractor reads navboxes from the raw HTML)
        f"//*[{_CLASS.format('reflist')}]", f"//ol[{_CLASS.format('references')}]",
        f"//*[{_CLASS.format('navbox')}]", f"//*[{_CLASS.format('catlinks')}]",
        "//*[@id='p-lang']", "//*[@id='column-one']",
    )

    def matches(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return registered_domain(host) in WIKI_DOMAINS or self.first_segment(url) == "wiki"

    def sniff(self, html: str) -> bool:
        head = html[:20000]
        return ('content="MediaWiki' in head or 'id="mw-content-text"' in html
                or re.search(r'<body[^>]*class="[^"]*\bmediawiki\b', head) is not None
                or "poweredby_mediawiki" in html  # old static dumps (monobook skin)
                or ('id="bodyContent"' in html and 'class="firstHeading"' in html))

    def page_date(self, tree: etree._Element, url: str) -> str | None:
        """The date of the page's last revision, read from MediaWiki's footer line ("This page was
        last edited on 21 November 2026, at 10:12", "last modified 15:05, 7 June 2008", in any
        language: htmldate reads that line alone), else None. Never a date from the article: a
        Kiwix page has no footer, and htmldate's search of its markup returns dates the article
        mentions (a singer's death date as the date of his biography)."""
        from htmldate import find_date

        for line in _LAST_MODIFIED(tree):
            snippet = etree.tostring(line, encoding="unicode", method="html", with_tail=False)
            found = find_date(f"<html><body>{snippet}</body></html>", extensive_search=True, original_date=False)
            if found:
                return found
        return None

    def skip_anchor(self, a) -> bool:
        cls = a.get("class") or ""
        return "external" in cls.split() or "new" in cls.split() or a.get("rel") == "nofollow"

    @staticmethod
    @lru_cache(maxsize=1_024)
    def article_prefix(page_url: str) -> str:
        """``/wiki/`` (MediaWiki), ``.../A/`` (Kiwix), ``.../articles/`` (static dumps), else the
        page's own folder."""
        segments = urlsplit(page_url).path.split("/")
        for i, seg in enumerate(segments[:-1]):
            if seg in ARTICLE_ROOTS:
                return "/".join(segments[: i + 1]) + "/"
        return "/".join(segments[:-1]) + "/"

    def follow(self, url: str, page_url: str) -> str | None:
        if not self.same_host(url, page_url):
            return "not_article"
        parts = urlsplit(url)
        if parts.query:
            return "not_article"  # edit, history, oldid, diff, search, printable...
        prefix = self.article_prefix(page_url)
        if not parts.path.startswith(prefix):
            return "not_article"
        title = unquote(parts.path[len(prefix):])
        if not title:
            return "not_article"
        if NAMESPACE.match(title):
            return "wiki_namespace"
        if path_extension(parts.path) in {".png", ".jpg", ".jpeg", ".gif", ".svg", ".css", ".js"}:
            return "media"
        return None


PROFILE = WikipediaProfile()
