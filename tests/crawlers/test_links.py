"""A page's links read in a worker (``process_page``, trafilatura's parse) equal the links read in
the crawl process while the workers warm up (``local_links``, Scrapy's parse): which path a page
took must not change the crawl."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawlers.extract import process_page
from crawlers.frontier import unpack_links
from crawlers.profiles import get_profile, profile_for
from crawlers.spider import local_links

SITE = Path(__file__).resolve().parents[2] / "crawlqa" / "fixtures" / "site"
PAGES = sorted(p for p in SITE.rglob("*.html"))
FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "html").glob("*.html"))
BASE = "http://127.0.0.1:8000/"


def _profile(path: Path):
    name = path.relative_to(SITE).parts[0] if SITE in path.parents else path.name.split("_")[0]
    try:
        return get_profile({"wiki": "wikipedia"}.get(name, name))
    except ValueError:
        return profile_for(BASE)


@pytest.mark.parametrize("path", PAGES + FIXTURES, ids=lambda p: p.name)
def test_worker_and_crawl_process_read_the_same_links(path):
    html = path.read_text(encoding="utf-8")
    url = BASE + (path.relative_to(SITE).as_posix() if SITE in path.parents else path.name)
    profile = _profile(path)
    response = HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")
    here = local_links(profile, response, response.text)
    there = process_page(html, url, profile.name)
    assert here["links_error"] == there["links_error"] == ""
    assert unpack_links(here["links"]) == unpack_links(there["links"])
    assert here["skipped"] == there["skipped"]
    assert (here["canonical"], here["canonical_error"]) == (there["canonical"], there["canonical_error"])


def test_the_fixture_pages_have_links():
    """The comparison above is not vacuous: most pages carry content links."""
    with_links = 0
    for path in PAGES:
        html = path.read_text(encoding="utf-8")
        got = process_page(html, BASE + path.relative_to(SITE).as_posix(), _profile(path).name)
        with_links += bool(unpack_links(got["links"]))
    assert with_links >= len(PAGES) * 0.6


def test_links_survive_a_page_with_too_little_text():
    html = ("<html><head><title>Hub</title><link rel='canonical' href='/hub'></head><body>"
            "<a href='/a.html'>A</a> <a href='/b.html#x'>B</a> <a href='mailto:x@y'>mail</a></body></html>")
    got = process_page(html, BASE + "hub.html", "generic")
    assert got["extract"]["ok"] is False and got["extract"]["reason"] == "too_little_text"
    assert [k for k, _u, _t in unpack_links(got["links"])] == [BASE + "a.html", BASE + "b.html"]
    assert got["canonical"] == BASE + "hub"
