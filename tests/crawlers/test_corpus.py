"""Real saved pages from ../shared/corpus, served on 127.0.0.1 (skipped when the corpus is absent).

* Kiwix dump of Wikipedia's "Ray Charles" selection, depth 2: every reachable article exactly once,
  no redirect stub as a page, infobox facts. "Reachable" is recomputed here independently, from the
  files, with a plain BFS over the article links that resolves the meta-refresh stubs.
* arXiv browse pages: abstract pages with title, authors and subjects.
"""

from __future__ import annotations

import re
import tarfile
from collections import deque
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest

from crawlers.urls import canonicalize
from crawlqa.devserver import serve

from .conftest import run_crawl

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "wiki-raycharles-2015").is_dir(), reason="../shared/corpus is absent"),
]
REFRESH = re.compile(r'http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)


def kiwix_bfs(folder: Path, start: str, depth: int) -> set[str]:
    """Articles reachable from ``start`` within ``depth`` clicks (file names), stubs resolved."""

    def resolve(name: str) -> str | None:
        for _ in range(5):
            path = folder / name
            if not path.is_file():
                return None
            m = REFRESH.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
            if not m:
                return name
            name = unquote(m.group(1))
        return None

    def links(name: str) -> list[str]:
        tree = lxml.html.fromstring((folder / name).read_bytes())
        content = tree.xpath("//*[@id='mw-content-text']") or [tree]
        out = []
        for a in content[0].iter("a"):
            href = a.get("href") or ""
            cls = a.get("class") or ""
            if "external" in cls or href.startswith(("#", "http:", "https:", "/", "..")) or "/" in href:
                continue
            if any("reference" in (x.get("class") or "") for x in a.iterancestors()):
                continue
            out.append(unquote(href.split("#", 1)[0]))
        return out

    seen, queue = {start: 0}, deque([start])
    while queue:
        name = queue.popleft()
        if seen[name] == depth:
            continue
        for href in links(name):
            target = resolve(href)
            if target and target not in seen:
                seen[target] = seen[name] + 1
                queue.append(target)
    return set(seen)


def test_ray_charles_depth_2(tmp_path) -> None:
    folder = CORPUS / "wiki-raycharles-2015" / "A"
    expected = kiwix_bfs(folder, "Ray_Charles.html", 2)
    with serve(CORPUS) as site:
        root = site.url + "/wiki-raycharles-2015/A/Ray_Charles.html"
        got = run_crawl(site, [root], tmp_path, max_depth=2, max_pages_per_root=1000, concurrency=32)
    base = site.url + "/wiki-raycharles-2015/A/"
    urls = [p["url"] for p in got.pages] + [r["url"] for r in got.rejects if r["stage"] == "extract"]
    assert len(urls) == len(set(urls))
    assert set(urls) == {canonicalize(base + name) for name in expected}
    for p in got.pages:
        assert 'http-equiv="refresh"' not in p["html"][:3000], p["url"]
    with_infobox = [p for p in got.pages if any(f["source"] == "infobox" for f in p["facts"])]
    assert len(with_infobox) >= 0.8 * len(got.pages)
    ray = got.page(canonicalize(root))
    facts = {f["key"]: f["value"] for f in ray["facts"]}
    assert "Birth name" in facts and "Ray Charles Robinson" in facts["Birth name"]
    assert got.result.counters["crawl/redirects/meta_refresh"] > 0


def test_arxiv_abstract_pages(tmp_path) -> None:
    archive = CORPUS / "arxiv.tar.gz"
    if not archive.is_file():
        pytest.skip("arxiv.tar.gz is absent")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "corpus", filter="data")
    with serve(tmp_path / "corpus" / "arxiv") as site:
        got = run_crawl(site, [site.url + "/"], tmp_path / "out", max_depth=3, max_pages_per_root=400,
                        concurrency=32)
    assert got.result.stats["root_profiles"][site.url + "/"] == "arxiv"  # recognised from the page
    abstracts = [p for p in got.pages if "/abs/" in p["url"]]
    # the listings link 4 abstracts, each also under ?context=<archive> variants: the arXiv profile folds
    # those into the one abstract page (they were 19 pages before, 15 of them copies)
    assert len(abstracts) == len({p["url"] for p in abstracts}) >= 4
    assert not [p["url"] for p in got.pages if "?context=" in p["url"] or "show=" in p["url"]]
    for p in abstracts:
        kinds = {e["kind"]: e["items"] for e in p["enumerations"]}
        assert p["title"] and kinds.get("authors") and kinds.get("subjects"), p["url"]
        assert p["site"] == "arxiv" and p["language"] == "en"
