"""Issue 10, site faults, at the whole-job level: a full offline run (``run_crawlqa``) whose pages link
to every fault of the dev server — 500, timeout, slow drip, a 50 MB page, malformed and Latin-1 HTML,
a redirect loop, a connection reset, binary content, robots.txt disallow, off-site links, links and
redirects to private, loopback and link-local addresses (cloud metadata included). The run
completes; every problem is a reject with the exact reason, counted in the manifest; nothing is sent
to an address that is not the site's own (checked at the socket level, in every process)."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from crawlers.urls import canonicalize
from crawlqa.devserver import FIXTURE_SITE, serve
from pipelines.job import run_crawlqa

from .kit import assert_every_reject_counted, assert_shards_valid, job_config, read_rows

pytestmark = pytest.mark.slow

REDIRECTS = {
    "/go/metadata": (302, "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    "/go/private": (301, "http://10.1.2.3/admin"),
    "/go/offsite": (301, "https://example.com/elsewhere"),
}
CODEWORD = "PURPLE OTTER NINE"  # only on the robots-disallowed page


def hub(port: int) -> str:
    links = [
        "/_faults/500", "/_faults/timeout?s=4", "/_faults/drip?s=4", "/_faults/huge?mb=50",
        "/_faults/latin1", "/_faults/malformed", "/_faults/loop", "/_faults/reset", "/_faults/binary",
        "/blocked/page.html", "/go/metadata", "/go/private", "/go/offsite",
        "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/router",
        f"http://localhost:{port}/index.html", f"http://[::1]:{port}/index.html",
        f"http://127.0.0.2:{port}/index.html", "http://[fe80::1]/", "https://example.com/elsewhere",
        "/wiki/Mira_Volkova.html", "/wiki/Greywater_Lighthouse.html", "/wiki/Northern_Glass.html",
    ]
    items = "".join(f'<li><a href="{u}">link {i}</a></li>' for i, u in enumerate(links))
    prose = ("This hub page exists to test how the crawler copes with a hostile web: every link below "
             "leads to a fault, an address the crawler must never contact, or an ordinary article. ") * 3
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fault hub</title></head>'
            f"<body><h1>Fault hub</h1><p>{prose}</p><ul>{items}</ul></body></html>")


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE / "wiki", root / "wiki")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /blocked/\n")
    (root / "blocked").mkdir()
    (root / "blocked" / "page.html").write_text(f"<html><body><p>{CODEWORD} " + "secret " * 100 + "</p></body></html>")
    with serve(root, faults=True, redirects=REDIRECTS) as s:
        (root / "index.html").write_text(hub(s.port))
        yield s


def test_every_site_fault_is_a_counted_reject_and_nothing_leaves_the_machine(site, tmp_path, netguard):
    u = site.url
    roots = [u + "/index.html", u + "/_faults/offsite"]
    cfg = job_config(roots, tmp_path / "out", crawl={"max_depth": 1, "timeout": 1.5, "max_page_bytes": 1_000_000,
                                                     "log_level": "DEBUG"})
    t0 = time.monotonic()
    manifest = run_crawlqa(cfg)
    elapsed = time.monotonic() - t0
    run = tmp_path / "out" / "r1"

    expected = {
        u + "/_faults/500": ("crawl", "http_500"),
        u + "/_faults/timeout?s=4": ("crawl", "timeout"),
        u + "/_faults/drip?s=4": ("crawl", "timeout"),
        u + "/_faults/huge?mb=50": ("crawl", "too_large"),
        u + "/_faults/malformed": ("extract", "too_little_text"),
        u + "/_faults/loop": ("crawl", "redirect_loop"),
        u + "/_faults/reset": ("crawl", "connection_error"),
        u + "/_faults/binary": ("crawl", "non_html"),
        u + "/blocked/page.html": ("crawl", "robots_forbidden"),
        u + "/go/metadata": ("crawl", "private_address"),
        u + "/go/private": ("crawl", "private_address"),
        u + "/go/offsite": ("crawl", "offsite"),
        "http://169.254.169.254/latest/meta-data/": ("crawl", "private_address"),
        "http://10.0.0.1/": ("crawl", "private_address"),
        "http://192.168.1.1/router": ("crawl", "private_address"),
        f"http://localhost:{site.port}/index.html": ("crawl", "private_address"),
        f"http://[::1]:{site.port}/index.html": ("crawl", "private_address"),
        f"http://127.0.0.2:{site.port}/index.html": ("crawl", "private_address"),
        "http://[fe80::1]/": ("crawl", "private_address"),
    }
    expected = {canonicalize(k): v for k, v in expected.items()}
    rejects = [r for r in read_rows(run, "rejects") if r["stage"] in ("crawl", "extract")]
    got = {canonicalize(r["url"]): (r["stage"], r["reason"]) for r in rejects}
    assert got == expected
    assert len(rejects) == len(expected), "one reject per problem URL"
    for r in rejects:
        assert r["detail"], r  # a reason alone is not enough to debug a crawl

    # the manifest's funnel and counters say the same, for every stage
    crawl_reasons = {k: v for k, v in manifest["funnel"]["reject_reasons"].items()
                     if k.startswith(("crawl/", "extract/"))}
    assert crawl_reasons == {"crawl/http_500": 1, "crawl/timeout": 2, "crawl/too_large": 1,
                             "crawl/redirect_loop": 1, "crawl/connection_error": 1, "crawl/non_html": 1,
                             "crawl/robots_forbidden": 1, "crawl/private_address": 9, "crawl/offsite": 1,
                             "extract/too_little_text": 1}
    assert_every_reject_counted(manifest)
    counters = manifest["counters"]
    assert counters["crawl/links_skipped/offsite"] == 2  # example.com from the hub and from /_faults/offsite
    assert counters["crawl/non_utf8"] == 1

    # the run completed and wrote valid shards with questions
    rows = assert_shards_valid(run, manifest)
    assert rows["qa"] > 0 and manifest["funnel"]["kept"] == rows["qa"]
    pages = {p["url"]: p for p in read_rows(run, "pages")}
    assert "Zürich" in pages[canonicalize(u + "/_faults/latin1")]["text"]
    assert canonicalize(u + "/wiki/index.html") in pages  # reached through /_faults/offsite

    # the 50 MB page was cut at its headers: the whole crawl read far less than one huge page
    stats = manifest["crawl"]["stats"]
    assert stats["bytes"] < 3_000_000, stats["bytes"]
    assert elapsed < 60 and stats["duration_s"] < 30

    # robots.txt: never requested, never stored
    assert "/blocked/page.html" not in site.paths and "/robots.txt" in site.paths
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file():
            assert CODEWORD.encode() not in f.read_bytes(), f

    # every request Scrapy sent reached this server: nothing went to another address
    assert stats["requests"] == len(site.paths)
    log = (run / "_work" / "crawl" / "crawl.log").read_text()
    requested = set(re.findall(r"<GET (\S+?)>", log))
    assert requested and all(r.startswith(u + "/") for r in requested), requested - {
        r for r in requested if r.startswith(u + "/")}


def test_private_addresses_are_followed_only_when_the_user_allows_them(site, tmp_path, netguard):
    """The same kind of link (another loopback name for the site) is refused by default (above) and
    followed with ``allow_private`` — the decision is the user's, not the crawler's."""
    u = site.url
    other = f"http://localhost:{site.port}/wiki/Mira_Volkova.html"
    (site.root / "allow.html").write_text(
        "<html><head><title>Allow</title></head><body><p>" + "A hub that links another loopback name. " * 8
        + f'</p><a href="{other}">Mira</a></body></html>')
    cfg = job_config([u + "/allow.html"], tmp_path / "out", crawl={
        "max_depth": 1, "allow_private": True, "allowed_domains": ["127.0.0.1", "localhost"]})
    manifest = run_crawlqa(cfg)
    pages = {p["url"] for p in read_rows(tmp_path / "out" / "r1", "pages")}
    assert canonicalize(other) in pages
    assert not any(k.startswith("crawl/") for k in manifest["funnel"]["reject_reasons"])
    assert "/wiki/Mira_Volkova.html" in site.paths
