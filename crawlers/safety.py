"""Where the crawler may connect: no private, loopback, link-local or unspecified address unless allowed.

Decided twice, both times without downloading anything:

* on the URL (``AddressPolicy.check_url``): a link, redirect or root whose host is an IP literal in a
  private/loopback/link-local/reserved range (169.254.169.254 included) or a ``localhost`` name is
  refused;
* on the resolved address (``AddressPolicy.check_resolved``, from ``SafetyMiddleware`` before each
  download): a host *name* that resolves into such a range is refused too.

A root the user gives on a private or loopback address allows exactly that root's **origin**
(scheme, host, port): from a root on ``http://127.0.0.1:8000/`` a link, redirect or meta refresh to
``http://127.0.0.1:9000/admin`` (another service on the same machine) is refused. Link-local
(169.254.0.0/16, fe80::/10: cloud metadata) and unspecified (0.0.0.0, ::) addresses are never
allowed, not even as roots; ``allow_private=True`` (``--allow-private``) allows every address.
Hosts are compared in one form (``crawlers.urls.ascii_host``: IDNA/punycode), so a root typed in
Unicode is the same host as the punycoded links of its pages. The spider turns a refusal into a
counted reject (reason ``private_address``); the Scrapy side of this lives in ``crawlers.middlewares``.

``make_policy`` combines it with the domain limit and the URL length limit into the per-root link
policy of the frontier.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from crawlers.urls import ascii_host, host_matches, host_of, ip_literal, is_http, registered_domain

PRIVATE_ADDRESS = "private_address"
URL_TOO_LONG = "url_too_long"
MAX_URL_CHARS = 2083  # the longest URL browsers and most servers accept (Scrapy's URLLENGTH_LIMIT)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int]  # (scheme, ASCII host, port)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _plain(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address."""
    ip = _plain(ip)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified or not ip.is_global)


def never_allowed(ip: IPAddress) -> bool:
    """Link-local (cloud metadata) or unspecified: allowed only with ``allow_private``, even as a root."""
    ip = _plain(ip)
    return ip.is_link_local or ip.is_unspecified


def is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def origin_of(url: str) -> Origin | None:
    """(scheme, ASCII host, port with the scheme's default filled in), or None for a URL without one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = ascii_host((parts.hostname or "").strip("[]"))
    if not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme, 0)


class AddressPolicy:
    """Which addresses may be contacted. ``allowed_origins`` are exempt (roots on private addresses)."""

    def __init__(self, allowed_origins: Iterable[Origin] = (), *, allow_private: bool = False) -> None:
        self.allowed_origins = frozenset(allowed_origins)
        self.allow_private = allow_private

    @classmethod
    def for_roots(cls, roots: Iterable[str], *, allow_private: bool = False) -> AddressPolicy:
        """Roots on a private/loopback address or a ``localhost`` name allow their own origin
        (never a link-local or unspecified one)."""
        origins = []
        for root in roots:
            origin = origin_of(root)
            if origin is None:
                continue
            ip = ip_literal(origin[1])
            if ip is not None and never_allowed(ip):
                continue
            if (ip is not None and not is_public(ip)) or is_localhost(origin[1]):
                origins.append(origin)
        return cls(origins, allow_private=allow_private)

    def exempt(self, url: str) -> bool:
        """The URL's origin is one the user's roots allow (or every address is allowed)."""
        return self.allow_private or origin_of(url) in self.allowed_origins

    def check_url(self, url: str) -> str | None:
        """Reason to refuse ``url`` from its host alone (IP literal or ``localhost``), else None."""
        if self.allow_private:
            return None
        host = ascii_host(host_of(url))
        ip = ip_literal(host)
        if ip is not None and never_allowed(ip):
            return PRIVATE_ADDRESS
        if not is_localhost(host) and (ip is None or is_public(ip)):
            return None
        return None if self.exempt(url) else PRIVATE_ADDRESS

    def check_resolved(self, host: str, addresses: Iterable[str], url: str | None = None) -> str | None:
        """Reason to refuse ``host`` (of ``url``) given the addresses it resolved to, else None.

        A root's own origin may resolve to a private or loopback address, never to a link-local or
        unspecified one."""
        if self.allow_private:
            return None
        exempt = url is not None and self.exempt(url)
        for addr in addresses:
            ip = ip_literal(addr)
            if ip is None or never_allowed(ip):
                return PRIVATE_ADDRESS
            if not exempt and not is_public(ip):
                return PRIVATE_ADDRESS
        return None


def make_policy(
    roots: list[str], allowed_domains: list[str], addresses: AddressPolicy
) -> Callable[[int, str], str | None]:
    """(root index, url) -> reason to refuse (``scheme``, ``url_too_long``, ``private_address``,
    ``offsite``) or None.

    The allowed domains are ``allowed_domains`` when given, else each root's registered domain
    (compared as ASCII/punycode).
    """
    domains = [[ascii_host(d) for d in allowed_domains] or [registered_domain(ascii_host(host_of(r)))]
               for r in roots]

    def policy(root: int, url: str) -> str | None:
        if not is_http(url):
            return "scheme"
        if len(url) > MAX_URL_CHARS:
            return URL_TOO_LONG
        reason = addresses.check_url(url)
        if reason:
            return reason
        host = ascii_host(host_of(url))
        if not any(host_matches(host, d) for d in domains[root]):
            return "offsite"
        return None

    return policy
