"""``<link rel="canonical">``: a page is recorded under its canonical URL, once per canonical URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.finalize import golden_path
from crawlers.urls import canonicalize
from crawlqa.devserver import serve

from .conftest import run_crawl

BODY = "<p>" + "This paragraph is long enough to pass the minimum text length of the extractor. " * 4 + "</p>"


def page(title: str, canonical: str | None = None, links: tuple[str, ...] = (), extra: str = "") -> str:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    items = "".join(f'<li><a href="{h}">{h}</a></li>' for h in links)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>{head}</head>"
            f"<body><h1>{title}</h1>{BODY}<p>{extra}</p><ul>{items}</ul></body></html>")


SITE = {
    # depth 0
    "index.html": page("Index", links=("a-print.html", "a.html", "b-one.html?ref=x", "b-two.html", "c.html",
                                       "d.html", "e.html", "f.html", "g.html")),
    # a: the canonical page is fetched too, its print version is a duplicate of it
    "a.html": page("Alpha", canonical="/a.html", extra="alpha original"),
    "a-print.html": page("Alpha (print)", canonical="a.html", extra="alpha print"),
    # b: two variants of a page that is never linked: one page, under /b.html
    "b.html": page("Beta", extra="beta canonical, never fetched"),
    "b-one.html": page("Beta one", canonical="http://{host}/b.html", links=("deep.html",), extra="beta one"),
    "b-two.html": page("Beta two", canonical="/b.html#top", links=("deep.html",), extra="beta two"),
    # refused canonical URLs: another domain, a private address, another scheme
    "c.html": page("Gamma", canonical="https://example.com/c.html", extra="gamma"),
    "d.html": page("Delta", canonical="http://10.0.0.1/d.html", extra="delta"),
    "e.html": page("Epsilon", canonical="ftp://{host}/e.html", extra="epsilon"),
    # a link to a canonical target from depth 1: it is a link to that page, not a new fetch
    "f.html": page("Phi", links=("b.html",), extra="phi"),
    "g.html": page("Gamma two", canonical="g.html", extra="self canonical"),
    "deep.html": page("Deep", extra="deep"),
}


@pytest.fixture(scope="module")
def canon_site(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("canon-site")
    with serve(root) as site:
        host = site.url.split("//", 1)[1]
        for name, html in SITE.items():
            (root / name).write_text(html.replace("{host}", host), encoding="utf-8")
        yield site


@pytest.fixture(scope="module")
def crawled(canon_site, tmp_path_factory):
    return run_crawl(canon_site, [canon_site.url + "/index.html"], tmp_path_factory.mktemp("canon-run"), max_depth=2)


def url(site, name: str) -> str:
    return canonicalize(f"{site.url}/{name}")


def test_one_page_per_canonical_url(canon_site, crawled) -> None:
    urls = [p["url"] for p in crawled.pages]
    assert len(urls) == len(set(urls))
    expected = {url(canon_site, n) for n in ("index.html", "a.html", "b.html", "c.html", "d.html", "e.html",
                                             "f.html", "g.html", "deep.html")}
    assert set(urls) == expected
    assert url(canon_site, "a-print.html") not in urls and url(canon_site, "b-one.html") not in urls
    # the canonical page's own content wins over its print version
    alpha = crawled.page(url(canon_site, "a.html"))
    assert "alpha original" in alpha["text"] and alpha["final_url"].endswith("/a.html")
    # a canonical URL never fetched: recorded with one variant's content, the same one every run
    beta = crawled.page(url(canon_site, "b.html"))
    assert "beta one" in beta["text"] and "b-one.html" in beta["final_url"]
    c = crawled.result.counters
    assert c["crawl/canonical_ignored/other_domain"] == 2  # example.com, 10.0.0.1
    assert c["crawl/canonical_ignored/scheme"] == 1
    assert c.get("crawl/canonical_duplicates", 0) >= 1


def test_canonical_target_is_not_fetched(canon_site, crawled) -> None:
    # b.html is only linked from depth 1 (f.html) and declared by b-one/b-two: never requested
    assert "canonical, never fetched" not in crawled.page(url(canon_site, "b.html"))["text"]
    assert "/b.html" not in canon_site.paths and "/deep.html" in canon_site.paths


def test_click_path_is_consistent(canon_site, crawled) -> None:
    by_url = {p["url"]: p for p in crawled.pages}
    parents = {p["url"]: p["parent_url"] for p in crawled.pages}
    for p in crawled.pages:
        if p["depth"] == 0:
            assert p["parent_url"] is None
            continue
        parent = by_url[p["parent_url"]]
        assert parent["depth"] == p["depth"] - 1
        assert {"url": p["url"], "text": p["anchor_text"]} in parent["out_links"]
        assert len(golden_path(p["url"], parents)) == p["depth"] + 1
    beta = by_url[url(canon_site, "b.html")]
    # reached first through the link to b-one.html (document order of the index page)
    assert beta["depth"] == 1 and beta["parent_url"] == url(canon_site, "index.html")
    assert beta["anchor_text"] == "b-one.html?ref=x"
    index = by_url[url(canon_site, "index.html")]
    out = [link["url"] for link in index["out_links"]]
    assert out.count(url(canon_site, "a.html")) == 1 and out.count(url(canon_site, "b.html")) == 1
    assert url(canon_site, "a-print.html") not in out and url(canon_site, "b-two.html") not in out
    deep = by_url[url(canon_site, "deep.html")]
    assert deep["depth"] == 2 and deep["parent_url"] == url(canon_site, "b.html")
    phi = by_url[url(canon_site, "f.html")]
    assert url(canon_site, "b.html") in [link["url"] for link in phi["out_links"]]


def test_canonical_pages_are_deterministic(canon_site, crawled, tmp_path) -> None:
    again = run_crawl(canon_site, [canon_site.url + "/index.html"], tmp_path, max_depth=2)
    assert [(p["url"], p["final_url"], p["depth"], p["parent_url"], p["text"]) for p in again.pages] == \
        [(p["url"], p["final_url"], p["depth"], p["parent_url"], p["text"]) for p in crawled.pages]
