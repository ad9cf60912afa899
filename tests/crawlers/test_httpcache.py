"""The HTTP cache publishes whole entries: a half-written or truncated entry is a miss, refetched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from crawlers.httpcache import MARKER, STAGING, AtomicFilesystemCacheStorage

from .conftest import run_crawl

ROOT = "/github/acme/index.html"


def _entries(cache: Path) -> list[Path]:
    return [p for p in (cache / "crawlqa").glob("*/*") if p.parent.name != STAGING and p.is_dir()]


def _entry_for(cache: Path, fragment: str) -> Path:
    for entry in _entries(cache):
        meta = (entry / "meta").read_text()
        if fragment in meta:
            return entry
    raise AssertionError(f"no cache entry for {fragment}")


def test_entries_are_whole_and_a_rerun_is_served_from_the_cache(site, tmp_path) -> None:
    first = run_crawl(site, [site.url + ROOT], tmp_path, max_depth=0)
    assert first.requests > 0
    cache = tmp_path / ".httpcache"
    entries = _entries(cache)
    assert entries
    for entry in entries:
        assert AtomicFilesystemCacheStorage.complete(entry)
        sizes = json.loads((entry / MARKER).read_text())
        # Scrapy's own files, all of them recorded
        assert {"meta", "pickled_meta", "response_headers", "response_body", "response_data",
                "request_headers", "request_body"} <= set(sizes)
    assert not list((cache / "crawlqa" / STAGING).iterdir())  # nothing left in the staging folder
    again = run_crawl(site, [site.url + ROOT], tmp_path, run_id="run2", max_depth=0)
    assert again.requests == 0
    assert again.result.stats["cache_hits"] > 0 and again.result.stats["cache_misses"] == 0


def test_truncated_entry_is_a_miss_and_is_refetched(site, tmp_path) -> None:
    first = run_crawl(site, [site.url + ROOT], tmp_path, max_depth=0)
    cache = tmp_path / ".httpcache"
    entry = _entry_for(cache, ROOT)
    body = entry / "response_body"
    body.write_bytes(body.read_bytes()[:100])  # what a crash mid-write would leave
    again = run_crawl(site, [site.url + ROOT], tmp_path, run_id="run2", max_depth=0)
    assert again.requests == 1  # that page only: every other entry is still a hit
    assert again.result.stats["scrapy"].get("httpcache/incomplete") == 1
    assert [p["text"] for p in again.pages] == [p["text"] for p in first.pages]
    assert AtomicFilesystemCacheStorage.complete(entry)  # replaced by a whole entry
    third = run_crawl(site, [site.url + ROOT], tmp_path, run_id="run3", max_depth=0)
    assert third.requests == 0


def test_half_written_entry_without_marker_is_a_miss(site, tmp_path) -> None:
    """An entry as Scrapy's own storage leaves it when killed after ``pickled_meta``: no body yet."""
    run_crawl(site, [site.url + ROOT], tmp_path, max_depth=0)
    cache = tmp_path / ".httpcache"
    entry = _entry_for(cache, ROOT)
    for name in ("response_headers", "response_body", "response_data", "request_headers", "request_body",
                 MARKER):
        (entry / name).unlink()
    again = run_crawl(site, [site.url + ROOT], tmp_path, run_id="run2", max_depth=0)
    assert again.requests == 1
    assert len(again.pages) == 1 and again.pages[0]["text"]
    assert AtomicFilesystemCacheStorage.complete(entry)


def test_stale_staging_leftovers_are_removed(site, tmp_path) -> None:
    import os
    import time

    run_crawl(site, [site.url + ROOT], tmp_path, max_depth=0)
    staging = tmp_path / ".httpcache" / "crawlqa" / STAGING
    old, young = staging / "deadbeef.old", staging / "cafe.young"
    for d in (old, young):
        d.mkdir()
        (d / "response_body").write_bytes(b"partial")
    past = time.time() - 2 * 3600
    os.utime(old, (past, past))
    run_crawl(site, [site.url + ROOT], tmp_path, run_id="run2", max_depth=0)
    assert not old.exists() and young.exists()  # a young one may belong to a live crawl
    shutil.rmtree(young)
