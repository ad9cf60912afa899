"""Scrapy's filesystem HTTP cache with whole-entry atomic writes (``HTTPCACHE_STORAGE``).

Scrapy's ``FilesystemCacheStorage`` writes an entry's files one after another straight into the
entry's folder, ``pickled_meta`` (the file that makes it a hit) second, the body fourth: a crawl
killed mid-write leaves an entry that a resumed crawl reads back as a complete, cached page.

``AtomicFilesystemCacheStorage`` keeps Scrapy's layout and file formats (its own ``store_response``
writes them) but writes each entry into a private folder under ``<cache>/<spider>/.staging/``, adds
a ``crawlqa_complete`` file last (the size of every file of the entry), then renames the folder into
place: a reader sees either no entry or a whole one. On reading, an entry without that file, or
whose files do not have the recorded sizes (a half entry from a crash of an older version, a
truncated file), is a miss (``httpcache/incomplete``): the page is fetched again and the entry
replaced. Guards against a killed process, not against power loss (no fsync).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from scrapy.extensions.httpcache import FilesystemCacheStorage

log = logging.getLogger(__name__)

MARKER = "crawlqa_complete"
STAGING = ".staging"
STALE_STAGING_S = 3600  # leftovers of a killed crawl; younger ones may belong to a live crawl


class AtomicFilesystemCacheStorage(FilesystemCacheStorage):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._writing: str | None = None  # while set, Scrapy's writer is pointed at this folder
        self._stats: Any = None

    def open_spider(self, spider) -> None:
        super().open_spider(spider)
        self._stats = getattr(spider.crawler, "stats", None)
        self._clean_staging(spider)

    # -- reading ---------------------------------------------------------------------------------
    def _entry(self, spider, request) -> Path:
        return Path(FilesystemCacheStorage._get_request_path(self, spider, request))

    @staticmethod
    def complete(entry: Path) -> bool:
        """The entry was published whole and none of its files changed size since."""
        try:
            sizes = json.loads((entry / MARKER).read_text(encoding="utf-8"))
            return bool(sizes) and all((entry / name).stat().st_size == size for name, size in sizes.items())
        except (OSError, ValueError, AttributeError):
            return False

    def _read_meta(self, spider, request) -> dict[str, Any] | None:
        entry = self._entry(spider, request)
        if not (entry / "pickled_meta").exists():
            return None  # not cached
        if not self.complete(entry):
            self._inc("httpcache/incomplete")
            log.warning("incomplete HTTP cache entry for %s: fetched again", request.url)
            return None
        return super()._read_meta(spider, request)

    def retrieve_response(self, spider, request):
        try:
            return super().retrieve_response(spider, request)
        except (OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
            # replaced by another crawl sharing the cache between the check and the read, or
            # unreadable: a miss, fetched again and stored anew
            self._inc("httpcache/unreadable")
            log.warning("unreadable HTTP cache entry for %s (%s): fetched again", request.url, exc)
            return None

    # -- writing ---------------------------------------------------------------------------------
    def _get_request_path(self, spider, request) -> str:
        if self._writing is not None:
            return self._writing
        return super()._get_request_path(spider, request)

    def store_response(self, spider, request, response) -> None:
        entry = self._entry(spider, request)
        staging = entry.parent.parent / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{entry.name}.", dir=staging))
        try:
            self._writing = str(tmp)
            try:
                super().store_response(spider, request, response)  # Scrapy's files, into tmp
            finally:
                self._writing = None
            sizes = {p.name: p.stat().st_size for p in sorted(tmp.iterdir())}
            (tmp / MARKER).write_text(json.dumps(sizes), encoding="utf-8")
            self._publish(tmp, entry, staging)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @staticmethod
    def _publish(tmp: Path, entry: Path, staging: Path) -> None:
        """Rename ``tmp`` to ``entry``; an existing entry is renamed away first, then deleted."""
        entry.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if entry.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{entry.name}.old.", dir=staging))
            with contextlib.suppress(FileNotFoundError):  # replaced meanwhile by another crawl
                os.replace(entry, old / "entry")
        try:
            os.rename(tmp, entry)
        except OSError:
            # another crawl sharing the cache published this entry in between: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    # -- housekeeping ----------------------------------------------------------------------------
    def _clean_staging(self, spider) -> None:
        staging = Path(self.cachedir, spider.name, STAGING)
        if not staging.is_dir():
            return
        cutoff = time.time() - STALE_STAGING_S
        for leftover in staging.iterdir():
            try:
                if leftover.stat().st_mtime < cutoff:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                continue

    def _inc(self, key: str) -> None:
        if self._stats is not None:
            self._stats.inc_value(key)
