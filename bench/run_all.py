"""Run every benchmark (``bench/bench_*.py``) in sequence and regenerate ``BENCHMARKS.md``.

    .venv/bin/python bench/run_all.py              # the whole set, < 15 min on 2 cores   (make bench)
    .venv/bin/python bench/run_all.py --quick      # smaller sizes, a few minutes
    .venv/bin/python bench/run_all.py --only e2e llm            # some of them (the others keep their last results)
    .venv/bin/python bench/run_all.py --render-only             # rebuild BENCHMARKS.md from bench/RESULTS-*.md

Each benchmark runs as its own subprocess with a timeout, inside one overall time budget (``--budget``,
default 14.5 min): the ones the issue asks for first (end to end, crawl, LLM, dedup), then the others
(synthesis and E2HQA on the corpus). A benchmark that cannot start in the time left is reported as not
run. The output of each goes to ``bench/out/run_all/<name>.log``.

``BENCHMARKS.md`` is built from the per-benchmark result files (``bench/RESULTS-*.md``, whichever a
benchmark wrote or updated while it ran; for one that writes none, the tail of its output): date,
machine (cores, RAM, CPU, load), the command of every figure, and a summary of the issue's goals read
from the results — a missed goal is said so, with its number. A result file a benchmark did not
refresh in this run (it failed, timed out, was skipped) is still shown, marked as stale with its date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out" / "run_all"
DOC = ROOT / "BENCHMARKS.md"
CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass
class Spec:
    """How run_all runs one benchmark: arguments (full / quick), its timeout and its result file."""

    title: str
    args: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    timeout: float = 600
    results: str = ""  # bench/RESULTS-<x>.md it writes ("" = none: its output is shown)
    goal: bool = False  # one of the four benchmarks


SPECS: dict[str, Spec] = {
    "bench_e2e": Spec("End-to-end offline run on wiki-small-2008 (1k, 3k, 6k pages)", [], ["--quick"], 600,
                      "RESULTS-e2e.md", True),
    "bench_crawl": Spec("Crawl + extraction vs bare Scrapy", [], ["--quick"], 420, "RESULTS-crawl.md", True),
    "bench_llm": Spec("LLM stage against a fixed-latency local server",
                      ["--repeat", "2", "--out", "bench/RESULTS-llm.md", "--json", "{out}/llm.json"],
                      ["--quick", "--out", "bench/RESULTS-llm.md", "--json", "{out}/llm.json"], 240,
                      "RESULTS-llm.md", True),
    "bench_dedup": Spec("Dedup: MinHash-LSH vs exact Jaccard", ["--out", "bench/RESULTS-dedup.md"],
                        ["--n", "5000", "--out", "bench/RESULTS-dedup.md"], 240, "RESULTS-dedup.md", True),
    "bench_synth_corpus": Spec("CRAWLQA synthesis on wiki-raycharles-2015", [], ["--files"], 240, "RESULTS-synth.md"),
    "bench_e2h_corpus": Spec("E2HQA on the corpus", ["--rounds", "2"], ["--rounds", "1"], 300, ""),
    "bench_quality": Spec("Question quality per family on the corpus", [], ["--quick"], 900, "RESULTS-quality.md"),
}
# Result files no benchmark writes (hand audits, one-off measurements): shown after the benchmarks, in
# this order, then any other RESULTS-*.md nobody claims, so a re-render never drops them.
NOTES_ORDER = ("RESULTS-audit.md", "RESULTS-correctness.md", "RESULTS-obfuscated.md", "RESULTS-agents.md",
               "RESULTS-e2h-seeds.md", "RESULTS-dedup-populated.md")


@dataclass
class Outcome:
    name: str
    command: str
    status: str  # ok | failed | timeout | not run | skipped
    seconds: float = 0.0
    code: int | None = None
    results: list[Path] = field(default_factory=list)  # result files written during the run
    tail: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # their content when the benchmark ended

    def to_dict(self) -> dict:
        return {**self.__dict__, "results": [str(p) for p in self.results]}

    @classmethod
    def from_dict(cls, d: dict) -> Outcome:
        return cls(**{**d, "results": [Path(p) for p in d["results"]]})


def save_outcomes(outcomes: list[Outcome], quick: bool, started: datetime, total: float) -> None:
    """What this invocation ran, so that ``--render-only`` can rebuild the same document."""
    (OUT / "outcomes.json").write_text(json.dumps(
        {"quick": quick, "started": started.isoformat(), "total": total,
         "load": [list(LOADS["start"]), list(os.getloadavg())],
         "outcomes": [o.to_dict() for o in outcomes]}, indent=1))


def load_outcomes() -> tuple[list[Outcome], bool, datetime, float] | None:
    p = OUT / "outcomes.json"
    if not p.is_file():
        return None
    d = json.loads(p.read_text())
    if d.get("load"):  # the run's load averages, not the re-rendering's
        LOADS["start"], LOADS["end"] = tuple(d["load"][0]), tuple(d["load"][1])
    return ([Outcome.from_dict(o) for o in d["outcomes"]], d["quick"], datetime.fromisoformat(d["started"]),
            d["total"])


def discover() -> list[str]:
    """bench_*.py in run order: the issue's benchmarks first, then known extras, then any new one."""
    found = sorted(p.stem for p in BENCH.glob("bench_*.py"))
    known = [n for n in SPECS if n in found]
    return known + [n for n in found if n not in SPECS]


def spec_of(name: str) -> Spec:
    if name in SPECS:
        return SPECS[name]
    text = (BENCH / f"{name}.py").read_text(encoding="utf-8", errors="replace")
    quick = ["--quick"] if "--quick" in text else []
    return Spec(name.removeprefix("bench_").replace("_", " "), [], quick, 300, "")


def results_mtimes() -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in BENCH.glob("RESULTS-*.md")}


def run_one(name: str, quick: bool, timeout: float) -> Outcome:
    spec = spec_of(name)
    args = [a.replace("{out}", str(OUT.relative_to(ROOT))) for a in (spec.quick if quick else spec.args)]
    cmd = [sys.executable, f"bench/{name}.py", *args]
    shown = " ".join([".venv/bin/python", *(shlex.quote(c) for c in cmd[1:])])
    before = results_mtimes()
    log = OUT / f"{name}.log"
    t0 = time.perf_counter()
    print(f"== {shown}  (timeout {timeout:.0f} s)", flush=True)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
            status = "ok" if code == 0 else "failed"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the benchmark and everything it started
            proc.wait()
            code, status = None, "timeout"
    seconds = time.perf_counter() - t0
    after = results_mtimes()
    written = sorted(p for p, m in after.items() if before.get(p) != m)
    if spec.results:  # a known benchmark: only its own file (another may be written meanwhile by someone else)
        written = [p for p in written if p.name == spec.results]
    text = log.read_text(encoding="utf-8", errors="replace")
    if status == "ok" and "SKIPPED" in text[:2000] and not written:
        status = "skipped"
    print(f"   {status} in {seconds:.0f} s; results: {[p.name for p in written] or '-'}", flush=True)
    texts = {p.name: p.read_text(encoding="utf-8") for p in written}  # a snapshot: others may rewrite the files
    SNAPSHOT.update(texts)
    return Outcome(name, shown, status, seconds, code, written, "\n".join(text.strip().splitlines()[-60:]), texts)


# --- goals ---------------------------------------------------------------------------------------------
SNAPSHOT: dict[str, str] = {}  # result file name -> content written by this invocation's benchmark


def _read(name: str) -> str:
    if name in SNAPSHOT:
        return SNAPSHOT[name]
    p = BENCH / name
    return p.read_text(encoding="utf-8") if p.is_file() else ""


def _crawl_ratios() -> list[tuple[str, float, str]]:
    """(scenario, ratio, CPU ceiling) of every row of RESULTS-crawl.md, read by column name."""
    lines = [line for line in _read("RESULTS-crawl.md").splitlines() if line.startswith("|")]
    if not lines:
        return []
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    if "ratio" not in head:
        return []
    i, j = head.index("ratio"), head.index("CPU ceiling") if "CPU ceiling" in head else None
    out = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        m = re.match(r"([\d.]+)", cells[i].replace("×", ""))
        if m:
            out.append((cells[0], float(m.group(1)), cells[j] if j is not None else "-"))
    return out


def goal_crawl() -> list[tuple[str, str, str, str]]:
    ratios = _crawl_ratios()
    if not ratios:
        return [("crawl + extraction vs bare Scrapy (pages/s ratio)", "no rows in bench/RESULTS-crawl.md",
                 "≥ 0.8×", "?")]
    out = []
    for label, pick in (("wiki-small-2008 (issue 10)", lambda n: "wiki-small" in n),
                        ("Ray Charles and arXiv corpus crawls (issue 3)", lambda n: "wiki-small" not in n)):
        rows = [r for r in ratios if pick(r[0])]
        if not rows:
            continue
        worst = min(r for _, r, _ in rows)
        got = "; ".join(f"{n}: **{r:.2f}×** (CPU ceiling {c})" for n, r, c in rows)
        out.append((f"crawl + extraction vs bare Scrapy (pages/s ratio), {label}", got, "≥ 0.8×",
                    "met" if worst >= 0.8 else f"**MISSED** (lowest {worst:.2f}×)"))
    return out


def _e2e_rows() -> list[dict]:
    m = re.search(r"<!-- results-json: (.*?) -->", _read("RESULTS-e2e.md"), re.S)
    return json.loads(m.group(1)) if m else []


FLAT = 1.25  # "flat": the peak grows by at most this factor from the smallest to the largest corpus


def goal_e2e() -> list[tuple[str, str, str, str]]:
    rows = _e2e_rows()
    if not rows:
        return [("end-to-end peak RSS", "no results in bench/RESULTS-e2e.md", "< 1 GiB, flat", "?")]
    first, last = rows[0], rows[-1]
    if all("peak_pss_tree_mb" in r for r in rows):  # the memory the tree occupies (shared pages once)
        key, what = "peak_pss_tree_mb", "PSS"
    else:
        key, what = "peak_rss_tree_mb", "RSS"
    peak = max(r[key] for r in rows)
    growth = last[key] / max(1, first[key])
    rss_growth = last["peak_rss_tree_mb"] / max(1, first["peak_rss_tree_mb"])
    job_growth = last["peak_rss_job_mb"] / max(1, first["peak_rss_job_mb"])
    mem = ", ".join(f"{r['pages']} pages: {what} {r[key]} MB (summed RSS {r['peak_rss_tree_mb']} MB, "
                    f"job process RSS {r['peak_rss_job_mb']} MB)" for r in rows)
    speed = "; ".join(f"{r['pages']} pages: {r['job_wall_s']:.0f} s, {r['pages_per_s']:.1f} pages/s, "
                      f"{r['kept_per_100_pages']:.0f} kept per 100 pages" for r in rows)
    under = "met" if peak < 1024 else f"**MISSED** ({peak} MB)"
    flat = ("met" if growth <= FLAT else
            f"**MISSED**: ×{growth:.2f} (job process ×{job_growth:.2f}) for ×{last['pages'] / first['pages']:.1f} "
            f"the pages")
    return [(f"end-to-end peak memory ({what}), whole process tree", mem, "< 1 GiB", under),
            (f"end-to-end peak memory ({what}) as the corpus grows",
             f"×{growth:.2f} from {first['pages']} to {last['pages']} pages (summed RSS ×{rss_growth:.2f}, "
             f"job process RSS ×{job_growth:.2f})", f"flat (≤ ×{FLAT})", flat),
            ("end-to-end wall time, throughput, yield", speed, "-", "(measured)")]


def goal_llm() -> list[tuple[str, str, str, str]]:
    p = OUT / "llm.json"
    if not p.is_file():
        return [("LLM achieved/ideal throughput", "no bench/out/run_all/llm.json", "≥ 0.9", "?")]
    rows = json.loads(p.read_text())
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["N"], r["C"], r["backend"]), []).append(r)
    cells, met, missed, unreachable = [], [], [], []
    for (n, c, backend), rs in groups.items():
        ratio = statistics.median(max(r["cold_ratio"], r["warm_ratio"]) for r in rs)
        bound = statistics.median(max(r["ideal_s"] / r["wave_bound_s"], 0) for r in rs)
        cells.append(f"N={n} C={c} {backend}: **{ratio:.2f}**" + (f" (wave bound {bound:.2f})" if bound < 1 else ""))
        name = f"N={n} C={c} {backend} {ratio:.2f}"
        if ratio >= 0.9:
            met.append(name)
        elif bound < 0.9:  # ceil(N/C) rounds of latency: no client can reach 0.9 of N·L/C here
            unreachable.append(f"{name} = {ratio / bound:.2f} of its wave bound {bound:.2f}")
        else:
            missed.append(name)
    verdict = ("met" if not missed else f"**MISSED** at {', '.join(missed)}") + (
        f"; met at {', '.join(met)}" if met and missed else "") + (
        f"; out of reach for any client at {', '.join(unreachable)}" if unreachable else "")
    rerun = max(r["rerun_calls"] for r in rows)
    return [("LLM achieved/ideal throughput (median of repeats, better of cold/warm)", "; ".join(cells), "≥ 0.9",
             verdict),
            ("LLM calls on a re-run (same cache)", str(rerun), "0", "met" if rerun == 0 else f"**MISSED** ({rerun})")]


def _table_row(text: str, first: str) -> list[str]:
    """The cells of the first Markdown table row whose first cell starts with ``first``."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells and cells[0].startswith(first):
            return cells
    return []


def goal_dedup() -> tuple[str, str, str]:
    text = _read("RESULTS-dedup.md")
    exact, lsh = _table_row(text, "exact"), _table_row(text, "MinHash-LSH")
    e2e = re.search(r"= \*\*([\d,]+) questions/s\*\*", text)
    if len(lsh) < 6:
        return "no figures in bench/RESULTS-dedup.md", "recall and questions/s", "?"
    got = f"LSH recall vs exact Jaccard {lsh[2]}; candidates at {lsh[5]} questions/s"
    if len(exact) >= 6:
        got += f" vs exact (PPJoin) {exact[5]} questions/s"
    if e2e:
        got += f"; `MinHashDeduper` end to end {e2e.group(1)} questions/s"
    return got, "recall and questions/s", "(measured)"


def goals_table() -> list[str]:
    """One row per goal: (what, measured, goal, verdict)."""
    rows = [*goal_crawl(),
            *goal_e2e(), *goal_llm(), ("dedup: MinHash-LSH vs exact Jaccard", *goal_dedup())]
    # goals measured outside this script (hand audits, one-off runs): table rows kept in bench/GOALS-extra.md
    extra = BENCH / "GOALS-extra.md"
    kept = [ln for ln in extra.read_text(encoding="utf-8").splitlines() if ln.startswith("| ")] if extra.is_file() else []
    return ["| benchmark | measured | goal | verdict |", "|---|---|---|---|",
            *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows), *kept]


# --- the document --------------------------------------------------------------------------------------
LOADS: dict[str, tuple[float, ...]] = {"start": os.getloadavg()}  # "end": set by --render-only


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.is_file() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    start, end = (", ".join(f"{x:.2f}" for x in load)
                  for load in (LOADS["start"], LOADS.get("end") or os.getloadavg()))
    return (f"{os.cpu_count()} cores ({cpu or platform.processor() or platform.machine()}), {mem:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}; load average "
            f"(1, 5, 15 min) at the start {start}, at the end {end}")


def demote(md: str) -> str:
    """A result file's headings two levels down, so that it nests under this document's sections."""
    return re.sub(r"^(#{1,4}) ", lambda m: "#" * (len(m.group(1)) + 2) + " ", md, flags=re.M)


def render(outcomes: list[Outcome], quick: bool, total: float, started: datetime) -> str:
    by_name = {o.name: o for o in outcomes}
    cmd = ".venv/bin/python bench/run_all.py" + (" --quick" if quick else "")
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{cmd}` (`make bench`) on {started:%Y-%m-%d %H:%M} UTC in {total / 60:.1f} min, "
        f"every benchmark in sequence on one machine: {machine()}.",
        "",
        "Every figure below comes from the benchmark named above it, run by the command shown; the "
        "corpus benchmarks serve `../shared/corpus` (real saved web pages) on 127.0.0.1 and never touch "
        "the network. The machine is shared: timings move with its load (see each benchmark's notes).",
        "",
        "## The issue's goals",
        "",
        *goals_table(),
        "",
        "## Runs",
        "",
        "| benchmark | command | status | seconds |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(f"| {o.name} | `{o.command}` | {o.status}{f' (exit {o.code})' if o.code else ''} | "
                     f"{o.seconds:.0f} |")
    quality = _read("RESULTS-quality.md")
    if quality:
        lines += ["", "## Data quality per question family", "",
                  "What a data engineer judges the questions by (from `bench/bench_quality.py`; definitions in "
                  "`pipelines/quality.py`; audited precision from the sheets in `bench/audit/`).", "",
                  demote(quality.strip())]
    for name in discover():
        spec = spec_of(name)
        o = by_name.get(name)
        lines += ["", f"## {spec.title}", ""]
        if o is None:
            lines.append(f"Not run by this invocation (`bench/{name}.py`).")
        else:
            lines.append(f"Command: `{o.command}` — {o.status} in {o.seconds:.0f} s.")
        texts = dict(o.texts) if o else {}
        stale = [] if texts or not spec.results else [BENCH / spec.results]
        for text in texts.values():
            lines += ["", demote(text.strip())]
        for p in stale:
            if p.is_file():
                when = datetime.fromtimestamp(p.stat().st_mtime, UTC)
                lines += ["", f"**Stale:** not refreshed by this run; `bench/{p.name}` as written on "
                          f"{when:%Y-%m-%d %H:%M} UTC:", "", demote(p.read_text(encoding="utf-8").strip())]
        if o is not None and (o.status != "ok" or not texts):
            label = "Output (tail)" if o.status in ("ok", "skipped") else f"{o.status.upper()}: last lines of output"
            lines += ["", f"{label}:", "", "```", o.tail[-6000:], "```"]
    claimed = {spec_of(n).results for n in discover()} | {p.name for o in outcomes for p in o.results}
    notes = [BENCH / n for n in NOTES_ORDER] + sorted(BENCH.glob("RESULTS-*.md"))
    for p in dict.fromkeys(notes):
        if p.name in claimed or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8").strip()
        title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), p.stem)
        body = "\n".join(ln for ln in text.splitlines() if ln.lstrip("# ").strip() != title or not ln.startswith("#"))
        lines += ["", f"## {title}", "", f"From `bench/{p.name}` (not produced by a benchmark run: "
                  "measurements and audits kept by hand).", "", demote(body.strip())]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes for every benchmark")
    ap.add_argument("--only", nargs="+", help="names (bench_x or x) of the benchmarks to run")
    ap.add_argument("--budget", type=float, default=14.5 * 60, help="seconds for everything")
    ap.add_argument("--render-only", action="store_true",
                    help="rebuild BENCHMARKS.md from the result files and the last invocation's outcomes")
    ap.add_argument("--out", type=Path, default=DOC)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    names = discover()
    if args.only:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in args.only}
        names = [n for n in names if n in wanted]
    if not CORPUS.is_dir():
        print(f"note: {CORPUS} is absent: the corpus benchmarks will skip or fail", flush=True)
    outcomes: list[Outcome] = []
    quick, total = args.quick, 0.0
    if args.render_only:
        saved = load_outcomes()
        if saved is not None:
            outcomes, quick, started, total = saved
            for o in outcomes:
                SNAPSHOT.update(o.texts)
    else:
        for name in names:
            left = args.budget - (time.perf_counter() - t0)
            spec = spec_of(name)
            if left < 30:
                outcomes.append(Outcome(name, f"bench/{name}.py", "not run", tail="no time left in the budget"))
                print(f"== {name}: not run (time budget)", flush=True)
                continue
            outcomes.append(run_one(name, args.quick, min(spec.timeout, left)))
            save_outcomes(outcomes, quick, started, time.perf_counter() - t0)
        total = time.perf_counter() - t0
    args.out.write_text(render(outcomes, quick, total, started), encoding="utf-8")
    print(f"wrote {args.out} ({total / 60:.1f} min)")
    return 0 if all(o.status in ("ok", "skipped") for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
