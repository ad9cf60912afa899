"""The ``crawlqa`` flow end to end on the fixture site, under Prefect's test harness."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.flows import api
from tests.flows.conftest import CANDIDATES_PER_SHARD
from tests.flows.helpers import CRAWL, assert_same_rows, shard_hashes

pytestmark = pytest.mark.slow


def test_flow_runs_every_stage_as_tasks(thread_run):
    m = thread_run.manifest
    f = m["funnel"]
    assert f["pages_fetched"] >= 40 and f["candidates"] > CANDIDATES_PER_SHARD and f["kept"] >= 50  # a real yield, not a fixed figure
    n_shards = len(m["shards"]["candidates"])
    assert n_shards >= 3  # per-shard tasks, never one task per record
    assert len(m["shards"]["qa"]) >= 1 and (thread_run.run_path / "manifest.json").is_file()
    assert {r["stage"] if isinstance(r, dict) else r for r in m["stages"]} >= {"crawl", "mine", "filter"}

    subs = api.subflow_runs(thread_run.flow_run_id)
    assert [s.name for s in subs] and {s.flow_id for s in subs}
    names = sorted(t.name for t in api.task_runs([thread_run.flow_run_id, *(s.id for s in subs)]))
    assert {"crawl-extract", "mine", "filter-dedup", "manifest"} <= set(names)
    write = [n for n in names if n.startswith("write-shard-")]
    assert sorted(write) == sorted(f"write-shard-{i}" for i in range(n_shards))
    # the stages' own log lines ("crawlqa" logger) reach the Prefect run's logs
    lines = api.logs([thread_run.flow_run_id, *(s.id for s in subs)])
    assert any("crawling 3 root(s)" in x for x in lines), lines[:20]
    assert any(x.startswith("write shards:") and f"{n_shards}/{n_shards}" in x for x in lines)


def test_rerun_resumes_and_roots_file(thread_run, tmp_path):
    """Re-running the run id skips every finished stage and leaves the shards byte-identical; the
    ``roots`` parameter also takes a roots file."""
    from flows import crawlqa_flow

    before = shard_hashes(thread_run.run_path)
    roots = tmp_path / "roots.txt"
    roots.write_text("# the fixture site\n" + "\n".join(thread_run.roots) + "\n\nnot a url\n")
    m = crawlqa_flow(roots=str(roots), out=str(thread_run.out), run_id="flow-a", llm="offline", crawl_options=CRAWL,
                     max_depth=CRAWL["max_depth"], max_pages=CRAWL["max_pages"],
                     max_pages_per_root=CRAWL["max_pages_per_root"], candidates_per_shard=CANDIDATES_PER_SHARD)
    assert all(s["resumed"] for s in m["stages"].values())
    assert shard_hashes(thread_run.run_path) == before
    assert m["funnel"] == thread_run.manifest["funnel"]
    assert m["shards"] == thread_run.manifest["shards"]


def test_flow_output_equals_the_plain_job(thread_run, tmp_path):
    """The flow is thin: ``pipelines.job.run_crawlqa`` (no Prefect) gives the same rows."""
    from crawlqa.config import make_job_config
    from pipelines.job import run_crawlqa

    cfg = make_job_config(thread_run.roots, out=str(tmp_path), run_id="local-a", llm="offline", crawl=CRAWL,
                          candidates_per_shard=CANDIDATES_PER_SHARD)
    m = run_crawlqa(cfg)
    assert m["funnel"] == thread_run.manifest["funnel"]
    assert_same_rows(thread_run.run_path, tmp_path / "local-a")


def test_bad_roots_fail_fast_without_retries(prefect_harness, tmp_path):
    from flows import crawlqa_flow

    state = crawlqa_flow(roots=str(tmp_path / "missing.txt"), out=str(tmp_path), run_id="bad",
                         return_state=True)
    assert state.is_failed()
    with pytest.raises(Exception, match="roots file not found"):
        state.result()
    assert not (tmp_path / "bad").exists()


def test_retry_condition_retries_only_transient_errors():
    from flows import retry_if_transient

    def state(exc):
        def result():
            raise exc
        return SimpleNamespace(result=result)

    assert retry_if_transient(None, None, state(ConnectionResetError("reset by peer")))
    assert retry_if_transient(None, None, state(TimeoutError("read timed out")))
    assert retry_if_transient(None, None, state(RuntimeError("crawl subprocess exited with -9")))
    assert not retry_if_transient(None, None, state(ValueError("bad config")))
    assert not retry_if_transient(None, None, state(FileNotFoundError("roots.txt")))
    assert not retry_if_transient(None, None, SimpleNamespace(result=lambda: 1))


def test_job_config_pickles_for_dask(thread_run):
    """Tasks receive the JobConfig (with an LLM config and its secret key): it must pickle."""
    import pickle

    from pydantic import SecretStr

    from crawlqa.config import Settings, make_job_config

    cfg = make_job_config(thread_run.roots, out="x", run_id="p", llm="openai", model="m", crawl=CRAWL,
                          settings=Settings(openai_api_key=SecretStr("sk-secret"), openai_base_url="http://127.0.0.1:1/v1"))
    back = pickle.loads(pickle.dumps(cfg))
    assert back == cfg and back.llm_config.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in json.dumps(back.to_public_dict())


def test_api_key_never_reaches_the_prefect_api(prefect_harness):
    """The sub-flow gets the JobConfig as a parameter: Prefect stores it with the key masked, while
    the tasks receive the real key."""
    from pydantic import SecretStr

    from crawlqa.config import Settings, make_job_config
    from flows import write_shards_flow

    cfg = make_job_config(["http://127.0.0.1:9/"], out="unused", run_id="k", llm="openai", model="m",
                          settings=Settings(openai_api_key=SecretStr("sk-never-logged"),
                                            openai_base_url="http://127.0.0.1:9/v1"))
    state = write_shards_flow(cfg, [], return_state=True)
    assert state.is_completed() and state.result() == []
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        stored = c.read_flow_run(state.state_details.flow_run_id).parameters
    assert stored["cfg"]["llm"] == "openai"
    assert "sk-never-logged" not in json.dumps(stored, default=str)
