"""One page under several URLs is written once (issue 16): the real arXiv listing /list/math/recent
links its own day anchors as ``?skip=N&show=50``; a server that ignores the query (a static
mirror) answers every variant with the same page. ``?skip=0&show=50`` is folded by the arXiv
profile's canonicalisation; the others are dropped at finalize as ``duplicate_text``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crawlqa.devserver import serve

from .conftest import run_crawl

pytestmark = pytest.mark.slow

LISTING = Path(__file__).resolve().parents[1] / "fixtures" / "html" / "issue16" / "arxiv_list_math_recent.html"


def test_query_variants_of_one_page_are_written_once(tmp_path) -> None:
    root = tmp_path / "site" / "list" / "math" / "recent"
    root.mkdir(parents=True)
    shutil.copy(LISTING, root / "index.html")
    with serve(tmp_path / "site") as site:
        got = run_crawl(site, [site.url + "/list/math/recent"], tmp_path / "out", max_depth=1)
    urls = sorted(p["url"] for p in got.pages)
    assert urls == [site.url + "/list/math/recent"]
    assert got.pages[0]["site"] == "arxiv"
    dup = {url for stage, reason, url in got.reasons() if (stage, reason) == ("extract", "duplicate_text")}
    # skip=2, skip=3 and skip=4 (skip=0 is the listing itself, folded by canonicalisation)
    assert dup == {site.url + f"/list/math/recent?show=50&skip={n}" for n in (2, 3, 4)}
    assert got.result.counters["extract/dropped/duplicate_text"] == 3
