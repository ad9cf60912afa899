"""The spider's warm-up path: pages whose links were read in the crawl process have their
extraction running in the background; the crawl ends only when those extractions are done.

Driven on a plain asyncio loop (what Scrapy's asyncio reactor runs on), without a reactor or a
network: the engine is a stand-in that records ``close_spider_async`` calls and requests.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy.exceptions import DontCloseSpider

from crawlers import CrawlConfig
from crawlers.spider import CrawlqaSpider

ROOT = "http://127.0.0.1:8000/wiki/Start.html"


class Engine:
    def __init__(self) -> None:
        self.closed: list[str] = []
        self.crawled: list = []

    async def close_spider_async(self, reason: str = "cancelled") -> None:
        self.closed.append(reason)

    def crawl(self, request) -> None:
        self.crawled.append(request)


@pytest.fixture
def spider(tmp_path):
    s = CrawlqaSpider(roots=[ROOT], cfg=CrawlConfig(max_depth=1), spool_path=str(tmp_path / "spool.sqlite"))
    s.crawler = SimpleNamespace(engine=Engine())
    s.frontier.start()  # the root was requested
    yield s
    s.spool.close()


def _pending_extraction(spider: CrawlqaSpider) -> asyncio.Future:
    gate: asyncio.Future = asyncio.get_running_loop().create_future()

    async def extraction() -> None:
        await gate

    spider.in_background(extraction())
    return gate


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_idle_with_a_background_extraction_waits_then_closes(spider):
    async def scenario():
        gate = _pending_extraction(spider)
        await _settle()
        assert len(spider.background) == 1
        with pytest.raises(DontCloseSpider):  # nothing left to fetch, but an extraction is running
            spider.on_idle()
        await _settle()
        assert spider.crawler.engine.closed == []
        gate.set_result(None)
        await _settle()
        assert spider.background == set()
        assert spider.crawler.engine.closed == ["finished"]

    asyncio.run(scenario())


def test_background_done_before_idle_leaves_closing_to_scrapy(spider):
    async def scenario():
        gate = _pending_extraction(spider)
        gate.set_result(None)
        await _settle()
        assert spider.background == set()
        spider.on_idle()  # no DontCloseSpider: Scrapy closes the spider itself
        await _settle()
        assert spider.crawler.engine.closed == []

    asyncio.run(scenario())


def test_a_failed_background_extraction_is_logged_and_still_closes(spider, caplog):
    async def scenario():
        gate = _pending_extraction(spider)
        with pytest.raises(DontCloseSpider):
            spider.on_idle()
        gate.set_exception(RuntimeError("worker pool gone"))
        await _settle()
        assert spider.crawler.engine.closed == ["finished"]

    asyncio.run(scenario())
    assert "worker pool gone" in caplog.text


def test_next_wave_is_not_held_by_background_extractions(spider):
    """Links read in the crawl process count at once: the next wave starts while the page's
    extraction still runs."""
    from crawlers.frontier import pack_links

    async def scenario():
        root_key = spider.frontier.root_keys[0]
        child = "http://127.0.0.1:8000/wiki/Child.html"
        spider.frontier.add_page(root_key, pack_links([(child, child, "Child")]))
        gate = _pending_extraction(spider)
        with pytest.raises(DontCloseSpider):
            spider.on_idle()
        assert [r.url for r in spider.crawler.engine.crawled] == [child]
        await _settle()
        assert spider.crawler.engine.closed == []
        gate.set_result(None)
        await _settle()
        assert spider.crawler.engine.closed == []  # the crawl goes on with the next wave

    asyncio.run(scenario())
