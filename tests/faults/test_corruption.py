"""Issue 20, item 5: corruption is detected on resume, not crashed on.

A finished run on the fixture site, then one damage at a time and a re-run of the same run id: a
truncated qa shard, a truncated pages shard, a garbage stage marker, a shard replaced by another
valid one, a corrupt row of the LLM response cache. Each re-run completes with the rows of the
undamaged run; the stage that owned the damaged file is redone (counted ``resume/redone``, the reason
in the manifest), and the manifest's checksums are those of the files on disk.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pipelines.job import run_crawlqa
from synth.llm.cache import ResponseCache

from .kit import assert_shards_valid, job_config, read_rows

pytestmark = pytest.mark.slow
BY_DESIGN = {"fetched_at"}  # a redone crawl re-reads the pages from the HTTP cache at another time


def _rows(run_path: Path, folder: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in BY_DESIGN} for r in read_rows(run_path, folder)]


@pytest.fixture(scope="module")
def finished(fixture_site, tmp_path_factory):
    """One undamaged run (offline writer); each test works on a copy of its output folder."""
    from crawlqa.demo import demo_roots

    out = tmp_path_factory.mktemp("corruption") / "out"
    cfg = job_config(demo_roots(fixture_site.url), out, crawl={"max_depth": 4, "max_pages": 300,
                                                                "allow_private": True},
                     candidates_per_shard=100)  # several write shards
    manifest = run_crawlqa(cfg)
    assert manifest["funnel"]["kept"] > 50
    return out, cfg, {f: _rows(out / "r1", f) for f in ("pages", "candidates", "drafts", "qa")}


def _copy(finished, tmp_path) -> tuple[Path, object]:
    out, cfg, _ = finished
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    return copy, cfg.model_copy(update={"out": copy})


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _rerun(cfg, run_path: Path, expected: dict, redone: str) -> dict:
    manifest = run_crawlqa(cfg)
    assert_shards_valid(run_path, manifest)  # the manifest's sha256 are those of the files on disk
    for folder, rows in expected.items():
        assert _rows(run_path, folder) == rows, folder
    assert manifest["counters"]["resume/redone"] == 1
    assert manifest["stages"][redone]["redone_because"]
    assert [s for s, v in manifest["stages"].items() if not v["resumed"]] == [redone]
    return manifest


def test_truncated_qa_shard_redoes_the_filter(finished, tmp_path):
    out, cfg = _copy(finished, tmp_path)
    run = out / "r1"
    shard = sorted((run / "qa").glob("part-*.parquet"))[0]
    _truncate(shard)
    m = _rerun(cfg, run, finished[2], "filter")
    assert m["stages"]["filter"]["redone_because"].startswith(f"qa/{shard.name}: ")


def test_truncated_pages_shard_redoes_the_crawl(finished, tmp_path):
    out, cfg = _copy(finished, tmp_path)
    run = out / "r1"
    _truncate(sorted((run / "pages").glob("part-*.parquet"))[-1])
    _rerun(cfg, run, finished[2], "crawl")


def test_garbage_marker_is_a_stage_not_done(finished, tmp_path):
    out, cfg = _copy(finished, tmp_path)
    run = out / "r1"
    (run / "_state" / "mine.json").write_bytes(b"\x00garbage{")
    m = _rerun(cfg, run, finished[2], "mine")
    assert "mine.json is not readable" in m["stages"]["mine"]["redone_because"]


def test_shard_swapped_for_another_valid_one_is_detected(finished, tmp_path):
    """Same size class, valid Parquet, other rows: only the checksum tells."""
    out, cfg = _copy(finished, tmp_path)
    run = out / "r1"
    drafts = sorted((run / "drafts").glob("part-*.parquet"))
    assert len(drafts) >= 2
    shutil.copyfile(drafts[1], drafts[0])
    _rerun(cfg, run, finished[2], json.loads((run / "_state" / "write-00000.json").read_text())["stage"])


def test_corrupt_cache_row_is_a_miss(tmp_path):
    path = tmp_path / "responses.sqlite"
    with ResponseCache(path) as cache:
        for i in range(3):
            cache.put(f"k{i}", {"content": f"answer {i}"}, model="m", mode="json_schema")
    db = sqlite3.connect(path)
    db.execute("UPDATE responses SET value = ? WHERE key = 'k1'", ("{not json",))
    db.execute("UPDATE responses SET value = ? WHERE key = 'k2'", ('["a list"]',))
    db.commit()
    db.close()
    with ResponseCache(path) as cache:
        assert cache.get("k0") == {"content": "answer 0"}
        assert cache.get("k1") is None and cache.get("k2") is None
        assert (cache.corrupt, cache.misses, cache.hits) == (2, 2, 1)
        cache.put("k1", {"content": "asked again"}, model="m", mode="json_schema")
        assert cache.get("k1") == {"content": "asked again"}


def test_cache_file_that_is_not_a_database_is_set_aside(tmp_path):
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with ResponseCache(path) as cache:
        assert cache.get("k") is None
        cache.put("k", {"content": "x"}, model="m", mode="text")
        assert cache.get("k") == {"content": "x"}
    aside = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and (tmp_path / aside[0]).read_bytes().startswith(b"this is not a database")
