"""CRAWLQA synthesis on the Ray Charles Wikipedia selection (../shared/corpus/wiki-raycharles-2015).

    .venv/bin/python bench/bench_synth_corpus.py [--corpus ../shared/corpus] [--depth 2] [--files] [--out bench/RESULTS-synth.md]

Pages: by default the project crawler (``crawlers.crawl``, wikipedia profile) crawls the corpus
served on 127.0.0.1 from ``A/Ray_Charles.html`` to ``--depth``. With ``--files`` the pages are built
straight from the corpus files instead (no server, no crawler): the same BFS over article links,
meta-refresh redirect stubs resolved to their target, structure from ``crawlers.facts``.

Then: mine → offline template writer → records → when the filters package has its validity chain, the
filters → an independent recheck of every kept record against the source HTML (``tests.synth.recheck``,
the same check as the fixture-site test: COUNT items on the page, every click-path link, answers and
constraint values in the pages' text). Prints and writes the numbers.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawlers.facts import extract_structure  # noqa: E402
from pipelines.counters import Counters  # noqa: E402
from schemas.ids import page_id  # noqa: E402
from schemas.records import Link, Page, QARecord, Reject  # noqa: E402
from synth.assemble import to_record  # noqa: E402
from synth.config import SynthConfig  # noqa: E402
from synth.mine import mine  # noqa: E402
from synth.text import url_key  # noqa: E402
from synth.writers.template import TemplateWriter  # noqa: E402
from tests.synth.recheck import Recheck  # noqa: E402

BASE = "http://127.0.0.1:8765/wiki-raycharles-2015/A/"
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";>]+)", re.I)


class Corpus:
    """The Kiwix folder as a tiny web: URL ↔ file, redirects (meta refresh stubs) resolved."""

    def __init__(self, folder: Path, base: str = BASE) -> None:
        self.folder = folder
        self.base = base
        self._html: dict[str, str] = {}
        self._final: dict[str, str] = {}

    def file(self, url: str) -> Path | None:
        if not url.startswith(self.base):
            return None
        p = self.folder / unquote(url[len(self.base):])
        return p if p.is_file() else None

    def html(self, url: str) -> str:
        if url not in self._html:
            p = self.file(url)
            self._html[url] = p.read_text(encoding="utf-8", errors="replace") if p else ""
        return self._html[url]

    def final(self, url: str) -> str:
        """The URL after meta-refresh redirects (the page itself when it is an article)."""
        url = urldefrag(url)[0]
        if url in self._final:
            return self._final[url]
        cur, seen = url, set()
        while cur not in seen:
            seen.add(cur)
            html = self.html(cur)
            m = re.search(r'<meta[^>]+http-equiv=["\']?refresh[^>]*content=["\']([^"\']+)', html, re.I)
            if not m:
                break
            t = _REFRESH.search(m.group(1))
            if not t:
                break
            cur = urldefrag(urljoin(cur, t.group(1).strip()))[0]
        self._final[url] = cur
        return cur

    def canonical(self, url: str) -> str:
        u = self.final(url)
        return u if self.file(u) else url


def build_pages(corpus: Corpus, root_file: str = "Ray_Charles.html", depth: int = 2) -> list[Page]:
    """BFS over article links from ``root_file`` (the crawl a crawler would do), as Page records."""
    root = corpus.base + root_file
    now = datetime(2026, 1, 1, tzinfo=UTC)
    pages: list[Page] = []
    seen = {root}
    queue = deque([(root, 0, None, None)])
    while queue:
        url, d, parent, anchor = queue.popleft()
        html = corpus.html(url)
        if not html:
            continue
        s = extract_structure(html, url, "wikipedia", canonicalize=corpus.canonical)
        doc = lxml.html.document_fromstring(html)
        links: list[Link] = []
        seen_links: set[str] = set()
        for a in doc.iter("a"):
            href = a.get("href")
            if not href or href.startswith("#"):
                continue
            u = corpus.canonical(urldefrag(urljoin(url, href))[0])
            if u == url or u in seen_links or not corpus.file(u):
                continue
            seen_links.add(u)
            links.append(Link(url=u, text=" ".join(a.text_content().split())))
        title = (doc.findtext(".//title") or "").strip()
        pages.append(Page(
            id=page_id(url), url=url, final_url=url, root_url=root, depth=d, parent_url=parent,
            anchor_text=anchor, status=200, content_type="text/html", fetched_at=now, title=title,
            subject=s.subject, description=s.description, text="", html="", language="en",
            site="wikipedia", out_links=links, facts=s.facts, enumerations=s.enumerations,
        ))
        if d < depth:
            for lk in links:
                if lk.url not in seen:
                    seen.add(lk.url)
                    queue.append((lk.url, d + 1, url, lk.text))
    return pages


def crawl_pages(corpus_root: Path, depth: int, work: Path) -> tuple[list[Page], str]:
    """The real crawler over the corpus served on 127.0.0.1 (pages read back from its shards)."""
    from crawlers.config import CrawlConfig
    from crawlers.run import crawl
    from crawlqa.devserver import serve
    from pipelines.shards import iter_records

    with serve(corpus_root) as server:
        base = f"{server.url}/wiki-raycharles-2015/A/"
        cfg = CrawlConfig(max_depth=depth, max_pages_per_root=1000, max_pages=1000, download_delay=0,
                          autothrottle=False, http_cache=False, offline_dns=True, allow_private=True,
                          profile="wikipedia", concurrency=16, concurrency_per_domain=16, run_timeout=600)
        crawl([base + "Ray_Charles.html"], cfg, pages_dir=work / "pages", rejects_dir=work / "rejects",
              cache_dir=work / "cache", work_dir=work / "work", run_id="bench")
    pages = [p for p in iter_records(work / "pages", Page)]  # type: ignore[misc]
    return pages, base


def _filter(records: list[QARecord], pages: list[Page], counters: Counters) -> tuple[list[QARecord], str]:
    """The project's validity chain (with the crawl's link map) and its MinHash dedup, when present."""
    try:
        from filters import FilterChain, FilterConfig, build_filters
        from filters.dedup import MinHashDeduper
    except ImportError:
        return records, "no filter chain available: kept = written records"
    cfg = FilterConfig()
    links = {p.url: {lk.url for lk in p.out_links} for p in pages}
    chain = FilterChain(build_filters(cfg, links=links), counters)
    valid = list(chain.run(records))
    with MinHashDeduper(cfg) as dd:
        kept = list(dd.run(valid, counters))
    names = ", ".join(f.name for f in chain.filters)
    return kept, f"project validity filters ({names}) then MinHash dedup (in-run, no persistent index)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-synth.md")
    ap.add_argument("--files", action="store_true",
                    help="build pages straight from the files instead of crawling the served corpus")
    args = ap.parse_args(argv)
    folder = args.corpus / "wiki-raycharles-2015" / "A"
    if not folder.is_dir():
        print(f"corpus not found at {folder}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    if not args.files:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
            pages, base = crawl_pages(args.corpus, args.depth, Path(tmp))
        corpus = Corpus(folder, base)
        how = (f"crawled by `crawlers.crawl` (wikipedia profile, depth {args.depth}) from the corpus served "
               "on 127.0.0.1")
    else:
        corpus = Corpus(folder)
        pages = build_pages(corpus, depth=args.depth)
        how = (f"BFS from `A/Ray_Charles.html` to depth {args.depth} over article links, built directly from "
               "the corpus files by `bench/bench_synth_corpus.py` (redirect stubs resolved; structure from "
               "`crawlers.facts`), not by the crawler")
    t_pages = time.perf_counter() - t0

    counters = Counters()
    rejects: list[Reject] = []
    t1 = time.perf_counter()
    cands = list(mine(pages, SynthConfig(), counters, rejects.append))
    t_mine = time.perf_counter() - t1
    writer = TemplateWriter()
    t2 = time.perf_counter()
    written = writer.write(cands)
    t_write = time.perf_counter() - t2
    created = datetime(2026, 1, 1, tzinfo=UTC)
    records = [to_record(w, writer_name=writer.name, prompt_version=writer.prompt_version, run_id="bench",
                         created_at=created) for w in written if w.ok]
    write_rejects = Counter(w.reject_reason for w in written if not w.ok)

    t3 = time.perf_counter()
    kept, filter_note = _filter(records, pages, counters)
    t_filter = time.perf_counter() - t3
    bad = Counter()
    final = []
    check = Recheck(corpus, key=url_key)  # independent of the miners: the source HTML re-read
    for r in kept:
        why = check(r)
        if why:
            bad[why] += 1
        else:
            final.append(r)
    by_type = Counter(r.type for r in final)
    cand_types = Counter(c.type for c in cands)
    mine_rejects = Counter(r.reason for r in rejects)
    n_pages = len(pages)

    lines = [
        "# CRAWLQA synthesis on wiki-raycharles-2015 (offline template writer)",
        "",
        f"Pages: {n_pages}, {how}.",
        f"Filters: {filter_note}. Then an independent recheck of every record against the source HTML.",
        "",
        "| stage | count | per 100 pages |",
        "|---|---:|---:|",
        f"| candidates mined | {len(cands)} | {100 * len(cands) / n_pages:.0f} |",
        f"| questions written | {len(records)} | {100 * len(records) / n_pages:.0f} |",
        f"| kept after filters and dedup | {len(kept)} | {100 * len(kept) / n_pages:.0f} |",
        f"| kept after recheck | {len(final)} | {100 * len(final) / n_pages:.0f} |",
        "",
        "| type | candidates | kept | kept per 100 pages |",
        "|---|---:|---:|---:|",
    ]
    for t in ("count", "multi_hop", "intersection", "single_hop"):
        lines.append(f"| {t} | {cand_types[t]} | {by_type[t]} | {100 * by_type[t] / n_pages:.0f} |")
    hops = Counter(r.hops for r in final if r.type == "multi_hop")
    lines += [
        "",
        f"Multi-hop by pages needed: {dict(sorted(hops.items()))}.",
        f"Records failing the recheck: {sum(bad.values())} {dict(bad)}.",
        "",
        "Mining rejects (`mine/dropped/<reason>`):",
        "",
        *(f"- {k}: {v}" for k, v in mine_rejects.most_common()),
        "",
        "Writer rejects (`write/dropped/<reason>`):",
        "",
        *(f"- {k}: {v}" for k, v in write_rejects.most_common()),
    ]
    drops = {**{f"filter/{k}": v for k, v in counters.scope("filter/dropped").items()},
             **{f"dedup/{k}": v for k, v in counters.scope("dedup/dropped").items()}}
    lines += ["", "Filter and dedup drops:", "", *(f"- {k}: {v}" for k, v in drops.items())]
    lines += [
        "",
        f"Time: pages {t_pages:.2f} s, mine {t_mine:.2f} s, write {t_write:.3f} s, filters {t_filter:.2f} s.",
        "",
        "Examples:",
        "",
    ]
    shown = Counter()
    for r in sorted(final, key=lambda r: r.id):
        if shown[r.type] < 3:
            shown[r.type] += 1
            lines.append(f"- [{r.type}, {r.hops} pages] {r.question} → **{r.answer}**")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")
    return 0 if not bad else 1


if __name__ == "__main__":
    raise SystemExit(main())
