"""The CRAWLQA spider: fetch, classify, collect links; the frontier decides what comes next.

The callback does only cheap work in the crawl process: classify the response (HTTP error,
non-HTML, too large, redirect, meta refresh) and hand the HTML to a worker process
(``crawlers.pipeline.Extractor``), which parses it once for its content links (site profile), its
declared canonical URL and its extraction; the callback then records the page in the frontier and
the spool. Scrapy's reactor thread parses HTML only for the pages that arrive while the workers
are still warming up (``local_links``, the same ``crawlers.links`` code on Scrapy's parse; their
extraction follows in the background), so the crawl never waits for the pool to start. New
requests are scheduled between waves, from ``spider_idle``, once every callback of the wave has its
page's links (see ``crawlers/frontier.py`` for why).

Redirects (3xx and ``<meta http-equiv="refresh">``) are followed here rather than by Scrapy's
middlewares, so that every hop passes the same domain/address policy, loops are caught on exact
URLs, and a redirect onto a page already fetched becomes an alias of that page (no duplicate).

A page's ``<link rel="canonical">`` (same registered domain, allowed by the crawl policy) makes it
a page of that canonical URL: a duplicate alias when the canonical page itself was fetched, else a
page recorded under the canonical URL (``crawlers/frontier.py``; one page per canonical URL).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, StopDownload
from scrapy.http import Response, TextResponse
from w3lib.html import get_meta_refresh

from crawlers.config import CrawlConfig
from crawlers.frontier import Admission, Frontier
from crawlers.middlewares import Refused
from crawlers.pipeline import Extractor
from crawlers.profiles import Profile, get_profile, profile_for, sniff_profile
from crawlers.safety import MAX_URL_CHARS, PRIVATE_ADDRESS, URL_TOO_LONG, AddressPolicy, make_policy
from crawlers.scope import sitemap_url, sitemap_urls, with_patterns
from crawlers.spool import SpoolWriter
from crawlers.urls import canonicalize, fetch_url, host_of, is_http, registered_domain

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_html_type(content_type: str) -> bool:
    ct = content_type.split(";", 1)[0].strip().lower()
    return ct in HTML_TYPES


def classify_failure(failure: Any) -> tuple[str, str]:
    """Reject reason and detail for a failed download."""
    from scrapy import exceptions as sx
    from twisted.internet import error as tx

    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, Refused):
        return exc.reason, exc.detail or detail
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in str(exc):
            return "robots_forbidden", "disallowed by robots.txt"
        return "ignored", detail
    checks: list[tuple[str, tuple]] = [
        ("dns_error", (getattr(sx, "CannotResolveHostError", ()), tx.DNSLookupError)),
        ("timeout", (getattr(sx, "DownloadTimeoutError", ()), tx.TimeoutError, TimeoutError)),
        ("too_large", (getattr(sx, "DownloadCancelledError", ()),)),
        ("connection_error", (
            getattr(sx, "DownloadConnectionRefusedError", ()), getattr(sx, "DownloadFailedError", ()),
            getattr(sx, "ResponseDataLossError", ()), tx.ConnectError, tx.ConnectionLost,
            tx.ConnectionDone, ConnectionError)),
    ]
    for reason, types in checks:
        types = tuple(t for t in types if isinstance(t, type))
        if types and isinstance(exc, types):
            if reason == "too_large" and "size" not in str(exc).lower():
                return "cancelled", detail
            return reason, detail
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout", detail
    if "DNS" in name or "Resolve" in name:
        return "dns_error", detail
    if "Connection" in name or "ResponseNeverReceived" in name or "ResponseFailed" in name:
        return "connection_error", detail
    return "fetch_error", detail


class CrawlqaSpider(scrapy.Spider):
    name = "crawlqa"

    def __init__(self, roots: list[str], cfg: dict | CrawlConfig, spool_path: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.cfg = cfg if isinstance(cfg, CrawlConfig) else CrawlConfig(**cfg)
        self.roots = list(roots)
        self.addresses = AddressPolicy.for_roots(self.roots, allow_private=self.cfg.allow_private)
        self.frontier = Frontier(
            self.roots, max_depth=self.cfg.max_depth, max_pages_per_root=self.cfg.max_pages_per_root,
            max_pages=self.cfg.max_pages,
            policy=with_patterns(make_policy(self.roots, self.cfg.allowed_domains, self.addresses),
                                 self.roots, self.cfg.allow, self.cfg.deny),
        )
        self.sitemap_links: dict[int, list] = {}  # root -> links read from its site's sitemap
        self._held: list[Admission] = []  # the roots, requested once the sitemaps are read
        self.spool = SpoolWriter(spool_path)
        self.counters: Counter[str] = Counter()
        self.root_profiles: dict[int, Profile] = {}
        self.waves = 0
        self.pending: set[str] = set()  # pages fetched, in a worker (no links yet)
        self.background: set = set()  # extractions of pages whose links were read here (Deferreds)
        self._close_when_done = False
        self._refused_seen = 0
        self._forced = None if self.cfg.profile == "auto" else get_profile(self.cfg.profile)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_headers, signal=signals.headers_received)
        spider.extractor = Extractor(crawler, spider.cfg)
        return spider

    # -- requests ------------------------------------------------------------------------------
    def make_request(self, adm: Admission, url: str | None = None, chain: list[str] | None = None):
        return scrapy.Request(
            url or adm.url, callback=self.parse, errback=self.on_error, dont_filter=True,
            meta={"cq": {"root": adm.root, "depth": adm.depth, "key": adm.key, "chain": chain or []},
                  "handle_httpstatus_all": True, "dont_redirect": True},
        )

    async def start(self):
        batch = self.frontier.start()
        for root, url, reason in self.frontier.refused_roots:
            self.reject(reason, url, root, "root refused by the crawl policy")
        if self.cfg.sitemap and batch:
            # the sitemaps first: their pages become links of the roots, read before the roots are
            self._held = batch
            by_url: dict[str, list[int]] = {}
            for adm in batch:
                by_url.setdefault(sitemap_url(adm.url), []).append(adm.root)
            log.info("sitemap seeding: %d sitemap(s)", len(by_url))
            for url, roots in by_url.items():
                yield self.sitemap_request(url, roots)
            return
        log.info("wave 0: %d root(s)", len(batch))
        for adm in batch:
            yield self.make_request(adm)

    # -- sitemap seeding -------------------------------------------------------------------------
    def sitemap_request(self, url: str, roots: list[int], depth: int = 0):
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_sitemap_error, dont_filter=True,
                              meta={"sitemap": {"roots": roots, "depth": depth}, "handle_httpstatus_all": True,
                                    "dont_redirect": True})

    def parse_sitemap(self, response: Response):
        meta = response.meta["sitemap"]
        if response.status != 200:
            self.counters[f"crawl/sitemap/http_{response.status}"] += 1
            return
        kind, locs = sitemap_urls(response.body)
        if kind == "sitemapindex" and meta["depth"] == 0:  # one level of index, same host only
            self.counters["crawl/sitemap/index"] += 1
            same = [u for u in locs if host_of(u) == host_of(response.url)][:20]
            for url in same:
                yield self.sitemap_request(url, meta["roots"], depth=1)
            return
        if kind != "urlset":
            self.counters["crawl/sitemap/invalid"] += 1
            return
        cap = 10 * self.cfg.max_pages
        for root in meta["roots"]:
            got = self.sitemap_links.setdefault(root, [])
            for url in locs:
                if len(got) >= cap:
                    break
                if is_http(url):
                    got.append((canonicalize(url), fetch_url(url), ""))
            self.counters["crawl/sitemap/urls"] += len(got)

    def on_sitemap_error(self, failure) -> None:
        reason, _detail = classify_failure(failure)
        self.counters[f"crawl/sitemap/{reason}"] += 1

    def with_sitemap(self, got: dict, root: int) -> dict:
        """A root page's links, followed by its sitemap's pages (links of the root, depth 1)."""
        from crawlers.frontier import pack_links, unpack_links

        extra = self.sitemap_links.pop(root, None)
        if not extra:
            return got
        links = unpack_links(got["links"]) if isinstance(got["links"], bytes) else list(got["links"])
        have = {k for k, _u, _t in links}
        links += [x for x in extra if x[0] not in have and not have.add(x[0])]
        return got | {"links": pack_links(links)}

    def on_idle(self) -> None:
        if self._held:  # sitemaps read: now the roots
            batch, self._held = self._held, []
            log.info("wave 0: %d root(s)", len(batch))
            for adm in batch:
                self.crawler.engine.crawl(self.make_request(adm))
            raise DontCloseSpider
        batch = self.frontier.next_batch()
        self._flush_refusals()
        if not batch:
            if self.background:  # extractions of early pages still running: closed when they end
                self._close_when_done = True
                raise DontCloseSpider
            self._log_complete()
            return
        self.waves += 1
        depths = Counter(a.depth for a in batch)
        log.info("wave %d: %d request(s) %s", self.waves, len(batch), dict(sorted(depths.items())))
        for adm in batch:
            self.crawler.engine.crawl(self.make_request(adm))
        raise DontCloseSpider

    def _flush_refusals(self) -> None:
        """Count links refused by the policy; a private address is also a reject row."""
        new = self.frontier.refused[self._refused_seen:]
        self._refused_seen = len(self.frontier.refused)
        for root, url, reason in new:
            if reason == PRIVATE_ADDRESS:
                self.reject(reason, url, root, "link to a private/loopback/link-local address", key=url)
            elif reason == URL_TOO_LONG:
                self.reject(reason, url[:MAX_URL_CHARS], root, f"link of {len(url):,} characters "
                            f"(limit {MAX_URL_CHARS:,})", key=url[:MAX_URL_CHARS])
            else:
                self.counters[f"crawl/links_skipped/{reason}"] += 1

    # -- signals -------------------------------------------------------------------------------
    def on_headers(self, headers, body_length, request, spider=None) -> None:
        """Stop reading a non-HTML or oversized body as soon as its headers say so."""
        if "cq" not in request.meta:
            return
        ctype = (headers.get(b"Content-Type") or b"").decode("latin-1")
        if ctype and not is_html_type(ctype):
            raise StopDownload(fail=False)
        length = body_length if isinstance(body_length, int) else -1
        if length > self.cfg.max_page_bytes:
            raise StopDownload(fail=False)

    # -- rejects -------------------------------------------------------------------------------
    def reject(self, reason: str, url: str, root: int, detail: str = "", *, key: str | None = None,
               stage: str = "crawl") -> None:
        key = key or canonicalize(url)
        self.counters[f"{stage}/dropped/{reason}"] += 1
        self.spool.put_reject(stage, reason, key, url, root, detail)
        self.frontier.add_failure(key)

    def on_error(self, failure) -> None:
        request = failure.request
        cq = request.meta.get("cq") or {}
        reason, detail = classify_failure(failure)
        first = (cq.get("chain") or [request.url])[0]
        self.reject(reason, first, cq.get("root", 0), detail, key=cq.get("key"))
        if cq.get("key") and cq["key"] != canonicalize(first):
            self.frontier.add_failure(canonicalize(first))

    # -- responses -----------------------------------------------------------------------------
    async def parse(self, response: Response):
        cq = response.meta["cq"]
        root, depth, key = cq["root"], cq["depth"], cq["key"]
        chain: list[str] = cq["chain"]
        first = chain[0] if chain else response.url
        status = response.status
        self.counters["crawl/responses"] += 1
        if 300 <= status < 400 and status != 304:
            location = response.headers.get(b"Location")
            if location:
                target = response.urljoin(location.decode("latin-1").strip())
                for request in self.redirect(response, target, f"http_{status}"):
                    yield request
                return
        if not 200 <= status < 300 or status == 204:
            self.reject(f"http_{status}", first, root, f"HTTP {status} for {response.url}", key=key)
            return
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        declared = response.headers.get(b"Content-Length")
        too_big = len(response.body) > self.cfg.max_page_bytes or (
            declared is not None and declared.isdigit() and int(declared) > self.cfg.max_page_bytes)
        if (ctype and not is_html_type(ctype)) or not isinstance(response, TextResponse):
            self.reject("non_html", first, root, ctype or "no content type", key=key)
            return
        if too_big:
            self.reject("too_large", first, root, f"> {self.cfg.max_page_bytes} bytes", key=key)
            return
        text = response.text
        if not ctype and "<html" not in text[:2048].lower() and "<body" not in text[:4096].lower():
            self.reject("non_html", first, root, "no content type, body does not look like HTML", key=key)
            return
        interval, refresh = get_meta_refresh(text[:8192], response.url, ignore_tags=("script", "noscript"))
        if refresh and interval is not None and interval <= self.cfg.meta_refresh_max_delay:
            for request in self.redirect(response, refresh, "meta_refresh"):
                yield request
            return
        page_key = canonicalize(response.url)
        if page_key != key:
            self.frontier.add_alias(key, page_key)
            self.spool.put_alias(key, page_key)
        if page_key in self.frontier.pages or page_key in self.pending:
            self.counters["crawl/duplicate_pages"] += 1
            return
        if response.encoding and response.encoding.lower().replace("-", "") not in ("utf8", "ascii"):
            self.counters["crawl/non_utf8"] += 1
        profile = self.page_profile(root, depth, response.url, text)
        if not self.extractor.ready():
            # The workers are still warming up (the first pages of a crawl): this page's links are
            # read here, so that the next wave need not wait for them; its extraction follows.
            got = local_links(profile, response, text)
            if depth == 0 and root in self.sitemap_links:
                got = self.with_sitemap(got, root)
            if self.record_links(got, page_key, root, response):
                row = self.fetch_row(page_key, root, depth, first, response, ctype, profile.name)
                self.in_background(self.extract_later(text, response.url, row, got["links"]))
            return
        # A worker parses the page (links, canonical URL, extraction); the wave is not over, and
        # the frontier not asked for more, until this callback has the page's links.
        self.pending.add(page_key)
        try:
            got = await self.extractor.process(text, response.url, profile.name)
        finally:
            self.pending.discard(page_key)
        if depth == 0 and root in self.sitemap_links:
            got = self.with_sitemap(got, root)
        if self.record_links(got, page_key, root, response):
            row = self.fetch_row(page_key, root, depth, first, response, ctype, profile.name)
            self.record_fetch(row, text, got["links"], got["extract"])

    def record_links(self, got: dict, page_key: str, root: int, response: Response) -> bool:
        """A parsed page's links into the frontier; False when it is recorded as an alias of its
        declared canonical page instead."""
        for why, n in got["skipped"].items():
            self.counters[f"crawl/links_skipped/{why}"] += n
        if got["links_error"]:
            self.counters["crawl/links_unreadable"] += 1
            log.warning("links of %s unreadable: %s", response.url, got["links_error"])
        canonical = self.canonical_key(got["canonical"], got["canonical_error"], root, page_key)
        if canonical is not None:
            if canonical in self.frontier.pages and canonical not in self.frontier.canonical:
                # the canonical page itself was fetched: this one is recorded as its duplicate
                self.counters["crawl/canonical_duplicates"] += 1
                self.frontier.add_alias(page_key, canonical)
                self.spool.put_alias(page_key, canonical)
                return False
            self.counters["crawl/canonical_declared"] += 1
            self.frontier.add_canonical(page_key, canonical)
            self.spool.put_canonical(page_key, canonical)
        self.frontier.add_page(page_key, got["links"])
        self.counters["crawl/pages"] += 1
        return True

    @staticmethod
    def fetch_row(page_key: str, root: int, depth: int, first: str, response: Response, ctype: str,
                  site: str) -> dict:
        return {"key": page_key, "root": root, "depth": depth, "url": first, "final_url": response.url,
                "status": response.status, "content_type": ctype or "text/html",
                "fetched_at": fetched_at(response), "site": site, "encoding": response.encoding or ""}

    def record_fetch(self, row: dict, html: str, links: bytes, extraction: dict) -> None:
        self.spool.put_fetch(row | {"html": html, "links": links})
        self.spool.put_extract(row["key"], extraction)

    async def extract_later(self, text: str, url: str, row: dict, links: bytes) -> None:
        got = await self.extractor.process(text, url, row["site"])
        self.record_fetch(row, text, links, got["extract"])

    def _log_complete(self) -> None:
        log.info("crawl complete after %d wave(s): %d pages", self.waves, len(self.frontier.pages))

    def in_background(self, coro) -> None:
        """Run ``coro`` outside Scrapy's bookkeeping; the spider closes only once it is done."""
        from scrapy.utils.defer import deferred_from_coro

        d = deferred_from_coro(coro)
        self.background.add(d)

        def done(result):
            self.background.discard(d)
            if not self.background and self._close_when_done:
                self._log_complete()
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="finished"))
            return result

        d.addBoth(done)
        d.addErrback(lambda f: log.error("background extraction failed: %s", f.getErrorMessage()))

    def redirect(self, response: Response, target: str, kind: str):
        cq = response.meta["cq"]
        root, depth, key = cq["root"], cq["depth"], cq["key"]
        chain = [*cq["chain"], response.url]
        first = chain[0]
        self.counters[f"crawl/redirects/{kind}"] += 1
        if not is_http(target):
            self.reject("bad_redirect", first, root, f"{kind} to {target[:200]}", key=key)
            return
        target = fetch_url(target)
        if target in chain or len(chain) > self.cfg.max_redirects:
            self.reject("redirect_loop", first, root, " -> ".join([*chain, target])[:1000], key=key)
            self.frontier.add_failure(canonicalize(first))
            return
        tkey = canonicalize(target)
        reason = self.frontier.policy(root, tkey)
        if reason:
            self.reject(reason, first, root, f"{kind} to {target}", key=key)
            return
        if tkey != key:
            self.frontier.add_alias(key, tkey)
            self.spool.put_alias(key, tkey)
            if (tkey in self.frontier.pages or tkey in self.frontier.requested or tkey in self.frontier.failed
                    or tkey in self.frontier.canonical_targets):
                self.counters["crawl/redirects_to_known"] += 1
                return
            self.frontier.requested.add(tkey)
        yield self.make_request(Admission(root, depth, tkey, target), chain=chain)

    def canonical_key(self, target: str | None, error: str, root: int, page_key: str) -> str | None:
        """The key of the page's declared canonical URL (``crawlers.links.declared_canonical``)
        when it is another URL that may stand for this page: http(s), the same registered domain as
        the page, and allowed by the crawl's policy for this root (domains, private addresses).
        Anything else is counted and ignored."""
        if error:
            self.counters[f"crawl/canonical_ignored/{error}"] += 1
            return None
        if not target:
            return None
        if not is_http(target):
            self.counters["crawl/canonical_ignored/scheme"] += 1
            return None
        key = canonicalize(target)
        if key == page_key:
            return None
        if registered_domain(host_of(key)) != registered_domain(host_of(page_key)):
            self.counters["crawl/canonical_ignored/other_domain"] += 1
            return None
        reason = self.frontier.policy(root, key)
        if reason:
            self.counters[f"crawl/canonical_ignored/{reason}"] += 1
            return None
        return key

    # -- profiles and links ----------------------------------------------------------------------
    def page_profile(self, root: int, depth: int, url: str, text: str) -> Profile:
        if self._forced is not None:
            return self._forced
        if root not in self.root_profiles:
            name = self.cfg.profiles.get(self.roots[root])
            if name:
                chosen = get_profile(name)
            else:
                chosen = profile_for(self.roots[root])
                if chosen.name == "generic":
                    chosen = profile_for(url) if profile_for(url).name != "generic" else (
                        sniff_profile(text) or chosen)
            self.root_profiles[root] = chosen
            log.info("root %d %s: profile %s", root, self.roots[root], chosen.name)
        by_url = profile_for(url)
        if by_url.name != "generic":
            return by_url
        if self.root_profiles[root].name != "generic":
            return self.root_profiles[root]
        return sniff_profile(text) or by_url  # e.g. a wiki dump reached from a generic hub page

    def closed(self, reason: str) -> None:
        self.counters[f"crawl/finish/{reason}"] += 1
        self.extractor.close()
        log.info("spider closed (%s)", reason)


def local_links(profile: Profile, response: TextResponse, text: str) -> dict:
    """``crawlers.links.read_links`` on Scrapy's own parse of the page, in the crawl process (only
    while the workers warm up)."""
    from crawlers.links import no_links, read_links

    try:
        tree = response.selector.root
    except Exception as exc:  # a page Scrapy cannot parse is still a page
        return no_links() | {"links_error": f"{type(exc).__name__}: {exc}"[:300]}
    return read_links(profile, tree, text, response.url)


def fetched_at(response: Response) -> str:
    """When the page was fetched: the response's Date header (kept by the HTTP cache), else now."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    raw = response.headers.get(b"Date")
    if not raw:
        return now
    try:
        dt = parsedate_to_datetime(raw.decode("latin-1"))
    except (TypeError, ValueError):  # a malformed Date header: the local clock instead
        return now
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
