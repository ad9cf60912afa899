"""Issue 20, item 6: SSRF. A root on a loopback address allows exactly its origin (scheme, host,
port); link-local and unspecified addresses are never contacted without ``allow_private``; IDN and
``[::1]`` roots work; an over-long link is a reject row, not silence.

Crawls are real (Scrapy against servers on 127.0.0.1 / ::1, offline DNS); the decisions about
addresses that must never see a packet (0.0.0.0, 169.254.169.254, fe80::) are tested on the
request objects and the link policy, without sending anything.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from scrapy import Request

from crawlers.frontier import Frontier
from crawlers.middlewares import OfflineResolver, Refused, SafetyMiddleware
from crawlers.safety import MAX_URL_CHARS, PRIVATE_ADDRESS, URL_TOO_LONG, AddressPolicy, make_policy
from crawlers.urls import canonicalize
from crawlqa.devserver import serve
from tests.crawlers.conftest import run_crawl

LONG = "/ok.html?q=" + "x" * (MAX_URL_CHARS + 100)
TEXT = ("<p>The Greywater lighthouse stands on the northern cape of the bay. It was built in 1871 from local "
        "granite, automated in 1962, and its lantern can be seen from twenty-two nautical miles away on a "
        "clear night. The keepers' cottages are now a small museum about the coast and its shipwrecks.</p>")
OTHER_TEXT = ("<p>Dunmoor is a fishing town on the estuary of the Kell. Its harbour was rebuilt in 1904 after a "
              "storm destroyed the old pier, and its market hall, opened in 1889, still hosts a weekly fish "
              "auction. The town band has played at the summer regatta every year since 1921.</p>")


def site_a(tmp: Path, b_url: str) -> Path:
    root = tmp / "a"
    root.mkdir()
    (root / "index.html").write_text(
        "<html><head><title>Home</title></head><body><h1>Home</h1>" + TEXT +
        f'<p><a href="{b_url}/admin">admin console</a></p>'
        '<p><a href="/go302">moved</a></p>'
        '<p><a href="refresh.html">refresh</a></p>'
        '<p><a href="ok.html">ok</a></p>'
        f'<p><a href="{LONG}">long</a></p>'
        '<p><a href="/golong">moved far</a></p>'
        "</body></html>", encoding="utf-8")
    (root / "refresh.html").write_text(
        f'<html><head><meta http-equiv="refresh" content="0; url={b_url}/admin"><title>R</title></head>'
        "<body><p>Redirecting.</p>" + TEXT + "</body></html>", encoding="utf-8")
    (root / "ok.html").write_text(f"<html><head><title>Ok</title></head><body>{OTHER_TEXT}</body></html>",
                                  encoding="utf-8")
    return root


def site_b(tmp: Path) -> Path:
    root = tmp / "b"
    root.mkdir()
    (root / "admin").write_text(f"<html><body><p>SECRET ADMIN PAGE</p>{TEXT}</body></html>", encoding="utf-8")
    (root / "index.html").write_text("<html><body><p>b</p></body></html>", encoding="utf-8")
    return root


def test_a_loopback_root_allows_its_own_origin_not_other_ports(tmp_path, netguard):
    with serve(site_b(tmp_path)) as b:
        with serve(site_a(tmp_path, b.url), redirects={"/go302": (302, f"{b.url}/admin"),
                                                       "/golong": (302, LONG)}) as a:
            got = run_crawl(a, [f"{a.url}/index.html"], tmp_path / "out", max_depth=2)
        assert b.requests == 0, f"the other port was contacted: {b.paths}"
    urls = {p["url"] for p in got.pages}
    assert {canonicalize(f"{a.url}/index.html"), f"{a.url}/ok.html"} <= urls
    assert not any("SECRET" in p["text"] for p in got.pages)
    private = {r["url"]: r["detail"] for r in got.rejects if r["reason"] == PRIVATE_ADDRESS}
    assert set(private) == {f"{b.url}/admin", f"{a.url}/go302", f"{a.url}/refresh.html"}, got.rejects
    assert private[f"{a.url}/go302"] == f"http_302 to {b.url}/admin"
    assert private[f"{a.url}/refresh.html"] == f"meta_refresh to {b.url}/admin"
    assert got.result.counters["crawl/dropped/private_address"] == 3
    # the over-long link is a reject row with a reason (it used to vanish)
    long = [r for r in got.rejects if r["reason"] == URL_TOO_LONG]
    link = next(r for r in long if r["url"].startswith(f"{a.url}/ok.html?q=xxx"))
    hop = next(r for r in long if r["url"] == f"{a.url}/golong")
    assert link["detail"] == f"link of {len(a.url + LONG):,} characters (limit {MAX_URL_CHARS:,})"
    assert hop["detail"].startswith(f"http_302 to {a.url}/ok.html?q=xxx")  # a redirect there: the same reason
    assert len(long) == 2 and got.result.counters["crawl/dropped/url_too_long"] == 2


@pytest.mark.parametrize("root", [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254:8080/",
    "http://0.0.0.0:8000/",
    "http://0.0.0.0/",
    "http://[::]:8000/",
    "http://[fe80::1]:8000/",
    "http://[::ffff:169.254.169.254]/",
])
def test_link_local_and_unspecified_roots_are_refused_without_a_packet(root):
    policy = AddressPolicy.for_roots([root])
    assert policy.allowed_origins == frozenset()
    assert policy.check_url(root) == PRIVATE_ADDRESS
    assert make_policy([root], [], policy)(0, root) == PRIVATE_ADDRESS
    frontier = Frontier([root], max_depth=1, max_pages_per_root=10, max_pages=10,
                        policy=make_policy([root], [], policy))
    assert frontier.start() == [] and [r[2] for r in frontier.refused_roots] == [PRIVATE_ADDRESS]
    lookups: list[str] = []

    def resolve(host):
        lookups.append(host)
        return "127.0.0.1"

    with pytest.raises(Refused) as err:
        asyncio.run(SafetyMiddleware(policy, resolve=resolve).process_request(Request(root)))
    assert err.value.reason == PRIVATE_ADDRESS and lookups == []
    # the user's explicit opt-in still works
    opted = AddressPolicy.for_roots([root], allow_private=True)
    assert opted.check_url(root) is None
    assert asyncio.run(SafetyMiddleware(opted, resolve=resolve).process_request(Request(root))) is None


def test_a_loopback_name_root_allows_its_origin_but_not_a_link_local_resolution():
    root = "http://localhost:8000/"
    policy = AddressPolicy.for_roots([root])
    assert policy.check_url("http://localhost:8000/a") is None
    assert policy.check_url("http://localhost:8001/a") == PRIVATE_ADDRESS
    assert policy.check_resolved("localhost", ["127.0.0.1"], "http://localhost:8000/a") is None
    assert policy.check_resolved("localhost", ["169.254.169.254"], "http://localhost:8000/a") == PRIVATE_ADDRESS
    assert policy.check_resolved("localhost", ["0.0.0.0"], "http://localhost:8000/a") == PRIVATE_ADDRESS
    assert policy.check_resolved("localhost", ["127.0.0.1"], "http://localhost:8001/a") == PRIVATE_ADDRESS

    async def resolve(host):
        return "127.0.0.1"

    mw = SafetyMiddleware(policy, resolve=resolve)
    assert asyncio.run(mw.process_request(Request("http://localhost:8000/x"))) is None
    with pytest.raises(Refused):
        asyncio.run(mw.process_request(Request("http://localhost:8001/x")))


def test_idn_hosts_are_compared_in_one_form():
    root = "http://bücher.localhost:8000/start"
    policy = AddressPolicy.for_roots([root])
    link = make_policy([root], [], policy)
    assert link(0, root) is None
    assert link(0, "http://xn--bcher-kva.localhost:8000/page") is None  # how w3lib spells the links
    assert link(0, "http://BÜCHER.localhost:8000/page") is None
    assert link(0, "http://xn--bcher-kva.localhost:9000/page") == PRIVATE_ADDRESS
    public = "https://bücher.example/start"
    assert make_policy([public], [], AddressPolicy.for_roots([public]))(0, "https://www.xn--bcher-kva.example/a") is None
    assert make_policy([public], ["bücher.example"], AddressPolicy())(0, "https://xn--bcher-kva.example/") is None


def test_offline_resolver_resolves_localhost_names_only():
    r = OfflineResolver.__new__(OfflineResolver)
    got: list = []
    r.getHostByName("xn--bcher-kva.localhost").addCallback(got.append)
    assert got == ["127.0.0.1"]


def test_an_idn_root_is_crawled_not_refused_as_offsite(tmp_path, netguard):
    """A Unicode root name that resolves (offline) to loopback: crawled like its punycode twin."""
    with serve(site_b(tmp_path)) as b, serve(site_a(tmp_path, b.url)) as a:
        root = f"http://bücher.localhost:{a.port}/index.html"
        got = run_crawl(a, [root], tmp_path / "out", max_depth=1)
        assert b.requests == 0
    urls = {p["url"] for p in got.pages}
    assert f"http://xn--bcher-kva.localhost:{a.port}/ok.html" in urls, got.rejects
    assert not [r for r in got.rejects if r["reason"] in ("offsite", "dns_error")], got.rejects
    private = [r for r in got.rejects if r["reason"] == PRIVATE_ADDRESS]
    assert private and all(f"{b.url}/admin" in r["url"] + r["detail"] for r in private), private


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_an_ipv6_loopback_root_is_crawled(tmp_path, netguard):
    with serve(site_b(tmp_path), host="::1") as b, serve(site_a(tmp_path, b.url), host="::1") as a:
        assert a.url.startswith("http://[::1]:")
        # Scrapy's default (threaded) resolver: gethostbyname knows no IPv6 literal
        got = run_crawl(a, [f"{a.url}/index.html"], tmp_path / "out", max_depth=1, offline_dns=False)
        assert b.requests == 0
    urls = {p["url"] for p in got.pages}
    assert {canonicalize(f"{a.url}/index.html"), f"{a.url}/ok.html"} <= urls, got.rejects
    assert not [r for r in got.rejects if r["reason"] == "dns_error"]
    private = {r["url"]: r["detail"] for r in got.rejects if r["reason"] == PRIVATE_ADDRESS}
    assert private == {f"{b.url}/admin": "link to a private/loopback/link-local address",
                       f"{a.url}/refresh.html": f"meta_refresh to {b.url}/admin"}
