"""Address safety, decided on the request and on the resolved address, never by downloading."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request

from crawlers.middlewares import OfflineResolver, Refused, SafetyMiddleware
from crawlers.safety import PRIVATE_ADDRESS, AddressPolicy, make_policy

PUBLIC_ROOT = "https://example.com/start"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8765/",
        "http://10.0.0.1/",
        "http://192.168.1.1/admin",
        "http://172.16.0.5/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://localhost:8080/",
    ],
)
def test_private_literals_are_refused_from_a_public_root(url: str) -> None:
    policy = AddressPolicy.for_roots([PUBLIC_ROOT])
    assert policy.check_url(url) == PRIVATE_ADDRESS


def test_public_addresses_pass() -> None:
    policy = AddressPolicy.for_roots([PUBLIC_ROOT])
    assert policy.check_url("https://example.com/x") is None
    assert policy.check_url("http://93.184.216.34/") is None


def test_a_root_on_a_private_address_allows_that_origin_only() -> None:
    policy = AddressPolicy.for_roots(["http://127.0.0.1:8765/wiki/index.html"])
    assert policy.check_url("http://127.0.0.1:8765/other") is None
    assert policy.check_url("http://127.0.0.1:9999/other") == PRIVATE_ADDRESS  # another port (issue 20)
    assert policy.check_url("https://127.0.0.1:8765/other") == PRIVATE_ADDRESS  # another scheme
    assert policy.check_url("http://169.254.169.254/") == PRIVATE_ADDRESS
    assert policy.check_url("http://10.0.0.1/") == PRIVATE_ADDRESS


def test_allow_private_allows_everything() -> None:
    policy = AddressPolicy.for_roots([PUBLIC_ROOT], allow_private=True)
    assert policy.check_url("http://169.254.169.254/") is None


def test_resolved_addresses() -> None:
    policy = AddressPolicy.for_roots([PUBLIC_ROOT])
    assert policy.check_resolved("intranet.example.com", ["10.1.2.3"]) == PRIVATE_ADDRESS
    assert policy.check_resolved("metadata.example.com", ["169.254.169.254"]) == PRIVATE_ADDRESS
    assert policy.check_resolved("www.example.com", ["93.184.216.34"]) is None
    assert policy.check_resolved("mixed.example.com", ["93.184.216.34", "127.0.0.1"]) == PRIVATE_ADDRESS


def test_link_policy_domains_and_schemes() -> None:
    roots = [PUBLIC_ROOT, "http://127.0.0.1:8765/"]
    policy = make_policy(roots, [], AddressPolicy.for_roots(roots))
    assert policy(0, "https://www.example.com/page") is None  # same registered domain
    assert policy(0, "https://other.org/") == "offsite"
    assert policy(0, "http://169.254.169.254/") == PRIVATE_ADDRESS  # private before offsite
    assert policy(0, "ftp://example.com/") == "scheme"
    assert policy(1, "http://127.0.0.1:8765/x") is None
    assert policy(1, "https://example.com/") == "offsite"
    narrowed = make_policy(roots, ["docs.example.com"], AddressPolicy.for_roots(roots))
    assert narrowed(0, "https://www.example.com/") == "offsite"
    assert narrowed(0, "https://docs.example.com/a") is None


def _mw(resolved: dict[str, str]) -> SafetyMiddleware:
    calls: list[str] = []

    async def resolve(host: str) -> str:
        calls.append(host)
        return resolved[host]

    mw = SafetyMiddleware(AddressPolicy.for_roots([PUBLIC_ROOT]), resolve=resolve)
    mw.calls = calls  # type: ignore[attr-defined]
    return mw


def test_middleware_refuses_a_name_that_resolves_to_a_private_address() -> None:
    mw = _mw({"intranet.example.com": "10.0.0.7", "www.example.com": "93.184.216.34"})
    with pytest.raises(Refused) as err:
        asyncio.run(mw.process_request(Request("http://intranet.example.com/secret")))
    assert err.value.reason == PRIVATE_ADDRESS
    assert asyncio.run(mw.process_request(Request("https://www.example.com/a"))) is None
    asyncio.run(mw.process_request(Request("https://www.example.com/b")))
    assert mw.calls == ["intranet.example.com", "www.example.com"]  # one lookup per host


def test_middleware_refuses_literals_without_resolving() -> None:
    mw = _mw({})
    with pytest.raises(Refused):
        asyncio.run(mw.process_request(Request("http://169.254.169.254/latest/meta-data/")))
    assert mw.calls == []


def test_offline_resolver_never_queries_dns() -> None:
    from twisted.internet.error import DNSLookupError

    r = OfflineResolver.__new__(OfflineResolver)  # no reactor needed for these calls
    got: list = []
    r.getHostByName("127.0.0.1").addCallback(got.append)
    r.getHostByName("localhost").addCallback(got.append)
    r.getHostByName("example.com").addErrback(lambda f: got.append(f.check(DNSLookupError)))
    assert got == ["127.0.0.1", "127.0.0.1", DNSLookupError]


def test_download_failures_map_to_reasons() -> None:
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadTimeoutError,
        IgnoreRequest,
    )
    from twisted.internet.error import ConnectionRefusedError as TxRefused
    from twisted.python.failure import Failure

    from crawlers.spider import classify_failure

    cases = [
        (CannotResolveHostError("x"), "dns_error"),
        (DownloadTimeoutError("took longer than 1 seconds"), "timeout"),
        (DownloadCancelledError("Received 3000000 bytes which is larger than download max size (1000000)"),
         "too_large"),
        (TxRefused(), "connection_error"),
        (IgnoreRequest("Forbidden by robots.txt"), "robots_forbidden"),
        (Refused(PRIVATE_ADDRESS, "10.0.0.1"), PRIVATE_ADDRESS),
        (ValueError("odd"), "fetch_error"),
    ]
    for exc, reason in cases:
        assert classify_failure(Failure(exc))[0] == reason, exc
