"""The offline demo end to end: the documented run-folder layout, enough questions, valid shards."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from pipelines.shards import read_table
from schemas import Page, QARecord, Reject
from schemas.arrow import arrow_schema


def test_demo_writes_the_documented_layout(demo_run):
    names = {p.name for p in demo_run.iterdir()}
    assert {"pages", "qa", "rejects", "manifest.json", "README.md"} <= names
    for folder in ("pages", "qa", "rejects"):
        shards = sorted((demo_run / folder).glob("part-*.parquet"))
        assert shards, folder
        assert all(s.name[5:10].isdigit() for s in shards)
    assert not list(demo_run.rglob(".tmp-*")), "no temporary shard left behind"


def test_demo_keeps_at_least_20_questions_of_several_types(demo_run):
    qa = read_table(demo_run / "qa", QARecord)
    types = set(qa.column("type").to_pylist())
    assert qa.num_rows >= 20 and len(types) >= 2, (qa.num_rows, types)
    assert qa.schema.equals(arrow_schema(QARecord), check_metadata=False)
    assert set(qa.column("writer").to_pylist()) == {"template"}
    for row in qa.to_pylist():  # every kept record carries its evidence and a question
        assert row["question"].endswith("?") and row["evidence"] and row["source_urls"]
        assert row["answer"].lower() not in row["question"].lower()


def test_manifest_funnel_matches_the_shards(demo_run):
    m = json.loads((demo_run / "manifest.json").read_text())
    pages = read_table(demo_run / "pages", Page, columns=["id"]).num_rows
    rejects = read_table(demo_run / "rejects", Reject)
    assert m["funnel"]["pages_fetched"] == pages > 20
    assert m["funnel"]["kept"] == sum(pq.read_metadata(p).num_rows for p in (demo_run / "qa").glob("*.parquet"))
    assert sum(m["funnel"]["reject_reasons"].values()) == rejects.num_rows
    for shard in m["shards"]["qa"]:
        assert (demo_run / shard["path"]).is_file() and shard["sha256"]
    assert m["config"]["llm"] == "offline"
    # every reject has a stage and a reason
    assert all(r["stage"] and r["reason"] for r in rejects.select(["stage", "reason"]).to_pylist())
