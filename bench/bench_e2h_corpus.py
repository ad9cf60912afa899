"""E2HQA on the real saved pages of ../shared/corpus (offline template writer).

    .venv/bin/python bench/bench_e2h_corpus.py --crawl [--work bench/out/e2h-crawl] [--sites ...]
    .venv/bin/python bench/bench_e2h_corpus.py [--pages-run DIR] [--rounds 3]
    .venv/bin/python bench/bench_e2h_corpus.py --pages-run CRAWL_RUN --seeds-file bench/seeds/raycharles-seeds.jsonl \
        [--gold bench/seeds/raycharles-gold.tsv] [--seed-base URL_PREFIX]

``--seeds-file``: E2HQA from an external seeds file, end to end (``pipelines.e2h_job.run_e2hqa``: the
e2h stage, then the default filter stage, one-search gate included) over a finished crawl run, offline
writer. Reported: seeds grounded, grounding precision against ``--gold`` (``id<TAB>page file``),
seeds kept in ``qa/`` with at least 2 and 3 rounds, kept answers found in their evidence and equal to
the seed's answer string, kept questions failing the fluency check (must be 0), and every kept
question for reading. ``--seed-base`` rewrites the seeds' URL prefix ``http://127.0.0.1:18500``
to where the crawl run served the corpus.

Pages: with ``--crawl``, the corpus is served on 127.0.0.1 (crawlqa.devserver, one document root in
the scratch folder) and crawled with ``crawlers.crawl``; with ``--pages-run``, a crawl run folder's
``pages/`` is used; otherwise pages are built directly from the corpus HTML files with the project's
extractors (``synth.e2h.pages``: crawlers.facts + trafilatura), addressed as if served by
``python -m http.server 8765`` (Kiwix meta-refresh stubs become redirects). The large archive is
unpacked to a scratch folder. Pages and seeds are kept in ``--work`` and reused (``--fresh`` redoes).

Seeds: the project's single-hop miner + template writer over the same pages (``single_hop`` records
in the corpus run's ``qa/``), as the CRAWLQA job would make them; ``--own-seeds`` writes simple
"What is the <key> of <subject>?" seeds from infobox facts instead.

Then the e2h stage (``pipelines.e2h.run_e2h``) runs, and every kept record is re-verified
independently of the engine: for each round, searching the description in the index finds the
entity's page first (directly, or — for a relation — finding the named entity's page first, whose
evidence row links the entity), the replaced entity is gone from the final question, and the answer
appears nowhere in it. Results go to ``bench/out/e2h/results.json`` and are printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.counters import Counters  # noqa: E402
from pipelines.e2h import run_e2h  # noqa: E402
from pipelines.run import RunDir  # noqa: E402
from pipelines.shards import ShardWriter, count_rows, iter_records, shard_paths  # noqa: E402
from schemas.ids import qa_id  # noqa: E402
from schemas.records import Evidence, Page, QARecord  # noqa: E402
from synth.e2h.config import E2HConfig  # noqa: E402
from synth.e2h.entities import occurs  # noqa: E402
from synth.search import INDEX_FILE, LocalSearchIndex, iter_docs  # noqa: E402

BASE = "http://127.0.0.1:8765"
SITES = ("wiki-raycharles-2015", "wiki-raycharles-mini-2020", "wiki-small-2008")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def corpus_root(corpus: Path, scratch: Path, site: str) -> Path:
    """The folder holding ``site``: the corpus itself, or the scratch copy of an unpacked archive."""
    if (corpus / site).is_dir():
        return corpus
    if (scratch / site).is_dir():
        return scratch
    archive = corpus / f"{site}.tar.gz"
    if not archive.is_file():
        raise FileNotFoundError(f"{site} is neither in {corpus} nor archived there")
    scratch.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tf:
        tf.extractall(scratch, filter="data")
    return scratch


def _build(args: tuple[str, list[str]]) -> list[Page]:
    from synth.e2h.pages import pages_from_files

    root, files = args
    return list(pages_from_files(Path(root), [Path(f) for f in files], BASE))


def build_pages(corpus: Path, scratch: Path, sites: list[str], out: RunDir, workers: int) -> dict:
    files_by_root: dict[str, list[str]] = {}
    for site in sites:
        root = corpus_root(corpus, scratch, site)
        files = sorted(str(p) for p in (root / site).rglob("*.html"))
        files_by_root.setdefault(str(root), []).extend(files)
    jobs = []
    for root, files in files_by_root.items():
        for i in range(0, len(files), 200):
            jobs.append((root, files[i:i + 200]))
    t = time.perf_counter()
    n = 0
    with ShardWriter(out.sub("pages"), Page, relative_to=out.path, rows_per_shard=5000) as w, \
            ProcessPoolExecutor(workers) as ex:
        for pages in ex.map(_build, jobs):
            for p in pages:
                w.write(p)
                n += 1
    return {"files": n, "seconds": round(time.perf_counter() - t, 1)}


ROOTS = {  # crawl roots per site (see ../shared/corpus/README.md) and their depth
    "wiki-raycharles-2015": ("/wiki-raycharles-2015/A/Ray_Charles.html", 3),
    "wiki-raycharles-mini-2020": ("/wiki-raycharles-mini-2020/A/index.html", 3),
    "wiki-small-2008": ("/wiki-small-2008/en/index.html", 1),
}


def crawl_pages(corpus: Path, scratch: Path, sites: list[str], out: RunDir) -> dict:
    """Serve the corpus on 127.0.0.1 (one document root) and crawl it with the project's crawler."""
    import shutil

    from crawlers import crawl
    from crawlers.config import CrawlConfig
    from crawlqa.devserver import serve

    site_root = scratch  # one document root: archives are unpacked there, folders copied (the dev
    for site in sites:   # server refuses symlinks that leave its root)
        src = corpus_root(corpus, scratch, site) / site
        if not (site_root / site).exists():
            site_root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(src, site_root / site)
    t = time.perf_counter()
    results = []
    with serve(site_root) as srv, ShardWriter(out.sub("pages"), Page, relative_to=out.path,
                                              rows_per_shard=2000) as pages:
        for site in sites:  # one crawl per site (their depths differ), then one pages folder
            path, depth = ROOTS[site]
            cfg = CrawlConfig(max_depth=depth, max_pages_per_root=10_000, max_pages=10_000, allow_private=True,
                              offline_dns=True, obey_robots=False, autothrottle=False, download_delay=0.0,
                              concurrency=32, concurrency_per_domain=32, http_cache=False, min_text_chars=0)
            tmp = out.work(f"crawl-{site}")
            res = crawl([srv.url + path], cfg, pages_dir=tmp / "pages", rejects_dir=tmp / "rejects",
                        cache_dir=tmp / "httpcache", work_dir=tmp / "work", run_id=out.run_id)
            n = 0
            for p in iter_records(tmp / "pages", Page):
                pages.write(p)
                n += 1
            results.append({"site": site, "pages": n, "stats": {k: v for k, v in res.counters.items()
                                                                 if k.startswith("crawl/http")}})
    return {"crawled": results, "seconds": round(time.perf_counter() - t, 1), "base_url": "served on 127.0.0.1"}


def miner_seeds(run: RunDir) -> dict:
    """single_hop records by the project's miner + template writer (what the CRAWLQA job makes)."""
    from synth.assemble import to_record
    from synth.config import SynthConfig
    from synth.mine import mine
    from synth.writers.template import TemplateWriter

    c = Counters()
    cands = list(mine(lambda: iter_records(run.sub("pages"), Page), SynthConfig(miners=["single_hop"]), c,
                      lambda r: None))
    writer = TemplateWriter()
    kept = 0
    with ShardWriter(run.sub("qa"), QARecord, relative_to=run.path) as w:
        for wr in writer.write(cands):
            if wr.ok:
                w.write(to_record(wr, writer_name=writer.name, prompt_version=writer.prompt_version,
                                  run_id=run.run_id, created_at=T0))
                kept += 1
    return {"source": "synth.miners.single_hop + TemplateWriter", "candidates": len(cands), "seeds": kept}


def own_seeds(run: RunDir) -> dict:
    """'What is the <key> of <subject>?' from infobox facts (fallback when the miner is unavailable)."""
    skip = {"website", "image", "caption", "signature", "chronology", "type"}
    n = 0
    with LocalSearchIndex.for_pages(run.sub("pages"), run.sub("_index")) as idx, \
            ShardWriter(run.sub("qa"), QARecord, relative_to=run.path) as w:
        for doc in iter_docs(idx):
            for f in doc.facts[:8]:
                k, v = f.key.strip(), " ".join(f.value.split())
                if not k or not v or k.lower() in skip or len(v) > 60 or occurs(v, doc.subject):
                    continue
                q = f"What is the {k.lower()} of {doc.subject}?"
                w.write(QARecord(id=qa_id("single_hop", q, v, [doc.url]), type="single_hop", question=q, answer=v,
                                 root_url=doc.root_url or doc.url, source_urls=[doc.url], golden_path=[doc.url],
                                 evidence=[Evidence(url=doc.url, text=f"{k}: {v}")], hops=1, writer="template",
                                 prompt_version="bench-seeds", run_id=run.run_id, created_at=T0))
                n += 1
    return {"source": "bench own infobox seeds", "seeds": n}


def verify(rec: QARecord, idx: LocalSearchIndex) -> tuple[bool, bool, str]:
    """(unique, answer_ok, why) re-checked from the record alone."""
    meta = json.loads(rec.meta_json)
    rounds = {m["round"]: m for m in meta["rounds"]}
    for st in rec.lineage:
        m = rounds[st.round]
        want = idx.entity_key(m["entity_url"])
        if m["kind"] == "obfuscated_fact":  # a loose value: every row of its key family re-read
            from synth.e2h.obfuscate import matching

            if matching(idx, json.dumps(m.get("loose", {}))) != {want}:
                return False, True, f"round {st.round}: {st.description!r} fits other rows than {want!r}"
            if occurs(st.entity, rec.question):
                return True, False, f"round {st.round}: {st.entity!r} still in the question"
            continue
        if m["kind"] == "year_of":  # a year told as a record's release year: every page must agree on it
            from synth.e2h.years import release_year

            if release_year(idx, m["entity_url"]) != int(st.entity):
                return False, True, f"round {st.round}: {st.description!r} is not {st.entity} on every page"
            if occurs(st.entity, rec.question):
                return True, False, f"round {st.round}: {st.entity!r} still in the question"
            continue
        hits = idx.search(st.description, 5)
        direct = bool(hits) and idx.entity_key(hits[0].url) == want
        if not direct:
            anchor_url = m.get("anchor_url") or ""
            ahits = idx.search(m.get("anchor", ""), 5) if m.get("anchor") else []
            ok_anchor = (m["kind"] in ("inverse_relation", "forward_relation", "inverse_mention", "inverse_listing")
                         and occurs(m["anchor"], st.description) and bool(ahits)
                         and idx.entity_key(ahits[0].url) == idx.entity_key(anchor_url))
            # the evidence row/sentence on the anchor's (or entity's) page links the two
            if ok_anchor and m["kind"] == "inverse_listing":  # the anchor's list names the entity there, once
                from synth.e2h.clues import list_sections

                head, _, item = st.snippet.partition(": ")
                ok_anchor = any(h == head and items.count(item) == 1
                                for h, items in list_sections(idx.body(anchor_url)))
            elif ok_anchor and m["kind"] != "forward_relation":
                src = idx.doc(anchor_url)
                linked = bool(src) and (any(m["entity_url"] in f.links for f in src.facts)
                                        or st.snippet == src.description)
                ok_anchor = linked
            if not ok_anchor:
                return False, True, f"round {st.round}: {st.description!r} does not single out {want!r}"
        if occurs(st.entity, rec.question):
            return True, False, f"round {st.round}: {st.entity!r} still in the question"
    if occurs(rec.answer, rec.question):
        return True, False, "answer in the question"
    return True, True, ""


def seeds_bench(args: argparse.Namespace) -> None:
    """E2HQA from an external seeds file over a crawl run, through the whole job (see the docstring)."""
    import shutil
    from urllib.parse import unquote

    from filters.fluency import fluency_problem
    from pipelines.e2h_job import run_e2hqa
    from synth.e2h.grounding import SeedGrounder, states
    from synth.e2h.seeds import Seed, load_seed_file
    from synth.search import SearchRouter

    seeds_file = args.seeds_file
    if args.seed_base:
        text = seeds_file.read_text(encoding="utf-8").replace("http://127.0.0.1:18500", args.seed_base.rstrip("/"))
        seeds_file = args.work / f"seeds-rebased{seeds_file.suffix}"
        args.work.mkdir(parents=True, exist_ok=True)
        seeds_file.write_text(text, encoding="utf-8")
    rid = f"e2h-{args.seeds_file.stem}-{args.seeds_file.suffix.lstrip('.')}"
    out = args.work / rid
    shutil.rmtree(out, ignore_errors=True)  # a fresh dedup index: a re-run must not dedup against itself
    t = time.perf_counter()
    manifest = run_e2hqa(corpus=args.pages_run, seeds=seeds_file, rounds=args.rounds, out=out, run_id=rid,
                         llm="offline")
    seconds = round(time.perf_counter() - t, 1)
    run = RunDir.open(out / rid)
    c = manifest.get("counters", {})
    rows = list(load_seed_file(seeds_file))
    seeds = [r for r in rows if isinstance(r, Seed)]
    kept = list(iter_records(run.sub("qa"), QARecord))
    by_seed = {json.loads(r.meta_json)["seed_id"]: r for r in kept}
    answer_of = {s.id: s.answer for s in seeds}
    n = len(rows)
    grounded = sum(v for k, v in c.items() if k.startswith("e2h/seeds/grounded/"))
    res: dict = {
        "seeds_file": str(args.seeds_file), "rows": n, "seeds": len(seeds), "rounds": args.rounds,
        "seconds": seconds, "grounded": grounded, "grounded_pct": round(100 * grounded / n, 1),
        "grounded_via": {k.rsplit("/", 1)[1]: v for k, v in c.items() if k.startswith("e2h/seeds/grounded/")},
        "ungrounded": c.get("e2h/dropped/seed_ungrounded", 0),
        "drafts": count_rows(run.sub("drafts")), "kept_qa": len(kept),
        "kept_ge_2": sum(r.difficulty >= 2 for r in kept), "kept_3": sum(r.difficulty >= 3 for r in kept),
        "e2h_dropped": {k.split("e2h/dropped/")[1]: v for k, v in c.items() if k.startswith("e2h/dropped/")},
        "filter_dropped": {k.split("filter/dropped/")[1]: v for k, v in c.items()
                           if k.startswith("filter/dropped/")},
        "answer_in_evidence": sum(any(states(r.answer, e.text) for e in r.evidence) for r in kept),
        "answer_is_seed_answer": sum(r.answer == answer_of.get(sid) for sid, r in by_seed.items()),
        "fluency_failures": [r.question for r in kept if fluency_problem(r.question)],
    }
    res["kept_ge_2_pct"] = round(100 * res["kept_ge_2"] / n, 1)
    res["kept_3_pct"] = round(100 * res["kept_3"] / n, 1)
    if args.gold and args.gold.is_file():
        gold = dict(line.rstrip("\n").split("\t")[:2] for line in args.gold.read_text().splitlines()[1:] if line)
        idx = LocalSearchIndex(run.sub("_index") / INDEX_FILE)
        g = SeedGrounder(SearchRouter(idx))
        by_q = {}
        for line in args.gold.read_text().splitlines()[1:]:
            by_q[line.split("\t")[0]] = line
        right = wrong = 0
        wrong_list = []
        ids = list(gold)
        for i, s in enumerate(seeds):
            sid = s.id if s.id in gold else (ids[i] if i < len(ids) else "")
            r = g.ground(s)
            if not r.ok or not sid:
                continue
            if unquote(r.url).rsplit("/", 1)[-1] == unquote(gold[sid]):
                right += 1
            else:
                wrong += 1
                wrong_list.append({"id": sid, "question": s.question, "grounded": r.url, "snippet": r.snippet,
                                   "gold": gold[sid]})
        idx.close()
        res["grounding_precision"] = {"right_page": right, "other_page": wrong,
                                      "precision_pct": round(100 * right / max(right + wrong, 1), 1),
                                      "other_pages": wrong_list}
    res["kept"] = [{"rounds": r.difficulty, "question": r.question, "answer": r.answer,
                    "seed": json.loads(r.meta_json)["seed_question"]}
                   for r in sorted(kept, key=lambda r: (-r.difficulty, r.id))]
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / f"results-{rid}.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in res.items() if k != "kept"}, indent=2, ensure_ascii=False))
    print("\nKept:")
    for k in res["kept"]:
        print(f"- [{k['rounds']}] {k['question']}  → {k['answer']}   (seed: {k['seed']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "e2h")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/crawlqa-corpus"))
    ap.add_argument("--sites", nargs="+", default=list(SITES))
    ap.add_argument("--pages-run", type=Path, default=None, help="use this crawl run's pages/ instead")
    ap.add_argument("--own-seeds", action="store_true", help="infobox seeds of this script, not the miner's")
    ap.add_argument("--crawl", action="store_true",
                    help="serve the corpus on 127.0.0.1 and crawl it with crawlers.crawl (else: read the files)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fresh", action="store_true", help="rebuild pages, seeds and index")
    ap.add_argument("--seeds-file", type=Path, default=None, help="E2HQA from this seeds file (needs --pages-run)")
    ap.add_argument("--gold", type=Path, default=None, help="id<TAB>page file: the page stating each seed's answer")
    ap.add_argument("--seed-base", default="", help="URL prefix replacing http://127.0.0.1:18500 in the seeds")
    args = ap.parse_args()
    if args.seeds_file:
        if not args.pages_run:
            ap.error("--seeds-file needs --pages-run (a finished crawl run)")
        seeds_bench(args)
        return

    res: dict = {"sites": args.sites, "rounds": args.rounds}
    if args.pages_run:
        corpus = RunDir.open(args.pages_run)
        res["pages_from"] = f"crawl run {corpus.path}"
    else:
        corpus = RunDir(args.work, "corpus")
        if args.fresh and corpus.path.exists():
            import shutil

            shutil.rmtree(corpus.path)
        corpus.create()
        if args.crawl:
            if not shard_paths(corpus.sub("pages")):
                res["crawl"] = crawl_pages(args.corpus, args.scratch, args.sites, corpus)
            res["pages_from"] = "crawlers.crawl over the corpus served on 127.0.0.1"
        else:
            if not shard_paths(corpus.sub("pages")):
                res["build"] = build_pages(args.corpus, args.scratch, args.sites, corpus, args.workers)
            res["pages_from"] = "corpus HTML files via synth.e2h.pages (crawlers.facts + trafilatura)"
    res["pages"] = count_rows(corpus.sub("pages"))
    if not shard_paths(corpus.sub("qa")):
        try:
            res["seeds"] = own_seeds(corpus) if args.own_seeds else miner_seeds(corpus)
        except ImportError as e:
            print(f"single-hop miner unavailable ({e}); using infobox seeds", file=sys.stderr)
            res["seeds"] = own_seeds(corpus)
    res["seed_records"] = count_rows(corpus.sub("qa"))

    run = RunDir(args.work, f"e2h-r{args.rounds}").create()
    cfg = E2HConfig(rounds=args.rounds, rebuild_index=args.fresh)
    counters = Counters()
    t = time.perf_counter()
    rep = run_e2h(run, seeds=None, corpus=corpus, cfg=cfg, counters=counters, run_id=run.run_id, created_at=T0)
    res["e2h_seconds"] = round(time.perf_counter() - t, 1)
    recs = list(iter_records(run.sub("drafts"), QARecord))
    idx = LocalSearchIndex(run.sub("_index") / INDEX_FILE)
    res["index_docs"], res["index_entities"] = len(idx), idx.subject_count()
    checks = [verify(r, idx) for r in recs]
    bad = [(r.question, why) for r, (u, a, why) in zip(recs, checks, strict=True) if not (u and a)]
    ok = [r for r, (u, a, _) in zip(recs, checks, strict=True) if u and a]
    by = Counter(r.difficulty for r in ok)
    res.update({
        "kept": len(recs), "verified": len(ok), "failed_verification": bad[:20],
        "surviving_ge_2": sum(v for d, v in by.items() if d >= 2),
        "surviving_3": by.get(3, 0), "by_difficulty": dict(sorted(by.items())),
        "distinct_first_entities_ge_2": len({json.loads(r.meta_json)["rounds"][0]["entity_url"]
                                             for r in ok if r.difficulty >= 2}),
        "distinct_first_entities_3": len({json.loads(r.meta_json)["rounds"][0]["entity_url"]
                                          for r in ok if r.difficulty == 3}),
        "distinct_questions_3": len({r.question for r in ok if r.difficulty == 3}),
        "reject_reasons": dict(Counter(k.split("/", 2)[2] for k in counters.to_dict()
                                       if k.startswith("e2h/dropped/")) and
                               {k.split("e2h/dropped/")[1]: v for k, v in counters.to_dict().items()
                                if k.startswith("e2h/dropped/")}),
        "attempts": {k.split("e2h/attempts/")[1]: v for k, v in counters.to_dict().items()
                     if k.startswith("e2h/attempts/")},
        "search_calls": rep.info["search_calls"],
        "clue_kinds": dict(Counter(json.loads(r.meta_json)["rounds"][i]["kind"]
                                   for r in ok for i in range(len(r.lineage)))),
        "samples": [{"difficulty": r.difficulty, "question": r.question, "answer": r.answer,
                     "seed": json.loads(r.meta_json)["seed_question"]}
                    for r in sorted(ok, key=lambda r: (-r.difficulty, r.id))[:12]],
    })
    idx.close()
    (args.work / "results.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in res.items() if k not in ("samples",)}, indent=2, ensure_ascii=False))
    print("\nSamples:")
    for s in res["samples"]:
        print(f"- [{s['difficulty']}] {s['question']}  → {s['answer']}   (seed: {s['seed']})")


if __name__ == "__main__":
    main()
