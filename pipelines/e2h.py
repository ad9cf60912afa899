"""The E2HQA stage: seeds + a crawl run's pages → e2h drafts (and rejects) in a run folder.

    run_e2h(run, seeds=None, corpus=crawl_run, cfg=E2HConfig(), writer=TemplateE2HWriter(),
            counters=counters, run_id=run.run_id)

* the search index over ``corpus/pages/`` is built once and kept at ``run/_index/search.sqlite``
  (rebuilt when the pages change, or with ``cfg.rebuild_index``);
* seeds: the ``seeds`` file (JSONL/JSON/CSV/TSV/Parquet), else the corpus run's single-hop
  records (``seeds/`` when the filter stage wrote it, else ``qa/``, else ``drafts/``); bad rows become
  ``bad_seed/<why>`` rejects;
* with ``cfg.fetch_seed_urls`` and a crawl config, the pages of seed URLs the corpus lacks are fetched
  first through the crawler (``crawlers.crawl``: robots.txt, politeness, safety checks; depth 0) into
  ``run/seed_pages/``, and the index covers the corpus and those pages (counted ``e2h/seeds/fetched``);
* records go to ``run/drafts/`` (shards ``part-40000``…) and rejects to ``run/rejects/`` (block
  40000–49999); the filter stage turns drafts into ``qa/``.

The stage clears its own shard blocks first, so a re-run rewrites the same files; it writes no stage
marker (the job does) and adds its counters to ``counters`` (``report.counters`` holds the same
numbers: do not merge them twice).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.counters import Counters
from pipelines.run import RunDir, StageReport, redact, timed
from pipelines.shards import ShardWriter, remove_shards, shard_paths
from schemas.ids import reject_id, stable_hash
from schemas.records import QARecord, Reject
from synth.asof import AsOfIndex, stamp_e2h
from synth.e2h import STAGE, E2HEngine, failure_reject
from synth.e2h.config import E2HConfig
from synth.e2h.seeds import BadSeed, Seed, SeedRow, load_seed_file, seeds_from_run
from synth.e2h.writers import E2HWriter, TemplateE2HWriter
from synth.search import LocalSearchIndex, SearchRouter, WebSearch, load_web_search

log = logging.getLogger("crawlqa")

BLOCK = 40_000       # drafts and rejects shard indexes of this stage: 40000–49999
BLOCK_END = 50_000


def make_e2h_writer(llm: str = "offline", llm_config: Any = None, *, ledger: Any = None,
                    cache_dir: Path | None = None) -> tuple[E2HWriter, Any]:
    """The e2h writer for ``--llm offline|openai`` and the LLM client to close afterwards (or None).

    ``llm_config`` is a :class:`synth.llm.config.LLMConfig` (from ``crawlqa/config.py``); without a
    cache path, responses are cached in ``cache_dir/responses.sqlite`` when ``cache_dir`` is given.
    """
    if llm == "offline":
        return TemplateE2HWriter(), None
    if llm != "openai":
        raise ValueError(f"llm must be 'offline' or 'openai', not {llm!r}")
    from synth.e2h.writers import LLME2HWriter
    from synth.llm.client import LLMClient
    from synth.llm.config import LLMConfig

    cfg = llm_config or LLMConfig()
    if cfg.cache_path is None and cache_dir is not None:
        cfg = cfg.model_copy(update={"cache_path": Path(cache_dir) / "responses.sqlite"})
    client = LLMClient(cfg, ledger=ledger)
    return LLME2HWriter(client), client


def clear_outputs(run: RunDir) -> int:
    """Remove this stage's earlier drafts and rejects shards (index block 40000–49999)."""
    return sum(remove_shards(run.sub(folder), BLOCK, BLOCK_END) for folder in ("drafts", "rejects"))


def open_index(run: RunDir, corpus: RunDir, cfg: E2HConfig) -> LocalSearchIndex:
    """The local search index over the corpus run's pages (and the seed pages this run fetched), kept
    in ``run/_index/``."""
    pages = corpus.sub("pages")
    if not shard_paths(pages):
        raise FileNotFoundError(f"no pages shards in {pages}: e2h needs a crawled corpus run")
    extra = run.sub("seed_pages")
    if not shard_paths(extra):
        return LocalSearchIndex.for_pages(pages, run.sub("_index"), rebuild=cfg.rebuild_index)
    from itertools import chain

    from pipelines.shards import iter_records
    from schemas.records import Page
    from synth.search import INDEX_FILE, pages_fingerprint

    path = run.sub("_index") / INDEX_FILE
    fp = stable_hash("pages+seed_pages", pages_fingerprint(pages), pages_fingerprint(extra))
    if path.exists() and not cfg.rebuild_index:
        try:
            idx = LocalSearchIndex(path)
        except (ValueError, OSError):
            idx = None
        if idx is not None and idx.meta("fingerprint") == fp:
            return idx
        if idx is not None:
            idx.close()
    pages_iter = chain(iter_records(pages, Page), iter_records(extra, Page))
    return LocalSearchIndex.build(pages_iter, path, fingerprint=fp)  # type: ignore[arg-type]


SEED_FETCH_REJECTS = BLOCK + 5_000  # the seed fetch's crawl rejects, inside this stage's block


def fetch_seed_pages(run: RunDir, corpus: RunDir, cfg: E2HConfig, rows: list[SeedRow], crawl_cfg: Any,
                     counters: Counters, run_id: str) -> int:
    """Fetch (through the crawler, depth 0) the pages of seed URLs the corpus does not hold into
    ``run/seed_pages/``; returns how many pages were written."""
    from crawlers import crawl

    urls = list(dict.fromkeys(r.source_url for r in rows if isinstance(r, Seed) and r.source_url))
    if not urls:
        return 0
    with open_index(run, corpus, cfg) as index:
        missing = [u for u in urls if index.resolve(u) is None]
    counters.inc(f"{STAGE}/seeds/url_not_in_corpus", len(missing))
    if not missing:
        return 0
    ccfg = crawl_cfg.model_copy(update={"max_depth": 0, "max_pages": len(missing), "max_pages_per_root": 1,
                                        "sitemap": False})
    res = crawl(missing, ccfg, pages_dir=run.sub("seed_pages"), rejects_dir=run.sub("rejects"),
                cache_dir=run.path.parent / ".httpcache", work_dir=run.work("seed-fetch"), run_id=run_id,
                rejects_start_index=SEED_FETCH_REJECTS)
    n = sum(sh.rows for sh in res.pages)
    counters.inc(f"{STAGE}/seeds/fetched", n)
    log.info("e2h: fetched %d of %d seed page(s) the corpus lacks", n, len(missing))
    return n


def bad_seed_reject(bad: BadSeed, run_id: str) -> Reject:
    reason = f"bad_seed/{bad.reason}"
    rid = stable_hash("bad_seed", bad.where, bad.raw)
    return Reject(id=reject_id(STAGE, reason, rid), stage=STAGE, reason=reason,
                  detail=f"{bad.where}: {bad.detail}"[:2000], record_id=rid, run_id=run_id,
                  payload_json=json.dumps({"where": bad.where, "row": bad.raw}, ensure_ascii=False))


def run_e2h(run: RunDir, *, seeds: Path | None, corpus: RunDir, cfg: E2HConfig,
            writer: E2HWriter | None = None, counters: Counters, run_id: str,
            web: WebSearch | None = None, created_at: datetime | None = None,
            rows_per_shard: int = 50_000, crawl_cfg: Any = None) -> StageReport:
    """Rewrite seeds round by round; write e2h drafts and rejects to ``run``. See the module docstring."""
    writer = writer or TemplateE2HWriter()
    local = Counters()
    clear_outputs(run)
    if web is None and cfg.web_search:
        web = load_web_search(cfg.web_search, cfg.web_search_options)
    import shutil

    shutil.rmtree(run.sub("seed_pages"), ignore_errors=True)
    fetched: list[SeedRow] | None = None
    if seeds is not None and cfg.fetch_seed_urls:
        if crawl_cfg is None:
            raise ValueError("fetch_seed_urls needs a crawl config (the job's)")
        fetched = list(load_seed_file(seeds, max_answer_chars=cfg.max_answer_chars))
        fetch_seed_pages(run, corpus, cfg, fetched, crawl_cfg, local, run_id)
    with timed() as t, open_index(run, corpus, cfg) as index:
        dates = AsOfIndex.from_pages_folder(corpus.sub("pages"))  # the records' as_of (synth.asof)
        router = SearchRouter(index, web, cfg.web_search_mode)
        engine = E2HEngine(router, writer, cfg, local, run_id=run_id, created_at=created_at)
        if seeds is not None:
            rows: Iterator[SeedRow] = iter(fetched) if fetched is not None else \
                load_seed_file(seeds, max_answer_chars=cfg.max_answer_chars)
            seeds_from = str(seeds)
        else:
            rows, folder = seeds_from_run(corpus.path, max_answer_chars=cfg.max_answer_chars)
            seeds_from = f"{corpus.path}/{folder}"
            if folder == "none":
                log.warning("e2h: no single_hop records in %s (seeds/, qa/ or drafts/): nothing to rewrite", corpus.path)
        with ShardWriter(run.sub("drafts"), QARecord, start_index=BLOCK, rows_per_shard=rows_per_shard,
                         relative_to=run.path) as drafts, \
                ShardWriter(run.sub("rejects"), Reject, start_index=BLOCK, rows_per_shard=rows_per_shard,
                            relative_to=run.path) as rej:
            warned = False

            def good_seeds() -> Iterator[Seed]:
                nonlocal warned
                for row in rows:
                    local.inc(f"{STAGE}/seeds/total")
                    if isinstance(row, BadSeed):
                        local.inc(f"{STAGE}/dropped/bad_seed/{row.reason}")
                        if not warned:
                            log.warning("e2h: bad seed %s: %s: %s (further ones are counted)",
                                        row.where, row.reason, row.detail)
                            warned = True
                        rej.write(bad_seed_reject(row, run_id))
                        continue
                    yield row

            for outcome in engine.run(good_seeds()):
                if outcome.record is not None:
                    drafts.write(stamp_e2h(outcome.record, dates, outcome.seed.record))
                r = failure_reject(outcome, run_id)
                if r is not None:
                    rej.write(r)
    counters.merge(local)
    c = local.to_dict()
    by_difficulty = {k.rsplit("/", 1)[1]: v for k, v in c.items() if k.startswith(f"{STAGE}/difficulty/")}
    info = {
        "writer": writer.name, "prompt_version": writer.prompt_version, "seeds_from": seeds_from,
        "rounds": cfg.rounds, "kept": c.get(f"{STAGE}/kept", 0), "by_difficulty": by_difficulty,
        "search": router.name, "search_calls": dict(router.calls), "index": str(index.path),
        "config": redact(cfg.public_dict()), "created_at": (created_at or engine.created_at).astimezone(UTC).isoformat(),
    }
    return StageReport(STAGE, shards={"drafts": drafts.shards, "rejects": rej.shards}, counters=c,
                       seconds=t["seconds"], info=info)
