"""The extraction worker pool (pebble): per-task timeout, a dead worker replaced, spawn start.

``start_pool`` is called by the crawl subprocess before Scrapy is even imported, so the workers load
trafilatura, the facts extractor and the language model while Scrapy starts; the item pipeline then
takes that pool (``take_pool``). No Twisted here: a worker process never imports it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

_SHARED: dict[str, Any] = {}


def make_pool(workers: int, initializer=None):
    """A pebble process pool; spawned, never forked (the parent runs a reactor and threads)."""
    from pebble import ProcessPool

    ctx = multiprocessing.get_context("spawn")
    return ProcessPool(max_workers=workers, initializer=initializer, context=ctx)


def start_pool(workers: int):
    """Start the extraction pool and warm every worker up (imports, first extraction)."""
    from crawlers.extract import warm_up

    pool = make_pool(workers, initializer=warm_up)
    for _ in range(workers):
        pool.schedule(int, args=(0,))  # makes the pool start its workers now
    _SHARED["pool"] = (pool, workers)
    return pool


def take_pool(workers: int):
    """The pool started by ``start_pool`` (if it has ``workers`` workers), else a new one."""
    shared = _SHARED.pop("pool", None)
    if shared is not None and shared[1] == workers:
        return shared[0]
    if shared is not None:
        shared[0].stop()
    pool = start_pool(workers)
    _SHARED.pop("pool", None)
    return pool


def outcome(future: Any, timeout: float) -> dict:
    """The extraction result of a finished future; a timeout or a dead worker is a reject."""
    from pebble import ProcessExpired

    try:
        return future.result()
    except FutureTimeout:
        return {"ok": False, "reason": "extract_timeout",
                "detail": f"extraction took longer than {timeout:g}s"}
    except ProcessExpired as exc:
        return {"ok": False, "reason": "extract_failed", "detail": f"worker died: {exc}"[:300]}
    except Exception as exc:  # pickling errors, a cancelled future: a counted reject, never a crash
        return {"ok": False, "reason": "extract_failed", "detail": f"{type(exc).__name__}: {exc}"[:300]}
