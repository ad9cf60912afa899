"""Crawl scope beyond the address/domain policy: URL allow/deny patterns, sitemap seeding, per-host
politeness (``crawlers/scope.py``, ``CrawlConfig.allow/deny/sitemap/domains``)."""

from __future__ import annotations

import shutil

import pytest

from crawlers.config import CrawlConfig
from crawlers.scope import URL_DENIED, URL_NOT_ALLOWED, sitemap_url, sitemap_urls, with_patterns
from crawlers.worker import scrapy_settings
from crawlqa.devserver import FIXTURE_SITE, serve

from .conftest import run_crawl

ROOT = "http://127.0.0.1:9/wiki/index.html"


def test_patterns_refuse_links_but_never_the_roots():
    base = with_patterns(lambda _r, url: "offsite" if "other" in url else None, [ROOT], ["/wiki/"], ["Private", r"\?page="])
    assert base(0, ROOT) is None  # a root is never refused by a pattern
    assert base(0, "http://127.0.0.1:9/wiki/A.html") is None
    assert base(0, "http://127.0.0.1:9/wiki/Private_B.html") == URL_DENIED
    assert base(0, "http://127.0.0.1:9/wiki/list?page=2") == URL_DENIED
    assert base(0, "http://127.0.0.1:9/blog/post.html") == URL_NOT_ALLOWED
    assert base(0, "http://other.example/wiki/A.html") == "offsite"  # the base policy first
    plain = lambda _r, _u: None  # noqa: E731
    assert with_patterns(plain, [ROOT], [], []) is plain


def test_sitemap_parsing():
    assert sitemap_url("https://a.org:8443/x/y?z") == "https://a.org:8443/sitemap.xml"
    urlset = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b"<url><loc> http://a.org/1 </loc></url><url><loc>http://a.org/2</loc></url></urlset>")
    assert sitemap_urls(urlset) == ("urlset", ["http://a.org/1", "http://a.org/2"])
    index = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>http://a.org/s1.xml</loc></sitemap></sitemapindex>")
    assert sitemap_urls(index) == ("sitemapindex", ["http://a.org/s1.xml"])
    assert sitemap_urls(b"<html><body>not found</body></html>")[1] == []


def test_per_host_overrides_become_download_slots():
    cfg = CrawlConfig(domains={"Example.ORG": {"delay": 2.0}, "b.org": {"concurrency": 1}, "c.org": {}})
    s = scrapy_settings(cfg, [ROOT], cache_dir=FIXTURE_SITE, log_file=None)
    assert s["DOWNLOAD_SLOTS"] == {"example.org": {"delay": 2.0}, "b.org": {"concurrency": 1}}
    assert "DOWNLOAD_SLOTS" not in scrapy_settings(CrawlConfig(), [ROOT], cache_dir=FIXTURE_SITE, log_file=None)
    assert scrapy_settings(CrawlConfig(autothrottle=False), [ROOT], cache_dir=FIXTURE_SITE,
                           log_file=None)["AUTOTHROTTLE_ENABLED"] is False


@pytest.fixture(scope="module")
def sitemap_site(tmp_path_factory):
    """The fixture wiki with a sitemap naming two pages two clicks from the index."""
    root = tmp_path_factory.mktemp("sitemap-site")
    shutil.copytree(FIXTURE_SITE / "wiki", root / "wiki")
    shutil.copy(FIXTURE_SITE / "robots.txt", root / "robots.txt")
    with serve(root) as site:
        (root / "sitemap.xml").write_text(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.url}/wiki/Kaia_Renner.html</loc></url>"
            f"<url><loc>{site.url}/wiki/Greywater_Lighthouse.html</loc></url>"
            "<url><loc>mailto:someone@example.org</loc></url></urlset>")
        yield site


@pytest.mark.slow
def test_sitemap_pages_are_crawled_as_links_of_the_root(sitemap_site, tmp_path):
    root = sitemap_site.url + "/wiki/index.html"
    plain = run_crawl(sitemap_site, [root], tmp_path, run_id="plain", max_depth=1)
    seeded = run_crawl(sitemap_site, [root], tmp_path, run_id="seeded", max_depth=1, sitemap=True)
    kaia = sitemap_site.url + "/wiki/Kaia_Renner.html"
    assert kaia not in {p["url"] for p in plain.pages}  # two clicks away: beyond depth 1
    page = seeded.page(kaia)
    (root_page,) = [p for p in seeded.pages if p["depth"] == 0]  # recorded under its canonical URL
    assert (page["depth"], page["parent_url"], page["root_url"]) == (1, root_page["url"], root)
    assert {p["url"] for p in plain.pages} < {p["url"] for p in seeded.pages}
    assert seeded.result.counters["crawl/sitemap/urls"] == 2


@pytest.mark.slow
def test_deny_and_allow_patterns_on_the_fixture_site(sitemap_site, tmp_path):
    root = sitemap_site.url + "/wiki/index.html"
    denied = run_crawl(sitemap_site, [root], tmp_path, run_id="deny", max_depth=1, deny=["Norvania", "Mira_"])
    urls = {p["url"] for p in denied.pages}
    assert urls and not [u for u in urls if "Norvania" in u or "Mira_" in u]
    assert denied.result.counters["crawl/links_skipped/url_denied"] == 2
    allowed = run_crawl(sitemap_site, [root], tmp_path, run_id="allow", max_depth=1, allow=["Lumen"])
    assert {p["url"] for p in allowed.pages if p["depth"] == 1} == {sitemap_site.url + "/wiki/Lumen_Records.html"}
    assert allowed.result.counters["crawl/links_skipped/url_not_allowed"] >= 4
