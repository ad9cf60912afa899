"""Scale-out: the per-shard tasks on a multi-process Dask cluster give the thread runner's output."""

from __future__ import annotations

import shutil

import pytest

from tests.flows import api
from tests.flows.conftest import CANDIDATES_PER_SHARD
from tests.flows.helpers import CRAWL, assert_same_rows, shard_hashes

pytestmark = pytest.mark.slow

pytest.importorskip("prefect_dask")
distributed = pytest.importorskip("distributed")


def _same_crawl(src, out, name=None):
    """A new output folder holding the thread run's finished crawl (same pages, same run id unless
    ``name``): the stages after it must then write byte-identical shards."""
    dst = out / (name or src.name)
    (dst / "_state").mkdir(parents=True)
    shutil.copytree(src / "pages", dst / "pages")
    (dst / "rejects").mkdir()
    for p in (src / "rejects").glob("part-0*.parquet"):  # crawl rejects: block 00000–09999
        shutil.copy2(p, dst / "rejects" / p.name)
    for name in ("crawl.json", "created_at"):
        shutil.copy2(src / "_state" / name, dst / "_state" / name)
    return dst


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of two worker processes, as a real cluster would be: by its address."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  host="127.0.0.1") as c:
        yield c


def test_dask_cluster_output_identical_to_threads(thread_run, cluster, tmp_path):
    from flows import crawlqa_flow

    run = _same_crawl(thread_run.run_path, tmp_path)
    with distributed.Client(cluster.scheduler_address) as client:
        worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
        with distributed.get_task_stream(client) as ts:
            state = crawlqa_flow(roots=thread_run.roots, out=str(tmp_path), run_id=run.name, llm="offline",
                                 crawl_options=CRAWL, max_depth=CRAWL["max_depth"], max_pages=CRAWL["max_pages"],
                                 max_pages_per_root=CRAWL["max_pages_per_root"],
                                 candidates_per_shard=CANDIDATES_PER_SHARD, task_runner="dask",
                                 dask_address=cluster.scheduler_address, return_state=True)
        assert state.is_completed(), state
        m = state.result()
    # every per-shard task ran on the cluster, spread over both worker processes
    n = len(m["shards"]["candidates"])
    ran = [t for t in ts.data if "write" in str(t["key"])]
    assert len(ran) == n >= 3, [t["key"] for t in ts.data]
    assert len({t["worker"] for t in ran}) == 2 and len(worker_pids) == 2
    assert m["stages"]["crawl"]["resumed"] and not m["stages"]["mine"]["resumed"]
    # identical output: every shard of every folder has the same bytes as the thread runner's
    assert shard_hashes(run) == shard_hashes(thread_run.run_path)
    assert m["funnel"] == thread_run.manifest["funnel"]
    subs = api.subflow_runs(state.state_details.flow_run_id)
    assert [s.name for s in subs] and all(s.state.is_completed() for s in subs)


def test_split_crawl_on_the_dask_cluster(thread_run, cluster, tmp_path):
    """With ``crawl_parts`` the roots are split across crawl tasks (one Scrapy subprocess each) on the
    cluster. The output equals the plain job's (``pipelines.job.run_crawlqa``) with the same split."""
    from crawlqa.config import make_job_config
    from flows import crawlqa_flow, with_runner
    from pipelines.job import run_crawlqa

    state = with_runner(crawlqa_flow, "dask", cluster.scheduler_address)(
        roots=thread_run.roots, out=str(tmp_path / "dask"), run_id="split", llm="offline", crawl_options=CRAWL,
        max_depth=CRAWL["max_depth"], max_pages=CRAWL["max_pages"], max_pages_per_root=CRAWL["max_pages_per_root"],
        candidates_per_shard=CANDIDATES_PER_SHARD, crawl_parts=3, return_state=True)
    assert state.is_completed(), state
    m = state.result()
    assert m["config"]["crawl_parts"] == 3 and m["stages"]["crawl"]["parts"] == 3
    subs = api.subflow_runs(state.state_details.flow_run_id)
    names = {t.name for t in api.task_runs([s.id for s in subs])}
    assert {"crawl-part-0", "crawl-part-1", "crawl-part-2"} <= names
    assert not (tmp_path / "dask" / "split" / "_parts").exists()

    cfg = make_job_config(thread_run.roots, out=str(tmp_path / "local"), run_id="split", llm="offline", crawl=CRAWL,
                          candidates_per_shard=CANDIDATES_PER_SHARD, crawl_parts=3)
    local = run_crawlqa(cfg)
    assert local["funnel"] == m["funnel"]
    assert_same_rows(tmp_path / "dask" / "split", tmp_path / "local" / "split")
    # the fixture site's three sub-sites do not share pages: the split crawl finds the same pages
    assert m["funnel"]["pages_fetched"] == thread_run.manifest["funnel"]["pages_fetched"]


def test_task_runner_selection():
    """``dask`` without an address: a local cluster of ``workers`` single-threaded processes, started
    with the sub-flow and stopped after it; an address: that cluster; anything else is an error."""
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from flows import make_task_runner

    local = make_task_runner("dask", None, 3)
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["n_workers"] == 3 and local.cluster_kwargs["processes"] is True
    assert local.cluster_kwargs["threads_per_worker"] == 1
    assert make_task_runner("dask", "tcp://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    assert isinstance(make_task_runner("threads", None, 4), ThreadPoolTaskRunner)
    with pytest.raises(ValueError, match="threads' or 'dask"):
        make_task_runner("spark")


@pytest.fixture
def redis_url(tmp_path):
    """A real Redis server on a free loopback port (skipped when ``redis-server`` is not installed)."""
    import shutil as sh
    import subprocess
    import time

    pytest.importorskip("redis")
    exe = sh.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed")
    from tests.flows.helpers import free_port, wait_for

    port = free_port()
    proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        def up() -> bool:
            try:
                return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
            except redis.RedisError:
                return False

        wait_for(lambda: up() or proc.poll() is not None, 30, "redis-server", interval=0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            time.sleep(0.1)


def test_dedup_index_in_redis_shared_by_output_folders(thread_run, redis_url, tmp_path, monkeypatch):
    """``CRAWLQA_DEDUP_REDIS_URL``: runs on different machines (here: output folders) share one dedup
    index; a later run does not re-ship a question an earlier run shipped."""
    import redis

    from flows import crawlqa_flow

    monkeypatch.setenv("CRAWLQA_DEDUP_REDIS_URL", redis_url)
    params = dict(roots=thread_run.roots, llm="offline", crawl_options=CRAWL, max_depth=CRAWL["max_depth"],
                  max_pages=CRAWL["max_pages"], max_pages_per_root=CRAWL["max_pages_per_root"],
                  candidates_per_shard=CANDIDATES_PER_SHARD)
    first = _same_crawl(thread_run.run_path, tmp_path / "a")
    m1 = crawlqa_flow(out=str(tmp_path / "a"), run_id=first.name, **params)
    assert m1["funnel"]["kept"] == thread_run.manifest["funnel"]["kept"]  # an empty index drops nothing
    assert m1["config"]["dedup_redis_url"] == "***"
    assert not (tmp_path / "a" / ".dedup").exists()  # the index is in Redis, not in the output folder
    assert m1["funnel"]["seeds"] == thread_run.manifest["funnel"]["seeds"] >= 1
    r = redis.Redis.from_url(redis_url)
    # the index holds every question the dedup let through: qa/ and the single-hop ones in seeds/
    assert r.hlen("crawlqa:dedup:meta") == m1["funnel"]["kept"] + m1["funnel"]["seeds"]

    _same_crawl(thread_run.run_path, tmp_path / "b", "another-day")
    m2 = crawlqa_flow(out=str(tmp_path / "b"), run_id="another-day", **params)
    assert m2["funnel"]["written"] == m1["funnel"]["written"] and m2["funnel"]["kept"] == m2["funnel"]["seeds"] == 0
    assert sum(v for k, v in m2["funnel"]["reject_reasons"].items() if k.startswith("dedup/")) \
        >= m1["funnel"]["kept"] + m1["funnel"]["seeds"]


def test_a_token_budget_writes_one_shard_at_a_time(prefect_harness):
    """``pipelines.job.remaining_token_budget`` gives each shard what the finished ones left: with a
    budget the shards run one after the other, whatever runner was asked for."""
    from prefect import flow
    from pydantic import SecretStr

    from crawlqa.config import Settings, make_job_config
    from flows import writes_task_runner

    settings = Settings(openai_api_key=SecretStr("sk-x"), openai_base_url="http://127.0.0.1:9/v1")
    budget = make_job_config(["http://127.0.0.1:9/"], run_id="b", llm="openai", settings=settings,
                             llm_options={"token_budget": 10_000})
    free = make_job_config(["http://127.0.0.1:9/"], run_id="b", llm="openai", settings=settings)

    @flow  # writes_task_runner logs through the run logger: call it inside a flow run
    def pick(cfg, name: str):
        r = writes_task_runner(cfg, name, "tcp://127.0.0.1:9", 4)
        return type(r).__name__, getattr(r, "_max_workers", None)

    assert pick(budget, "dask") == ("ThreadPoolTaskRunner", 1)
    assert pick(free, "dask") == ("DaskTaskRunner", None)
    assert pick(free, "threads") == ("ThreadPoolTaskRunner", 4)
