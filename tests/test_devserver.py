"""Tests for the loopback dev server and for the integrity of the packaged fixture site."""

from __future__ import annotations

import http.client
import posixpath
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
import trafilatura

from crawlqa.devserver import FIXTURE_SITE, SiteServer, load_redirects, serve

FACTS = FIXTURE_SITE / "FACTS.md"


# -- helpers ------------------------------------------------------------------------------------


def raw_get(site: SiteServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send ``path`` verbatim (no client-side normalisation, no redirect following)."""
    conn = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def facts_section(title: str) -> list[str]:
    """Back-quoted items of the bullet list under ``## title`` in FACTS.md."""
    text = FACTS.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"FACTS.md has no section {title!r}"
    return [
        item
        for line in match.group(1).splitlines()
        if line.startswith("- ")
        for item in re.findall(r"`([^`]+)`", line)
    ]


def url_path(file: Path) -> str:
    """The URL path under which the dev server serves ``file``."""
    return "/" + file.relative_to(FIXTURE_SITE).as_posix()


def html_files() -> list[Path]:
    return sorted(FIXTURE_SITE.rglob("*.html"))


def internal_links(file: Path) -> Iterator[str]:
    """Absolute URL paths of the page's same-site links (``<a href>`` and meta refresh)."""
    doc = lxml.html.fromstring(file.read_bytes())
    hrefs = [str(h) for h in doc.xpath("//a/@href")]
    hrefs += [
        str(c).split("url=", 1)[1] for c in doc.xpath('//meta[@http-equiv="refresh"]/@content')
    ]
    base = url_path(file)
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path:
            continue  # off-site, mailto:, or a fragment-only link
        path = unquote(parts.path)
        if not path.startswith("/"):
            path = posixpath.normpath(posixpath.join(posixpath.dirname(base), path))
            path += "/" if parts.path.endswith("/") else ""
        yield path + (f"?{parts.query}" if parts.query else "")


def is_deliberately_bad(link: str, patterns: list[str]) -> bool:
    return any(link.startswith(p[:-1]) if p.endswith("*") else link == p for p in patterns)


def resolves(link: str, redirects: dict[str, tuple[int, str]]) -> bool:
    """True when the dev server answers ``link`` with a file or a redirect."""
    path = link.split("?", 1)[0]
    if path in redirects:
        return True
    target = FIXTURE_SITE / path.lstrip("/")
    if path.endswith("/"):
        return (target / "index.html").is_file()
    return target.is_file() or target.with_name(target.name + ".html").is_file()


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with serve(FIXTURE_SITE, faults=True) as server:
        yield server


# -- serving files ------------------------------------------------------------------------------


def test_html_is_served_with_content_type(site: SiteServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.url) and site.port > 0
    with urllib.request.urlopen(site.url + "/wiki/Mira_Volkova.html", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        body = response.read().decode("utf-8")
    assert '<h1 id="firstHeading"' in body and "Mira Volkova" in body


def test_content_types_by_extension(site: SiteServer) -> None:
    expected = {
        "/wiki/files/discography.pdf": "application/pdf",
        "/wiki/data/stats.json": "application/json",
        "/robots.txt": "text/plain; charset=utf-8",
    }
    for path, ctype in expected.items():
        status, headers, _ = raw_get(site, path)
        assert (status, headers["Content-Type"]) == (200, ctype), path
    assert raw_get(site, "/wiki/files/discography.pdf")[2].startswith(b"%PDF-1.4")


def test_head_sends_headers_only(site: SiteServer) -> None:
    status, headers, body = raw_get(site, "/wiki/index.html", method="HEAD")
    size = (FIXTURE_SITE / "wiki/index.html").stat().st_size
    assert status == 200 and body == b"" and headers["Content-Length"] == str(size)


def test_directory_index_and_pretty_urls(site: SiteServer) -> None:
    status, _, body = raw_get(site, "/github/acme/widgetflow/")
    assert status == 200 and b'itemprop="name"' in body
    status, headers, _ = raw_get(site, "/github/acme/widgetflow?tab=readme")
    assert (status, headers["Location"]) == (301, "/github/acme/widgetflow/?tab=readme")
    status, _, body = raw_get(site, "/arxiv/abs/2401.00001")
    assert status == 200 and body == (FIXTURE_SITE / "arxiv/abs/2401.00001.html").read_bytes()


def test_missing_page_is_404(site: SiteServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(site.url + "/wiki/Missing_Article.html", timeout=5)
    assert excinfo.value.code == 404
    assert raw_get(site, "/no/such/dir/")[0] == 404


@pytest.mark.parametrize(
    "path",
    ["/../devserver.py", "/wiki/../../devserver.py", "/%2e%2e/devserver.py", "/..%2fdevserver.py"],
)
def test_directory_escape_is_refused(site: SiteServer, path: str) -> None:
    status, _, body = raw_get(site, path)
    assert status in (403, 404) and b"import" not in body


def test_symlink_out_of_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.html").write_text("secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.html").symlink_to(tmp_path / "outside.html")
    with serve(root) as server:
        assert raw_get(server, "/link.html")[0] == 403


# -- redirects ----------------------------------------------------------------------------------


def test_redirects_file_is_applied(site: SiteServer) -> None:
    status, headers, _ = raw_get(site, "/wiki/Old_Name.html")
    assert (status, headers["Location"]) == (301, "/wiki/Mira_Volkova.html")
    status, headers, _ = raw_get(site, "/wiki/Loop_A.html")
    assert (status, headers["Location"]) == (302, "/wiki/Loop_B.html")


def test_redirects_argument_overrides(tmp_path: Path) -> None:
    (tmp_path / "_redirects.txt").write_text("/a 302 /from-file\n/keep 308 /kept\n")
    with serve(tmp_path, redirects={"/a": "/b", "/c": (307, "/d")}) as server:
        for path, expected in {
            "/a": (301, "/b"),
            "/c": (307, "/d"),
            "/keep": (308, "/kept"),
        }.items():
            status, headers, _ = raw_get(server, path)
            assert (status, headers["Location"]) == expected, path


def test_load_redirects_rejects_bad_lines(tmp_path: Path) -> None:
    bad = tmp_path / "_redirects.txt"
    bad.write_text("# comment\n/ok 301 /fine\n/bad 200 /nope\n")
    with pytest.raises(ValueError, match=":3:"):
        load_redirects(bad)
    with pytest.raises(ValueError):
        serve(tmp_path, redirects={"/x": (200, "/y")})


# -- statistics, lifecycle, safety --------------------------------------------------------------


def test_request_counter_and_paths(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html lang='en'><title>t</title></html>")
    with serve(tmp_path) as server:
        for path in ("/", "/index.html", "/missing?x=1"):
            raw_get(server, path)
        assert server.requests == 3
        assert server.paths == ["/", "/index.html", "/missing?x=1"]
    server.close()  # idempotent
    with pytest.raises(OSError):
        raw_get(server, "/")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "10.0.0.1", "example.com", "::"])
def test_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(FIXTURE_SITE, host=host)


def test_latency_delays_answers(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("a")
    with serve(tmp_path, latency=0.2) as server:
        start = time.monotonic()
        assert raw_get(server, "/a.html")[0] == 200
        assert time.monotonic() - start >= 0.2


# -- fault endpoints ----------------------------------------------------------------------------


def test_faults_are_off_by_default(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        assert raw_get(server, "/_faults/500")[0] == 404


def test_fault_500_loop_binary(site: SiteServer) -> None:
    status, headers, body = raw_get(site, "/_faults/500")
    assert status == 500 and body.startswith(b"<!DOCTYPE html>")
    status, headers, _ = raw_get(site, "/_faults/loop")
    assert (status, headers["Location"]) == (302, "/_faults/loop")
    status, headers, body = raw_get(site, "/_faults/binary")
    assert (status, headers["Content-Type"]) == (
        200,
        "application/octet-stream",
    ) and b"\x00" in body
    assert raw_get(site, "/_faults/no-such-fault")[0] == 404


def test_fault_latin1_has_no_charset(site: SiteServer) -> None:
    status, headers, body = raw_get(site, "/_faults/latin1")
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Zürich" in body.decode("iso-8859-1")


def test_fault_pages_malformed_and_offsite(site: SiteServer) -> None:
    body = raw_get(site, "/_faults/malformed")[2].decode()
    assert "</html>" not in body and "Parsers must" in body
    links = lxml.html.fromstring(raw_get(site, "/_faults/offsite")[2]).xpath("//a/@href")
    assert {
        "https://example.com/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
    } <= set(links)


def test_fault_timeout_drip_huge(site: SiteServer) -> None:
    start = time.monotonic()
    assert raw_get(site, "/_faults/timeout?s=0.3")[0] == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    status, _, body = raw_get(site, "/_faults/drip?s=0.3")
    assert status == 200 and body.rstrip().endswith(b"</html>") and time.monotonic() - start >= 0.25
    status, headers, body = raw_get(site, "/_faults/huge?mb=2")
    assert status == 200 and len(body) == int(headers["Content-Length"]) == 2 * 1024 * 1024
    assert body.rstrip().endswith(b"</html>")


def test_fault_reset_closes_without_answer(site: SiteServer) -> None:
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        raw_get(site, "/_faults/reset")


# -- the fixture site itself --------------------------------------------------------------------


def test_every_page_is_a_complete_document() -> None:
    for file in html_files():
        doc = lxml.html.fromstring(file.read_bytes())
        assert doc.get("lang"), file
        assert (doc.findtext(".//title") or "").strip(), file


def test_internal_links_resolve_or_are_deliberately_bad() -> None:
    redirects = load_redirects(FIXTURE_SITE / "_redirects.txt")
    deliberate = facts_section("Deliberately unresolvable links")
    assert "/wiki/Missing_Article.html" in deliberate
    broken = {
        (url_path(file), link)
        for file in html_files()
        for link in internal_links(file)
        if not resolves(link, redirects) and not is_deliberately_bad(link, deliberate)
    }
    assert not broken
    for _, target in redirects.values():
        assert target in redirects or resolves(target, redirects), target


def test_wiki_articles_have_infoboxes() -> None:
    exceptions = set(facts_section("Wiki pages without an infobox"))
    for file in html_files():
        path = url_path(file)
        if path.startswith("/wiki/") and path not in exceptions:
            doc = lxml.html.fromstring(file.read_bytes())
            assert doc.xpath('//table[contains(concat(" ", @class, " "), " infobox ")]'), path


def test_content_pages_have_main_text() -> None:
    short = set(facts_section("Pages with little main text"))
    for file in html_files():
        text = trafilatura.extract(file.read_text(encoding="utf-8"), include_tables=True) or ""
        if url_path(file) in short:
            assert len(text) < 300, url_path(file)
        else:
            assert len(text) > 300, url_path(file)


def test_site_is_small() -> None:
    assert sum(f.stat().st_size for f in FIXTURE_SITE.rglob("*") if f.is_file()) < 1_000_000
