"""MinHash-LSH dedup vs exact Jaccard on generated questions with planted near-duplicates.

    .venv/bin/python bench/bench_dedup.py [--n 20000] [--threshold 0.8] [--out bench/RESULTS-dedup.md]

Corpus: ``--n`` base questions from 30 templates x 4000 made-up entities x 60 relations x years
(templated like CRAWLQA output: many near-identical siblings about different entities), plus
``--dup-rate`` planted near-duplicates of random base questions, each with the same answer and one
small edit: a typo, a function-word change, an inserted word, case/punctuation, a moved clause,
two swapped words, or two of those at once.

Measured, on the same shingles (``FilterConfig.shingle``):
1. exact: every pair with Jaccard >= threshold (PPJoin all-pairs join, Xiao et al. 2008: rarest-first
   token order, prefix |x| - ceil(t|x|) + 1, size and positional filters, exact verification),
   checked against brute force on a random sample;
2. LSH: datasketch MinHash (seeded) + MinHashLSH with the project's band choice; candidate pairs
   from querying every question. Recall / precision of the candidates against (1);
3. the project's ``MinHashDeduper`` end to end (LSH + exact verification + guard + answers):
   planted copies dropped, originals kept, questions/s;
4. extra peak RSS of the LSH path and of the exact path, each measured in a fresh child process;
5. per-perturbation catch rate of several shingle kinds (exact Jaccard >= threshold).
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import random
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from filters.config import FilterConfig  # noqa: E402
from filters.dedup import MinHashDeduper, Signer, detect_probability, shingles  # noqa: E402
from pipelines.counters import Counters  # noqa: E402
from schemas.ids import qa_id  # noqa: E402
from schemas.records import Evidence, QARecord  # noqa: E402

# ------------------------------------------------------------------------------------------------
# corpus

SYL = ["ka", "lo", "mi", "ra", "ten", "vo", "shi", "an", "del", "mor", "qui", "zu", "bel", "ar", "is",
       "nor", "pe", "tra", "gan", "fi", "ol", "sen", "du", "ver", "ho", "lan", "cre", "mas", "ti", "we"]
RELATIONS = [
    "studio albums", "live albums", "compilation albums", "singles", "music videos", "tours", "awards",
    "band members", "former members", "record labels", "producers", "songwriters", "films", "novels",
    "short stories", "episodes", "seasons", "patents", "papers", "books", "students", "employees",
    "subsidiaries", "founders", "board members", "stadiums", "players", "coaches", "titles", "trophies",
    "museums", "bridges", "rivers", "districts", "parishes", "universities", "hospitals", "airports",
    "railway stations", "ministers", "governors", "mayors", "languages", "dialects", "festivals", "exhibitions",
    "releases", "contributors", "forks", "open issues", "programming languages", "dependencies",
    "chapters", "translations", "editions", "awards nominations", "grammy awards", "gold records",
    "platinum records", "collaborations",
]
TEMPLATES = [
    "How many {rel} did {e} have between {y1} and {y2}?",
    "How many {rel} are listed for {e} on the page about {f}?",
    "Which of the {rel} of {e} was first mentioned in {y1}?",
    "In which year did {e} add the most {rel}?",
    "What is the name of the earliest of the {rel} associated with {e}?",
    "Which city hosted the first of the {rel} linked to {e}?",
    "Who founded the organisation that lists {e} among its {rel}?",
    "How many {rel} do {e} and {f} have in common?",
    "Which of {e}'s {rel} also appears among the {rel} of {f}?",
    "In which country was the person behind the {rel} of {e} born?",
    "What year did {e} announce its {rel} together with {f}?",
    "Which company published the {rel} of {e} in {y1}?",
    "How many of the {rel} of {e} were released after {y1}?",
    "Who was the first person to lead the {rel} of {e}?",
    "What is the total number of {rel} credited to {e} before {y2}?",
    "Which award did {e} receive for its {rel} in {y1}?",
    "Where were most of the {rel} of {e} recorded?",
    "Who wrote the foreword to the {rel} of {e} published by {f}?",
    "Which language were the {rel} of {e} originally written in?",
    "How many {rel} of {e} reached the top ten in {y1}?",
    "Which of the {rel} by {e} did {f} cover in {y2}?",
    "What was the original title of the last of the {rel} by {e}?",
    "Which museum holds the {rel} donated by {e} in {y1}?",
    "How long after {y1} did {e} complete its {rel}?",
    "Who succeeded {e} as the head of the {rel} programme at {f}?",
    "At which venue did {e} present its {rel} for the first time?",
    "Which river runs past the headquarters of the {rel} of {e}?",
    "What instrument is played on most of the {rel} by {e}?",
    "Which team did {e} join after leaving {f} in {y1}?",
    "What is the official name of the {rel} founded by {e} and {f}?",
]
FUNCTION_SWAPS = {"did": "has", "do": "did", "was": "is", "were": "are", "which": "what", "what": "which",
                  "in": "during", "the": "a", "of": "for", "after": "following", "before": "prior to"}
INSERTS = ["exactly", "actually", "officially", "in total", "overall", "originally", "publicly"]


def entity_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        words = [("".join(rng.choice(SYL) for _ in range(rng.randint(2, 3)))).capitalize()
                 for _ in range(rng.choice((1, 2, 2, 3)))]
        names.add(" ".join(words))
    return sorted(names)


def base_question(rng: random.Random, ents: list[str]) -> str:
    t = rng.choice(TEMPLATES)
    e, f = rng.sample(ents, 2)
    y1 = rng.randint(1900, 2015)
    return t.format(e=e, f=f, rel=rng.choice(RELATIONS), y1=y1, y2=y1 + rng.randint(1, 20))


def _typo(rng: random.Random, q: str) -> str:
    w = q.split()
    idx = [i for i, x in enumerate(w) if len(x) > 4 and x.isalpha()]
    if not idx:
        return q + " "
    i = rng.choice(idx)
    x = w[i]
    j = rng.randrange(1, len(x) - 1)
    op = rng.random()
    if op < 0.33:
        x = x[:j] + x[j + 1:]                                    # deletion
    elif op < 0.66:
        x = x[:j] + x[j + 1] + x[j] + x[j + 2:]                   # transposition
    else:
        x = x[:j] + rng.choice("aeiou") + x[j + 1:]              # substitution
    w[i] = x
    return " ".join(w)


def _function_word(rng: random.Random, q: str) -> str:
    w = q.split()
    idx = [i for i, x in enumerate(w) if x.lower() in FUNCTION_SWAPS]
    if not idx:
        return _typo(rng, q)
    i = rng.choice(idx)
    rep = FUNCTION_SWAPS[w[i].lower()]
    w[i] = rep.capitalize() if w[i][0].isupper() else rep
    return " ".join(w)


def _insert(rng: random.Random, q: str) -> str:
    w = q.rstrip("?").split()
    w.insert(rng.randrange(2, len(w)), rng.choice(INSERTS))
    return " ".join(w) + "?"


def _case_punct(rng: random.Random, q: str) -> str:
    s = q.lower() if rng.random() < 0.5 else q.upper()
    return s.replace("?", " ?") if rng.random() < 0.5 else s.rstrip("?") + "??"


def _move_clause(rng: random.Random, q: str) -> str:
    w = q.rstrip("?").split()
    k = rng.randint(2, min(4, len(w) - 2))
    tail = w[-k:]
    return " ".join([tail[0].capitalize(), *tail[1:]]) + ", " + " ".join([w[0].lower(), *w[1:-k]]) + "?"


def _swap_words(rng: random.Random, q: str) -> str:
    w = q.rstrip("?").split()
    i = rng.randrange(1, len(w) - 1)
    w[i], w[i + 1] = w[i + 1], w[i]
    return " ".join(w) + "?"


PERTURBATIONS = {
    "typo": _typo, "function_word": _function_word, "insert": _insert, "case_punct": _case_punct,
    "move_clause": _move_clause, "swap_words": _swap_words,
    "two_edits": lambda rng, q: _typo(rng, _function_word(rng, q)),
}


def make_corpus(n: int, dup_rate: float, seed: int) -> tuple[list[dict], list[tuple[int, int, str]]]:
    """Rows {q, a, kind} and planted pairs (original index, copy index, perturbation)."""
    rng = random.Random(seed)
    ents = entity_names(rng, 4000)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < n:
        q = base_question(rng, ents)
        if q not in seen:
            seen.add(q)
            rows.append({"q": q, "a": str(rng.randint(0, 40)) if q.startswith("How") else rng.choice(ents),
                         "kind": "base"})
    planted = []
    kinds = list(PERTURBATIONS)
    for k in range(int(n * dup_rate)):
        i = rng.randrange(n)
        kind = kinds[k % len(kinds)]
        q2 = PERTURBATIONS[kind](rng, rows[i]["q"])
        rows.append({"q": q2, "a": rows[i]["a"], "kind": kind})
        planted.append((i, len(rows) - 1, kind))
    return rows, planted


# ------------------------------------------------------------------------------------------------
# exact all-pairs Jaccard join


def exact_pairs(sets: list[frozenset[str]], t: float) -> set[tuple[int, int]]:
    """All pairs (i < j) with Jaccard >= t, exactly: PPJoin (Xiao et al. 2008) — rarest-first
    token order, prefix |x| - ceil(t|x|) + 1, size filter, positional filter — then verification."""
    freq: Counter[str] = Counter(s for x in sets for s in x)
    rank = {s: i for i, (s, _) in enumerate(sorted(freq.items(), key=lambda kv: (kv[1], kv[0])))}
    toks = [sorted(rank[s] for s in x) for x in sets]
    order = sorted(range(len(sets)), key=lambda i: len(toks[i]))
    index: dict[int, list[tuple[int, int]]] = defaultdict(list)
    out: set[tuple[int, int]] = set()
    eps = 1e-9
    for i in order:
        x = toks[i]
        lx = len(x)
        p = lx - math.ceil(t * lx - eps) + 1
        min_size = t * lx - eps
        overlap: dict[int, int] = {}
        for pos in range(p):
            postings = index[x[pos]]
            for j, jpos in postings:
                ly = len(toks[j])
                if ly < min_size:
                    continue
                a = overlap.get(j, 0)
                if a < 0:
                    continue
                need = math.ceil(t / (1 + t) * (lx + ly) - eps)
                if a + 1 + min(lx - pos - 1, ly - jpos - 1) >= need:
                    overlap[j] = a + 1
                else:
                    overlap[j] = -1  # cannot reach the required overlap any more
            postings.append((i, pos))
        xi = sets[i]
        for j, a in overlap.items():
            if a > 0:
                xj = sets[j]
                inter = len(xi & xj)
                if inter / (len(xi) + len(xj) - inter) >= t - 1e-12:
                    out.add((min(i, j), max(i, j)))
    return out


def brute_pairs(sets: list[frozenset[str]], idx: list[int], t: float) -> set[tuple[int, int]]:
    out = set()
    for a in range(len(idx)):
        for b in range(a + 1, len(idx)):
            i, j = idx[a], idx[b]
            x, y = sets[i], sets[j]
            inter = len(x & y)
            if inter / (len(x) + len(y) - inter) >= t - 1e-12:
                out.add((min(i, j), max(i, j)))
    return out


# ------------------------------------------------------------------------------------------------
# LSH


def lsh_pairs(signer: Signer, sets: list[frozenset[str]]) -> tuple[set[tuple[int, int]], dict[str, float]]:
    t0 = time.perf_counter()
    mhs = signer.sign_many(sets)
    t1 = time.perf_counter()
    lsh = signer.lsh()
    with lsh.insertion_session() as s:
        for i, m in enumerate(mhs):
            s.insert(i, m, check_duplication=False)
    t2 = time.perf_counter()
    pairs: set[tuple[int, int]] = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    t3 = time.perf_counter()
    return pairs, {"sign": t1 - t0, "insert": t2 - t1, "query": t3 - t2}


def peak_mb(path: str, args: argparse.Namespace) -> float:
    """Extra peak RSS (MB) of one path, measured in a fresh child process: the child builds the
    same corpus and shingles, reads its high-water RSS, runs the path, reads it again."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--mem-child", path, "--n", str(args.n),
           "--dup-rate", str(args.dup_rate), "--threshold", str(args.threshold), "--num-perm",
           str(args.num_perm), "--shingle", args.shingle, "--seed", str(args.seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def _hwm_kib() -> int:
    """High-water RSS of this process image (KiB). /proc VmHWM resets at exec, unlike ru_maxrss,
    which a child started by a big parent inherits."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def mem_child(args: argparse.Namespace) -> None:
    cfg = FilterConfig(dedup_threshold=args.threshold, dedup_num_perm=args.num_perm, shingle=args.shingle)
    signer = Signer(cfg)
    rows, _ = make_corpus(args.n, args.dup_rate, args.seed)
    sets = [shingles(r["q"], cfg.shingle) for r in rows]
    gc.collect()
    before = _hwm_kib()
    if args.mem_child == "lsh":
        lsh_pairs(signer, sets)
    else:
        exact_pairs(sets, cfg.dedup_threshold)
    after = _hwm_kib()
    print(max(0, after - before) / 1024)


# ------------------------------------------------------------------------------------------------
# end to end


def to_records(rows: list[dict], run_id: str = "bench") -> list[QARecord]:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for k, r in enumerate(rows):
        url = f"https://example.org/p/{k}"
        out.append(QARecord(
            id=qa_id("single_hop", r["q"], r["a"], [url]), type="single_hop", question=r["q"], answer=r["a"],
            root_url="https://example.org/", source_urls=[url], evidence=[Evidence(url=url, text=r["a"])],
            hops=1, writer="bench", prompt_version="b1", run_id=run_id, created_at=t))
    return out


def populated_vs_empty(cfg: FilterConfig, rows: list[dict], repeats: int) -> dict:
    """The daily-deployment case (issue 20): run ``day-2`` dedups the same questions against the
    persistent index (``LocalIndex``) that run ``day-1`` populated, vs ``day-1`` against an empty one.
    Index open (load), both passes, the claim and the commit are timed; building the records is not.
    Alternating, each pair in a fresh folder; medians of wall and CPU (process) time."""
    import shutil
    import tempfile

    wall: dict[str, list[float]] = {"empty": [], "populated": []}
    cpu: dict[str, list[float]] = {"empty": [], "populated": []}
    counters: dict[str, dict] = {}
    for _ in range(repeats):
        tmp = Path(tempfile.mkdtemp(prefix="bench-dedup-index-"))
        try:
            for case, run_id in (("empty", "day-1"), ("populated", "day-2")):
                recs = to_records(rows, run_id)
                c = Counters()
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                with MinHashDeduper(cfg, index_path=tmp / ".dedup") as dd:
                    for _rec in dd.run(recs, c):
                        pass
                    dd.commit()
                wall[case].append(time.perf_counter() - t0)
                cpu[case].append(time.process_time() - c0)
                counters[case] = c.to_dict()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def med(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    out = {"n": len(rows), "repeats": repeats, "counters": counters,
           "wall": {k: med(v) for k, v in wall.items()}, "cpu": {k: med(v) for k, v in cpu.items()},
           "wall_all": wall, "cpu_all": cpu}
    out["ratio_wall"] = out["wall"]["populated"] / out["wall"]["empty"]
    out["ratio_cpu"] = out["cpu"]["populated"] / out["cpu"]["empty"]
    return out


def stage_case(run_dir: Path, repeats: int) -> dict:
    """The same comparison on the real filter stage (``pipelines.job.stage_filter``: every validity
    filter + dedup) of a run folder with drafts (e.g. an offline synth of a crawl): each pair in a fresh
    index folder, first as a new run attempt against the empty index (it commits its kept questions),
    then as another attempt (a new ``_state/dedup-owner``) against the populated index."""
    import json
    import shutil
    import tempfile

    from crawlqa.config import make_job_config
    from pipelines import job as J
    from pipelines.run import RunDir

    run = RunDir.open(run_dir)
    conf = json.loads(run.manifest_path.read_text()).get("config", {}) if run.manifest_path.exists() else {}
    cfg = make_job_config(conf.get("roots") or ["http://127.0.0.1/"], out=str(run.out), run_id=run.run_id,
                          llm="offline", crawl=conf.get("crawl"))
    wall: dict[str, list[float]] = {"empty": [], "populated": []}
    cpu: dict[str, list[float]] = {"empty": [], "populated": []}
    counters: dict[str, dict] = {}
    for _ in range(repeats):
        tmp = Path(tempfile.mkdtemp(prefix="bench-dedup-stage-"))
        try:
            local = cfg.model_copy(update={"out": str(tmp)})
            for case in ("empty", "populated"):
                (run.sub("_state") / "dedup-owner").unlink(missing_ok=True)  # another run attempt
                (run.sub("_state") / "filter.json").unlink(missing_ok=True)
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                rep = J.stage_filter(run, local, Counters())
                wall[case].append(time.perf_counter() - t0)
                cpu[case].append(time.process_time() - c0)
                counters[case] = dict(rep.counters)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def med(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    out = {"n": counters["empty"].get("dedup/total", 0), "repeats": repeats, "counters": counters,
           "wall": {k: med(v) for k, v in wall.items()}, "cpu": {k: med(v) for k, v in cpu.items()},
           "wall_all": wall, "cpu_all": cpu}
    out["ratio_wall"] = out["wall"]["populated"] / out["wall"]["empty"]
    out["ratio_cpu"] = out["cpu"]["populated"] / out["cpu"]["empty"]
    return out


def index_lines(ix: dict) -> list[str]:
    ce, cp = ix["counters"]["empty"], ix["counters"]["populated"]
    runs = ", ".join(f"{e:.2f}/{p:.2f}" for e, p in zip(ix["cpu_all"]["empty"], ix["cpu_all"]["populated"],
                                                        strict=True))
    return [
        "## Dedup against a populated index (the daily deployment)",
        "",
        f"{ix['n']:,} questions deduped by run `day-1` into an empty local index (then committed), then the "
        f"same questions by run `day-2` against that index ({cp.get('dedup/index_entries', 0):,} entries); "
        f"{ix['repeats']} alternating pairs, medians.",
        "",
        "| index | kept | dropped (matched earlier run) | LSH candidates verified | wall | CPU |",
        "|---|---|---|---|---|---|",
        f"| empty | {ce.get('dedup/kept', 0):,} | {ce.get('dedup/matched_earlier_run', 0):,} | "
        f"{ce.get('dedup/lsh_candidates', 0):,} | {ix['wall']['empty']:.2f} s | {ix['cpu']['empty']:.2f} s |",
        f"| populated | {cp.get('dedup/kept', 0):,} | {cp.get('dedup/matched_earlier_run', 0):,} | "
        f"{cp.get('dedup/lsh_candidates', 0):,} | {ix['wall']['populated']:.2f} s | {ix['cpu']['populated']:.2f} s |",
        "",
        f"**Populated / empty: {ix['ratio_cpu']:.2f}x CPU, {ix['ratio_wall']:.2f}x wall** (target ≤ 1.5x). "
        f"CPU s per pair (empty/populated): {runs}.",
        "",
    ]


def end_to_end(cfg: FilterConfig, rows: list[dict], planted: list[tuple[int, int, str]]) -> dict:
    recs = to_records(rows)
    counters = Counters()
    rejects = []
    t0 = time.perf_counter()
    with MinHashDeduper(cfg) as dd:
        kept = list(dd.run(recs, counters, rejects.append))
    dt = time.perf_counter() - t0
    dropped = {r.record_id for r in rejects}
    idx = {r.id: i for i, r in enumerate(recs)}
    drop_idx = {idx[d] for d in dropped}
    copies = {j for _, j, _ in planted}
    caught_pairs = Counter()
    total_pairs = Counter()
    for i, j, kind in planted:
        total_pairs[kind] += 1
        # resolved: the two do not both survive (one dropped as the other's duplicate, or both
        # dropped, e.g. as duplicates of a third copy of the same question)
        if i in drop_idx or j in drop_idx:
            caught_pairs[kind] += 1
    return {
        "seconds": dt, "qps": len(recs) / dt, "kept": len(kept), "dropped": len(dropped),
        "counters": counters.to_dict(), "caught": caught_pairs, "planted": total_pairs,
        "dropped_not_planted": len(drop_idx - copies - {i for i, _, _ in planted}),
    }


# ------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="base questions")
    ap.add_argument("--dup-rate", type=float, default=0.1)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--shingle", default=FilterConfig().shingle)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sample", type=int, default=2500, help="brute-force check of the exact join on a sample")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--index-n", type=int, default=4000,
                    help="questions of the populated-index case (the issue's daily run had 3,212)")
    ap.add_argument("--index-repeats", type=int, default=3)
    ap.add_argument("--only-index", action="store_true", help="only the populated-vs-empty index case")
    ap.add_argument("--stage-run", type=Path, default=None,
                    help="a run folder with drafts: time its whole filter stage on an empty vs a populated "
                         "index (rewrites the folder's qa/ and filter rejects)")
    ap.add_argument("--mem-child", choices=["lsh", "exact"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mem_child:
        mem_child(args)
        return
    if args.stage_run is not None:
        ix = stage_case(args.stage_run, args.index_repeats)
        lines = index_lines(ix)
        lines[2] = (f"Filter stage (`pipelines.job.stage_filter`, every filter + dedup) of `{args.stage_run}`: "
                    f"{ix['n']:,} questions reach the dedup; a new run attempt against an empty index (it "
                    f"commits), then another attempt against the populated index; {ix['repeats']} pairs, medians.")
        print("\n".join(lines))
        return
    if args.only_index:
        cfg = FilterConfig(dedup_threshold=args.threshold, dedup_num_perm=args.num_perm, shingle=args.shingle)
        rows, _ = make_corpus(args.n, args.dup_rate, args.seed)
        text = "\n".join(index_lines(populated_vs_empty(cfg, rows[:args.index_n], args.index_repeats)))
        print(text)
        return

    started = time.perf_counter()
    cfg = FilterConfig(dedup_threshold=args.threshold, dedup_num_perm=args.num_perm, shingle=args.shingle)
    signer = Signer(cfg)
    rows, planted = make_corpus(args.n, args.dup_rate, args.seed)
    n = len(rows)
    t0 = time.perf_counter()
    sets = [shingles(r["q"], cfg.shingle) for r in rows]
    t_sh = time.perf_counter() - t0

    t0 = time.perf_counter()
    truth = exact_pairs(sets, cfg.dedup_threshold)
    t_exact = time.perf_counter() - t0

    rng = random.Random(1)
    sample = sorted(rng.sample(range(n), min(args.sample, n)))
    in_sample = set(sample)
    brute = brute_pairs(sets, sample, cfg.dedup_threshold)
    restricted = {p for p in truth if p[0] in in_sample and p[1] in in_sample}
    exact_ok = brute == restricted

    cand, lsh_t = lsh_pairs(signer, sets)
    t_lsh = sum(lsh_t.values())
    tp = len(cand & truth)
    recall = tp / len(truth) if truth else 1.0
    precision = tp / len(cand) if cand else 1.0

    def jac(p):
        x, y = sets[p[0]], sets[p[1]]
        i = len(x & y)
        return i / (len(x) + len(y) - i)

    missed = sorted(truth - cand, key=jac)
    band = Counter()
    band_total = Counter()
    for p in truth:
        j = jac(p)
        b = "1.00" if j >= 0.999 else f"{math.floor(j * 20) / 20:.2f}-{math.floor(j * 20) / 20 + 0.05:.2f}"
        band_total[b] += 1
        band[b] += p in cand

    mem_lsh = peak_mb("lsh", args)
    mem_exact = peak_mb("exact", args)

    e2e = end_to_end(cfg, rows, planted)
    ix = populated_vs_empty(cfg, rows[:args.index_n], args.index_repeats)

    # shingle comparison on the planted pairs (exact Jaccard)
    kinds = ["wchar3", "wchar4", "wchar5", "word", "char5", "word3"]
    shingle_rows = []
    for k in kinds:
        caught = Counter()
        for i, j, kind in planted:
            a, b = shingles(rows[i]["q"], k), shingles(rows[j]["q"], k)
            caught[kind] += len(a & b) / len(a | b) >= cfg.dedup_threshold
        shingle_rows.append((k, caught))
    per_kind = Counter(kind for _, _, kind in planted)
    total = time.perf_counter() - started

    drops = ", ".join(f"{k.split('/')[-1]} {v}" for k, v in e2e["counters"].items() if "/dropped/" in k)
    lines = [
        "# Dedup benchmark: MinHash-LSH vs exact Jaccard",
        "",
        f"`bench/bench_dedup.py --n {args.n} --threshold {args.threshold} --num-perm {args.num_perm} "
        f"--shingle {args.shingle}` — {datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, "
        f"{platform.machine()}, whole run {total:.0f} s.",
        "",
        f"Corpus: {args.n} generated template questions + {len(planted)} planted near-duplicates = **{n} questions** "
        f"(mean {sum(len(s) for s in sets) / n:.0f} shingles each). "
        f"MinHash: {cfg.dedup_num_perm} permutations, seed {cfg.dedup_seed}; LSH bands b={signer.b} × r={signer.r} "
        f"(P(candidate | J=t) = {detect_probability(cfg.dedup_threshold, signer.b, signer.r):.3f}).",
        "",
        "## Candidate pairs at the threshold (same shingles)",
        "",
        "| method | pairs with J ≥ t | recall | precision | time | questions/s | extra peak RSS |",
        "|---|---|---|---|---|---|---|",
        f"| exact (PPJoin) | {len(truth)} | 1 | 1 | {t_exact:.2f} s | {n / t_exact:,.0f} | {mem_exact:.0f} MB |",
        f"| MinHash-LSH candidates | {len(cand)} | **{recall:.4f}** | {precision:.3f} | {t_lsh:.2f} s "
        f"(sign {lsh_t['sign']:.2f}, insert {lsh_t['insert']:.2f}, query {lsh_t['query']:.2f}) | {n / t_lsh:,.0f} | {mem_lsh:.0f} MB |",
        "",
        f"Shingling: {t_sh:.2f} s for all questions (shared by both). Exact join checked against brute force on "
        f"a random sample of {len(sample)} questions ({len(brute)} pairs): **{'identical' if exact_ok else 'MISMATCH'}**.",
        f"LSH candidates below the threshold are removed by the deduper's exact verification, so the end result "
        f"has precision 1 against exact Jaccard and the recall above. Missed true pairs: {len(missed)}"
        + (f" (lowest J {jac(missed[0]):.3f}, highest {jac(missed[-1]):.3f})." if missed else "."),
        "",
        "Recall by Jaccard band of the true pairs:",
        "",
        "| J band | true pairs | LSH recall |",
        "|---|---|---|",
        *[f"| {b} | {band_total[b]} | {band[b] / band_total[b]:.3f} |" for b in sorted(band_total)],
        "",
        "## `MinHashDeduper` end to end (LSH + exact verification + guard + answer check)",
        "",
        f"{n} records in {e2e['seconds']:.2f} s = **{e2e['qps']:,.0f} questions/s** (records already built); "
        f"kept {e2e['kept']}, dropped {e2e['dropped']} "
        f"({drops}); "
        f"LSH candidates verified {e2e['counters'].get('dedup/lsh_candidates', 0)}, "
        f"below threshold {e2e['counters'].get('dedup/lsh_false_candidates', 0)}, "
        f"similar pairs judged distinct by the guard {e2e['counters'].get('dedup/guard_distinct', 0)}.",
        f"Records dropped that are neither a planted copy nor its original: {e2e['dropped_not_planted']} "
        "(false drops against the planted labels).",
        "",
        "| perturbation | planted pairs | resolved (not both kept) |",
        "|---|---|---|",
        *[f"| {k} | {e2e['planted'][k]} | {e2e['caught'][k] / e2e['planted'][k]:.3f} |" for k in sorted(e2e["planted"])],
        "",
        *index_lines(ix),
        f"## Which shingles catch small edits (planted pairs with exact J ≥ {cfg.dedup_threshold})",
        "",
        "| shingle | " + " | ".join(sorted(per_kind)) + " | all |",
        "|---|" + "---|" * (len(per_kind) + 1),
        *[f"| {k} | " + " | ".join(f"{c[p] / per_kind[p]:.2f}" for p in sorted(per_kind))
          + f" | {sum(c.values()) / len(planted):.2f} |" for k, c in shingle_rows],
        "",
        "## Reading these numbers",
        "",
        "- **Recall** is the LSH's: the share of exact-Jaccard pairs (J ≥ t on the same shingles) that "
        "come out as candidates. The bands are chosen for P(candidate | J = t) ≥ `dedup_min_recall` "
        "(0.98), so the misses sit just above the threshold.",
        "- **Precision of the raw candidates is low by design** on templated questions: siblings of one "
        "template about different entities have J ≈ 0.6–0.8, and a steep S-curve at t needs more "
        "permutations. Every candidate is verified with exact Jaccard (a size filter first), so a false "
        "candidate costs a set intersection, never a wrong drop.",
        "- **Exact vs LSH at this scale**: a good exact join (PPJoin) is slower but uses less memory than "
        "datasketch's in-memory LSH (Python dicts and sets per band); LSH's cost is linear in the corpus "
        "and it is what persists across runs (a Redis-backed index is shared by every run), which an "
        "exact join over all shipped questions would have to redo every day.",
        "- **End to end**, a planted pair counts as resolved when the two do not both survive. Misses: "
        "pairs whose exact J falls below t (mostly `two_edits`, see the shingle table), and typos in "
        "short made-up names (< 6 letters), which the guard deliberately treats as another name "
        "(\"Mali\" / \"Bali\"). Planted copies keep their answer, so an answer conflict here means "
        "two generated names one edit apart (6+ letters) with different answers.",
        "- **Shingles**: word 3-grams (`word3`) miss almost every small edit on questions this short; "
        "character 3-grams inside words (`wchar3`, the default) catch typos, inflections, function-word "
        "changes and any reordering (they are order-free; the guard's repetition and key-word checks "
        "make up for what order-free shingles cannot see).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
