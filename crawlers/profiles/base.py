"""What a site profile decides: where a page's content links are, and which of them to follow.

A profile is one small module in ``crawlers/profiles/`` that defines ``PROFILE`` (an instance of a
``Profile`` subclass); the registry finds it by itself. A profile

* ``matches(url)``: claims a URL by host (``en.wikipedia.org``) or by a first path segment
  (``/wiki/...`` on a local mirror);
* ``sniff(html)``: recognises a root page on an unknown host (a Kiwix dump, a saved arXiv mirror);
* ``extract_links(root, base_url)``: the links of a parsed page that are content links, in document
  order, as ``(absolute URL, anchor text)``;
* ``follow(url, page_url)``: ``None`` to follow a content link, or the reason not to
  (``wiki_namespace``, ``not_article``, ``non_content``...), counted as ``crawl/links_skipped/<reason>``.

Domain limits, robots.txt and address safety are decided elsewhere, for every profile alike.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "ftp:", "file:", "about:", "#")
MEDIA_EXTENSIONS = frozenset(
    [".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".tif", ".tiff", ".avif", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".m4a", ".ogg", ".oga", ".ogv", ".webm", ".wav", ".flac", ".avi", ".mov", ".mkv", ".wmv", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".rar", ".7z", ".exe", ".msi", ".dmg", ".iso", ".apk", ".deb", ".rpm", ".bin"]
)


@lru_cache(maxsize=4_096)
def join_url(base: str, href: str) -> str:
    return urljoin(base, href)


@lru_cache(maxsize=8_192)
def host_port(url: str) -> tuple[str, int | None]:
    """(host name, port) of a URL (``urlsplit``'s; a bad port raises ValueError, never cached)."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port


def anchor_text(a: etree._Element) -> str:
    return " ".join("".join(a.itertext()).split())


def path_extension(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return ("." + last.rsplit(".", 1)[-1].lower()) if "." in last else ""


_XML_WS = re.compile(r"[ \t\r\n]+")
_RULE = re.compile(
    r"//(?P<tag>\*|[a-z][a-z0-9]*)(?:\[(?:@id='(?P<id>[^']+)'|@class='(?P<eq>[^']*)'"
    r"|contains\(concat\(' ', normalize-space\(@class\), ' '\), ' (?P<token>[^' \t\r\n]+) '\))\])?"
)


class PruneRules:
    """``prune_xpaths`` matched in one walk over the tree instead of one XPath walk each.

    libxml2 evaluates ``//*[@id='x']`` at ~150 ns per element and expression: 18 expressions over a
    Wikipedia page cost 1.7 ms, more than a tenth of the page's extraction. The simple forms
    (``//tag``, ``//tag[@id='x']``, ``//tag[@class='x']``, ``//tag[contains(concat(' ',
    normalize-space(@class), ' '), ' x ')]``, with ``*`` for any tag) are checked in Python in one
    pass; any other expression is evaluated as XPath. The elements removed are the union of the
    matches, removed with trafilatura's ``delete_element`` (tail text kept): the same tree as
    ``trafilatura``'s own ``prune_xpath`` (checked in ``tests/crawlers/test_prune_rules.py``).
    """

    def __init__(self, xpaths: tuple[str, ...] | list[str], *, relative: bool = False) -> None:
        """``relative``: the expressions are ``.//...`` and match the descendants of the element
        given to ``matches`` (not the element itself), else ``//...`` over the whole document."""
        self.relative = relative
        self.tags: set[str] = set()
        self.ids: dict[str, set[str]] = {}
        self.eq: dict[str, set[str]] = {}
        self.tokens: dict[str, set[str]] = {}
        self.other: list[etree.XPath] = []
        for xp in xpaths:
            xp = xp.strip()
            simple = xp[1:] if relative and xp.startswith(".//") else None if relative else xp
            m = _RULE.fullmatch(simple) if simple is not None else None
            if m is None:
                self.other.append(etree.XPath(xp))
                continue
            tag = m["tag"]
            if m["id"] is not None:
                self.ids.setdefault(m["id"], set()).add(tag)
            elif m["eq"] is not None:
                self.eq.setdefault(m["eq"], set()).add(tag)
            elif m["token"] is not None:
                self.tokens.setdefault(m["token"], set()).add(tag)
            elif tag != "*":
                self.tags.add(tag)
            else:
                self.other.append(etree.XPath(xp))
        self.empty = not (self.tags or self.ids or self.eq or self.tokens or self.other)

    @classmethod
    def union(cls, expr: str, *, relative: bool = False) -> PruneRules:
        """Rules for one XPath union ``a | b | c``: split when every part is a simple form, else
        the whole expression evaluated as XPath."""
        parts = [p.strip() for p in expr.split(" | ")]
        prefix = ".//" if relative else "//"
        if all(p.startswith(prefix) and _RULE.fullmatch(p[len(prefix) - 2:]) for p in parts):
            return cls(parts, relative=relative)
        return cls([expr], relative=relative)

    @staticmethod
    def _hit(tags: set[str] | None, tag: str) -> bool:
        return tags is not None and ("*" in tags or tag in tags)

    def matches(self, tree: etree._Element) -> list[etree._Element]:
        """The matching elements, in document order."""
        found: list[etree._Element] = []
        if self.tags or self.ids or self.eq or self.tokens:
            ids, eq, tokens, tags = self.ids, self.eq, self.tokens, self.tags
            walk = tree.iterdescendants() if self.relative else tree.getroottree().getroot().iter()
            for el in walk:
                tag = el.tag
                if not isinstance(tag, str):
                    continue
                if tag in tags:
                    found.append(el)
                    continue
                if ids:
                    i = el.get("id")
                    if i is not None and self._hit(ids.get(i), tag):
                        found.append(el)
                        continue
                cls = el.get("class")
                if cls is None:
                    continue
                if eq and self._hit(eq.get(cls), tag):
                    found.append(el)
                    continue
                if tokens and any(self._hit(tokens.get(t), tag) for t in _XML_WS.split(cls) if t):
                    found.append(el)
        if self.other:
            seen = set(found)
            for xp in self.other:
                found.extend(el for el in xp(tree) if el not in seen)
        return found

    def apply(self, tree: etree._Element) -> None:
        if self.empty:
            return
        from trafilatura.xml import delete_element

        for el in self.matches(tree):
            delete_element(el)


class Profile:
    """The generic profile: every link of the body, content pages only."""

    name: str = "generic"
    priority: int = 1000  # lower is asked first; generic is the fallback
    #: XPaths of the content area, first match wins (None: the whole document)
    content_xpaths: tuple[str, ...] = ()
    #: XPath (relative to the content area) of containers whose links are not content links
    exclude_xpath: str | None = None
    #: XPaths of links outside the content area that are content links too (language versions)
    extra_link_xpaths: tuple[str, ...] = ()
    #: XPaths of page chrome removed before text extraction (menus, footers...)
    prune_xpaths: tuple[str, ...] = ()
    #: path segments that mark a non-content page (login, search...)
    deny_segments: frozenset[str] = frozenset(
        ["login", "logout", "signin", "sign_in", "signup", "sign-up", "sign_up", "register", "cart", "checkout", "account", "search", "share", "print", "feed", "rss", "atom", "wp-admin", "wp-login.php", "wp-json", "xmlrpc.php"]
    )

    def __init__(self) -> None:
        self._content = [etree.XPath(x) for x in self.content_xpaths]
        self._extra = [etree.XPath(x) for x in self.extra_link_xpaths]
        self._exclude = PruneRules.union(self.exclude_xpath, relative=True) if self.exclude_xpath else None
        self._prune = PruneRules(self.prune_xpaths)

    def prune(self, tree: etree._Element) -> None:
        """Remove ``prune_xpaths`` from ``tree`` in place (tails kept), as trafilatura's
        ``prune_xpath`` would, in one pass over the tree (see ``PruneRules``)."""
        self._prune.apply(tree)

    def __repr__(self) -> str:
        return f"<profile {self.name}>"

    # -- choosing the profile -----------------------------------------------------------------
    def matches(self, url: str) -> bool:
        return False

    def sniff(self, html: str) -> bool:
        return False

    # -- page identity ------------------------------------------------------------------------
    def fold_query(self, path: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
        """The query parameters of a URL with this ``path`` that change the page, when the profile
        knows some do not (arXiv's ``?context=cs`` on an abstract page), else None (no opinion).
        ``crawlers.urls.canonicalize`` asks every profile; the first answer wins."""
        return None

    # -- metadata -------------------------------------------------------------------------------
    def page_date(self, tree: etree._Element, url: str) -> str | None:
        """The page's date (``YYYY-MM-DD``) or None: htmldate's reading of the page's metadata and
        markup, without its extensive search of the text. ``tree`` is read, never changed."""
        from htmldate import find_date

        return find_date(tree, extensive_search=False, original_date=True, url=url)

    # -- links ----------------------------------------------------------------------------------
    def content_root(self, root: etree._Element) -> etree._Element:
        for xp in self._content:
            found = xp(root)
            if found:
                return found[0]
        return root

    def skip_anchor(self, a: etree._Element) -> bool:
        """Links to drop by their own attributes (e.g. ``class="external"``)."""
        return False

    def extract_links(self, root: etree._Element, base_url: str) -> list[tuple[str, str]]:
        scope = self.content_root(root)
        excluded: set[etree._Element] = set()
        if self._exclude is not None:
            for box in self._exclude.matches(scope):
                excluded.update(box.iter("a"))
        out: list[tuple[str, str]] = []
        anchors = list(scope.iter("a"))
        if scope is not root:
            for xp in self._extra:
                anchors.extend(a for a in xp(root) if a.tag == "a")
        for a in anchors:
            href = a.get("href")
            if not href or a in excluded:
                continue
            href = href.strip()
            if not href or href.lower().startswith(_SKIP_SCHEMES) or self.skip_anchor(a):
                continue
            try:
                url = join_url(base_url, href)
            except ValueError:
                continue
            out.append((url, anchor_text(a)))
        return out

    def follow(self, url: str, page_url: str) -> str | None:
        """None to follow this content link of ``page_url``, or the reason not to."""
        parts = urlsplit(url)
        path = parts.path
        if path_extension(path) in MEDIA_EXTENSIONS:
            return "media"
        segments = {s.lower() for s in path.split("/") if s}
        if segments & self.deny_segments:
            return "non_content"
        if "replytocom=" in parts.query or "action=" in parts.query:
            return "non_content"
        return None

    @staticmethod
    def same_host(url: str, page_url: str) -> bool:
        return host_port(url) == host_port(page_url)

    @staticmethod
    def first_segment(url: str) -> str:
        path = urlsplit(url).path
        return path.lstrip("/").split("/", 1)[0].lower()
