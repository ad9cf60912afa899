"""The E2HQA job as plain, resumable stage functions (the ``e2hqa`` Prefect flow runs the same ones).

    seeds (a file, or the corpus run's single-hop questions) + a crawl run (``corpus``)
      → stage_e2h          rounds of rewriting → drafts/ part-40000… + rejects   marker _state/e2h.json
      → stage_e2h_filter   validity filters + MinHash dedup → qa/                marker _state/filter.json
      → finalize_e2h       manifest.json + dataset card

Exact resume: the corpus and seeds a run was started with are pinned in ``_state/e2h_inputs.json`` at
its first attempt (``data/latest`` may move on before a re-run), the records' ``created_at`` is fixed
in ``_state/created_at``, a finished stage is skipped, an unfinished one is redone from its inputs
(it clears its own shard blocks) and LLM answers come from the response cache (``OUT/.llmcache``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipelines import job as J
from pipelines.counters import Counters
from pipelines.run import RunDir, StageReport, atomic_write_text, run_lock

log = logging.getLogger("crawlqa")

STAGE = "e2h"
INPUTS = "e2h_inputs.json"


class E2HJobConfig(BaseModel):
    """An E2HQA run: the job settings (out, run id, writer, filters, dedup), the resolved corpus run,
    the seeds file (None = the corpus run's single-hop questions) and the E2H stage's own config."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    job: J.JobConfig
    corpus: Path
    seeds: Path | None = None
    e2h: Any  # synth.e2h.config.E2HConfig

    @property
    def run_id(self) -> str:
        return self.job.run_id

    def to_public_dict(self) -> dict:
        """The config as written to the manifest (the job's, plus the corpus, seeds and e2h config)."""
        d = self.job.to_public_dict()
        d.pop("crawl", None)
        d.pop("synth", None)
        d.pop("candidates_per_shard", None)
        d.update({"flow": "e2hqa", "corpus": str(self.corpus), "seeds": str(self.seeds) if self.seeds else None,
                  "e2h": self.e2h.public_dict() if hasattr(self.e2h, "public_dict") else self.e2h})
        return d


def resolve_corpus(corpus: Path | str) -> Path:
    """A crawl run folder (``data/latest`` is followed to the run it points at) with a finished crawl."""
    run = RunDir.open(corpus)  # resolves symlinks: data/latest → data/<run-id>
    if not run.is_done("crawl"):
        raise FileNotFoundError(f"{run.path} is not a finished crawl run (no _state/crawl.json)")
    return run.path


def make_e2h_job_config(*, corpus: Path | str, seeds: Path | str | None, rounds: int = 3,
                        out: Path | str = "data", run_id: str | None = None, llm: str | None = None,
                        model: str | None = None, e2h_options: dict | None = None,
                        filter_options: dict | None = None, llm_options: dict | None = None) -> E2HJobConfig:
    """Build the config from plain values (settings from the environment via ``crawlqa.config``).

    When the run already exists, its pinned corpus and seeds are used (a resume must read what the
    first attempt read); a different ``corpus``/``seeds`` argument is logged and ignored.
    """
    from crawlqa.config import make_job_config
    from pipelines.run import default_run_id, validate_run_id
    from synth.e2h.config import E2HConfig

    run_id = validate_run_id(run_id or default_run_id())
    pinned = _pinned_inputs(RunDir(Path(out), run_id))
    if pinned is not None:
        corpus_path = Path(pinned["corpus"])
        seeds_path = Path(pinned["seeds"]) if pinned.get("seeds") else None
        asked = (str(Path(corpus).resolve()), str(Path(seeds).resolve()) if seeds else None)
        if asked != (pinned["corpus"], pinned.get("seeds")):
            log.warning("e2h run %s resumes with its pinned corpus %s and seeds %s (asked: %s, %s)",
                        run_id, pinned["corpus"], pinned.get("seeds"), *asked)
    else:
        corpus_path = resolve_corpus(corpus)
        seeds_path = Path(seeds).resolve() if seeds else None
        if seeds_path is not None and not seeds_path.is_file():
            raise FileNotFoundError(f"seeds file not found: {seeds_path}")
    roots = _corpus_roots(corpus_path)
    job = make_job_config(roots, out=str(out), run_id=run_id, llm=llm, model=model, filters=filter_options,
                          llm_options=llm_options)
    e2h = E2HConfig(**{**(e2h_options or {}), "rounds": rounds})
    return E2HJobConfig(job=job, corpus=corpus_path, seeds=seeds_path, e2h=e2h)


def _corpus_roots(corpus: Path) -> list[str]:
    manifest = corpus / "manifest.json"
    if manifest.is_file():
        roots = json.loads(manifest.read_text()).get("config", {}).get("roots")
        if roots:
            return list(roots)
    return ["http://127.0.0.1/"]  # roots are only recorded in the manifest; e2h does not crawl


def _pinned_inputs(run: RunDir) -> dict | None:
    p = run.path / "_state" / INPUTS
    return json.loads(p.read_text()) if p.is_file() else None


def run_dir(cfg: E2HJobConfig) -> RunDir:
    """The run folder, created on first use, with the corpus and seeds pinned for resumes."""
    run = J.run_dir(cfg.job)
    if _pinned_inputs(run) is None:
        atomic_write_text(run.sub("_state") / INPUTS, json.dumps(
            {"corpus": str(cfg.corpus), "seeds": str(cfg.seeds) if cfg.seeds else None}, indent=2))
    return run


def make_e2h_writer(cfg: E2HJobConfig, ledger: Any = None):
    """The E2H writer: offline templates, or the LLM writer (response cache under ``OUT/.llmcache``)."""
    from synth.e2h.writers import LLME2HWriter, TemplateE2HWriter

    if cfg.job.llm == "offline":
        return TemplateE2HWriter(), None
    from synth.llm.client import LLMClient

    llm_cfg = cfg.job.llm_config or J._llm_config()()
    if llm_cfg.cache_path is None:
        llm_cfg = llm_cfg.model_copy(update={"cache_path": Path(cfg.job.out).resolve() / ".llmcache" / "responses.sqlite"})
    client = LLMClient(llm_cfg, ledger=ledger)
    return LLME2HWriter(client, stage=STAGE), client


def stage_e2h(run: RunDir, cfg: E2HJobConfig, counters: Counters) -> StageReport:
    """Seeds → rounds → e2h drafts (``drafts/part-40000…``) and rejects; marker ``_state/e2h.json``."""
    if (r := J._resumed(run, STAGE, counters)) is not None:
        return r
    from pipelines.e2h import run_e2h

    ledger = J._new_ledger() if cfg.job.llm == "openai" else None
    writer, client = make_e2h_writer(cfg, ledger)
    try:
        report = run_e2h(run, seeds=cfg.seeds, corpus=RunDir.open(cfg.corpus), cfg=cfg.e2h, writer=writer,
                         counters=Counters(), run_id=cfg.run_id, created_at=J._run_created_at(run),
                         rows_per_shard=cfg.job.rows_per_shard, crawl_cfg=cfg.job.crawl)
    finally:
        if client is not None:
            client.close()
    if ledger is not None:
        report.info["tokens"] = ledger.to_dict()
        # the write stage's rule: a 401/404/no quota (LLMUnusable), or more than max_failed_calls of the
        # requests unanswered (WriteShardFailed): the stage is not marked done, a re-run redoes it
        J.check_llm_failures(STAGE, report.info["tokens"], J._max_failed_calls(cfg.job))
    report.info["corpus"] = str(cfg.corpus)
    return J._finish(run, report, counters)


def stage_e2h_filter(run: RunDir, cfg: E2HJobConfig, counters: Counters) -> StageReport:
    """The CRAWLQA filter stage (validity chain + MinHash dedup against every earlier run) on e2h drafts."""
    return J.stage_filter(run, cfg.job, counters)


def finalize_e2h(run: RunDir, cfg: E2HJobConfig, reports: list[StageReport], counters: Counters) -> dict:
    """manifest.json + dataset card of the e2h run (``OUT/latest`` keeps pointing at the crawl run)."""
    e2h = next((r for r in reports if r.stage == STAGE), None)
    extra = {"e2h": {k: v for k, v in (e2h.info if e2h else {}).items() if k != "tokens"},
             "corpus": str(cfg.corpus)}
    return J.finalize(run, cfg.to_public_dict(), reports, counters, extra=extra)


def run_e2hqa(corpus: Path | str, seeds: Path | str | None, rounds: int, out: Path | str, run_id: str,
              llm: str = "auto", model: str | None = None, *, e2h_options: dict | None = None,
              filter_options: dict | None = None, llm_options: dict | None = None) -> dict:
    """The whole E2HQA job without Prefect (``crawlqa e2h --engine local``); returns the manifest."""
    cfg = make_e2h_job_config(corpus=corpus, seeds=seeds, rounds=rounds, out=out, run_id=run_id, llm=llm,
                              model=model, e2h_options=e2h_options, filter_options=filter_options,
                              llm_options=llm_options)
    run = run_dir(cfg)
    counters = Counters()
    with run_lock(run):  # one process per run id (RunLocked otherwise), as the e2hqa flow
        reports = [stage_e2h(run, cfg, counters), stage_e2h_filter(run, cfg, counters)]
        return finalize_e2h(run, cfg, reports, counters)
