"""What a run publishes in the Prefect UI (markdown + table + progress artifacts) and that the CLI
prints the same summary."""

from __future__ import annotations

import pytest
from rich.console import Console

from tests.flows import api

pytestmark = pytest.mark.slow


def _by_type(thread_run) -> dict[str, list]:
    runs = [thread_run.flow_run_id, *(s.id for s in api.subflow_runs(thread_run.flow_run_id))]
    out: dict[str, list] = {}
    for a in api.artifacts(runs):
        out.setdefault(a.type, []).append(a)
    return out


def test_markdown_artifact(thread_run):
    from flows import artifact_key

    m = thread_run.manifest
    (md,) = _by_type(thread_run)["markdown"]
    assert md.key == artifact_key("flow-a") == "crawlqa-flow-a"
    text = md.data
    f = m["funnel"]
    # the funnel
    for label, n in (("pages fetched", f["pages_fetched"]), ("candidates mined", f["candidates"]),
                     ("questions written", f["written"]), ("kept", f["kept"])):
        assert f"| {label} | {n} |" in text
    # reject reasons, every one of them with its count
    assert f["reject_reasons"]
    for reason, n in f["reject_reasons"].items():
        assert f"| {reason} | {n} |" in text
    # shard list and sample questions
    for s in m["shards"]["qa"] + m["shards"]["pages"]:
        assert f"| {s['path']} | {s['rows']} |" in text
    assert "## Sample questions" in text
    for s in m["samples"]:
        assert s["question"] in text


def test_table_artifact(thread_run):
    import json

    from flows import summary_table

    m = thread_run.manifest
    (table,) = _by_type(thread_run)["table"]
    assert table.key == "crawlqa-flow-a-table"
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert rows == summary_table(m)
    got = {(r["section"], r["item"]): r["count"] for r in rows}
    assert got[("funnel", "kept")] == m["funnel"]["kept"]
    assert got[("funnel", "pages fetched")] == m["funnel"]["pages_fetched"]
    for reason, n in m["funnel"]["reject_reasons"].items():
        assert got[("rejects", reason)] == n
    kept_by_type = {k: v for (sec, k), v in got.items() if sec == "kept by type"}
    assert sum(kept_by_type.values()) == m["funnel"]["kept"] and set(kept_by_type) >= {"count", "multi_hop"}


def test_progress_artifact_of_the_shard_stage(thread_run):
    (progress,) = [a for a in _by_type(thread_run)["progress"] if "write shards" in a.description]
    assert float(progress.data) == 100.0


def test_progress_artifact_of_the_crawl(thread_run):
    (progress,) = [a for a in _by_type(thread_run)["progress"] if a.key == "crawlqa-flow-a-crawl-progress"]
    assert float(progress.data) == 100.0
    pages = thread_run.manifest["funnel"]["pages_fetched"]
    assert progress.description == f"crawl of run flow-a: crawl: done, {pages} pages"


def test_cli_prints_the_same_summary(thread_run):
    from crawlqa.summary import print_summary
    from flows import summary_table

    console = Console(record=True, width=200)
    print_summary(thread_run.manifest, console, run_path=str(thread_run.run_path))
    text = console.export_text()
    for row in summary_table(thread_run.manifest):
        if row["section"] in ("funnel", "rejects"):
            assert row["item"] in text and str(row["count"]) in text


def test_token_usage_in_the_summary():
    """An LLM run's token ledger shows up in the markdown and the table (offline runs have none)."""
    from crawlqa.summary import summary_markdown
    from flows import summary_table

    m = {"run_id": "t", "config": {"out": "/nonexistent"}, "shards": {"qa": [], "rejects": [], "pages": []},
         "funnel": {"pages_fetched": 1, "candidates": 2, "written": 2, "kept": 1, "rejects": 1,
                    "reject_reasons": {"write/too_long": 1}},
         "tokens": {"write": {"calls": 3, "cache_hits": 2, "prompt_tokens": 300, "completion_tokens": 40}}}
    assert "| write | 3 | 2 | 300 | 40 |" in summary_markdown(m)
    rows = {(r["section"], r["item"]): r["count"] for r in summary_table(m)}
    assert rows[("tokens write", "calls")] == 3 and rows[("tokens write", "cache_hits")] == 2
