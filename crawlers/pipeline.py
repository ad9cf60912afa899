"""Each fetched page goes to a pool of worker processes, which parse it once for everything.

``Extractor.process`` is awaited by the spider's callback (``CrawlqaSpider.parse``): a worker
returns the page's content links, its declared canonical URL and its
extraction (``crawlers.extract.process_page``). Scrapy's reactor, the one thread every page of the
crawl passes through, therefore never parses HTML; the workers do it on the other cores, while the
downloader goes on fetching. A wave of the crawl ends when every callback of the wave has its
page's links (Scrapy is idle only then), so the frontier decides on a complete link graph.

``pebble``'s process pool gives each page a hard timeout: a page that takes longer than
``extract_timeout`` is killed with its worker (which the pool replaces) and becomes an
``extract_timeout`` reject. At most ``8 × workers`` pages wait for a worker; past that the callbacks
wait, which (through Scrapy's scraper slot) slows the downloader instead of letting raw HTML pile up.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from twisted.internet import defer

from crawlers.config import CrawlConfig
from crawlers.extract import process_page
from crawlers.links import no_links
from crawlers.pool import drop_pool, outcome, pool_started, take_pool

log = logging.getLogger(__name__)


class ExtractionPoolFailed(RuntimeError):
    """The worker pool could not start (a broken installation): the crawl stops."""


class Extractor:
    def __init__(self, crawler, cfg: CrawlConfig) -> None:
        self.crawler = crawler
        self.cfg = cfg
        self.workers = cfg.workers(os.cpu_count())
        self.max_inflight = 8 * self.workers
        self.inflight = 0
        self.pool = None
        self.fatal = ""
        self._starting: defer.Deferred | None = None
        self._waiters: list[defer.Deferred] = []
        log.info("extraction: %d worker process(es), %.0fs per page", self.workers, cfg.extract_timeout)

    def ready(self) -> bool:
        """The workers are up (the pool was taken, or has finished starting)."""
        return self.pool is not None or pool_started()

    async def _pool(self):
        """The pool ``crawlers.worker`` started before Scrapy was imported, taken in a thread the
        first time a page arrives (the crawl never waits for the pool to start before that)."""
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.threads import deferToThread

        if self.pool is not None:
            return self.pool
        if self.fatal:
            raise ExtractionPoolFailed(self.fatal)
        if self._starting is None:
            self._starting = deferToThread(take_pool, self.workers)
            self._starting.addCallbacks(self._started, self._failed)
        waiter: defer.Deferred = defer.Deferred()
        self._starting.addBoth(lambda r: (waiter.callback(None), r)[1])
        await maybe_deferred_to_future(waiter)
        if self.pool is None:
            raise ExtractionPoolFailed(self.fatal)
        return self.pool

    def _started(self, pool) -> None:
        self.pool = pool

    def _failed(self, failure) -> None:
        # A broken installation (a missing dependency) is a configuration error, not a bad page:
        # stop the crawl; crawlers.worker exits non-zero with this message.
        from scrapy.utils.defer import deferred_from_coro

        self.fatal = f"extraction pool did not start: {failure.getErrorMessage()}"
        log.error(self.fatal)
        self.crawler.stats.set_value("crawlqa/fatal", self.fatal)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="extraction_pool_failed"))

    async def process(self, html: str, url: str, site: str) -> dict:
        """``process_page`` of one page in a worker. A timeout or a dead worker gives a result
        with no links and an ``extract`` reject; a pool that cannot start raises
        ``ExtractionPoolFailed``."""
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor

        while self.inflight >= self.max_inflight:
            d: defer.Deferred = defer.Deferred()
            self._waiters.append(d)
            await maybe_deferred_to_future(d)
        self.inflight += 1
        try:
            pool = await self._pool()
            done: defer.Deferred = defer.Deferred()
            future = pool.schedule(
                process_page, args=(html, url, site),
                kwargs={"min_text_chars": self.cfg.min_text_chars, "fast": self.cfg.extract_fast},
                timeout=self.cfg.extract_timeout,
            )
            # pebble calls back in its own thread: hand the future over to the reactor thread
            future.add_done_callback(lambda f: reactor.callFromThread(done.callback, f))  # type: ignore[attr-defined]
            future = await maybe_deferred_to_future(done)
            return self.result(future)
        finally:
            self.inflight -= 1
            if self._waiters:
                self._waiters.pop(0).callback(None)

    def result(self, future: Any) -> dict:
        got = outcome(future, self.cfg.extract_timeout)
        if "extract" in got:
            return got
        # the worker timed out or died: no links, the extraction is the reject
        return {**no_links(), "extract": got}

    def close(self) -> None:
        """Stop the workers (every callback is done when the spider closes)."""
        if self.pool is None:
            drop_pool()  # no page arrived: stop the pool started for us
            return
        t0 = time.monotonic()
        self.pool.close()
        self.pool.join(timeout=30)
        if self.pool.active:
            self.pool.stop()
            self.pool.join(timeout=5)
        log.info("extraction pool closed in %.2fs", time.monotonic() - t0)
