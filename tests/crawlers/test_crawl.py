"""End to end on the fixture site: limits, robots.txt, redirects, rejects, click paths, the cache.

Each crawl runs in its own subprocess (``crawlers.run``): this module crawls several times in one
process, as a Prefect flow run would.
"""

from __future__ import annotations

import time
from collections import Counter

import lxml.html
import pytest

from crawlers.finalize import golden_path
from crawlers.profiles import get_profile
from crawlers.urls import canonicalize
from crawlqa.devserver import FIXTURE_SITE

from .conftest import Crawled, run_crawl

pytestmark = pytest.mark.slow

STUBS = ("Volkova.html", "Mira_V.html", "Driftwood_Choir.html", "Old_Name.html", "Dunmoor_City.html")


@pytest.fixture(scope="module")
def wiki(site, tmp_path_factory) -> Crawled:
    out = tmp_path_factory.mktemp("wiki")
    return run_crawl(site, [site.url + "/wiki/index.html"], out, max_depth=3)


def expected_wiki_pages(base: str) -> set[str]:
    files = {p.relative_to(FIXTURE_SITE).as_posix() for p in (FIXTURE_SITE / "wiki").rglob("*.html")}
    dropped = {f"wiki/{s}" for s in STUBS} | {"wiki/private/secret.html", "wiki/Hollow_Point_Festival.html"}
    return {canonicalize(f"{base}/{f}") for f in files - dropped}


def test_every_article_once_and_nothing_else(site, wiki) -> None:
    urls = [p["url"] for p in wiki.pages]
    assert len(urls) == len(set(urls))
    assert set(urls) == expected_wiki_pages(site.url)
    assert wiki.result.per_root == {site.url + "/wiki/index.html": len(urls)}
    assert wiki.result.empty_roots == []
    assert all(p["site"] == "wikipedia" for p in wiki.pages)


def test_rejects_have_reasons_and_counters(site, wiki) -> None:
    u = site.url
    assert wiki.reasons() == {
        ("crawl", "http_404", u + "/wiki/Missing_Article.html"),
        ("crawl", "non_html", u + "/wiki/files/discography.pdf"),
        ("crawl", "non_html", u + "/wiki/data/stats.json"),
        ("crawl", "robots_forbidden", u + "/wiki/private/secret.html"),
        ("crawl", "redirect_loop", u + "/wiki/Loop_A.html"),
        ("extract", "too_little_text", u + "/wiki/Hollow_Point_Festival.html"),
    }
    c = wiki.result.counters
    per_reason = Counter(f"{stage}/dropped/{reason}" for stage, reason, _url in wiki.reasons())
    assert {k: v for k, v in c.items() if "/dropped/" in k} == per_reason
    assert c["extract/ok"] == len(wiki.pages) == c["crawl/pages_written"]
    assert c["crawl/links_skipped/wiki_namespace"] > 0
    stats = wiki.result.stats
    assert stats["requests"] > 0 and stats["responses_by_status"]["200"] > 0
    assert stats["robots_forbidden"] == 1 and stats["bytes"] > 0 and stats["duration_s"] > 0


def test_robots_txt_is_honoured(site, wiki) -> None:
    assert "/wiki/private/secret.html" not in site.paths
    for p in wiki.pages:
        assert "BLUE HERON SEVEN" not in p["html"] and "BLUE HERON SEVEN" not in p["text"]
    for f in wiki.run_dir.parent.rglob("*"):
        if f.is_file():
            assert b"BLUE HERON SEVEN" not in f.read_bytes(), f


def test_redirects_and_meta_refresh_collapse_onto_one_page(site, wiki) -> None:
    u = site.url + "/wiki/"
    urls = {p["url"] for p in wiki.pages}
    assert not {u + s for s in STUBS} & urls
    kestrel = wiki.page(u + "Kestrel_Bay.html")  # links the meta-refresh stub Volkova.html
    assert u + "Mira_Volkova.html" in {link["url"] for link in kestrel["out_links"]}
    tidewave = wiki.page(u + "Tidewave.html")  # links /wiki/Old_Name.html (301)
    assert tidewave["depth"] < 3
    assert u + "Mira_Volkova.html" in {link["url"] for link in tidewave["out_links"]}
    for p in wiki.pages:  # stubs within reach are resolved in every page's links
        if p["depth"] < 3:
            assert not {link["url"] for link in p["out_links"]} & {u + s for s in STUBS}, p["url"]


def test_click_path_of_every_page(site, wiki) -> None:
    root = site.url + "/wiki/index.html"
    by_url = {p["url"]: p for p in wiki.pages}
    parents = {url: p["parent_url"] for url, p in by_url.items()}
    for url, p in by_url.items():
        assert p["root_url"] == root
        if p["depth"] == 0:
            assert url == canonicalize(root) and p["parent_url"] is None
            continue
        parent = by_url[p["parent_url"]]
        assert parent["depth"] == p["depth"] - 1
        assert {"url": url, "text": p["anchor_text"]} in parent["out_links"]
        path = golden_path(url, parents)
        assert path[0] == canonicalize(root) and len(path) == p["depth"] + 1
    assert max(p["depth"] for p in wiki.pages) == 3


def test_pages_carry_text_facts_and_raw_html(site, wiki) -> None:
    mira = wiki.page(site.url + "/wiki/Mira_Volkova.html")
    assert mira["depth"] == 1 and mira["title"] == "Mira Volkova" and mira["language"] == "en"
    assert "| Birth name | Mira Elise Volkova |" in mira["text"]
    assert mira["html"].startswith("<!DOCTYPE html>") and "infobox" in mira["html"]
    assert mira["facts"] and mira["enumerations"]
    assert mira["fetched_at"].tzinfo is not None
    german = wiki.page(site.url + "/wiki/de/Kestrel_Bay.html")
    assert german["language"] == "de"


def test_rerun_is_served_from_the_cache_and_identical(site, wiki, tmp_path) -> None:
    again = run_crawl(site, [site.url + "/wiki/index.html"], tmp_path, run_id="run2",
                      cache=wiki.run_dir.parent / ".httpcache", max_depth=3)
    assert again.requests == 0
    assert again.result.stats["cache_hits"] > 0 and again.result.stats["cache_misses"] == 0
    assert [s.sha256 for s in again.result.pages] == [s.sha256 for s in wiki.result.pages]
    assert again.reasons() == wiki.reasons()


def _doc_order_links(site) -> list[str]:
    p = get_profile("wikipedia")
    url = site.url + "/wiki/index.html"
    tree = lxml.html.fromstring((FIXTURE_SITE / "wiki/index.html").read_bytes())
    out: list[str] = []
    for link, _t in p.extract_links(tree, url):
        k = canonicalize(link)
        if p.follow(link, url) is None and k not in out and k != canonicalize(url):
            out.append(k)
    return out


def test_cache_expiry(site, tmp_path) -> None:
    from crawlers import CrawlConfig
    from crawlers.worker import scrapy_settings

    settings = scrapy_settings(CrawlConfig(cache_expiry_seconds=3600), [], cache_dir=tmp_path, log_file=None)
    assert settings["HTTPCACHE_EXPIRATION_SECS"] == 3600 and settings["HTTPCACHE_ENABLED"]
    root = [site.url + "/github/acme/index.html"]
    assert run_crawl(site, root, tmp_path, max_depth=0, cache_expiry_seconds=1).requests > 0
    time.sleep(1.2)
    assert run_crawl(site, root, tmp_path, run_id="run2", max_depth=0, cache_expiry_seconds=1).requests > 0


@pytest.mark.parametrize("depth", [0, 1])
def test_depth_limit_is_exact(site, tmp_path, depth) -> None:
    got = run_crawl(site, [site.url + "/wiki/index.html"], tmp_path, max_depth=depth)
    expected = {canonicalize(site.url + "/wiki/index.html")}
    if depth:
        expected |= set(_doc_order_links(site))
    assert {p["url"] for p in got.pages} == expected
    assert max(p["depth"] for p in got.pages) == depth


def test_pages_per_root_limit_takes_the_bfs_prefix(site, tmp_path) -> None:
    got = run_crawl(site, [site.url + "/wiki/index.html"], tmp_path, max_depth=3, max_pages_per_root=5)
    first = _doc_order_links(site)[:4]
    assert {p["url"] for p in got.pages} == {canonicalize(site.url + "/wiki/index.html"), *first}
    assert got.result.stats["responses_by_status"]["200"] == 5 + 1  # + robots.txt: nothing beyond


def test_pages_per_run_limit_across_roots(site, tmp_path) -> None:
    roots = [site.url + "/wiki/index.html", site.url + "/arxiv/index.html"]
    got = run_crawl(site, roots, tmp_path, max_depth=3, max_pages_per_root=5, max_pages=7)
    assert len(got.pages) == 7
    assert sum(got.result.per_root.values()) == 7 and max(got.result.per_root.values()) <= 5
    assert all(v > 0 for v in got.result.per_root.values())


def test_bad_input_is_counted_and_the_crawl_goes_on(site, tmp_path) -> None:
    u = site.url
    roots = {
        u + "/_faults/500": "http_500",
        u + "/_faults/loop": "redirect_loop",
        u + "/_faults/huge?mb=3": "too_large",
        u + "/_faults/reset": "connection_error",
        u + "/_faults/binary": "non_html",
        u + "/_faults/timeout?s=6": "timeout",
        u + "/_faults/drip?s=6": "timeout",
        u + "/_faults/malformed": "too_little_text",
        "http://no-such-host.invalid/": "dns_error",
        "http://127.0.0.1:1/": "connection_error",
        u + "/_test/to-metadata": "private_address",
        u + "/_test/to-private": "private_address",
        u + "/_test/to-offsite": "offsite",
        u + "/_faults/latin1": None,
        u + "/_faults/offsite": None,
    }
    got = run_crawl(site, list(roots), tmp_path, max_depth=1, timeout=2, max_page_bytes=1_000_000)
    by_url = {r["url"]: r["reason"] for r in got.rejects}
    for root, reason in roots.items():
        if reason:
            assert by_url.get(root) == reason, root
    assert set(got.result.empty_roots) == {r for r, why in roots.items() if why}
    whys = got.result.stats["empty_roots_why"]
    assert whys[u + "/_faults/500"].startswith("crawl/http_500")
    assert whys["http://no-such-host.invalid/"].startswith("crawl/dns_error")
    latin1 = got.page(u + "/_faults/latin1")
    assert "Zürich" in latin1["text"] and latin1["language"] == "de"
    # the off-site page links example.com, 169.254.169.254 and 10.0.0.1: refused, never requested
    assert by_url["http://169.254.169.254/latest/meta-data"] == "private_address"
    assert by_url["http://10.0.0.1/"] == "private_address"
    assert got.result.counters["crawl/links_skipped/offsite"] >= 1
    assert canonicalize(u + "/wiki/index.html") in {p["url"] for p in got.pages}  # the crawl went on


def test_profiles_on_the_whole_fixture_site(site, tmp_path) -> None:
    got = run_crawl(site, [site.url + "/index.html"], tmp_path, max_depth=4)
    sites = {p["site"] for p in got.pages}
    assert sites == {"generic", "wikipedia", "arxiv", "github"}
    abstracts = [p for p in got.pages if "/arxiv/abs/" in p["url"]]
    assert len(abstracts) == 7
    for p in abstracts:
        kinds = {e["kind"]: e["items"] for e in p["enumerations"]}
        assert p["title"] and kinds.get("authors") and kinds.get("subjects"), p["url"]
    repo = got.page(site.url + "/github/acme/widgetflow")
    assert repo["site"] == "github" and repo["facts"]
    assert {site.url + "/github/acme/widgetflow/releases.html",
            site.url + "/github/acme/widgetflow/contributors.html"} <= {p["url"] for p in got.pages}


def _processes_in(folder) -> list[str]:
    """Processes whose working directory is ``folder`` (the crawl subprocess and everything it
    starts run there: its fork server and extraction workers)."""
    import os
    from pathlib import Path

    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if Path(f"/proc/{d}/cwd").resolve() == Path(folder).resolve():
                    found.append(Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
            except OSError:
                continue
    return found


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="needs /proc")
def test_the_crawl_process_exits_cleanly_and_leaves_nothing_behind(site, wiki) -> None:
    # The crawl subprocess skips the interpreter's teardown (crawlers.worker.exit_now): its log is
    # still complete, and its fork server and workers still end with it.
    work = wiki.run_dir / "_work" / "crawl"
    log = (work / "crawl.log").read_text(encoding="utf-8")
    assert "Dumping Scrapy stats" in log and log.rstrip().endswith("Spider closed (finished)")
    assert (work / "result.json").is_file()
    assert not list(work.glob("spool.sqlite*"))  # scratch: everything it held is in the shards
    deadline = time.monotonic() + 10
    while (left := _processes_in(work)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []
