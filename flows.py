"""Prefect flows: thin wrappers that run the stage functions of ``pipelines`` as tasks.

``crawlqa`` — roots → crawl → mine → write (one task per candidates shard) → filter/dedup → manifest.
``e2hqa``   — seeds + a corpus run → rounds → filter/dedup → manifest.
Run locally (Prefect's ephemeral mode) or as deployments (``prefect.yaml``); pick a Dask cluster for
the per-shard tasks with ``task_runner="dask"`` (and ``dask_address`` for an existing cluster).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pipelines import job as J
from pipelines.counters import Counters
from pipelines.run import RunDir, StageReport


def _retry_network(task_, task_run, state) -> bool:
    """Retry the crawl only for network-ish failures; configuration errors fail at once."""
    try:
        state.result()
    except (ValueError, TypeError, KeyError, FileNotFoundError):
        return False
    except Exception:
        return True
    return False


@task(name="crawl", retries=2, retry_delay_seconds=5, retry_condition_fn=_retry_network)
def crawl_task(cfg: J.JobConfig) -> StageReport:
    return J.stage_crawl(J.run_dir(cfg), cfg, Counters())


@task(name="mine")
def mine_task(cfg: J.JobConfig) -> StageReport:
    return J.stage_mine(J.run_dir(cfg), cfg, Counters())


@task(name="write-shard", retries=1, retry_delay_seconds=5)
def write_task(cfg: J.JobConfig, index: int) -> StageReport:
    return J.stage_write_shard(J.run_dir(cfg), cfg, index, Counters())


@task(name="filter-dedup")
def filter_task(cfg: J.JobConfig, source: str = "drafts") -> StageReport:
    return J.stage_filter(J.run_dir(cfg), cfg, Counters(), source=source)


@task(name="manifest")
def finalize_task(cfg: J.JobConfig | dict, run: RunDir, reports: list[StageReport], extra: dict | None = None) -> dict:
    counters = Counters()
    for r in reports:
        counters.merge(r.counters)
    manifest = J.finalize(run, cfg, reports, counters, extra=extra)
    publish_artifacts(manifest)
    return manifest


def publish_artifacts(manifest: dict) -> None:
    """A markdown summary and a table of reject reasons, visible in the Prefect UI."""
    from crawlqa.summary import summary_markdown

    key = "crawlqa-" + "".join(c if c.isalnum() else "-" for c in manifest["run_id"].lower())
    create_markdown_artifact(summary_markdown(manifest), key=key[:100],
                             description=f"crawlqa run {manifest['run_id']}")
    rows = [{"stage_reason": k, "count": v} for k, v in manifest["funnel"]["reject_reasons"].items()]
    create_table_artifact(rows or [{"stage_reason": "(none)", "count": 0}], key=(key + "-rejects")[:100],
                          description="rejects per stage and reason")


def _task_runner(name: str, dask_address: str | None):
    if name == "dask":
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address) if dask_address else DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=4)


@flow(name="crawlqa", log_prints=True)
def crawlqa_flow(
    roots: list[str] | str,
    out: str = "data",
    run_id: str | None = None,
    max_depth: int = 2,
    max_pages: int = 1000,
    max_pages_per_root: int = 200,
    llm: str = "auto",
    model: str | None = None,
    crawl_options: dict[str, Any] | None = None,
    synth_options: dict[str, Any] | None = None,
    filter_options: dict[str, Any] | None = None,
    llm_options: dict[str, Any] | None = None,
    candidates_per_shard: int = 2000,
) -> dict:
    """The whole CRAWLQA job. ``roots`` is a roots file path or a list of URLs."""
    from crawlqa.config import make_job_config
    from pipelines.roots import load_roots

    logger = get_run_logger()
    roots_parsed = load_roots(roots if isinstance(roots, list) else str(roots))
    for problem in roots_parsed.problems:
        logger.warning(problem)
    crawl = {"max_depth": max_depth, "max_pages": max_pages, "max_pages_per_root": max_pages_per_root,
             **(crawl_options or {})}
    cfg = make_job_config(roots_parsed.urls, out=out, run_id=run_id, llm=llm, model=model, crawl=crawl,
                          synth=synth_options, filters=filter_options, llm_options=llm_options,
                          candidates_per_shard=candidates_per_shard)
    run = J.run_dir(cfg)
    logger.info("run folder %s (llm=%s)", run.path, cfg.llm)
    reports = [crawl_task(cfg)]
    logger.info("crawl: %s pages", sum(s.rows for s in reports[0].shards.get("pages", [])))
    reports.append(mine_task(cfg))
    n = J.candidate_shard_count(run)
    futures = write_task.map([cfg] * n, list(range(n))) if n else []
    reports.extend(f.result() for f in futures)
    reports.append(filter_task(cfg))
    manifest = finalize_task(cfg, run, reports)
    logger.info("kept %s questions → %s", manifest["funnel"]["kept"], run.sub("qa"))
    return manifest


def with_runner(f, task_runner: str = "threads", dask_address: str | None = None):
    """The flow with a chosen task runner (``threads`` or ``dask``)."""
    return f.with_options(task_runner=_task_runner(task_runner, dask_address))
