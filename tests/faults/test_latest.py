"""Issue 20, item 4: a run whose roots all failed does not move ``OUT/latest`` (what the scheduled
E2HQA deployment reads): it still points at the last run that has pages."""

from __future__ import annotations

import os

import pytest

from pipelines.job import point_latest, run_crawlqa
from pipelines.run import RunDir

from .kit import job_config

pytestmark = pytest.mark.slow


def test_run_without_pages_leaves_latest_alone(fixture_site, tmp_path):
    out = tmp_path / "out"
    point_latest(RunDir(out, "good").create())  # an earlier run with pages

    bad = run_crawlqa(job_config([fixture_site.url + "/no-such-page.html", "http://127.0.0.1:9/"], out,
                                 run_id="bad", crawl={"max_depth": 1, "allow_private": True}))
    assert bad["funnel"]["pages_fetched"] == 0 and set(bad["crawl"]["empty_roots"]) == set(bad["config"]["roots"])
    assert os.readlink(out / "latest") == "good"
    assert (out / "bad" / "manifest.json").is_file()  # the failed run is still recorded, for inspection
