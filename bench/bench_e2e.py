"""End-to-end offline CRAWLQA run over wiki-small-2008 (6,043 real pages) at growing page budgets.

    .venv/bin/python bench/bench_e2e.py                  # 1000, 3000 and 6043 pages
    .venv/bin/python bench/bench_e2e.py --quick          # 250, 500 and 1000 pages
    .venv/bin/python bench/bench_e2e.py --sizes 1000 6043 --out /tmp/e2e.md

The corpus archive (``../shared/corpus/wiki-small-2008.tar.gz``) is unpacked once into a scratch
folder (``--scratch``, default ``/tmp/crawlqa-bench``) and served by ``crawlqa.devserver.serve`` on
127.0.0.1 (a threaded server with a large listen backlog; nothing leaves the machine). The root is
the archive's hub page ``/wiki-small-2008/en/index.html``, which lists every article (so depth 1 =
the whole corpus); the page budget (``max_pages``) picks how much of it a run takes.

Each size is one fresh run of the whole job (``pipelines.job.run_crawlqa``: crawl subprocess with
trafilatura extraction workers → mine → offline template writer → filters + MinHash dedup →
shards + manifest) in a child process, with an empty output folder (no HTTP cache, no dedup index
from an earlier size). Crawl settings are the fast local ones (no politeness delay, no
AutoThrottle, 32 concurrent requests; every other setting is the default). Measured:

* wall time per stage, from the manifest's ``timings`` (``write`` = all write shards), and the
  child's whole wall time (``other`` = start-up, manifest, dataset card);
* pages/s = pages written / whole wall time; crawl pages/s = pages / crawl stage;
* kept questions per 100 pages (the funnel of the manifest);
* peak RSS of the whole process tree (the job process + the crawl subprocess + its extraction
  workers, summed, sampled every 0.1 s with psutil) and of the job process alone;
* CPU seconds of the tree (``RUSAGE_CHILDREN``).

Writes ``bench/RESULTS-e2e.md`` (with the figures as JSON in an HTML comment, read by
``bench/run_all.py``). Skips with a message (exit 0) when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
ARCHIVE = "wiki-small-2008.tar.gz"
HUB = "/wiki-small-2008/en/index.html"
CORPUS_PAGES = 6043
GIB = 1024**3
FLAT = 1.25  # "flat" memory: the peak grows at most this much from the smallest to the largest size

CRAWL = {"max_depth": 1, "download_delay": 0.0, "autothrottle": False, "concurrency": 32,
         "concurrency_per_domain": 32, "offline_dns": True}


# --- the child: one whole job ------------------------------------------------------------------------
def child(job_path: str) -> int:
    sys.path.insert(0, str(ROOT))
    from crawlqa.config import Settings, make_job_config
    from pipelines.job import run_crawlqa

    job = json.loads(Path(job_path).read_text())
    n = job["pages"]
    cfg = make_job_config(job["roots"], out=job["out"], run_id=job["run_id"], llm="offline",
                          crawl=CRAWL | {"max_pages": n, "max_pages_per_root": n}, settings=Settings())
    t0, started = time.perf_counter(), time.time()
    ends: list[tuple[str, float]] = []  # (stage, when it ended): windows for the memory samples
    manifest = run_crawlqa(cfg, on_stage=lambda r: ends.append((r.stage, time.time())))
    Path(job["result"]).write_text(json.dumps({"wall": time.perf_counter() - t0, "started": started,
                                               "ended": time.time(), "stage_ends": ends,
                                               "manifest": manifest}, default=str))
    return 0


# --- the parent: corpus, server, sampling -----------------------------------------------------------
def unpack(scratch: Path) -> Path:
    """``scratch/wiki-small-2008`` (unpacked once; a half-unpacked copy is never used)."""
    site = scratch / "wiki-small-2008"
    if (site / "en" / "index.html").is_file():
        return site
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = scratch / ".unpacking"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    with tarfile.open(CORPUS / ARCHIVE) as tar:
        tar.extractall(tmp, filter="data")
    shutil.rmtree(site, ignore_errors=True)
    (tmp / "wiki-small-2008").rename(site)
    tmp.rmdir()
    return site


def tree_rss(proc) -> tuple[int, int]:
    """(RSS of the process + all its descendants, RSS of the process alone), in bytes."""
    import psutil

    try:
        own = proc.memory_info().rss
        kids = proc.children(recursive=True)
    except psutil.Error:
        return 0, 0
    total = own
    for k in kids:
        try:
            total += k.memory_info().rss
        except psutil.Error:
            continue
    return total, own


def _pss(pid: int) -> int:
    """Proportional set size of one process (bytes): its private pages plus its share of the pages it
    shares (a forked extraction worker shares its parent's libraries and preloaded modules)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_pss(proc) -> int:
    """PSS of the process + all its descendants, in bytes: the memory the tree really occupies
    (summed RSS counts every shared page once per process)."""
    import psutil

    try:
        pids = [proc.pid, *(k.pid for k in proc.children(recursive=True))]
    except psutil.Error:
        return 0
    return sum(_pss(p) for p in pids)


def peaks_by_stage(samples: list[tuple[float, int]], windows: dict[str, list[float]]) -> dict[str, int | None]:
    """The highest (time, bytes) sample in each stage's time window, in MB (None: too short to be sampled)."""
    out: dict[str, int | None] = {}
    for name, (lo, hi) in windows.items():
        window = [v for ts, v in samples if lo <= ts <= hi]
        out[name] = round(max(window) / 2**20) if window else None
    return out


def run_size(n: int, base_url: str, scratch: Path, timeout: float) -> dict:
    import psutil

    out = scratch / "runs" / f"e2e-{n}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    job = {"roots": [base_url + HUB], "out": str(out), "run_id": f"e2e-{n}", "pages": n,
           "result": str(out / "result.json")}
    job_path = out / "job.json"
    job_path.write_text(json.dumps(job))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", str(job_path)],
                            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[float, int, int]] = []  # (time, tree RSS, job RSS)
    pss: list[tuple[float, int]] = []             # (time, tree PSS), every 0.5 s (reading smaps costs more)
    try:
        while proc.poll() is None:
            tree, own = tree_rss(ps)
            samples.append((time.time(), tree, own))
            if len(samples) % 5 == 1:
                pss.append((time.time(), tree_pss(ps)))
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                raise TimeoutError(f"{n} pages: no result within {timeout:.0f}s")
            time.sleep(0.1)
    finally:
        output = proc.communicate()[0].decode("utf-8", "replace")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{n} pages: the job failed ({proc.returncode}):\n{output[-3000:]}")
    res = json.loads(Path(job["result"]).read_text())
    m = res["manifest"]
    t = m["timings"]
    stages = {"crawl": t.get("crawl", 0.0), "mine": t.get("mine", 0.0),
              "write": sum(v for k, v in t.items() if k.startswith("write-")), "filter": t.get("filter", 0.0)}
    # the stages run one after the other: a stage's window runs from the end of the one before (its
    # set-up included) to its own end; "other" is the manifest and the dataset card at the end
    windows: dict[str, list[float]] = {}
    start = res["started"]
    for stage, end in res["stage_ends"]:
        name = "write" if stage.startswith("write-") else stage
        windows.setdefault(name, [start, end])[1] = end
        start = end
    windows["other"] = [start, res["ended"]]
    peak_by_stage = peaks_by_stage([(ts, tr) for ts, tr, _ in samples], windows)
    pss_by_stage = peaks_by_stage(pss, windows)
    stages["other"] = max(0.0, res["wall"] - sum(stages.values()))
    peak_tree = max((tr for _, tr, _ in samples), default=0)
    peak_pss = max((v for _, v in pss), default=0)
    peak_own = max((own for _, _, own in samples), default=0)
    f = m["funnel"]
    pages = f["pages_fetched"]
    row = {
        "budget": n, "pages": pages, "candidates": f["candidates"], "written": f["written"], "kept": f["kept"],
        "rejects": f["rejects"], "crawl_rejects": {k: v for k, v in f["reject_reasons"].items()
                                                   if k.startswith(("crawl/", "extract/"))},
        "job_wall_s": round(res["wall"], 2), "process_wall_s": round(wall, 2),
        "stages_s": {k: round(v, 2) for k, v in stages.items()},
        "pages_per_s": round(pages / res["wall"], 1) if res["wall"] else 0.0,
        "crawl_pages_per_s": round(pages / stages["crawl"], 1) if stages["crawl"] else 0.0,
        "kept_per_100_pages": round(100 * f["kept"] / pages, 1) if pages else 0.0,
        "peak_rss_tree_mb": round(peak_tree / 2**20), "peak_rss_job_mb": round(peak_own / 2**20),
        "peak_rss_by_stage_mb": peak_by_stage, "rss_samples": len(samples),
        "peak_pss_tree_mb": round(peak_pss / 2**20), "peak_pss_by_stage_mb": pss_by_stage,
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "shard_mb": round(sum(s["bytes"] for folder in m["shards"].values() for s in folder) / 2**20, 1),
    }
    shutil.rmtree(out, ignore_errors=True)  # the runs are large (pages carry HTML); keep the scratch small
    return row


def render(rows: list[dict], args: argparse.Namespace, total_s: float) -> str:
    cmd = "bench/bench_e2e.py" + (" --quick" if args.quick else "") + (
        f" --sizes {' '.join(map(str, args.sizes))}" if args.sizes else "")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    lines = [
        "## End-to-end offline run (wiki-small-2008)",
        "",
        f"`.venv/bin/python {cmd}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{mem:.1f} GiB RAM, Python {platform.python_version()}, whole benchmark {total_s:.0f} s.",
        "",
        "One fresh run of the whole job per size (`pipelines.job.run_crawlqa`, offline template writer) in a "
        "child process, on `wiki-small-2008` (6,043 real Wikipedia pages of 2008) served by "
        "`crawlqa.devserver` on 127.0.0.1 from the hub page that lists every article (depth 1); "
        "crawl settings: no delay, no AutoThrottle, 32 concurrent requests, other settings default "
        "(HTTP cache on, extraction workers: the crawl's default). Peak RSS tree = the RSS of the job "
        "process + the crawl subprocess + its extraction workers, summed, sampled every 0.1 s; it counts "
        "every page that forked processes share once per process. Peak PSS tree = the same processes' "
        "proportional set sizes (`/proc/<pid>/smaps_rollup`), summed, sampled every 0.5 s: shared pages "
        "are divided among the processes that share them, so this is the memory the run really occupies.",
        "",
        "| pages | wall s | crawl s | mine s | write s | filter s | other s | pages/s | crawl pages/s "
        "| candidates | kept | kept / 100 pages | peak PSS tree | peak RSS tree | peak RSS job | CPU s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r["stages_s"]
        lines.append(
            f"| {r['pages']} | {r['job_wall_s']:.1f} | {s['crawl']:.1f} | {s['mine']:.1f} | {s['write']:.1f} | "
            f"{s['filter']:.1f} | {s['other']:.1f} | {r['pages_per_s']:.1f} | {r['crawl_pages_per_s']:.1f} | "
            f"{r['candidates']} | {r['kept']} | {r['kept_per_100_pages']:.1f} | {r.get('peak_pss_tree_mb', '-')} MB | "
            f"{r['peak_rss_tree_mb']} MB | "
            f"{r['peak_rss_job_mb']} MB | {r['cpu_s']:.0f} |")
    if rows:
        peak = max(r["peak_rss_tree_mb"] for r in rows)
        first, last = rows[0], rows[-1]
        ppeak = max(r.get("peak_pss_tree_mb", 0) for r in rows)
        pgrowth = last.get("peak_pss_tree_mb", 0) / max(1, first.get("peak_pss_tree_mb", 0))
        growth = last["peak_rss_tree_mb"] / first["peak_rss_tree_mb"] if first["peak_rss_tree_mb"] else 0.0
        job_growth = last["peak_rss_job_mb"] / first["peak_rss_job_mb"] if first["peak_rss_job_mb"] else 0.0
        pages_x = last["pages"] / first["pages"] if first["pages"] else 0.0
        grew = {k: last["peak_rss_by_stage_mb"][k] - v for k, v in first["peak_rss_by_stage_mb"].items()
                if v is not None and last["peak_rss_by_stage_mb"].get(k) is not None}
        top = max(grew, key=grew.get) if grew else ""
        per_k = 1000 * grew[top] / (last["pages"] - first["pages"]) if top and last["pages"] > first["pages"] else 0
        lines += [
            "",
            f"Memory actually used (PSS of the tree): highest peak {ppeak} MB — under 1 GiB: "
            f"{'yes' if ppeak < 1024 else '**NO**'}; from {first['pages']} to {last['pages']} pages it went "
            f"{first.get('peak_pss_tree_mb')} → {last.get('peak_pss_tree_mb')} MB (×{pgrowth:.2f}, flat ≤ ×{FLAT}: "
            f"{'yes' if pgrowth <= FLAT else '**NO**'}).",
            "",
            f"Summed RSS (shared pages counted per process): highest peak {peak} MB — under 1 GiB: {'yes' if peak < 1024 else '**NO**'}. Flat (the peak "
            f"grows at most ×{FLAT} while the pages grow ×{pages_x:.1f}): "
            f"{'yes' if growth <= FLAT else '**NO**'} — from {first['pages']} to {last['pages']} pages the tree's "
            f"peak went {first['peak_rss_tree_mb']} → {last['peak_rss_tree_mb']} MB (×{growth:.2f}), the job "
            f"process's {first['peak_rss_job_mb']} → {last['peak_rss_job_mb']} MB (×{job_growth:.2f})"
            + (f"; the stage whose peak grows most is {top} (+{grew[top]} MB, ≈ {per_k:.0f} MB per 1,000 pages)."
               if top else "."),
            "",
            "Peak PSS of the tree by stage (MB): " + "; ".join(
                f"{r['pages']} pages: " + ", ".join(f"{k} {v if v is not None else '-'}"
                                                    for k, v in (r.get("peak_pss_by_stage_mb") or {}).items())
                for r in rows) + ".",
            "",
            "Peak RSS of the tree by stage (MB): " + "; ".join(
                f"{r['pages']} pages: " + ", ".join(f"{k} {v if v is not None else '-'}"
                                                    for k, v in r["peak_rss_by_stage_mb"].items())
                for r in rows) + " ('-': the stage was too short to be sampled).",
            "",
            "Growth of each stage's peak from the smallest to the largest run: " + ", ".join(
                f"{k} {last['peak_rss_by_stage_mb'][k] - v:+d} MB" for k, v in first["peak_rss_by_stage_mb"].items()
                if v is not None and last["peak_rss_by_stage_mb"].get(k) is not None)
            + f" (for {last['pages'] - first['pages']:+d} pages).",
            "",
            "Crawl and extraction rejects per size: "
            + "; ".join(f"{r['pages']} pages: {r['crawl_rejects'] or 'none'}" for r in rows) + ".",
        ]
    lines += ["", f"<!-- results-json: {json.dumps(rows)} -->", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="250, 500 and 1000 pages")
    ap.add_argument("--sizes", type=int, nargs="+", help="page budgets (default 1000 3000 6043)")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/crawlqa-bench"))
    ap.add_argument("--timeout", type=float, default=600, help="seconds per size")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-e2e.md")
    args = ap.parse_args()
    if args.child:
        return child(args.child)
    if not (CORPUS / ARCHIVE).is_file():
        print(f"SKIPPED: {CORPUS / ARCHIVE} is absent (../shared/corpus): nothing to benchmark")
        return 0
    sizes = args.sizes or ([250, 500, 1000] if args.quick else [1000, 3000, CORPUS_PAGES])
    sys.path.insert(0, str(ROOT))
    from crawlqa.devserver import serve

    t0 = time.perf_counter()
    site = unpack(args.scratch)
    print(f"corpus at {site}", flush=True)
    rows = []
    with serve(args.scratch) as server:
        for n in sizes:
            row = run_size(n, server.url, args.scratch, args.timeout)
            rows.append(row)
            print(f"{row['pages']} pages: {row['job_wall_s']} s {row['stages_s']}, {row['pages_per_s']} pages/s, "
                  f"kept {row['kept']} ({row['kept_per_100_pages']}/100 pages), peak RSS tree "
                  f"{row['peak_rss_tree_mb']} MB (job {row['peak_rss_job_mb']} MB)", flush=True)
    report = render(rows, args, time.perf_counter() - t0)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
