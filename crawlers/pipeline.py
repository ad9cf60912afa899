"""Item pipeline: spool each fetched page and extract it in a pool of worker processes.

Extraction overlaps with crawling (the spider callback only hands the HTML over). ``pebble``'s
process pool gives each page a hard timeout: a page that takes longer than ``extract_timeout`` is
killed with its worker (which the pool replaces) and becomes an ``extract_timeout`` reject.
At most ``8 × workers`` pages wait for extraction; past that ``process_item`` waits, which slows
the downloader instead of letting raw HTML pile up in memory.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from twisted.internet import defer

from crawlers.config import CrawlConfig
from crawlers.extract import extract_page
from crawlers.pool import outcome, take_pool

log = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, crawler, cfg: CrawlConfig) -> None:
        self.crawler = crawler
        self.cfg = cfg
        self.workers = cfg.workers(os.cpu_count())
        self.max_inflight = 8 * self.workers
        self.inflight = 0
        self.pool = None
        self._waiters: list[defer.Deferred] = []
        self._drained: list[defer.Deferred] = []

    @classmethod
    def from_crawler(cls, crawler) -> ExtractPipeline:
        return cls(crawler, CrawlConfig(**crawler.settings.getdict("CRAWLQA_CONFIG")))

    @property
    def spool(self):
        return self.crawler.spider.spool

    def open_spider(self, spider=None) -> None:
        # crawlers.worker started the pool before Scrapy was imported; it is taken in a thread the
        # first time a page arrives, and pages queue (``_backlog``) until its workers are warm, so
        # the crawl never waits for the pool to start.
        self._pool_asked = False
        self._backlog: list[tuple] = []
        self.fatal = ""
        log.info("extraction: %d worker process(es), %.0fs per page", self.workers, self.cfg.extract_timeout)

    def _ask_pool(self) -> defer.Deferred:
        from twisted.internet.threads import deferToThread

        self._pool_asked = True

        def started(pool) -> None:
            self.pool = pool
            backlog, self._backlog = self._backlog, []
            for task in backlog:
                self._submit(*task)

        def failed(failure) -> None:
            # A broken installation (a missing dependency) is a configuration error, not a bad
            # page: stop the crawl; crawlers.worker exits non-zero with this message.
            self.fatal = f"extraction pool did not start: {failure.getErrorMessage()}"
            log.error(self.fatal)
            self.crawler.stats.set_value("crawlqa/fatal", self.fatal)
            backlog, self._backlog = self._backlog, []
            for _task in backlog:
                self._release()
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason="extraction_pool_failed"))

        d = deferToThread(take_pool, self.workers)
        d.addCallbacks(started, failed)
        return d

    def _submit(self, key: str, html: str, url: str, site: str) -> None:
        future = self.pool.schedule(
            extract_page, args=(html, url, site),
            kwargs={"min_text_chars": self.cfg.min_text_chars, "fast": self.cfg.extract_fast},
            timeout=self.cfg.extract_timeout,
        )
        future.add_done_callback(lambda f, key=key: self._done(key, f))

    async def process_item(self, item: dict, spider=None) -> dict:
        from scrapy.utils.defer import maybe_deferred_to_future

        self.spool.put_fetch(item)
        while self.inflight >= self.max_inflight:
            d: defer.Deferred = defer.Deferred()
            self._waiters.append(d)
            await maybe_deferred_to_future(d)
        self.inflight += 1
        task = (item["key"], item["html"], item["final_url"], item["site"])
        if self.pool is None:
            self._backlog.append(task)
            if not self._pool_asked:
                self._ask_pool()
        else:
            self._submit(*task)
        return {"key": item["key"]}  # the HTML stays with the spool and the pool, not in Scrapy's logs

    def _done(self, key: str, future: Any) -> None:
        """Runs in the pool's thread: store the result, then free a slot in the reactor thread."""
        self.spool.put_extract(key, outcome(future, self.cfg.extract_timeout))
        from twisted.internet import reactor

        reactor.callFromThread(self._release)  # type: ignore[attr-defined]

    def _release(self) -> None:
        self.inflight -= 1
        if self._waiters:
            self._waiters.pop(0).callback(None)
        if self.inflight == 0:
            drained, self._drained = self._drained, []
            for d in drained:
                d.callback(None)

    async def close_spider(self, spider=None) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future

        if not self._pool_asked:  # no page reached the pipeline: stop the pool started for us
            await maybe_deferred_to_future(self._ask_pool())
        if self.inflight:
            log.info("waiting for %d extraction(s)", self.inflight)
            d: defer.Deferred = defer.Deferred()
            self._drained.append(d)
            await maybe_deferred_to_future(d)
        if self.pool is not None:
            t0 = time.monotonic()
            self.pool.close()
            self.pool.join(timeout=30)
            if self.pool.active:
                self.pool.stop()
                self.pool.join(timeout=5)
            log.info("extraction pool closed in %.2fs", time.monotonic() - t0)
