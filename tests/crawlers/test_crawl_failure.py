"""A crawl subprocess that dies while opening the spider is a loud error, never a quiet empty crawl."""

from __future__ import annotations

import pytest

from crawlers import CrawlConfig, crawl
from crawlers.run import CrawlError


def test_broken_worker_raises_instead_of_reporting_zero_pages(tmp_path, monkeypatch, fixture_site):
    # A module on the worker's path that fails to import, as a missing dependency would on a fresh clone.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pebble.py").write_text('raise ImportError("simulated missing dependency")\n')
    monkeypatch.setenv("PYTHONPATH", str(fake))
    with pytest.raises(CrawlError, match="simulated missing dependency"):
        crawl([fixture_site.url + "/wiki/index.html"], CrawlConfig(max_depth=0, download_delay=0, autothrottle=False),
              pages_dir=tmp_path / "pages", rejects_dir=tmp_path / "rejects", cache_dir=tmp_path / "cache",
              work_dir=tmp_path / "work", run_id="t")


def test_crawl_subprocess_does_not_inherit_secrets(tmp_path, monkeypatch, fixture_site):
    """The crawler needs no credentials: OPENAI_API_KEY never reaches the Scrapy subprocess."""
    fake = tmp_path / "fake"
    fake.mkdir()
    # sitecustomize runs at the child's start-up: it fails loudly if the key is in its environment
    (fake / "sitecustomize.py").write_text(
        "import os\nif os.environ.get('OPENAI_API_KEY'):\n    raise SystemExit('key leaked to crawler')\n")
    monkeypatch.setenv("PYTHONPATH", str(fake))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-sentinel-crawl")
    res = crawl([fixture_site.url + "/wiki/index.html"], CrawlConfig(max_depth=0, download_delay=0, autothrottle=False),
                pages_dir=tmp_path / "pages", rejects_dir=tmp_path / "rejects", cache_dir=tmp_path / "cache",
                work_dir=tmp_path / "work", run_id="t")
    assert sum(s.rows for s in res.pages) == 1
