"""Where the crawler may connect: no private, loopback or link-local address unless allowed.

Decided twice, both times without downloading anything:

* on the URL (``AddressPolicy.check_url``): a link, redirect or root whose host is an IP literal in a
  private/loopback/link-local/reserved range (169.254.169.254 included) is refused;
* on the resolved address (``AddressPolicy.check_resolved``, from ``SafetyMiddleware`` before each
  download): a host *name* that resolves into such a range is refused too.

A root the user gives on such an address allows that host (127.0.0.1 for the demo and the tests);
``allow_private=True`` allows every address. The spider turns a refusal into a counted reject
(reason ``private_address``); the Scrapy side of this lives in ``crawlers.middlewares``.

``make_policy`` combines it with the domain limit into the per-root link policy of the frontier.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from crawlers.urls import host_matches, host_of, ip_literal, is_http, registered_domain

PRIVATE_ADDRESS = "private_address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified or not ip.is_global)


class AddressPolicy:
    """Which hosts may be contacted. ``allowed_hosts`` are exempt (roots on private addresses)."""

    def __init__(self, allowed_hosts: Iterable[str] = (), *, allow_private: bool = False) -> None:
        self.allowed_hosts = frozenset(h.lower().strip("[]") for h in allowed_hosts if h)
        self.allow_private = allow_private

    @classmethod
    def for_roots(cls, roots: Iterable[str], *, allow_private: bool = False) -> AddressPolicy:
        """Roots on a private address or ``localhost`` allow their own host."""
        hosts = []
        for root in roots:
            host = host_of(root)
            ip = ip_literal(host)
            if (ip is not None and not is_public(ip)) or host == "localhost":
                hosts.append(host)
        return cls(hosts, allow_private=allow_private)

    def exempt(self, host: str) -> bool:
        return self.allow_private or host.lower().strip("[]") in self.allowed_hosts

    def check_url(self, url: str) -> str | None:
        """Reason to refuse ``url`` from its host alone (IP literal or ``localhost``), else None."""
        host = host_of(url)
        if self.exempt(host):
            return None
        if host == "localhost" or host.endswith(".localhost"):
            return PRIVATE_ADDRESS
        ip = ip_literal(host)
        if ip is not None and not is_public(ip):
            return PRIVATE_ADDRESS
        return None

    def check_resolved(self, host: str, addresses: Iterable[str]) -> str | None:
        """Reason to refuse ``host`` given the addresses it resolved to, else None."""
        if self.exempt(host):
            return None
        for addr in addresses:
            ip = ip_literal(addr)
            if ip is None or not is_public(ip):
                return PRIVATE_ADDRESS
        return None


def make_policy(
    roots: list[str], allowed_domains: list[str], addresses: AddressPolicy
) -> Callable[[int, str], str | None]:
    """(root index, url) -> reason to refuse (``scheme``, ``private_address``, ``offsite``) or None.

    The allowed domains are ``allowed_domains`` when given, else each root's registered domain.
    """
    domains = [list(allowed_domains) or [registered_domain(host_of(r))] for r in roots]

    def policy(root: int, url: str) -> str | None:
        if not is_http(url):
            return "scheme"
        reason = addresses.check_url(url)
        if reason:
            return reason
        host = host_of(url)
        if not any(host_matches(host, d) for d in domains[root]):
            return "offsite"
        return None

    return policy
