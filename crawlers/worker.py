"""The crawl subprocess: ``python -m crawlers.worker JOB.json``.

Twisted's reactor cannot be restarted in one process, so every crawl runs in a fresh interpreter
(``crawlers.run.crawl`` starts it): any number of crawls work inside one Prefect flow run, and the
reactor, signal handlers, logging and memory of one crawl never leak into the next. The job file
says what to crawl and where to write; the process writes the spool (``crawlers.spool``) and
``result.json`` (Scrapy stats and counters) and exits 0, or non-zero on a programming error.

Keep module-level imports light: the extraction workers are spawned and re-import this module.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def scrapy_settings(cfg: Any, roots: list[str], *, cache_dir: Path, log_file: Path | None) -> dict:
    """Scrapy settings for a ``CrawlConfig`` (also used by the bare-Scrapy benchmark baseline)."""
    settings: dict[str, Any] = {
        "BOT_NAME": "crawlqa",
        "USER_AGENT": cfg.user_agent,
        "ROBOTSTXT_OBEY": cfg.obey_robots,
        "CONCURRENT_REQUESTS": cfg.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": cfg.concurrency_per_domain,
        # Scrapy starts CONCURRENT_ITEMS asyncio tasks per response to process what its callback
        # yields (100 by default): ~2 ms of the reactor's single thread per page, a third of the crawl
        # process's CPU on a fast site. The spider yields no items and at most one request per page
        # (a redirect hop; the frontier schedules the waves), so one task does the same work.
        "CONCURRENT_ITEMS": 1,
        "DOWNLOAD_DELAY": cfg.download_delay,
        "AUTOTHROTTLE_ENABLED": cfg.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(cfg.download_delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": cfg.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": cfg.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": cfg.timeout,
        "RETRY_ENABLED": cfg.retries > 0,
        "RETRY_TIMES": cfg.retries,
        "DOWNLOAD_MAXSIZE": cfg.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "HTTPCACHE_ENABLED": cfg.http_cache,
        "HTTPCACHE_DIR": str(Path(cache_dir).resolve()),
        "HTTPCACHE_EXPIRATION_SECS": cfg.cache_expiry_seconds,
        "HTTPCACHE_GZIP": cfg.cache_gzip,
        "HTTPCACHE_IGNORE_HTTP_CODES": [408, 429, 500, 502, 503, 504, 522, 524],
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.DummyPolicy",
        "HTTPCACHE_STORAGE": "crawlers.httpcache.AtomicFilesystemCacheStorage",  # whole entries or none
        "REDIRECT_ENABLED": False,  # followed by the spider (policy on every hop, aliases)
        "METAREFRESH_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy 2.19 opens a control HTTP port by default
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",  # the frontier de-duplicates
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.SafetyMiddleware": 10,
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        },
        "LOG_LEVEL": cfg.log_level,
        "LOG_FILE": str(log_file) if log_file else None,
        "LOG_FILE_APPEND": False,
        "LOG_FORMAT": "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s",
        "CRAWLQA_ROOTS": list(roots),
        "CRAWLQA_ALLOW_PRIVATE": cfg.allow_private,
        "CRAWLQA_CONFIG": cfg.model_dump(mode="json"),
    }
    if cfg.download_slots():  # per-host concurrency/delay ([crawl.domains."host"])
        settings["DOWNLOAD_SLOTS"] = cfg.download_slots()
    settings["TWISTED_DNS_RESOLVER"] = (  # both resolve IP literals (IPv6 included) themselves
        "crawlers.middlewares.OfflineResolver" if cfg.offline_dns else "crawlers.middlewares.LiteralResolver")
    return settings


def _jsonable(stats: dict) -> dict:
    out = {}
    for k, v in sorted(stats.items()):
        out[k] = v if isinstance(v, int | float | str | bool) or v is None else str(v)
    return out


def summarize_stats(stats: dict) -> dict:
    """The numbers the run manifest shows, plus Scrapy's own stats under ``scrapy``."""
    by_status = {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                 if k.startswith("downloader/response_status_count/")}
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "responses_by_status": dict(sorted(by_status.items())),
        "bytes": stats.get("downloader/response_bytes", 0),
        "duration_s": round(float(stats.get("elapsed_time_seconds", 0.0)), 3),
        "robots_forbidden": stats.get("robotstxt/forbidden", 0),
        "cache_hits": stats.get("httpcache/hit", 0),
        "cache_misses": stats.get("httpcache/miss", 0),
        "retries": stats.get("retry/count", 0),
        "finish_reason": stats.get("finish_reason", ""),
        "scrapy": _jsonable(stats),
    }


EXIT_INTERRUPTED = 130  # 128 + SIGINT: the parent reads it as "stopped on purpose", never retried


def stop_on_signals() -> None:
    """SIGINT / SIGTERM end the crawl process at once with exit code 130.

    Scrapy's own handlers would finish the crawl "gracefully" and exit 0 with a partial result,
    which the parent could only tell from a crash by guessing (and used to retry as a transient
    error). An interrupted crawl keeps nothing anyway: its stage has no marker and is redone on
    resume, from the HTTP cache (whose entries are written whole)."""
    import os
    import signal

    def stop(signum: int, frame: object) -> None:
        os._exit(EXIT_INTERRUPTED)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


def run_job(job: dict) -> dict:
    import os

    from crawlers.config import CrawlConfig
    from crawlers.pool import start_pool_soon

    cfg = CrawlConfig(**job["cfg"])
    start_pool_soon(cfg.workers(os.cpu_count()))  # workers warm up while Scrapy is imported and starts

    from scrapy.crawler import CrawlerProcess

    from crawlers.spider import CrawlqaSpider

    roots = job["roots"]
    work = Path(job["work_dir"])
    settings = scrapy_settings(cfg, roots, cache_dir=Path(job["cache_dir"]), log_file=work / "crawl.log")
    if job.get("progress"):  # live progress for the parent (crawlers.progress), once a second
        settings["EXTENSIONS"] = {**settings.get("EXTENSIONS", {}), "crawlers.progress.ProgressFile": 500}
        settings["CRAWLQA_PROGRESS_FILE"] = job["progress"]
    process = CrawlerProcess(settings)  # installs the root log handler (LOG_INSTALL_ROOT_HANDLER)
    crawler = process.create_crawler(CrawlqaSpider)
    t0 = time.monotonic()
    process.crawl(crawler, roots=roots, cfg=cfg.model_dump(mode="json"), spool_path=job["spool"])
    process.start(install_signal_handlers=False)  # ours (stop_on_signals) instead of Scrapy's
    spider = crawler.spider
    spider.spool.close()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get("crawlqa/fatal"):
        raise RuntimeError(stats["crawlqa/fatal"])
    result = {
        "stats": summarize_stats(stats),
        "counters": dict(sorted(spider.counters.items())),
        "waves": spider.waves,
        "root_profiles": {str(k): v.name for k, v in sorted(spider.root_profiles.items())},
        "wall_s": round(time.monotonic() - t0, 3),
    }
    Path(job["result"]).write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m crawlers.worker JOB.json", file=sys.stderr)
        return 2
    stop_on_signals()  # first: a signal may come while Scrapy is still being imported
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    if job.get("parent_pid"):  # no crawl outlives the process that started it (kill -9 included)
        from crawlers.lifeline import die_with_parent

        die_with_parent(int(job["parent_pid"]))
    run_job(job)
    return 0


def exit_now() -> None:
    """End the process without the interpreter's teardown, once ``run_job`` has returned.

    Tearing down a crawl process takes ~0.13 s (freeing every object of the crawl, the pool's
    threads and the ``multiprocessing`` exit hooks) while the parent waits for the exit to read the
    spool, ~7% of a 100-page crawl. Nothing is lost by skipping it: by then the spool, ``result.json``
    and the HTTP cache are closed, the extraction pool is joined, and the fork server ends by itself
    when this process does. Logs and standard streams are flushed here."""
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    code = main()
    if code == 0:
        exit_now()
    raise SystemExit(code)
