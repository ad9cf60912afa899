"""Single-hop questions go to ``seeds/`` (the one-search gate, issue 18), never silently: the manifest's
funnel and shard list, ``crawlqa inspect`` and the dataset card say how many, and every draft is
accounted for (kept in qa/, a seed in seeds/, or a filter/dedup reject row)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from crawlqa.devserver import FIXTURE_SITE, serve
from pipelines.inspect import inspect_run, render_report
from pipelines.job import run_crawlqa
from pipelines.shards import count_rows, read_table
from schemas.records import QARecord
from tests.faults.kit import assert_shards_valid, guarded, job_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    with serve(FIXTURE_SITE) as site, guarded(tmp_path_factory.mktemp("guard")):
        manifest = run_crawlqa(job_config([site.url + "/wiki/index.html"], out, crawl={"max_depth": 1}))
    return out / "r1", manifest


def test_the_manifest_counts_and_lists_the_seeds(run):
    path, manifest = run
    seeds = read_table(path / "seeds", QARecord).to_pylist()
    assert seeds and {r["type"] for r in seeds} == {"single_hop"}
    assert manifest["funnel"]["seeds"] == len(seeds)
    assert sum(s["rows"] for s in manifest["shards"]["seeds"]) == len(seeds)
    assert "single_hop" not in {r["type"] for r in read_table(path / "qa", QARecord, columns=["type"]).to_pylist()}
    rows = assert_shards_valid(path, manifest)  # seeds/ shards listed with checksums like every folder
    assert rows["seeds"] == len(seeds)
    f = manifest["funnel"]
    after_write = sum(v for k, v in f["reject_reasons"].items() if k.split("/")[0] in ("filter", "dedup"))
    assert f["written"] == f["kept"] + f["seeds"] + after_write, f


def test_inspect_and_the_card_show_the_seeds(run):
    path, _ = run
    n = count_rows(path / "seeds")
    report = inspect_run(path)
    assert report["funnel"]["seeds"] == n and report["warnings"] == []
    buf = io.StringIO()
    render_report(report, Console(file=buf, width=200, color_system=None))
    line = next(ln for ln in buf.getvalue().splitlines() if "seeds/ (single-hop, for E2HQA)" in ln)
    assert f" {n} " in f" {line} ".replace("│", " ")
    card = (path / "README.md").read_text()
    assert f"| single-hop, to seeds/ (E2HQA seeds) | {n} |" in card
    assert "config_name: \"seeds\"" in card or "config_name: seeds" in card
    assert "### `seeds/` — QARecord" in card
