"""Obfuscated questions (issue 17): figures of a run's kept ``obfuscated`` records, and the cost of
building the entity graph + sampling on a run's pages.

    .venv/bin/python bench/bench_graph.py figures RUN_DIR      # kept, titles named, one-search top 3,
                                                                # words, 6-token openings, solver, pages
    .venv/bin/python bench/bench_graph.py cost RUN_DIR [N ...]  # time + peak memory (tracemalloc) of
                                                                # the graph + sampling on the first N pages
    .venv/bin/python bench/bench_graph.py upper RUN_DIR         # per target page: can any set describe it
                                                                # uniquely at all? (an upper bound on yield)
"""

from __future__ import annotations

import gc
import json
import re
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from itertools import islice
from pathlib import Path

from pipelines.shards import count_rows, iter_records
from schemas.records import Page, QARecord
from synth.graph.entities import build_entity_graph
from synth.graph.sample import sample_queries
from synth.graph.solve import unique as solved_unique


def skeleton(q: str) -> tuple[str, ...]:
    return tuple(re.sub(r"\d", "0", w) for w in re.findall(r"\w+", q.lower())[:6])


def figures(run: Path) -> dict:
    from filters.shortcut import shortcut_rank
    from synth.search import LocalSearchIndex

    recs = [r for r in iter_records(run / "qa", QARecord) if r.type == "obfuscated"]
    g = build_entity_graph(lambda: iter_records(run / "pages", Page))
    named = [r.id for r in recs if g.title_hits(r.question)]
    unique = 0
    for r in recs:
        meta = json.loads(r.meta_json)
        target = g.get(meta["binding"]["?x"])
        q = meta["query"]
        name_asked = meta.get("ask", {}).get("what") == "name"  # a name asked: its namesakes give the same answer
        if target is not None and solved_unique(g, q, target.idx, same_name=name_asked):
            unique += 1
    with LocalSearchIndex.for_pages(run / "pages", run / "_work" / "bench-graph-index") as idx:
        ranks = [shortcut_rank(idx, r.question, r.answer, aliases=r.aliases) for r in recs]
    words = [len(r.question.split()) for r in recs]
    n = max(1, len(recs))
    return {
        "kept": len(recs), "name_a_crawled_title": len(named),
        "answer_in_top3": sum(1 for x in ranks if x is not None and x <= 3) / n,
        "mean_words": statistics.mean(words) if words else 0, "min_words": min(words, default=0),
        "max_words": max(words, default=0),
        "skeletons_per_question": len({skeleton(r.question) for r in recs}) / n,
        # the three most frequent 6-token openings: how much of the set they take
        "top3_skeleton_share": sum(k for _, k in Counter(skeleton(r.question) for r in recs).most_common(3)) / n,
        "unique_by_solver": unique / n,
        "min_source_pages": min((len({c.evidence_url for c in r.constraints}) for r in recs), default=0),
        "ask_attribute": sum(1 for r in recs if json.loads(r.meta_json)["ask"].get("what") == "attr"),
    }


def _pages(run: Path, n: int):
    return lambda: islice(iter_records(run / "pages", Page), n)


def cost(run: Path, sizes: list[int]) -> list[dict]:
    """Per page count: build and sampling time (no tracing), then the graph's own memory (tracemalloc:
    Python objects still held once the pages have streamed by) and the traced peak while building."""
    build_entity_graph(_pages(run, 50))  # warm-up: imports and regex caches are not the graph's
    out = []
    for n in sizes:
        gc.collect()
        t0 = time.perf_counter()
        g = build_entity_graph(_pages(run, n))
        t1 = time.perf_counter()
        kept = sum(len(sample_queries(g, e.idx, seed=0, tries=60, keep=8)) for e in g if e.kind and not e.open_record)
        t2 = time.perf_counter()
        del g
        gc.collect()
        tracemalloc.start()
        g = build_entity_graph(_pages(run, n))
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        pages = min(n, count_rows(run / "pages"))
        out.append({"pages": pages, "entities": len(g), "build_s": round(t1 - t0, 2), "sample_s": round(t2 - t1, 2),
                    "graph_mib": round(held / 2**20, 2), "traced_peak_mib": round(peak / 2**20, 1),
                    "graph_kib_per_page": round(held / 1024 / max(1, pages), 1),
                    "graph_kib_per_entity": round(held / 1024 / max(1, len(g)), 1), "subgraphs": kept,
                    "entities_with_kind": sum(1 for e in g if e.kind)})
        del g
    return out


def upper(run: Path) -> dict:
    """An upper bound on the targets an obfuscated question can have: each target page with every askable
    attribute at its narrowest clue, then + the narrowest cue on its name, then + the artist its Type row
    credits with a cue on the artist's name, solved once each (no walk, no minimising, no ≥ 2 pages rule).
    A target not unique even so (``none``) can never be an answer; ``by_name``: only namesakes match too."""
    import random

    from synth.graph import sample as S
    from synth.graph.solve import unique
    from synth.miners.obfuscated import TARGET_KINDS

    g = build_entity_graph(lambda: iter_records(run / "pages", Page))

    def narrowest(ent, key, a, var):
        rng = random.Random(0)
        preds = S.tighter_predicates(a, key, rng)[-1:] or sorted(
            S.attr_predicates(a, key, rng, ent.noun), key=lambda p: p.get("hi", 0) - p.get("lo", 0))[:1]
        return [{"t": "attr", "s": var, "p": key, "vkind": a.kind, "pred": p, "url": ent.url, "snippet": a.snippet,
                 "value": a.raw} for p in preds]

    out: dict[str, list[str]] = {"attributes": [], "name_cue": [], "artist_cue": [], "by_name": [], "none": []}
    for e in g:
        if e.open_record or e.kind not in TARGET_KINDS or not e.name:
            continue
        cons = [c for k, a in e.attrs.items() if k in S.ASKABLE_ATTRS for c in narrowest(e, k, a, "?x")]
        queries = [("attributes", {"vars": {"?x": e.kind}, "constraints": cons})]
        cue = S.name_cue_constraints(g, e.idx)[-1:]
        queries.append(("name_cue", {"vars": {"?x": e.kind}, "constraints": cons + cue}))
        by = [j for r, j, _ in e.rels if r == "by"]
        if by:
            y = g.entities[by[0]]
            queries.append(("artist_cue", {"vars": {"?x": e.kind, "?y": y.kind}, "constraints": [
                *cons, *cue, {"t": "rel", "s": "?x", "p": "by", "o": "?y", "url": e.url, "snippet": "", "value": ""},
                *S.name_cue_constraints(g, y.idx, "?y")[-1:]]}))
        status = next((k for k, q in queries if unique(g, q, e.idx)), "")
        if not status:
            status = "by_name" if any(unique(g, q, e.idx, same_name=True) for _, q in queries) else "none"
        out[status].append(f"{e.kind}: {e.name}")
    return {"targets": sum(len(v) for v in out.values()), **{k: len(v) for k, v in out.items()},
            "unique_at_all": sum(len(v) for k, v in out.items() if k != "none"), "lists": out}


if __name__ == "__main__":
    cmd, run = sys.argv[1], Path(sys.argv[2])
    if cmd == "figures":
        print(json.dumps(figures(run), indent=1))
    elif cmd == "upper":
        print(json.dumps(upper(run), indent=1))
    else:
        print(json.dumps(cost(run, [int(x) for x in sys.argv[3:]] or [1000, 6000]), indent=1))
