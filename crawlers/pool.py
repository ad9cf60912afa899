"""The extraction worker pool (pebble): per-task timeout, a dead worker replaced, forkserver start.

``start_pool_soon`` is called by the crawl subprocess before Scrapy is even imported: in a thread,
the fork server imports and warms trafilatura, the facts extractor and the language model once
(``crawlers.warm``) while Scrapy starts, and the workers are forked from it. The spider's
``crawlers.pipeline.Extractor`` takes that pool (``take_pool``) when the first page arrives; pages
wait until it is ready.
No Twisted here: a worker process never imports it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

_SHARED: dict[str, Any] = {}


def pool_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` with ``crawlers.warm`` preloaded where available, else ``spawn``.

    Never a plain fork of the crawl process (it runs a reactor and threads). The fork server is a
    fresh interpreter that imports and warms the extraction code once; each worker (and each
    replacement of a worker killed on a timeout) is a fork of it, ready in milliseconds, where a
    spawned worker pays ~0.7 s of imports and warm-up.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["crawlers.warm"])
        return ctx
    return multiprocessing.get_context("spawn")


# pebble's pool threads poll every ``CONSTS.sleep_unit`` seconds (0.1 by default): closing a pool
# waits up to that long for its manager thread to wake up, and a page's timeout is noticed that late.
POLL_SECONDS = 0.02


def init_worker(initializer=None) -> None:
    """A worker's first step: die with its parent (``crawlers.lifeline``), then ``initializer``."""
    from crawlers.lifeline import die_with_parent

    die_with_parent()
    if initializer is not None:
        initializer()


def make_pool(workers: int, initializer=None):
    """A pebble process pool of ``workers`` processes (see ``pool_context``); every worker dies with
    the process that forked it (no extraction worker outlives a killed crawl)."""
    import functools

    import pebble
    from pebble import ProcessPool

    consts = getattr(pebble, "CONSTS", None)  # public since pebble 5
    if consts is not None and getattr(consts, "sleep_unit", 0) > POLL_SECONDS:
        consts.sleep_unit = POLL_SECONDS
    return ProcessPool(max_workers=workers, initializer=functools.partial(init_worker, initializer),
                       context=pool_context())


def start_pool(workers: int):
    """Start the extraction pool and warm every worker up (imports, first extraction)."""
    from crawlers.extract import warm_up

    pool = make_pool(workers, initializer=warm_up)
    for _ in range(workers):
        pool.schedule(int, args=(0,))  # makes the pool start its workers now
    _SHARED["pool"] = (pool, workers)
    return pool


def start_pool_soon(workers: int) -> None:
    """``start_pool`` in a thread: starting the first worker waits for the fork server to import
    and warm up (~0.7 s), which can overlap with the crawl process importing Scrapy.
    ``take_pool`` waits for it."""
    import threading

    def run() -> None:
        try:
            start_pool(workers)
        except BaseException as exc:  # take_pool re-raises it in the crawl thread
            _SHARED["error"] = exc

    thread = threading.Thread(target=run, name="crawlqa-pool-start", daemon=True)
    _SHARED["starting"] = thread
    thread.start()


def pool_started() -> bool:
    """``start_pool_soon``'s pool is up (its workers forked from the warm fork server)."""
    return "pool" in _SHARED


def _started() -> tuple[tuple[Any, int] | None, BaseException | None]:
    """Wait for ``start_pool_soon``'s thread; its (pool, workers) and its error, taken over."""
    starting = _SHARED.pop("starting", None)
    if starting is not None:
        starting.join()
    return _SHARED.pop("pool", None), _SHARED.pop("error", None)


def take_pool(workers: int):
    """The pool started by ``start_pool``/``start_pool_soon`` (if it has ``workers`` workers),
    else a new one."""
    shared, error = _started()
    if error is not None:
        raise RuntimeError(f"the extraction pool did not start: {error!r}") from error
    if shared is not None and shared[1] == workers:
        return shared[0]
    if shared is not None:
        shared[0].stop()
    pool = start_pool(workers)
    _SHARED.pop("pool", None)
    return pool


def drop_pool() -> None:
    """Stop a pool started by ``start_pool_soon`` that no page needed."""
    shared, _error = _started()
    if shared is not None:
        shared[0].stop()
        shared[0].join(timeout=5)


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
