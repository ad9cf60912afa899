"""Question quality per family on the shared corpus: the figures BENCHMARKS.md reports per type.

    .venv/bin/python bench/bench_quality.py [--corpus ../shared/corpus] [--work /tmp/crawlqa-quality]
                                            [--only raycharles,arxiv,github,wikismall] [--out bench/RESULTS-quality.md]

Serves the corpus on 127.0.0.1 (the archives unpacked into ``--work``), runs the default offline job
(``pipelines.job.run_crawlqa``: crawl, mine, template writer, every default filter, the one-search
gate included) on each site, then measures every kept question with ``pipelines.quality.measure``:
kept per 100 pages, share whose answer one search of the question gives away in the top 3, share that
names the answer's page, distinct opening skeletons per question, mean length. Hand-audited precision
comes from the scored audit sheets committed under ``bench/audit/`` (``crawlqa audit RUN --score``),
when there are any.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.quality import markdown_table, measure  # noqa: E402

# site → (folder served as the document root, root path, depth, max pages)
SITES = {
    "raycharles": ("", "/wiki-raycharles-2015/A/Ray_Charles.html", 3, 1000),
    "arxiv": ("arxiv", "/list/math/new", 2, 400),
    "github": ("", "/github-pages/", 1, 50),
    "wikismall": ("", "/wiki-small-2008/en/index.html", 1, 1500),
}
AUDIT = ROOT / "bench" / "audit"


def unpack(corpus: Path, work: Path) -> Path:
    """The corpus with its archives unpacked, under ``work/corpus`` (reused when already there)."""
    dest = work / "corpus"
    dest.mkdir(parents=True, exist_ok=True)
    for item in corpus.iterdir():
        target = dest / item.name
        if item.name.endswith(".tar.gz"):
            if not (dest / item.name[: -len(".tar.gz")]).exists():
                with tarfile.open(item) as tar:
                    tar.extractall(dest, filter="data")
        elif item.is_dir() and not target.exists():
            shutil.copytree(item, target)
    return dest


def github_roots(corpus: Path, base: str) -> list[str]:
    return [f"{base}/github-pages/{p.relative_to(corpus / 'github-pages').as_posix()}"
            for p in sorted((corpus / "github-pages").rglob("*.html"))]


def run_site(name: str, corpus: Path, work: Path) -> tuple[Path, float]:
    from crawlers.config import CrawlConfig
    from crawlqa.devserver import serve
    from pipelines.job import JobConfig, run_crawlqa

    folder, path, depth, max_pages = SITES[name]
    with serve(corpus / folder if folder else corpus) as site:
        base = site.url.rstrip("/")
        roots = github_roots(corpus, base) if name == "github" else [base + path]
        crawl = CrawlConfig(max_depth=depth, max_pages=max_pages, max_pages_per_root=max_pages,
                            download_delay=0.0, autothrottle=False, concurrency=16, concurrency_per_domain=16)
        out = work / "runs"
        shutil.rmtree(out / name, ignore_errors=True)
        t0 = time.perf_counter()
        run_crawlqa(JobConfig(roots=roots, out=out, run_id=name, crawl=crawl, dedup_index=False))
        return out / name, time.perf_counter() - t0


def run_e2h(corpus_run: Path, work: Path) -> tuple[Path, float]:
    """E2HQA (offline writer, 3 rounds) over a corpus run's own seeds (its seeds/ folder)."""
    from pipelines.e2h_job import run_e2hqa

    out = work / "runs"
    shutil.rmtree(out / "e2h", ignore_errors=True)
    t0 = time.perf_counter()
    run_e2hqa(corpus_run, None, 3, out, "e2h", llm="offline")
    return out / "e2h", time.perf_counter() - t0


def audited_precision() -> dict[str, str]:
    """type → "p (n, 95% CI lo–hi; sheet)" from the scored sheets in bench/audit (``*score*.json``): for each
    type the newest strict audit (``*strict*``, judged by bench/audit/STRICT-RULES.md: uniqueness over every
    record the crawled pages state, listed ones included; ``strict2``, ``strict3`` … are later rounds, the
    latest first), else the sheets of the final code (``*final*``), else all sheets; then the largest sample."""
    rows: dict[str, list[tuple[int, bool, int, str, str]]] = {}
    for path in sorted(AUDIT.glob("*score*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        per_type = dict(data.get("per_type") or data.get("types") or {})
        if isinstance(data.get("overall"), dict) and len(per_type) > 1:  # a one-type sheet is no overall figure
            per_type.setdefault("all", data["overall"])
        for t, row in per_type.items():
            if not isinstance(row, dict) or "precision" not in row:
                continue
            lo, hi = row.get("ci_low", row.get("low")), row.get("ci_high", row.get("high"))
            ci = f", 95% CI {lo:.0%}–{hi:.0%}" if isinstance(lo, float) and isinstance(hi, float) else ""
            n = int(row.get("n") or 0)
            text = f"{row['precision']:.0%} (n={n}{ci}; {path.name})"
            m = re.search(r"strict(\d*)", path.name)
            strict = int(m.group(1) or 1) if m else 0  # strict, strict2, strict3 …: the later audit first
            rows.setdefault(t, []).append((strict, "final" in path.name, n, path.name, text))
    return {t: max(found)[-1] for t, found in rows.items()}


AUDITED_SITES = {"raycharles", "arxiv", "github", "raycharles-e2h"}  # the sites the committed sheets sampled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--work", type=Path, default=Path("/tmp/crawlqa-quality"))
    ap.add_argument("--only", default=",".join(SITES))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-quality.md")
    ap.add_argument("--quick", action="store_true", help="Ray Charles only")
    ap.add_argument("--measure-only", action="store_true",
                    help="measure the runs already in --work/runs (no crawl, no job): e.g. after new audit sheets")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}: skipped")
        return 0
    corpus = unpack(args.corpus, args.work)
    names = ["raycharles"] if args.quick else [n.strip() for n in args.only.split(",") if n.strip()]
    precision = audited_precision()
    lines = ["### Question quality per family (offline template writer, default filters)", "",
             f"Run {datetime.now(UTC).date().isoformat()} by `bench/bench_quality.py`: the default offline job on each "
             "site of the shared corpus, served on 127.0.0.1; figures from `pipelines/quality.py` (definitions there). "
             "Precision: hand-audited sheets in `bench/audit/` where there are any.", ""]
    summary = {}
    for name in names:
        if args.measure_only:
            run, seconds = args.work / "runs" / name, float("nan")
            if not (run / "manifest.json").is_file():
                print(f"{run}: no finished run to measure: skipped")
                continue
        else:
            run, seconds = run_site(name, corpus, args.work)
        result = measure(run)
        pages = json.loads((run / "manifest.json").read_text()).get("funnel", {}).get("pages_fetched", "?")
        took = "" if args.measure_only else f", {seconds:.0f} s"
        shown = precision if name in AUDITED_SITES else {}
        lines += [f"#### {name} ({pages} pages{took})", "", *markdown_table(result, shown), ""]
        for t, q in result.items():
            if q.examples:
                lines.append(f"- {t}: " + " · ".join(f"“{e}”" for e in q.examples[:2]))
        lines.append("")
        summary[name] = {t: q.__dict__ for t, q in result.items()}
        print("\n".join(lines[-(len(result) + 6):]))
        if name == "raycharles":  # E2HQA over the same crawl: its single-hop questions (seeds/) made hard
            if args.measure_only:
                e2h_run = args.work / "runs" / "e2h"
            else:
                e2h_run, _ = run_e2h(run, args.work)
            result = measure(e2h_run, types=["e2h"], pages_from=run)
            lines += [f"#### raycharles E2HQA (3 rounds over the run's seeds/, offline writer; kept per 100 pages "
                      f"of the {pages}-page crawl)", "",
                      *markdown_table({t: q for t, q in result.items() if t == "e2h"}, precision), ""]
            for t, q in result.items():
                if t == "e2h" and q.examples:
                    lines.append(f"- {t}: " + " · ".join(f"“{e}”" for e in q.examples[:2]))
            lines.append("")
            summary["raycharles-e2h"] = {t: q.__dict__ for t, q in result.items()}
    args.out.write_text("\n".join(lines) + "\n")
    (args.work / "quality.json").write_text(json.dumps(summary, indent=2, default=str))
    if args.measure_only:
        print("(measured the existing runs only)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
