"""Prefect flows: thin wrappers that run the stage functions of ``pipelines`` as tasks.

``crawlqa`` — roots → crawl → mine → write (one task per candidates shard) → filter/dedup → manifest.
``e2hqa``   — seeds + a corpus run → rounds → filter/dedup → manifest.

Run them locally (``crawlqa run``: Prefect's ephemeral mode, no server to set up; ``PREFECT_API_URL``
makes them report to a server) or as deployments (``prefect.yaml``). The per-shard tasks run in a
sub-flow whose task runner is a parameter: ``task_runner="threads"`` (default) or ``"dask"`` (a local
multi-process cluster, or an existing one at ``dask_address``); the output is identical either way.
Every stage is resumable (markers in ``_state/``): re-running a run id skips finished work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.utilities.annotations import unmapped

from pipelines import e2h_job as E
from pipelines import job as J
from pipelines.counters import Counters
from pipelines.run import StageReport, run_lock

TaskRunnerName = Literal["threads", "dask"]

# Errors that are the job's own (configuration, programming, a missing input): retrying cannot help.
_PERMANENT = (ValueError, TypeError, KeyError, AttributeError, ImportError, NotImplementedError,
              FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError)


def retry_if_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry condition of the network stages: retry connection errors, timeouts, a crashed crawler
    process, 5xx and rate limits; fail at once on configuration and programming errors, and never
    retry anything once the run is being stopped (Ctrl-C)."""
    from crawlers.run import stopping

    if stopping():
        return False
    try:
        state.result()
    except _PERMANENT:
        return False
    except J.JobFailed as exc:  # a write shard whose calls mostly failed: yes; an LLM 401: no
        return exc.transient
    except Exception:
        return True
    return False


# --- logs: the stages log to the ``crawlqa`` logger; inside a run, those lines go to Prefect too ---
class _RunLogHandler(logging.Handler):
    """Forwards ``crawlqa`` log records to Prefect's API while a flow or task run is active."""

    def emit(self, record: logging.LogRecord) -> None:
        from prefect.context import FlowRunContext, TaskRunContext
        from prefect.logging.handlers import APILogHandler

        if FlowRunContext.get() is None and TaskRunContext.get() is None:
            return  # outside a run (a library thread, a local run): nothing to attach it to
        if not hasattr(self, "_api"):
            self._api = APILogHandler()
            self._api.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self._api.emit(record)


def _forward_stage_logs() -> None:
    """Attach the forwarding handler once per process (flow process and every Dask worker)."""
    lg = logging.getLogger("crawlqa")
    if not any(isinstance(h, _RunLogHandler) for h in lg.handlers):
        lg.addHandler(_RunLogHandler(level=logging.INFO))
        if lg.level == logging.NOTSET or lg.level > logging.INFO:
            lg.setLevel(logging.INFO)


# --- CRAWLQA tasks (one per stage, one per candidates shard; never one per record) ---------------
@task(name="crawl-extract", task_run_name="crawl-extract", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=retry_if_transient, cache_policy=NO_CACHE)
def crawl_task(cfg: J.JobConfig) -> StageReport:
    """Fetch and extract the pages of the roots (Scrapy in a subprocess + trafilatura)."""
    _forward_stage_logs()
    with crawl_progress_artifact(cfg.run_id):
        return J.stage_crawl(J.run_dir(cfg), cfg, Counters())


@task(name="crawl-part", task_run_name="crawl-part-{part}", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=retry_if_transient, cache_policy=NO_CACHE)
def crawl_part_task(cfg: J.JobConfig, part: int) -> StageReport:
    """Crawl and extract one share of the roots (``crawl_parts`` > 1)."""
    _forward_stage_logs()
    with crawl_progress_artifact(cfg.run_id, f"crawl-part-{part}"):
        return J.stage_crawl_part(J.run_dir(cfg), cfg, part, Counters())


@task(name="crawl-merge", task_run_name="crawl-merge", cache_policy=NO_CACHE)
def crawl_merge_task(cfg: J.JobConfig, parts: list[StageReport]) -> StageReport:
    _forward_stage_logs()
    return J.stage_crawl_merge(J.run_dir(cfg), cfg, parts, Counters())


@task(name="mine", task_run_name="mine", cache_policy=NO_CACHE)
def mine_task(cfg: J.JobConfig) -> StageReport:
    _forward_stage_logs()
    return J.stage_mine(J.run_dir(cfg), cfg, Counters())


@task(name="write-shard", task_run_name="write-shard-{index}", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=retry_if_transient, cache_policy=NO_CACHE)
def write_task(cfg: J.JobConfig, index: int) -> StageReport:
    """Word the candidates of one candidates shard (LLM answers come from the cache on a re-run)."""
    _forward_stage_logs()
    return J.stage_write_shard(J.run_dir(cfg), cfg, index, Counters())


@task(name="filter-dedup", task_run_name="filter-dedup", cache_policy=NO_CACHE)
def filter_task(cfg: J.JobConfig, source: str = "drafts") -> StageReport:
    """Validity filters + MinHash dedup: one task, the only one touching the dedup index."""
    _forward_stage_logs()
    return J.stage_filter(J.run_dir(cfg), cfg, Counters(), source=source)


@task(name="manifest", task_run_name="manifest", cache_policy=NO_CACHE)
def finalize_task(cfg: J.JobConfig, reports: list[StageReport]) -> dict:
    run = J.run_dir(cfg)
    manifest = J.finalize(run, cfg, reports, merged_counters(reports))
    publish_artifacts(manifest)
    return manifest


def merged_counters(reports: list[StageReport]) -> Counters:
    counters = Counters()
    for r in reports:
        counters.merge(r.counters)
    return counters


# --- artifacts ------------------------------------------------------------------------------------
def artifact_key(run_id: str, suffix: str = "") -> str:
    """A valid artifact key (lower-case letters, digits, dashes) for a run id."""
    base = "".join(c if c.isalnum() else "-" for c in f"crawlqa-{run_id}".lower())
    return (base[: 90] + (f"-{suffix}" if suffix else "")).strip("-")


def summary_table(manifest: dict) -> list[dict]:
    """The run summary as table rows: the funnel, kept questions by type, reject reasons, tokens."""
    from crawlqa.summary import _funnel_rows, _qa_types

    rows = [{"section": "funnel", "item": k, "count": v} for k, v in _funnel_rows(manifest)]
    rows += [{"section": "kept by type", "item": k, "count": v} for k, v in _qa_types(manifest).items()]
    rows += [{"section": "rejects", "item": k, "count": v}
             for k, v in sorted(manifest["funnel"]["reject_reasons"].items(), key=lambda kv: (-kv[1], kv[0]))]
    for stage, row in (manifest.get("tokens") or {}).items():
        for k in ("calls", "cache_hits", "prompt_tokens", "completion_tokens"):
            rows.append({"section": f"tokens {stage}", "item": k, "count": int(row.get(k, 0))})
    return rows


def publish_artifacts(manifest: dict) -> None:
    """A markdown summary (funnel, reject reasons, tokens, shards, samples) and a table artifact,
    both keyed by the run id so that the Prefect UI shows their history across runs."""
    from crawlqa.summary import summary_markdown

    run_id = manifest["run_id"]
    create_markdown_artifact(summary_markdown(manifest), key=artifact_key(run_id),
                             description=f"crawlqa run {run_id}: funnel, rejects, tokens, shards, samples")
    create_table_artifact(summary_table(manifest), key=artifact_key(run_id, "table"),
                          description=f"crawlqa run {run_id}: funnel, kept by type, reject reasons, tokens")


# --- task runners -----------------------------------------------------------------------------------
def make_task_runner(name: str = "threads", dask_address: str | None = None, workers: int = 2):
    """``threads`` (a thread pool) or ``dask``: an existing cluster at ``dask_address``
    (``tcp://scheduler:8786``), else a local cluster of ``workers`` single-threaded processes."""
    if name == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:  # configuration error: say how to fix it
            raise ImportError("task_runner='dask' needs prefect-dask: pip install 'crawlqa[dask]'") from exc
        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "host": "127.0.0.1", "dashboard_address": ":0"})
    if name != "threads":
        raise ValueError(f"task_runner must be 'threads' or 'dask', not {name!r}")
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=max(1, workers))


def writes_task_runner(cfg: J.JobConfig, name: str, dask_address: str | None, workers: int):
    """The write shards' runner; one shard at a time when the run has an LLM token budget (the
    budget is one number for the run: each shard gets what the finished ones left)."""
    budget = getattr(cfg.llm_config, "token_budget", None) if cfg.llm == "openai" else None
    if budget is not None:
        if name != "threads":
            get_run_logger().warning("token budget %d: write shards run one at a time, in this process", budget)
        return make_task_runner("threads", None, 1)
    return make_task_runner(name, dask_address, workers)


def _map_with_progress(task_: Any, cfg: J.JobConfig, indices: list[int], label: str) -> list[StageReport]:
    """One task per index on the current flow's task runner; a progress artifact and a log line as
    they finish; the reports in index order (a failed task fails the flow, after the others ran)."""
    logger = get_run_logger()
    n = len(indices)
    progress = create_progress_artifact(0.0, description=f"{label} of run {cfg.run_id}")
    futures = task_.map(unmapped(cfg), indices)
    for done, fut in enumerate(as_completed(list(futures)), start=1):
        update_progress_artifact(progress, 100.0 * done / n)
        logger.info("%s: %d/%d done%s", label, done, n, "" if fut.state.is_completed() else " (failed)")
    return [f.result() for f in futures]


@flow(name="crawlqa-write-shards")
def write_shards_flow(cfg: J.JobConfig, indices: list[int]) -> list[StageReport]:
    """The per-shard write tasks, on this sub-flow's task runner (threads or Dask)."""
    return _map_with_progress(write_task, cfg, indices, "write shards")


@flow(name="crawlqa-crawl-parts")
def crawl_parts_flow(cfg: J.JobConfig, parts: list[int]) -> list[StageReport]:
    """The crawl tasks (one Scrapy subprocess each, a share of the roots), on this sub-flow's runner."""
    return _map_with_progress(crawl_part_task, cfg, parts, "crawl parts")


def _job_config(roots: list[str] | str | None, resolved: Any) -> J.JobConfig:
    """The run's config from the flow's parameters over its config file (``crawlqa.configfile``)."""
    from crawlqa.config import make_job_config
    from pipelines.roots import load_roots

    logger = get_run_logger()
    roots = roots if roots is not None else resolved.job.get("roots")
    if roots is None:
        raise ValueError("no roots: give the `roots` parameter or [job] roots in the config file")
    parsed = load_roots(roots if isinstance(roots, list) else str(roots))
    for problem in parsed.problems:
        logger.warning(problem)
    kw = resolved.job_config_kwargs()
    return make_job_config(parsed.urls, **(kw | {"run_id": kw["run_id"] or flow_run_run_id()}))


@contextmanager
def crawl_progress_artifact(run_id: str, label: str = "crawl", every: float = 2.0) -> Iterator[None]:
    """A progress artifact updated while the crawl runs (share of the page budget fetched; pages,
    rate, ETA, queue and rejects in its description), at most every ``every`` seconds."""
    import time

    from crawlqa.progress import crawl_line
    from pipelines import progress

    artifact = create_progress_artifact(0.0, key=artifact_key(run_id, f"{label}-progress"),
                                        description=f"{label} of run {run_id}: starting")
    last = [0.0]

    def update(ev: dict) -> None:
        if ev.get("stage") != "crawl":
            return
        end = bool(ev.get("done") or ev.get("final"))
        now = time.monotonic()
        if not end and now - last[0] < every:
            return
        last[0] = now
        pct = 100.0 if end else min(100.0, 100.0 * ev.get("pages", 0) / max(1, ev.get("budget") or 1))
        update_progress_artifact(artifact, pct, description=f"{label} of run {run_id}: {crawl_line(ev)}")

    with progress.listen(update, thread=True):
        yield


def flow_run_run_id() -> str:
    """Default run id: the flow run's scheduled start (UTC) — a retried flow run resumes its run."""
    from datetime import UTC

    from prefect.runtime import flow_run

    from pipelines.run import default_run_id

    when = flow_run.scheduled_start_time
    if when is None:
        return default_run_id()
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@flow(name="crawlqa", log_prints=True)
def crawlqa_flow(
    roots: list[str] | str | None = None,
    out: str | None = None,
    run_id: str | None = None,
    max_depth: int | None = None,
    max_pages: int | None = None,
    max_pages_per_root: int | None = None,
    llm: Literal["auto", "offline", "openai"] | None = None,
    model: str | None = None,
    crawl_options: dict[str, Any] | None = None,
    synth_options: dict[str, Any] | None = None,
    filter_options: dict[str, Any] | None = None,
    llm_options: dict[str, Any] | None = None,
    candidates_per_shard: int | None = None,
    rows_per_shard: int | None = None,
    crawl_parts: int | None = None,
    task_runner: TaskRunnerName | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
    config: str | None = None,
) -> dict:
    """The whole CRAWLQA job: crawl the roots, mine evidence, write and filter questions. Re-running
    a run id resumes it. A parameter left empty comes from the config file, else its default.

    Args:
        roots: A roots file (one URL per line, # comments) or a list of root URLs; default [job] roots.
        out: Output folder; the run folder is OUT/RUN_ID (default data).
        run_id: Run id; default the flow run's scheduled start (UTC), so a retried flow run resumes.
        max_depth: Link depth from each root, root = 0 (default 2).
        max_pages: Page budget for the whole run (default 1000).
        max_pages_per_root: Page budget per root (default max_pages when that is set, else 200).
        llm: Writer: auto (a model when OPENAI_API_KEY/OPENAI_BASE_URL is set), offline or openai.
        model: Model name for the openai writer (default gpt-4o-mini).
        crawl_options: More crawl settings (CrawlConfig fields: delay, allow/deny, sitemap, domains...).
        synth_options: Mining settings (SynthConfig fields).
        filter_options: Filter and dedup settings (FilterConfig fields).
        llm_options: LLM client settings (LLMConfig fields: token_budget, concurrency, temperature...).
        candidates_per_shard: Candidates per write task (default 2000).
        rows_per_shard: Rows per qa/rejects shard (default 50000).
        crawl_parts: Crawl tasks, each with a share of the roots (default 1).
        task_runner: Where per-shard tasks run: threads or dask (default threads).
        dask_address: Scheduler address of an existing Dask cluster (task_runner dask).
        workers: Task-runner workers (default 2).
        config: Config file (TOML, crawlqa.toml format); default ./crawlqa.toml when present, "none" for none.
    """
    from crawlqa.configfile import flow_config

    r = flow_config(config, job={"out": out, "run_id": run_id, "llm": llm, "candidates_per_shard": candidates_per_shard,
                                 "rows_per_shard": rows_per_shard, "crawl_parts": crawl_parts,
                                 "task_runner": task_runner, "dask_address": dask_address, "workers": workers},
                    crawl={**(crawl_options or {}), **{k: v for k, v in {
                        "max_depth": max_depth, "max_pages": max_pages, "max_pages_per_root": max_pages_per_root,
                    }.items() if v is not None}},
                    synth=synth_options, filters=filter_options, llm=llm_options, model=model)
    task_runner = r.job.get("task_runner") or "threads"
    dask_address = r.job.get("dask_address")
    workers = r.job.get("workers") or 2
    cfg = _job_config(roots, r)
    run = J.run_dir(cfg)
    with run_lock(run):  # a second run of this run id fails at once (RunLocked), whoever started it
        return _crawlqa_stages(cfg, run, task_runner, dask_address, workers)


def _crawlqa_stages(cfg: J.JobConfig, run: Any, task_runner: str, dask_address: str | None, workers: int) -> dict:
    logger = get_run_logger()
    logger.info("run %s in %s (llm=%s, %d roots, task runner %s)", cfg.run_id, run.path, cfg.llm,
                len(cfg.roots), task_runner)
    runner = make_task_runner(task_runner, dask_address, workers)
    if J.crawl_parts(cfg) > 1:  # the roots split across crawl tasks, on the chosen runner
        parts = crawl_parts_flow.with_options(task_runner=runner)(cfg, list(range(J.crawl_parts(cfg))))
        reports = [crawl_merge_task(cfg, parts)]
    else:
        reports = [crawl_task(cfg)]
    logger.info("crawl: %d pages%s", _rows(reports[-1], "pages"), _resumed(reports[-1]))
    reports.append(mine_task(cfg))
    logger.info("mine: %d candidates in %d shards%s", _rows(reports[-1], "candidates"),
                J.candidate_shard_count(run), _resumed(reports[-1]))
    n = J.candidate_shard_count(run)
    if n:
        write_runner = writes_task_runner(cfg, task_runner, dask_address, workers)
        reports.extend(write_shards_flow.with_options(task_runner=write_runner)(cfg, list(range(n))))
    reports.append(filter_task(cfg))
    manifest = finalize_task(cfg, reports)
    logger.info("kept %d of %d questions → %s", manifest["funnel"]["kept"], manifest["funnel"]["written"],
                run.sub("qa"))
    return manifest


def _rows(report: StageReport, folder: str) -> int:
    return sum(s.rows for s in report.shards.get(folder, []))


def _resumed(report: StageReport) -> str:
    return " (already complete: resumed)" if report.skipped else ""


# --- E2HQA ------------------------------------------------------------------------------------------
@task(name="e2h-rounds", task_run_name="e2h-rounds", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=retry_if_transient, cache_policy=NO_CACHE)
def e2h_task(cfg: E.E2HJobConfig) -> StageReport:
    """Seeds → rounds of rewriting against the corpus's search index → e2h drafts + rejects."""
    _forward_stage_logs()
    return E.stage_e2h(E.run_dir(cfg), cfg, Counters())


@task(name="e2h-filter-dedup", task_run_name="e2h-filter-dedup", cache_policy=NO_CACHE)
def e2h_filter_task(cfg: E.E2HJobConfig) -> StageReport:
    _forward_stage_logs()
    return E.stage_e2h_filter(E.run_dir(cfg), cfg, Counters())


@task(name="e2h-manifest", task_run_name="e2h-manifest", cache_policy=NO_CACHE)
def e2h_finalize_task(cfg: E.E2HJobConfig, reports: list[StageReport]) -> dict:
    manifest = E.finalize_e2h(E.run_dir(cfg), cfg, reports, merged_counters(reports))
    publish_artifacts(manifest)
    return manifest


@flow(name="e2hqa", log_prints=True)
def e2hqa_flow(
    corpus: str | None = None,
    seeds: str | None = None,
    rounds: int | None = None,
    out: str | None = None,
    run_id: str | None = None,
    llm: Literal["auto", "offline", "openai"] | None = None,
    model: str | None = None,
    e2h_options: dict[str, Any] | None = None,
    filter_options: dict[str, Any] | None = None,
    llm_options: dict[str, Any] | None = None,
    config: str | None = None,
) -> dict:
    """E2HQA over a finished crawl run: seeds (a file, or the corpus's single-hop questions) → rounds
    of rewriting → filter/dedup → shards. A parameter left empty comes from the config file.

    Args:
        corpus: A finished crawl run folder (default OUT/latest, the newest one).
        seeds: JSONL/CSV/Parquet with question, answer (default the corpus's single-hop questions).
        rounds: Rewriting rounds per seed (default 3).
        out: Output folder; the run folder is OUT/RUN_ID (default data).
        run_id: Run id; default the flow run's scheduled start (UTC), so a retried flow run resumes.
        llm: Writer: auto (a model when OPENAI_API_KEY/OPENAI_BASE_URL is set), offline or openai.
        model: Model name for the openai writer (default gpt-4o-mini).
        e2h_options: More E2HQA settings (E2HConfig fields).
        filter_options: Filter and dedup settings (FilterConfig fields).
        llm_options: LLM client settings (LLMConfig fields).
        config: Config file (TOML, crawlqa.toml format); default ./crawlqa.toml when present, "none" for none.
    """
    logger = get_run_logger()
    from crawlqa.configfile import flow_config

    r = flow_config(config, job={"out": out, "run_id": run_id, "llm": llm}, filters=filter_options,
                    llm=llm_options, model=model,
                    e2h={**(e2h_options or {}), "corpus": corpus, "seeds": seeds, "rounds": rounds})
    e2h = dict(r.e2h)
    kw = r.job_config_kwargs()
    out = str(kw["out"])
    corpus = e2h.pop("corpus", None) or str(Path(out) / "latest")
    seeds = e2h.pop("seeds", None)
    rounds = e2h.pop("rounds", 3)
    cfg = E.make_e2h_job_config(corpus=corpus, seeds=seeds, rounds=rounds, out=out,
                                run_id=kw["run_id"] or flow_run_run_id(), llm=kw["llm"], model=kw["model"],
                                e2h_options=e2h or None, filter_options=kw["filters"] or None,
                                llm_options=kw["llm_options"] or None)
    run = E.run_dir(cfg)
    logger.info("e2hqa run %s in %s over corpus %s (seeds: %s, %d rounds, llm=%s)", cfg.job.run_id, run.path,
                cfg.corpus, cfg.seeds or "the corpus's single-hop questions", cfg.e2h.rounds, cfg.job.llm)
    with run_lock(run):  # one process per run id (RunLocked otherwise)
        reports = [e2h_task(cfg)]
        logger.info("e2h: %d drafts%s", _rows(reports[-1], "drafts"), _resumed(reports[-1]))
        reports.append(e2h_filter_task(cfg))
        manifest = e2h_finalize_task(cfg, reports)
    logger.info("kept %d e2h questions → %s", manifest["funnel"]["kept"], run.sub("qa"))
    return manifest


def with_runner(f: Callable[..., dict], task_runner: str = "threads", dask_address: str | None = None,
                workers: int = 2) -> Callable[..., dict]:
    """``f`` (the crawlqa flow) called with the given task runner for its per-shard tasks."""

    def call(**params: Any) -> dict:
        return f(**params, task_runner=task_runner, dask_address=dask_address, workers=workers)

    return call


# --- agent rollouts (agents/solve.py, issue 18) ---------------------------------------------------
@task(name="solve-shard", task_run_name="solve-shard-{index}", cache_policy=NO_CACHE)
def solve_shard_task(run_dir: str, index: int, llm_cfg: Any, solve_cfg: Any, token_budget: int | None) -> dict:
    from agents.solve import solve_one_shard

    return solve_one_shard(run_dir, index, llm_cfg, solve_cfg, token_budget=token_budget)


@flow(name="crawlqa-solve", log_prints=True)
def solve_flow(run_dir: str, llm_cfg: Any, solve_cfg: Any = None, redo: bool = False) -> dict:
    """k agent attempts per kept question, one Prefect task per qa shard (one after the other: the
    token budget is the run's, each shard gets what the earlier ones left)."""
    from agents.solve import merge_summaries, prepare_solve

    budget = llm_cfg.token_budget
    parts = []
    for i in prepare_solve(run_dir, redo=redo):
        part = solve_shard_task(run_dir, i, llm_cfg, solve_cfg, budget)
        parts.append(part)
        if budget is not None:
            budget = max(0, budget - part["spent"])
    return merge_summaries(run_dir, parts)
