"""URL canonicalisation: one key per page however a link spells it."""

from __future__ import annotations

import pytest

from crawlers.urls import canonicalize, fetch_url, host_matches, registered_domain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/b/?utm_source=x&b=2&a=1#frag", "http://example.com/a/b?a=1&b=2"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://h/wiki/Page.html#History", "http://h/wiki/Page.html"),
        ("http://h/a/?fbclid=1&gclid=2&utm_medium=m", "http://h/a"),
        ("http://h/a/index.html", "http://h/a"),
        ("http://h/index.html", "http://h/"),
        ("http://h", "http://h/"),
        ("http://h/a//b/../c/", "http://h/a/c"),
        ("http://h/A/Ray Charles.html", "http://h/A/Ray%20Charles.html"),
        ("http://h/A/Ray%20Charles.html", "http://h/A/Ray%20Charles.html"),
        ("https://en.m.wikipedia.org/wiki/Ray_Charles", "https://en.wikipedia.org/wiki/Ray_Charles"),
        ("https://m.example.com/news/1", "https://example.com/news/1"),
        ("https://en.wikipedia.org/wiki/Ray_Charles?useskin=vector", "https://en.wikipedia.org/wiki/Ray_Charles"),
        ("https://en.wikipedia.org/w/index.php?title=Ray Charles", "https://en.wikipedia.org/wiki/Ray_Charles"),
        ("https://en.wikipedia.org/w/index.php?title=Ray_Charles&action=edit",
         "https://en.wikipedia.org/w/index.php?action=edit&title=Ray_Charles"),
        ("http://[::1]:8080/x/", "http://[::1]:8080/x"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_variants_share_one_key() -> None:
    variants = [
        "http://127.0.0.1:8000/wiki/Mira_Volkova.html",
        "http://127.0.0.1:8000/wiki/Mira_Volkova.html#Discography",
        "http://127.0.0.1:8000/wiki/Mira_Volkova.html?utm_campaign=x",
        "HTTP://127.0.0.1:8000/wiki/./Mira_Volkova.html",
    ]
    assert len({canonicalize(v) for v in variants}) == 1
    assert canonicalize("http://h/dir/") == canonicalize("http://h/dir") == canonicalize("http://h/dir/index.html")


def test_fetch_url_keeps_the_server_form() -> None:
    assert fetch_url("http://h/abs/0704.0001/#x") == "http://h/abs/0704.0001/"
    assert fetch_url("http://h/a?utm_source=x&q=1") == "http://h/a?q=1"
    assert fetch_url("http://h/a b") == "http://h/a%20b"


def test_non_http_urls_are_left_alone() -> None:
    assert canonicalize("mailto:a@b.org") == "mailto:a@b.org"


def test_registered_domain_offline() -> None:
    assert registered_domain("en.m.wikipedia.org") == "wikipedia.org"
    assert registered_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("127.0.0.1") == "127.0.0.1"
    assert registered_domain("localhost") == "localhost"
    assert host_matches("de.wikipedia.org", "wikipedia.org")
    assert not host_matches("evilwikipedia.org", "wikipedia.org")
