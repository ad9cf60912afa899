"""crawlqa crawlers: Scrapy spider + site profiles, URL canonicalisation and safety, extraction.

``crawl`` / ``CrawlResult`` / ``CrawlError`` are imported lazily: the crawl subprocess and its
extraction workers import this package and should not pay for pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawlers.config import CrawlConfig

if TYPE_CHECKING:
    from crawlers.run import CrawlError, CrawlResult, crawl

__all__ = ["CrawlConfig", "CrawlError", "CrawlResult", "crawl"]


def __getattr__(name: str) -> Any:
    if name in ("crawl", "CrawlResult", "CrawlError"):
        from crawlers import run

        return getattr(run, name)
    raise AttributeError(name)
