"""Crawl helpers for the tests: the fixture site on 127.0.0.1 and a one-call crawl into a run folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers import CrawlConfig, CrawlResult, crawl
from crawlqa.devserver import FIXTURE_SITE, SiteServer, serve
from pipelines.shards import read_table
from schemas.records import Page, Reject

# Fast and hermetic: no politeness delay, no DNS query ever leaves the machine.
FAST = {"download_delay": 0.0, "autothrottle": False, "concurrency_per_domain": 16, "offline_dns": True,
        "extract_workers": 1, "timeout": 5, "retries": 0}

TEST_REDIRECTS = {
    "/_test/to-metadata": (302, "http://169.254.169.254/latest/meta-data/"),
    "/_test/to-private": (301, "http://10.1.2.3/admin"),
    "/_test/to-offsite": (301, "https://example.com/elsewhere"),
}


@dataclass
class Crawled:
    result: CrawlResult
    pages: list[dict]
    rejects: list[dict]
    run_dir: Path
    requests: int  # requests the server saw during this crawl

    def page(self, url: str) -> dict:
        return next(p for p in self.pages if p["url"] == url)

    def reasons(self) -> set[tuple[str, str, str]]:
        return {(r["stage"], r["reason"], r["url"]) for r in self.rejects}


def run_crawl(site: SiteServer, roots: list[str], out: Path, *, run_id: str = "run1",
              cache: Path | None = None, **cfg) -> Crawled:
    run_dir = out / run_id
    before = site.requests
    res = crawl(roots, CrawlConfig(**(FAST | cfg)), pages_dir=run_dir / "pages",
                rejects_dir=run_dir / "rejects", cache_dir=cache or out / ".httpcache",
                work_dir=run_dir / "_work" / "crawl", run_id=run_id)
    return Crawled(res, read_table(run_dir / "pages", Page).to_pylist(),
                   read_table(run_dir / "rejects", Reject).to_pylist(), run_dir, site.requests - before)


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with serve(FIXTURE_SITE, faults=True, redirects=TEST_REDIRECTS) as s:
        yield s
