"""Scrapy side of the address safety policy (``crawlers.safety``): a downloader middleware that
refuses requests to private addresses (literal or resolved), and an offline DNS resolver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawlers.safety import AddressPolicy, is_localhost, origin_of
from crawlers.urls import host_of, ip_literal


class Refused(IgnoreRequest):
    """A request the crawler will not send, with the reject reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


Resolve = Callable[[str], Any]  # host -> address str, or an awaitable of it


class SafetyMiddleware:
    """Downloader middleware: refuse requests to private addresses (literal or resolved).

    Runs first (order 10, before robots.txt), so neither a page nor a robots.txt is fetched from a
    refused host. Resolution goes through the reactor's resolver (Scrapy's DNS cache), so the
    connection that follows reuses the address that was checked.
    """

    def __init__(self, policy: AddressPolicy, resolve: Resolve | None = None) -> None:
        self.policy = policy
        self._resolve = resolve
        self._verdicts: dict[tuple | None, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler) -> SafetyMiddleware:
        roots = crawler.settings.getlist("CRAWLQA_ROOTS")
        policy = AddressPolicy.for_roots(roots, allow_private=crawler.settings.getbool("CRAWLQA_ALLOW_PRIVATE"))
        return cls(policy)

    async def _lookup(self, host: str) -> str:
        if self._resolve is not None:
            result = self._resolve(host)
        else:
            from twisted.internet import reactor

            result = reactor.resolve(host)  # type: ignore[attr-defined]
        if isinstance(result, defer.Deferred):
            from scrapy.utils.defer import maybe_deferred_to_future

            return await maybe_deferred_to_future(result)
        if hasattr(result, "__await__"):
            return await result
        return result

    async def process_request(self, request) -> None:
        host = host_of(request.url)
        reason = self.policy.check_url(request.url)
        if reason:
            raise Refused(reason, host)
        if self.policy.allow_private or ip_literal(host) is not None:
            return None
        # verdicts per origin: a name a root allows (localhost:PORT) is refused on another port
        origin = origin_of(request.url)
        if origin not in self._verdicts:
            try:
                address = await self._lookup(host)
            except DNSLookupError:
                return None  # the download fails the same way and is counted as dns_error
            self._verdicts[origin] = self.policy.check_resolved(host, [address], request.url)
        if self._verdicts[origin]:
            raise Refused(self._verdicts[origin], host)
        return None


class LiteralResolver(CachingThreadedResolver):
    """Scrapy's threaded resolver, except that an IP literal is its own address (``gethostbyname``
    knows no IPv6: a ``[::1]`` root failed as ``dns_error``)."""

    def getHostByName(self, name: str, timeout=()):
        if ip_literal(name) is not None:
            return defer.succeed(name.strip("[]"))
        return super().getHostByName(name, timeout)


class OfflineResolver(LiteralResolver):
    """Resolves IP literals and ``localhost`` names only: any other name fails without a DNS query."""

    def getHostByName(self, name: str, timeout=()):
        if ip_literal(name) is not None:
            return defer.succeed(name.strip("[]"))
        if is_localhost(name.lower().rstrip(".")):  # RFC 6761: localhost names are loopback, never looked up
            return defer.succeed("127.0.0.1")
        return defer.fail(DNSLookupError(f"{name}: not resolved (offline_dns)"))
