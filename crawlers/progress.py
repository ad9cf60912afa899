"""Live crawl progress across the process boundary.

The crawl runs in a subprocess (``crawlers.worker``). ``ProgressFile``, a Scrapy extension, writes a
small JSON snapshot there (pages fetched, budget, requests, queue, rejects, rate, ETA) at most once a
second, replacing the file atomically; ``watch`` (in the parent) reads it when it changes and hands
each snapshot to a callback (``pipelines.progress`` passes it on to the terminal display and the
Prefect progress artifact). Cheap on purpose: one ``os.replace`` of ~300 bytes a second.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("crawlqa.crawl")

PROGRESS_FILE = "progress.json"


def budget_of(cfg: Any, n_roots: int) -> int:
    """The most pages the crawl can keep: the run's budget, or every root's budget when smaller."""
    return max(0, min(cfg.max_pages, cfg.max_pages_per_root * max(1, n_roots)))


def snapshot(spider: Any, stats: dict, elapsed: float, done: bool = False) -> dict:
    """The numbers a progress display shows, from the spider and Scrapy's stats."""
    counters = spider.counters
    pages = int(counters.get("crawl/pages", 0))
    rejects = sum(v for k, v in counters.items() if "/dropped/" in k)
    budget = budget_of(spider.cfg, len(spider.roots))
    responses = int(stats.get("downloader/response_count", 0))
    errors = int(stats.get("downloader/exception_count", 0))
    queue = max(0, int(stats.get("scheduler/enqueued", 0)) - responses - errors) + len(spider.pending)
    rate = pages / elapsed if elapsed > 0 else 0.0
    eta = (budget - pages) / rate if rate > 0 and budget > pages and not done else None
    return {"stage": "crawl", "pages": pages, "budget": budget, "requests": int(stats.get("downloader/request_count", 0)),
            "responses": responses, "queue": queue, "rejects": rejects, "waves": spider.waves,
            "elapsed_s": round(elapsed, 2), "rate": round(rate, 2), "eta_s": None if eta is None else round(eta, 1),
            "done": done}


def write_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


class ProgressFile:
    """Scrapy extension: the crawl's progress snapshot in ``CRAWLQA_PROGRESS_FILE``, once a second
    (``CRAWLQA_PROGRESS_INTERVAL``), and once more when the spider closes."""

    def __init__(self, crawler: Any, path: str, interval: float) -> None:
        self.crawler = crawler
        self.path = Path(path)
        self.interval = interval
        self.t0 = time.monotonic()
        self.loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressFile:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get("CRAWLQA_PROGRESS_FILE")
        if not path:
            raise NotConfigured
        ext = cls(crawler, path, crawler.settings.getfloat("CRAWLQA_PROGRESS_INTERVAL", 1.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.t0 = time.monotonic()
        self.loop = task.LoopingCall(self.write)
        self.loop.start(self.interval, now=False)

    def write(self, done: bool = False) -> None:
        spider = self.crawler.spider
        if spider is None or not hasattr(spider, "counters"):
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        try:
            write_atomic(self.path, snapshot(spider, stats, time.monotonic() - self.t0, done=done))
        except OSError as exc:  # progress is a convenience: the crawl goes on without it
            log.warning("progress file %s not written: %s", self.path, exc)

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.write(done=True)


@contextmanager
def watch(path: Path, callback: Callable[[dict], None], interval: float = 0.5) -> Iterator[None]:
    """Call ``callback(snapshot)`` from a thread each time ``path`` changes, until the block ends
    (and once more at the end, with the last snapshot, when it changed)."""
    stop = threading.Event()
    seen: list[float] = [0.0]

    def poll() -> None:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == seen[0]:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # replaced between stat and read: the next poll reads the new one
        seen[0] = mtime
        try:
            callback(data)
        except Exception as exc:  # a display or artifact failure must not stop the crawl
            log.warning("progress callback failed: %s: %s", type(exc).__name__, exc)

    def loop() -> None:
        while not stop.wait(interval):
            poll()

    path.unlink(missing_ok=True)
    thread = threading.Thread(target=loop, name="crawlqa-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        poll()
