"""The CRAWLQA job as plain, resumable stage functions (Prefect flows wrap them in ``flows.py``).

Each stage reads the shards of the stage before it and writes its own; a stage that finished leaves a
marker in ``_state/`` and is skipped on a re-run, so a killed run resumes where it stopped. A stage
that did not finish is redone from its inputs after clearing its partial outputs; the HTTP cache and
the LLM response cache make the redo free, and since every stage is deterministic the shards come out
identical to an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelines.counters import Counters
from pipelines.progress import Ticker, stage_done
from pipelines.run import RunDir, StageReport, build_manifest, run_lock, timed, write_manifest
from pipelines.shards import (
    ShardWriter,
    iter_records,
    iter_sorted_records,
    remove_shards,
    shard_paths,
)
from schemas.ids import reject_id
from schemas.records import Candidate, Page, QARecord, Reject

log = logging.getLogger("crawlqa")

class JobFailed(RuntimeError):
    """The job cannot give a trustworthy result (the CLI says it in one line and exits 1).

    ``transient``: whether retrying may help (Prefect's retry condition reads it)."""

    transient = True


class WriteShardFailed(JobFailed):
    """Most LLM requests of a write shard failed: the shard is not done (retried; redone on a re-run)."""


class LLMUnusable(JobFailed):
    """The LLM endpoint refuses the job (401/403, unknown model or endpoint, no quota): fail at once."""

    transient = False


# Requests that got no answer from the server at all (a bad answer is the model's, not the call's).
CALL_FAILURES = frozenset({"rate_limited", "timeout", "connection_error", "http_error", "bad_response",
                           "auth_error", "not_found", "quota_exhausted"})
FATAL_LLM_ERRORS = frozenset({"auth_error", "not_found", "quota_exhausted"})

# Rejects shard index blocks: a stage owns its block and clears it when it is redone.
REJECT_BLOCKS = {"crawl": 0, "mine": 10_000, "write": 20_000, "filter": 30_000, "e2h": 40_000}
WRITE_SHARD_STRIDE = 100  # write stage: candidates shard i → drafts/rejects shards from i*100


def _crawl_config():
    from crawlers.config import CrawlConfig

    return CrawlConfig


def _synth_config():
    from synth.config import SynthConfig

    return SynthConfig


def _filter_config():
    from filters.config import FilterConfig

    return FilterConfig


def _llm_config():
    from synth.llm.config import LLMConfig

    return LLMConfig


class JobConfig(BaseModel):
    """Everything a CRAWLQA run needs; the stage configs are the stages' own models."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    roots: list[str]
    out: Path = Path("data")
    run_id: str
    llm: Literal["offline", "openai"] = "offline"
    crawl: Any = Field(default_factory=lambda: _crawl_config()())
    synth: Any = Field(default_factory=lambda: _synth_config()())
    filters: Any = Field(default_factory=lambda: _filter_config()())
    llm_config: Any = None
    candidates_per_shard: int = 2_000
    rows_per_shard: int = 50_000
    dedup_redis_url: str | None = None
    dedup_index: bool = True
    crawl_parts: int = Field(1, ge=1, description="crawl tasks, each with a share of the roots (scale-out)")

    def to_public_dict(self) -> dict:
        """The config as written to the manifest (secrets redacted there)."""
        d = {"roots": self.roots, "out": str(self.out), "run_id": self.run_id, "llm": self.llm,
             "candidates_per_shard": self.candidates_per_shard, "rows_per_shard": self.rows_per_shard,
             "dedup_redis_url": "***" if self.dedup_redis_url else None, "dedup_index": self.dedup_index,
             "crawl_parts": self.crawl_parts}
        for name in ("crawl", "synth", "filters", "llm_config"):
            v = getattr(self, name)
            d[name] = v.model_dump(mode="json", exclude={"api_key"}) if isinstance(v, BaseModel) else v
        return d


def run_dir(cfg: JobConfig) -> RunDir:
    return RunDir(cfg.out, cfg.run_id).create()


def _clear_rejects(run: RunDir, stage: str, lo: int | None = None, hi: int | None = None) -> None:
    base = REJECT_BLOCKS[stage]
    remove_shards(run.sub("rejects"), base if lo is None else lo, base + 10_000 if hi is None else hi)


def _clear_folder(run: RunDir, name: str) -> None:
    folder = run.sub(name)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


_REDO: dict[tuple[str, str], str] = {}  # (run folder, stage) -> why this process redoes a "done" stage


def _resumed(run: RunDir, stage: str, counters: Counters) -> StageReport | None:
    """The report of a stage already done (its marker, with every shard it lists verified), else None.

    A garbage marker, or a listed shard that is missing, truncated or altered (size and sha256 as
    recorded), means the stage is not done: it is redone from its inputs, logged, and counted
    (``resume/redone`` in its report, ``redone_because`` in the manifest's stage entry)."""
    done, problem = run.verified_result(stage)
    if problem is not None:
        log.warning("stage %s in %s is redone: %s", stage, run.path, problem)
        _REDO[(str(run.path), stage)] = problem
        run.marker(stage).unlink(missing_ok=True)
        return None
    if done is None:
        return None
    report = StageReport.from_dict(done)
    counters.merge(report.counters)
    log.info("stage %s already complete in %s: skipped", stage, run.path)
    stage_done(report)
    return report


def _finish(run: RunDir, report: StageReport, counters: Counters) -> StageReport:
    why = _REDO.pop((str(run.path), report.stage), None)
    if why is not None:
        report.counters["resume/redone"] = report.counters.get("resume/redone", 0) + 1
        report.info["redone_because"] = why
    run.mark_done(report.stage, report.to_dict())
    counters.merge(report.counters)
    stage_done(report)  # live progress (pipelines.progress)
    return report


# --- crawl ----------------------------------------------------------------------------------------
def stage_crawl(run: RunDir, cfg: JobConfig, counters: Counters) -> StageReport:
    if (r := _resumed(run, "crawl", counters)) is not None:
        return r
    from crawlers import crawl

    _clear_folder(run, "pages")
    _clear_rejects(run, "crawl")
    with timed() as t:
        res = crawl(
            cfg.roots, cfg.crawl, pages_dir=run.sub("pages"), rejects_dir=run.sub("rejects"),
            cache_dir=Path(cfg.out).resolve() / ".httpcache", work_dir=run.work("crawl"),
            run_id=cfg.run_id, rejects_start_index=REJECT_BLOCKS["crawl"],
        )
    report = StageReport(
        "crawl", shards={"pages": res.pages, "rejects": res.rejects}, counters=res.counters,
        seconds=t["seconds"],
        info={"stats": res.stats, "per_root": res.per_root, "empty_roots": res.empty_roots},
    )
    return _finish(run, report, counters)


# --- crawl split across tasks (scale-out: ``crawl_parts`` > 1) ------------------------------------
def crawl_parts(cfg: JobConfig) -> int:
    """How many crawl tasks: ``cfg.crawl_parts``, at most one per root."""
    return max(1, min(cfg.crawl_parts, len(cfg.roots)))


def crawl_part_stage(part: int, parts: int) -> str:
    return f"crawl-part-{part:03d}-of-{parts:03d}"


def stage_crawl_part(run: RunDir, cfg: JobConfig, part: int, counters: Counters) -> StageReport:
    """Crawl roots ``part, part + parts, ...`` (its own Scrapy subprocess) into ``_parts/<stage>/``;
    ``stage_crawl_merge`` then writes pages/ and the crawl rejects. The limits apply per part."""
    parts = crawl_parts(cfg)
    stage = crawl_part_stage(part, parts)
    if (r := _resumed(run, stage, counters)) is not None:
        return r
    from crawlers import crawl

    base = run.sub("_parts") / stage
    if base.exists():
        shutil.rmtree(base)
    with timed() as t:
        res = crawl(
            cfg.roots[part::parts], cfg.crawl, pages_dir=base / "pages", rejects_dir=base / "rejects",
            cache_dir=Path(cfg.out).resolve() / ".httpcache", work_dir=run.work(stage), run_id=cfg.run_id,
        )
    report = StageReport(stage, counters=res.counters, seconds=t["seconds"],
                         info={"stats": res.stats, "empty_roots": res.empty_roots})
    return _finish(run, report, counters)


def stage_crawl_merge(run: RunDir, cfg: JobConfig, parts: list[StageReport], counters: Counters) -> StageReport:
    """The parts' pages (first by part order when two parts fetched the same page) and rejects →
    ``pages/`` and the crawl rejects block; marker ``crawl`` (what every later stage checks)."""
    if (r := _resumed(run, "crawl", counters)) is not None:
        return r
    _clear_folder(run, "pages")
    _clear_rejects(run, "crawl")
    local = Counters()
    for p in parts:
        local.merge(p.counters)
    per_root: dict[str, int] = {}
    seen: set[str] = set()
    seen_rejects: set[str] = set()
    with timed() as t, \
            ShardWriter(run.sub("pages"), Page, rows_per_shard=getattr(cfg.crawl, "pages_per_shard", 500),
                        relative_to=run.path) as pages, \
            ShardWriter(run.sub("rejects"), Reject, start_index=REJECT_BLOCKS["crawl"],
                        rows_per_shard=cfg.rows_per_shard, relative_to=run.path) as rej:
        for p in parts:
            base = run.sub("_parts") / p.stage
            for page in iter_records(base / "pages", Page):
                if page.id in seen:
                    local.inc("crawl/duplicate_across_parts")
                    continue
                seen.add(page.id)
                per_root[page.root_url] = per_root.get(page.root_url, 0) + 1  # type: ignore[attr-defined]
                pages.write(page)
            for r in iter_records(base / "rejects", Reject):
                if r.id not in seen_rejects:  # the same dead link found by two parts
                    seen_rejects.add(r.id)
                    rej.write(r)
    stats: dict[str, Any] = {}
    for p in parts:
        for k, v in (p.info.get("stats") or {}).items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                stats[k] = stats.get(k, 0) + v
    report = StageReport(
        "crawl", shards={"pages": pages.shards, "rejects": rej.shards}, counters=local.to_dict(),
        seconds=t["seconds"] + sum(p.seconds for p in parts),
        info={"stats": stats, "per_root": {r: per_root.get(r, 0) for r in cfg.roots},
              "empty_roots": [r for p in parts for r in p.info.get("empty_roots", [])],
              "parts": len(parts)},
    )
    report = _finish(run, report, counters)
    shutil.rmtree(run.sub("_parts"), ignore_errors=True)
    return report


# --- mine -----------------------------------------------------------------------------------------
def stage_mine(run: RunDir, cfg: JobConfig, counters: Counters) -> StageReport:
    if (r := _resumed(run, "mine", counters)) is not None:
        return r
    from synth.mine import mine

    _clear_folder(run, "candidates")
    _clear_rejects(run, "mine")
    local = Counters()
    with timed() as t, ShardWriter(run.sub("rejects"), Reject, start_index=REJECT_BLOCKS["mine"],
                                   rows_per_shard=cfg.rows_per_shard, relative_to=run.path) as rej, \
            ShardWriter(run.sub("candidates"), Candidate, rows_per_shard=cfg.candidates_per_shard,
                        relative_to=run.path) as cand:
        pages: Iterator[Page] = iter_records(run.sub("pages"), Page)  # type: ignore[assignment]
        for c in mine(pages, cfg.synth, local, rej.write):
            cand.write(c)
        cand.flush()
    report = StageReport("mine", shards={"candidates": cand.shards, "rejects": rej.shards},
                         counters=local.to_dict(), seconds=t["seconds"])
    return _finish(run, report, counters)


# --- write (per candidates shard) -----------------------------------------------------------------
def make_writer(cfg: JobConfig, ledger: Any = None, *, token_budget: int | None = None):
    """The writer the job uses: offline templates, or the LLM writer over the openai client.

    ``token_budget`` overrides the configured budget (the write stage passes what is left of the
    run's budget after the shards already written)."""
    if cfg.llm == "offline":
        from synth.writers.template import TemplateWriter

        return TemplateWriter(), None
    from synth.llm.client import LLMClient
    from synth.writers.llm import LLMWriter

    llm_cfg = cfg.llm_config or _llm_config()()
    if llm_cfg.cache_path is None:
        llm_cfg = llm_cfg.model_copy(update={"cache_path": Path(cfg.out).resolve() / ".llmcache" / "responses.sqlite"})
    if token_budget is not None:
        llm_cfg = llm_cfg.model_copy(update={"token_budget": token_budget})
    client = LLMClient(llm_cfg, ledger=ledger)
    return LLMWriter(client, max_answer_chars=cfg.synth.max_answer_chars,
                     max_answer_words=cfg.synth.max_answer_words), client


def remaining_token_budget(run: RunDir, cfg: JobConfig, index: int) -> int | None:
    """The run's token budget less what the other, finished write shards spent (None: no budget).

    The budget is one number for the whole run: shards written earlier (or in an earlier attempt of a
    resumed run) have used their part. Shards run one after the other when a budget is set."""
    budget = getattr(cfg.llm_config, "token_budget", None) if cfg.llm == "openai" else None
    if budget is None:
        return None
    spent = 0
    for i in range(candidate_shard_count(run)):
        done = run.stage_result(write_shard_stage(i)) if i != index else None
        for row in ((done or {}).get("info", {}).get("tokens") or {}).values():
            spent += int(row.get("prompt_tokens", 0)) + int(row.get("completion_tokens", 0))
    return max(0, budget - spent)


def write_shard_stage(index: int) -> str:
    return f"write-{index:05d}"


def stage_write_shard(run: RunDir, cfg: JobConfig, index: int, counters: Counters) -> StageReport:
    """Word the candidates of ``candidates/part-<index>``: drafts + write rejects for that shard."""
    stage = write_shard_stage(index)
    if (r := _resumed(run, stage, counters)) is not None:
        return r
    from synth.assemble import to_record

    path = shard_paths(run.sub("candidates"))[index]
    start = index * WRITE_SHARD_STRIDE
    for folder, base in (("drafts", 0), ("rejects", REJECT_BLOCKS["write"])):
        remove_shards(run.sub(folder), base + start, base + start + WRITE_SHARD_STRIDE)
    ledger = _new_ledger() if cfg.llm == "openai" else None
    writer, client = make_writer(cfg, ledger, token_budget=remaining_token_budget(run, cfg, index))
    local = Counters()
    created_at = _run_created_at(run)
    import pyarrow.parquet as pq

    candidates = [Candidate.model_validate(r) for r in pq.read_table(path).to_pylist()]
    # Shards are written in this shard's own scratch folder, then moved into drafts/ and rejects/:
    # write shards run in parallel (threads or Dask workers) and a ShardWriter opening on a folder
    # removes every temporary file in it, including another writer's shard in progress.
    scratch = run.work(stage)
    try:
        with timed() as t, \
                ShardWriter(scratch / "drafts", QARecord, start_index=start, rows_per_shard=cfg.rows_per_shard,
                            relative_to=run.path) as drafts, \
                ShardWriter(scratch / "rejects", Reject, start_index=REJECT_BLOCKS["write"] + start,
                            rows_per_shard=cfg.rows_per_shard, relative_to=run.path) as rej:
            kept: list[QARecord] = []  # one candidate shard's drafts, written in id order (the filter merges them)
            ticker = Ticker("writing", len(candidates), shard=index)  # live progress, at most once a second
            for w in writer.write(candidates):
                local.inc("write/total")
                ticker.tick(local.get("write/total"))
                if w.ok:
                    local.inc("write/ok")
                    kept.append(to_record(w, writer_name=writer.name,
                                          prompt_version=w.extra.get("prompt") or writer.prompt_version,
                                          run_id=cfg.run_id, created_at=created_at))
                else:
                    local.inc(f"write/dropped/{w.reject_reason}")
                    rej.write(Reject(
                        id=reject_id("write", w.reject_reason, w.candidate.id), stage="write",
                        reason=w.reject_reason, detail=w.detail[:2000], record_id=w.candidate.id,
                        url=w.candidate.source_urls[0] if w.candidate.source_urls else "", run_id=cfg.run_id,
                        payload_json=json.dumps({"candidate": w.candidate.model_dump(mode="json"), "raw": w.raw},
                                                ensure_ascii=False),
                    ))
            drafts.write_all(sorted(kept, key=lambda r: r.id))
    finally:
        if client is not None:
            client.close()
    info = {"writer": writer.name, "prompt_version": writer.prompt_version}
    if ledger is not None:
        info["tokens"] = ledger.to_dict()
        check_llm_failures(stage, info["tokens"], _max_failed_calls(cfg))
    shards = {"drafts": _move_shards(run, drafts.shards, "drafts"), "rejects": _move_shards(run, rej.shards, "rejects")}
    shutil.rmtree(scratch, ignore_errors=True)
    report = StageReport(stage, shards=shards, counters=local.to_dict(), seconds=t["seconds"], info=info)
    return _finish(run, report, counters)


def _max_failed_calls(cfg: JobConfig) -> float:
    return float(getattr(cfg.llm_config, "max_failed_calls", 0.5))


def check_llm_failures(stage: str, tokens: dict, max_failed: float) -> None:
    """Raise when the LLM calls of a stage cannot be trusted as a result: ``LLMUnusable`` on any
    configuration failure (401/403, 404, no quota), ``WriteShardFailed`` when more than
    ``max_failed`` of its requests got no answer (5xx, 429, timeouts, connection errors).

    A request answered from the cache counts as answered. Raised before the stage's marker is
    written: the stage is not done, a retry or a re-run of the run id redoes it (failures are never
    cached, answers already received are)."""
    requests = sum(int(row.get("requests", 0)) for row in tokens.values())
    failures: dict[str, int] = {}
    for row in tokens.values():
        for err, n in (row.get("failures") or {}).items():
            if err in CALL_FAILURES:
                failures[err] = failures.get(err, 0) + int(n)
    failed = sum(failures.values())
    detail = ", ".join(f"{e} {n}" for e, n in sorted(failures.items()))
    fatal = {e: n for e, n in failures.items() if e in FATAL_LLM_ERRORS}
    if fatal:
        raise LLMUnusable(f"{stage}: the LLM endpoint refused the job ({detail} of {requests} requests): check "
                          f"the API key (OPENAI_API_KEY), OPENAI_BASE_URL and the model name")
    if requests and failed > max_failed * requests:
        raise WriteShardFailed(f"{stage}: {failed} of {requests} LLM requests failed ({detail}), more than "
                               f"{max_failed:.0%}: not marked done")


def _move_shards(run: RunDir, shards: list, folder: str) -> list:
    """Move finished shards from a stage's scratch folder into ``folder`` (atomic renames)."""
    import os

    from pipelines.shards import ShardInfo

    dest = run.sub(folder)
    dest.mkdir(parents=True, exist_ok=True)
    moved = []
    for s in shards:
        target = dest / Path(s.path).name
        os.replace(run.path / s.path, target)
        moved.append(ShardInfo(path=str(target.relative_to(run.path)), rows=s.rows, sha256=s.sha256, bytes=s.bytes))
    return moved


def _new_ledger():
    from synth.llm.ledger import TokenLedger

    return TokenLedger()


def _run_created_at(run: RunDir) -> datetime:
    """One creation time per run, fixed at the first attempt, so a resumed run writes the same rows."""
    import os
    import threading

    p = run.sub("_state") / "created_at"
    if not p.exists():  # first writer wins, atomically: parallel write shards must agree on it
        tmp = p.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-created_at")
        tmp.write_text(datetime.now(UTC).isoformat())
        try:
            os.link(tmp, p)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return datetime.fromisoformat(p.read_text().strip())


def candidate_shard_count(run: RunDir) -> int:
    return len(shard_paths(run.sub("candidates")))


# --- filter + dedup -------------------------------------------------------------------------------
def path_links(folder: Path) -> set[tuple[str, str]]:
    """The (from, to) link pairs that the records of ``folder`` claim along their golden paths."""
    import itertools

    import pyarrow.parquet as pq

    pairs: set[tuple[str, str]] = set()
    for p in shard_paths(folder):
        for batch in pq.ParquetFile(p).iter_batches(columns=["golden_path"], batch_size=4096):
            for path in batch.column("golden_path").to_pylist():
                pairs.update(itertools.pairwise(path or []))
    return pairs


def link_map(run: RunDir, only: set[tuple[str, str]] | None = None) -> dict[str, set[str]]:
    """url (and final url) → set of out-link urls, for the linked-path check.

    With ``only`` (the pairs the records claim), the map keeps just those links: every crawled
    page is still a key (a page missing from the map means "not crawled"), but memory grows with
    the claimed links instead of every link of the crawl."""
    import pyarrow.parquet as pq

    wanted: dict[str, set[str]] | None = None
    if only is not None:
        wanted = {}
        for a, b in only:
            wanted.setdefault(a, set()).add(b)
    links: dict[str, set[str]] = {}
    for p in shard_paths(run.sub("pages")):
        for batch in pq.ParquetFile(p).iter_batches(columns=["url", "final_url", "out_links"], batch_size=512):
            for url, final, outs in zip(batch.column("url").to_pylist(), batch.column("final_url").to_pylist(),
                                        batch.column("out_links").to_pylist(), strict=True):
                s = {o["url"] for o in outs}
                for key in (url, final) if final and final != url else (url,):
                    keep = s if wanted is None else s & wanted.get(key, set())
                    links.setdefault(key, set()).update(keep)
    return links


def stage_filter(run: RunDir, cfg: JobConfig, counters: Counters, *, source: str = "drafts") -> StageReport:
    if (r := _resumed(run, "filter", counters)) is not None:
        return r
    _clear_filter_outputs(run)
    local = Counters()
    # Streams end to end (memory does not grow with the run): drafts merged in id order from the
    # shards, only the links the drafts claim, the dedup's records spooled to disk between its passes.
    index_path = Path(cfg.out).resolve() / ".dedup" if cfg.dedup_index else None
    try:
        qa, seeds, rej, gates, t = _filter_pass(run, cfg, local, source, index_path)
    except BaseException:
        # A failed stage leaves none of its outputs: a shard it had already published (the qa shard,
        # then the rejects shard fails to write) must not sit beside a stage that is not done.
        _clear_filter_outputs(run)
        raise
    report = StageReport("filter", shards={"qa": qa.shards, "seeds": seeds.shards, "trajectories": gates.shards,
                                           "rejects": rej.shards}, counters=local.to_dict(), seconds=t["seconds"])
    return _finish(run, report, counters)


def _clear_filter_outputs(run: RunDir) -> None:
    """What the filter stage writes: qa, seeds (single-hop questions: E2HQA seeds, not training data), its block of
    rejects and the replay's reference trajectories. Cleared before the stage runs and when it fails."""
    from agents.gate import REFERENCE_BLOCK, TRAJECTORIES

    _clear_folder(run, "qa")
    _clear_folder(run, "seeds")
    _clear_rejects(run, "filter")
    remove_shards(run.sub(TRAJECTORIES), *REFERENCE_BLOCK)


def _filter_pass(run: RunDir, cfg: JobConfig, local: Counters, source: str, index_path: Path | None):
    from agents.gate import AgentGates  # the one-search gate and the golden-path replay
    from filters import build_filters
    from filters.base import FilterChain
    from filters.dedup import MinHashDeduper, attempt_owner

    drafts = iter_sorted_records(run.sub(source), QARecord)
    links = link_map(run, only=path_links(run.sub(source)))
    with timed() as t, \
            ShardWriter(run.sub("rejects"), Reject, start_index=REJECT_BLOCKS["filter"],
                        rows_per_shard=cfg.rows_per_shard, relative_to=run.path) as rej, \
            ShardWriter(run.sub("qa"), QARecord, rows_per_shard=cfg.rows_per_shard, relative_to=run.path) as qa, \
            MinHashDeduper(cfg.filters, index_path=index_path, redis_url=cfg.dedup_redis_url,
                           owner=attempt_owner(run.sub("_state"), run.run_id)) as dedup, \
            ShardWriter(run.sub("seeds"), QARecord, rows_per_shard=cfg.rows_per_shard, relative_to=run.path) as seeds, \
            AgentGates(run, cfg.filters, local, rows_per_shard=cfg.rows_per_shard) as gates:
        chain = FilterChain(build_filters(cfg.filters, links=links) + gates.filters, local, rej.write)
        for rec in dedup.run(chain.run(drafts), local, rej.write, presorted=True, spool=run.work("filter-spool")):
            (seeds if rec.type == "single_hop" else qa).write(rec)
        qa.flush()
        seeds.flush()
        rej.flush()
        dedup.commit()
    return qa, seeds, rej, gates, t


# --- finish ---------------------------------------------------------------------------------------
def _parse_failure_rates(tokens: dict) -> dict:
    if not tokens:
        return {}
    from synth.llm.ledger import parse_failure_rates

    return parse_failure_rates(tokens)


def merge_tokens(reports: list[StageReport]) -> dict:
    """Sum the token ledgers of the write shards (and any other stage) into one per-stage table."""
    from synth.llm.ledger import add_row

    total: dict[str, dict[str, Any]] = {}
    for r in reports:
        for stage, row in (r.info.get("tokens") or {}).items():
            add_row(total.setdefault(stage, {}), row)
    return total


def finalize(run: RunDir, cfg: JobConfig | dict, reports: list[StageReport], counters: Counters,
             extra: dict | None = None) -> dict:
    """Write manifest.json and the dataset card; return the manifest."""
    conf = cfg.to_public_dict() if isinstance(cfg, JobConfig) else cfg
    crawl = next((r for r in reports if r.stage == "crawl"), None)
    writers = sorted({(r.info.get("writer"), r.info.get("prompt_version")) for r in reports if r.info.get("writer")})
    more = {
        "tokens": (tokens := merge_tokens(reports)),
        "parse_failure_rates": _parse_failure_rates(tokens),
        "crawl": crawl.info if crawl else {},
        "writers": [{"writer": w, "prompt_version": v} for w, v in writers],
        **(extra or {}),
    }
    more.setdefault("samples", sample_questions(run))
    more.setdefault("agents", _agents_report(run))
    manifest = build_manifest(run, conf, reports, counters, extra=more)
    write_manifest(run, manifest)
    try:
        from pipelines.card import write_card
    except ImportError:  # the card module is optional until it lands
        write_card = None
    if write_card is not None:
        write_card(run, manifest)
    if crawl is not None and manifest["funnel"]["pages_fetched"] > 0:
        point_latest(run)
    elif crawl is not None:
        log.warning("run %s has no page (every root failed): %s/latest not moved", run.run_id, run.out)
    return manifest


def _agents_report(run: RunDir) -> dict:
    """Shortcut ranks per type, seeds, reference trajectories, solve rates (``agents.summary``)."""
    from agents.summary import agents_report

    return agents_report(run.path)


def point_latest(run: RunDir) -> None:
    """``OUT/latest`` → the newest finished crawl run (what a scheduled E2HQA deployment reads)."""
    import os

    link = run.out / "latest"
    tmp = run.out / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run.run_id, target_is_directory=True)
    os.replace(tmp, link)


def sample_questions(run: RunDir, per_type: int = 2) -> list[dict]:
    """A few kept questions of each type (first by id), for the summary and the artifact."""
    import pyarrow.parquet as pq

    picked: dict[str, list[dict]] = {}
    for p in shard_paths(run.sub("qa")):
        for row in pq.read_table(p, columns=["id", "type", "question", "answer"]).to_pylist():
            picked.setdefault(row["type"], []).append(row)
    return [r for t in sorted(picked) for r in sorted(picked[t], key=lambda r: r["id"])[:per_type]]


def run_crawlqa(cfg: JobConfig, *, on_stage: Callable[[StageReport], None] | None = None) -> dict:
    """The whole CRAWLQA job without Prefect (Prefect's flow runs the same stages as tasks).

    The run's lock is held throughout: a second process on the same run id fails at once
    (``pipelines.run.RunLocked``)."""
    run = run_dir(cfg)
    with run_lock(run):
        return _run_crawlqa(run, cfg, on_stage)


def _run_crawlqa(run: RunDir, cfg: JobConfig, on_stage: Callable[[StageReport], None] | None) -> dict:
    counters = Counters()
    reports: list[StageReport] = []

    def step(report: StageReport) -> None:
        reports.append(report)
        if on_stage:
            on_stage(report)

    if crawl_parts(cfg) > 1:
        parts = [stage_crawl_part(run, cfg, p, Counters()) for p in range(crawl_parts(cfg))]
        step(stage_crawl_merge(run, cfg, parts, counters))
    else:
        step(stage_crawl(run, cfg, counters))
    step(stage_mine(run, cfg, counters))
    for i in range(candidate_shard_count(run)):
        step(stage_write_shard(run, cfg, i, counters))
    step(stage_filter(run, cfg, counters))
    return finalize(run, cfg, reports, counters)
