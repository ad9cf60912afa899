"""How hard and how varied a run's questions are, per question type: the figures a data engineer
judges a dataset by (BENCHMARKS.md reports them for the corpus runs; ``bench/bench_quality.py``).

Per type, over the kept questions of ``qa/``:

- ``kept`` and ``kept_per_100_pages`` (pages: the run's ``pages/`` rows);
- ``shortcut_top3``: share whose answer one search of the question's own text gives away in the top 3
  (``filters.shortcut.shortcut_rank`` over the run's own pages: the first result whose main text
  contains the answer — for a count, a page stating the total itself);
- ``names_answer_page``: share whose question names the page that holds the answer (the subject or
  the title of one of its source pages, matched on word boundaries after case and accent folding);
- ``skeletons_per_question``: distinct opening skeletons / questions. A skeleton is the first six word
  tokens of the question, lower-cased, with every number turned into ``#`` and every name (a
  capitalised word after the first, or a quoted title) into ``X`` (runs of ``X`` collapse to one), so
  "How many studio albums did Ray Charles …" and "How many studio albums did Milt Jackson …" share
  one skeleton. 1.0: every question opens differently;
- ``mean_words``: mean length of the question in words.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelines.shards import iter_records, read_table
from schemas.records import Page, QARecord
from synth.search import fold

SKELETON_TOKENS = 6
_QUOTED = re.compile(r"[“\"«„‘][^”\"»“’]{1,200}[”\"»“’]")
_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)


def skeleton(question: str, n: int = SKELETON_TOKENS) -> str:
    """The question's opening shape: its first ``n`` tokens with names and numbers masked."""
    text = _QUOTED.sub(" QQQ ", question)
    out: list[str] = []
    for i, tok in enumerate(_TOKEN.findall(text)):
        if tok == "QQQ" or (i > 0 and tok[:1].isupper()):
            word = "X"
        elif any(c.isdigit() for c in tok):
            word = "#"
        else:
            word = tok.lower()
        if word == "X" and out and out[-1] == "X":
            continue
        out.append(word)
        if len(out) == n:
            break
    return " ".join(out)


def names_page(question: str, names: Iterable[str]) -> bool:
    """Whether the question names one of ``names`` (whole words, folded as the search index folds)."""
    q = f" {fold(question)} "
    return any(len(f := fold(name)) >= 3 and f" {f} " in q for name in names)


@dataclass
class TypeQuality:
    type: str
    kept: int = 0
    kept_per_100_pages: float = 0.0
    shortcut_top3: float | None = None
    names_answer_page: float = 0.0
    skeletons_per_question: float = 0.0
    mean_words: float = 0.0
    shortcut_measured: int = 0
    examples: list[str] = field(default_factory=list)


def _page_names(run: Path) -> dict[str, list[str]]:
    t = read_table(run / "pages", Page, columns=["url", "final_url", "subject", "title"])
    names: dict[str, list[str]] = {}
    for url, final, subject, title in zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True):
        own = [n for n in {subject or "", (title or "").split(" - ")[0].strip()} if n]
        for key in {url, final} - {None, ""}:
            names.setdefault(key, []).extend(own)
    return names


def _shortcut_index(run: Path):
    """The run's own search index (None when the search or the gate's code is not available)."""
    try:
        from filters.shortcut import shortcut_rank  # noqa: F401
        from synth.search import LocalSearchIndex
    except ImportError:
        return None
    pages = run / "pages"
    if not pages.is_dir():
        return None
    return LocalSearchIndex.for_pages(pages, run / "_work" / "quality-index")


def measure(run_dir: Path | str, *, types: Iterable[str] | None = None, examples: int = 3,
            shortcut: bool = True, pages_from: Path | str | None = None) -> dict[str, TypeQuality]:
    """The figures above for every question type kept in ``run_dir/qa`` (plus ``all``).

    ``pages_from``: the run whose ``pages/`` the questions were made from, when it is another run
    (an E2HQA run reads its corpus run's pages)."""
    run = Path(run_dir)
    corpus = Path(pages_from) if pages_from is not None else run
    pages = read_table(corpus / "pages", Page, columns=["url"]).num_rows
    names = _page_names(corpus)
    index = _shortcut_index(corpus) if shortcut else None
    rank_fn = None
    if index is not None:
        from filters.shortcut import shortcut_rank as rank_fn  # type: ignore[no-redef]
    wanted = set(types) if types is not None else None
    by_type: dict[str, list[QARecord]] = defaultdict(list)
    for rec in iter_records(run / "qa", QARecord):
        if wanted is None or rec.type in wanted:  # type: ignore[attr-defined]
            by_type[rec.type].append(rec)  # type: ignore[attr-defined, arg-type]
    by_type["all"] = [r for t in sorted(by_type) for r in by_type[t]]
    out: dict[str, TypeQuality] = {}
    try:
        for t, recs in by_type.items():
            q = TypeQuality(type=t, kept=len(recs))
            if not recs:
                out[t] = q
                continue
            q.kept_per_100_pages = round(100 * len(recs) / pages, 1) if pages else 0.0
            q.names_answer_page = round(sum(
                names_page(r.question, [n for u in r.source_urls for n in names.get(u, [])]) for r in recs)
                / len(recs), 3)
            q.skeletons_per_question = round(len({skeleton(r.question) for r in recs}) / len(recs), 3)
            q.mean_words = round(sum(len(r.question.split()) for r in recs) / len(recs), 1)
            if rank_fn is not None:
                ranks = [rank_fn(index, r.question, r.answer, aliases=r.aliases) for r in recs]
                q.shortcut_top3 = round(sum(1 for k in ranks if k is not None and k <= 3) / len(ranks), 3)
                q.shortcut_measured = len(ranks)
            q.examples = [r.question for r in sorted(recs, key=lambda r: r.id)[:examples]]
            out[t] = q
    finally:
        if index is not None:
            index.close()
    return out


def as_rows(result: dict[str, TypeQuality]) -> list[dict]:
    return [asdict(q) for q in result.values()]


def markdown_table(result: dict[str, TypeQuality], precision: dict[str, str] | None = None) -> list[str]:
    """One row per type: the figures, and hand-audited precision when given."""
    precision = precision or {}
    lines = ["| type | kept | kept / 100 pages | audited precision | answer in top 3 of one search | "
             "names the answer's page | skeletons / question | mean words |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for t, q in sorted(result.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        top3 = "n/a" if q.shortcut_top3 is None else f"{q.shortcut_top3:.0%}"
        lines.append(f"| {t} | {q.kept} | {q.kept_per_100_pages} | {precision.get(t, 'not audited')} | {top3} | "
                     f"{q.names_answer_page:.0%} | {q.skeletons_per_question:.2f} | {q.mean_words} |")
    return lines


def type_counts(run_dir: Path | str) -> Counter:
    t = read_table(Path(run_dir) / "qa", QARecord, columns=["type"])
    return Counter(t.column("type").to_pylist())
