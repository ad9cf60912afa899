"""The ``e2hqa`` flow end to end over the crawl run of the ``crawlqa`` flow (fixture site)."""

from __future__ import annotations

import json
import os

import pytest

from tests.flows import api
from tests.flows.helpers import assert_same_rows, shard_hashes, shard_names

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def e2h_run(thread_run):
    from flows import e2hqa_flow

    state = e2hqa_flow(corpus=str(thread_run.out / "latest"), rounds=2, out=str(thread_run.out), run_id="e2h-a",
                       llm="offline", return_state=True)
    assert state.is_completed(), state
    return state.result(), state.state_details.flow_run_id


def test_e2h_flow_end_to_end(thread_run, e2h_run):
    import pyarrow.parquet as pq

    from pipelines.shards import shard_paths

    m, flow_run_id = e2h_run
    run = thread_run.out / "e2h-a"
    assert m["config"]["corpus"] == str(thread_run.run_path)  # data/latest was followed to the crawl run
    assert m["funnel"]["kept"] > 10
    assert all(n.startswith("part-4") for n in shard_names(run, "drafts"))  # the e2h shard block
    qa = [r for p in shard_paths(run / "qa") for r in pq.read_table(p).to_pylist()]
    assert qa and {r["type"] for r in qa} == {"e2h"}
    assert all(1 <= len(r["lineage"]) <= 2 and r["hops"] == 1 + len(r["lineage"]) for r in qa)
    assert all(r["run_id"] == "e2h-a" for r in qa)
    assert any(k.startswith("e2h/") for k in m["funnel"]["reject_reasons"])
    names = {t.name for t in api.task_runs([flow_run_id])}
    assert {"e2h-rounds", "e2h-filter-dedup", "e2h-manifest"} <= names
    (md,) = [a for a in api.artifacts([flow_run_id]) if a.type == "markdown"]
    assert md.key == "crawlqa-e2h-a" and f"| kept | {m['funnel']['kept']} |" in md.data
    # the crawl run is still the newest crawl run
    assert os.readlink(thread_run.out / "latest") == "flow-a"


def test_e2h_rerun_resumes_with_its_pinned_corpus(thread_run, e2h_run, tmp_path):
    """``data/latest`` moving on between a crash and the re-run does not change what a run reads."""
    from flows import e2hqa_flow

    run = thread_run.out / "e2h-a"
    before = shard_hashes(run)
    latest = thread_run.out / "latest"
    (thread_run.out / "elsewhere").mkdir(exist_ok=True)
    latest.unlink()
    latest.symlink_to("elsewhere")
    try:
        m = e2hqa_flow(corpus=str(latest), rounds=2, out=str(thread_run.out), run_id="e2h-a", llm="offline")
    finally:
        latest.unlink()
        latest.symlink_to("flow-a")
    assert all(s["resumed"] for s in m["stages"].values())
    assert m["config"]["corpus"] == str(thread_run.run_path)
    assert shard_hashes(run) == before


def test_seeds_file_and_local_engine_equal_the_flow(thread_run, tmp_path):
    """``--seeds FILE``; ``run_e2hqa`` (``crawlqa e2h --engine local``) writes what the flow writes."""
    import pyarrow.parquet as pq

    from flows import e2hqa_flow
    from pipelines.e2h_job import run_e2hqa
    from pipelines.shards import shard_paths

    single = [r for p in shard_paths(thread_run.run_path / "seeds") for r in pq.read_table(p).to_pylist()
              if r["type"] == "single_hop"][:12]
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("".join(json.dumps({"question": r["question"], "answer": r["answer"],
                                         "url": r["source_urls"][0]}) + "\n" for r in single)
                     + '{"question": "no answer here?"}\n')
    a = e2hqa_flow(corpus=str(thread_run.run_path), seeds=str(seeds), rounds=2, out=str(tmp_path / "a"),
                   run_id="s", llm="offline")
    b = run_e2hqa(corpus=thread_run.run_path, seeds=seeds, rounds=2, out=tmp_path / "b", run_id="s",
                  llm="offline")
    assert a["funnel"] == b["funnel"] and a["funnel"]["written"] > 0
    assert a["funnel"]["reject_reasons"].get("e2h/bad_seed/missing_answer") == 1
    assert a["config"]["seeds"] == str(seeds)
    assert_same_rows(tmp_path / "a" / "s", tmp_path / "b" / "s", ("drafts", "qa", "rejects"))


def test_e2h_llm_writer_pays_each_answer_once(thread_run, tmp_path, monkeypatch):
    """With the LLM writer, a second run over the same corpus and seeds answers from the cache."""
    from flows import e2hqa_flow
    from tests.llm_server import LLMTestServer

    with LLMTestServer() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
        first = e2hqa_flow(corpus=str(thread_run.run_path), rounds=1, out=str(tmp_path), run_id="l1", llm="openai",
                           model=srv.model)
        paid = len(srv.chat_calls)
        second = e2hqa_flow(corpus=str(thread_run.run_path), rounds=1, out=str(tmp_path), run_id="l2",
                            llm="openai", model=srv.model)
        assert paid > 0 and len(srv.chat_calls) == paid  # nothing paid twice
    t1, t2 = first["tokens"]["e2h"], second["tokens"]["e2h"]
    # every request of the second run is answered from the cache (0 calls). Its request count is not
    # asserted equal to the first's: under load one full run made 6,925 requests and its re-run 6,924
    # (order-dependent rotation in E2HQA; open, see the session note)
    assert t1["calls"] == paid and t2["calls"] == 0 and t2["cache_hits"] == t2["requests"] > 0
    assert "sk-test-key" not in json.dumps(first)
