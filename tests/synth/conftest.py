"""Pages for synthesis tests, built from HTML files without a server or the crawler.

``FileSite`` maps ``http://127.0.0.1:8000/<path>`` to files under a folder, follows the fixture's
server redirects (``_redirects.txt``) and meta-refresh stubs, and honours ``robots.txt``
disallows; ``walk`` does the BFS a crawler would do and returns ``Page`` records with structure
from ``crawlers.facts``.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import lxml.html
import pytest

from crawlers.facts import extract_structure
from schemas.ids import page_id
from schemas.records import Enumeration, Fact, Link, Page

FIXTURE_SITE = Path(__file__).resolve().parents[2] / "crawlqa" / "fixtures" / "site"
HTML_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "html"
BASE = "http://127.0.0.1:8000"
_META_REFRESH = re.compile(r'<meta[^>]+http-equiv=["\']?refresh[^>]*content=["\']([^"\']+)', re.I)


class FileSite:
    def __init__(self, root: Path, base: str = BASE) -> None:
        self.root = root
        self.base = base.rstrip("/")
        self.redirects: dict[str, str] = {}
        red = root / "_redirects.txt"
        if red.is_file():
            for line in red.read_text().splitlines():
                parts = line.split()
                if len(parts) == 3 and not line.startswith("#"):
                    self.redirects[parts[0]] = parts[2]
        self.disallow: list[str] = []
        robots = root / "robots.txt"
        if robots.is_file():
            self.disallow = [ln.split(":", 1)[1].strip() for ln in robots.read_text().splitlines()
                             if ln.lower().startswith("disallow:") and ln.split(":", 1)[1].strip()]
        self._cache: dict[str, str] = {}

    def file(self, url: str) -> Path | None:
        if not url.startswith(self.base + "/"):
            return None
        path = unquote(urlsplit(url).path)
        if any(path.startswith(d) for d in self.disallow):
            return None
        p = self.root / path.lstrip("/")
        if p.is_dir():
            p = p / "index.html"
        return p if p.is_file() and p.suffix in (".html", ".htm") else None

    def html(self, url: str) -> str:
        if url not in self._cache:
            p = self.file(url)
            self._cache[url] = p.read_text(encoding="utf-8", errors="replace") if p else ""
        return self._cache[url]

    def final(self, url: str) -> str:
        cur = urldefrag(url)[0]
        for _ in range(6):
            path = urlsplit(cur).path
            if path in self.redirects:
                cur = self.base + self.redirects[path]
                continue
            m = _META_REFRESH.search(self.html(cur)[:4000])
            if not m:
                return cur
            t = re.search(r"url\s*=\s*['\"]?([^'\";>]+)", m.group(1), re.I)
            if not t:
                return cur
            cur = urldefrag(urljoin(cur, t.group(1).strip()))[0]
        return ""  # redirect loop

    def canonical(self, url: str) -> str:
        u = self.final(url)
        if u.endswith("/index.html"):
            u = u[: -len("index.html")]
        return u or url


def site_of(url: str) -> str:
    path = urlsplit(url).path
    for prefix, site in (("/wiki/", "wikipedia"), ("/arxiv/", "arxiv"), ("/github/", "github")):
        if path.startswith(prefix):
            return site
    return "generic"


def walk(fs: FileSite, roots: list[str], max_depth: int = 4, site: str | None = None) -> list[Page]:
    """BFS from each root (each URL once per run, first root wins), as a crawler would."""
    forced_site = site
    now = datetime(2026, 1, 1, tzinfo=UTC)
    pages: list[Page] = []
    seen: set[str] = set()
    for root in roots:
        root = fs.canonical(root)
        queue = deque([(root, 0, None, None)])
        seen.add(root)
        while queue:
            url, depth, parent, anchor = queue.popleft()
            html = fs.html(url if not url.endswith("/") else url + "index.html")
            if not html:
                continue
            site = forced_site or site_of(url)
            s = extract_structure(html, url, site, canonicalize=fs.canonical)
            doc = lxml.html.document_fromstring(html)
            links: list[Link] = []
            for a in doc.iter("a"):
                href = a.get("href")
                if not href or href.startswith("#"):
                    continue
                u = fs.canonical(urldefrag(urljoin(url, href))[0])
                probe = u + "index.html" if u.endswith("/") else u
                if u == url or not fs.file(probe) or any(lk.url == u for lk in links):
                    continue
                links.append(Link(url=u, text=" ".join(a.text_content().split())))
            lang = (doc.get("lang") or "en").split("-")[0]
            pages.append(Page(
                id=page_id(url), url=url, final_url=url, root_url=root, depth=depth, parent_url=parent,
                anchor_text=anchor, status=200, content_type="text/html", fetched_at=now,
                title=(doc.findtext(".//title") or "").strip(), subject=s.subject, description=s.description,
                language=lang, site=site, out_links=links, facts=s.facts, enumerations=s.enumerations,
            ))
            if depth < max_depth:
                for lk in links:
                    if lk.url not in seen:
                        seen.add(lk.url)
                        queue.append((lk.url, depth + 1, url, lk.text))
    return pages


def make_page(url: str, subject: str, *, facts: list[Fact] = (), enumerations: list[Enumeration] = (),
              links: list[str] = (), root: str | None = None, parent: str | None = None, depth: int = 0,
              site: str = "wikipedia", language: str = "en") -> Page:
    """A hand-made page (links: out-link URLs; facts' and items' links are added to them)."""
    out = list(dict.fromkeys([*links, *(u for f in facts for u in f.links),
                              *(u for e in enumerations for u in e.item_links if u)]))
    return Page(
        id=page_id(url), url=url, final_url=url, root_url=root or url, depth=depth, parent_url=parent,
        anchor_text=None, status=200, content_type="text/html", fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        title=subject, subject=subject, language=language, site=site,
        out_links=[Link(url=u, text="") for u in out], facts=list(facts), enumerations=list(enumerations),
    )


def page_text(html: str) -> str:
    """Visible text of a page (hidden elements, scripts, styles and citation marks removed), for rechecks."""
    doc = lxml.html.document_fromstring(html)
    for el in doc.xpath("//*[contains(translate(@style,' ',''),'display:none')] | //script | //style"
                        " | //sup[starts-with(@id,'cite_ref') or contains(@class,'reference')]"):
        el.drop_tree()
    return " ".join(" ".join(doc.itertext()).split())


FIXTURE_ROOTS = [f"{BASE}/wiki/index.html", f"{BASE}/arxiv/index.html", f"{BASE}/github/acme/widgetflow/"]


@pytest.fixture(scope="session")
def fixture_site() -> FileSite:
    if not (FIXTURE_SITE / "wiki").is_dir():
        pytest.skip("fixture site not present")
    return FileSite(FIXTURE_SITE)


@pytest.fixture(scope="session")
def fixture_pages(fixture_site: FileSite) -> list[Page]:
    return walk(fixture_site, FIXTURE_ROOTS)


# --- the loopback LLM server and an LLM writer on it ------------------------------------------------
@pytest.fixture
def srv(llm_server):
    """The ``llm_server`` fixture (tests/llm_server.py: a started server per test) under the name used here."""
    return llm_server


@pytest.fixture
def writer(srv, tmp_path):
    from synth.llm.client import LLMClient
    from synth.writers.llm import LLMWriter
    from tests.llm_server import config_for

    with LLMClient(config_for(srv, tmp_path / "c.sqlite")) as client:
        yield LLMWriter(client)
