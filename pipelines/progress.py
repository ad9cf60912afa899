"""Progress events of a running job, for whoever shows them (the terminal, a Prefect artifact).

A stage publishes plain dicts: the crawl a snapshot about once a second (``crawlers.progress``:
``stage="crawl"``, pages, budget, rate, eta_s, queue, rejects, done), and every finished or resumed
stage one event (``stage`` = ``mine`` with ``candidates``, ``write`` with ``shard``, ``shards`` and
``written``, ``filter`` with ``kept``). Listeners are either process-wide (``listen``: the CLI's display)
or scoped to the thread that registers them and the crawls it starts (``listen(..., thread=True)``:
a Prefect task's progress artifact, so that parallel crawl tasks each update their own).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("crawlqa")

Listener = Callable[[dict], None]

_lock = threading.Lock()
_global: list[Listener] = []
_local = threading.local()


@contextmanager
def listen(fn: Listener, *, thread: bool = False) -> Iterator[None]:
    """Receive the progress events while the block runs (of this thread only with ``thread``)."""
    if thread:
        stack = _local.__dict__.setdefault("listeners", [])
        stack.append(fn)
    else:
        with _lock:
            _global.append(fn)
    try:
        yield
    finally:
        if thread:
            _local.listeners.remove(fn)
        else:
            with _lock:
                _global.remove(fn)


def listeners() -> list[Listener]:
    """The listeners an event published from this thread reaches (a snapshot: a crawl's watcher
    thread takes it when the crawl starts)."""
    with _lock:
        out = list(_global)
    return out + list(_local.__dict__.get("listeners", []))


def publish(event: dict, to: list[Listener] | None = None) -> None:
    for fn in listeners() if to is None else to:
        try:
            fn(event)
        except Exception as exc:  # a display must never fail the job
            log.warning("progress listener failed: %s: %s", type(exc).__name__, exc)


def _rows(report: Any, folder: str) -> int:
    return sum(getattr(s, "rows", 0) for s in (report.shards or {}).get(folder, []))


def stage_event(report: Any) -> dict | None:
    """The progress event of a finished (or resumed) stage report, or None for stages not shown."""
    stage = report.stage
    if stage == "crawl":
        return {"stage": "crawl", "done": True, "pages": _rows(report, "pages"), "final": True,
                "resumed": bool(report.skipped)}
    if stage == "mine":
        return {"stage": "mine", "candidates": _rows(report, "candidates"), "resumed": bool(report.skipped)}
    if stage.startswith("write-"):
        return {"stage": "write", "shard": int(stage.split("-", 1)[1]), "written": _rows(report, "drafts"),
                "resumed": bool(report.skipped)}
    if stage in ("filter", "e2h-filter"):
        return {"stage": "filter", "kept": _rows(report, "qa"), "resumed": bool(report.skipped)}
    if stage == "e2h":
        return {"stage": "e2h", "written": _rows(report, "drafts"), "resumed": bool(report.skipped)}
    return None


def stage_done(report: Any) -> None:
    """Publish a finished or resumed stage (``pipelines.job`` calls it for every stage report)."""
    event = stage_event(report)
    if event is not None:
        publish(event)


class Ticker:
    """Progress within a stage (``stage``, ``done``, ``total`` and fields), published at most every
    ``every`` seconds: cheap enough to call once per record."""

    def __init__(self, stage: str, total: int, every: float = 1.0, **fields: Any) -> None:
        import time

        self._clock = time.monotonic
        self.stage, self.total, self.every, self.fields = stage, total, every, fields
        self.last = self._clock()
        self.targets = listeners()

    def tick(self, done: int) -> None:
        if not self.targets:
            return
        now = self._clock()
        if now - self.last >= self.every:
            self.last = now
            publish({"stage": self.stage, "done": done, "total": self.total, **self.fields}, self.targets)
