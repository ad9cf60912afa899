"""The dataset card: ``RUN_DIR/README.md``, so a run folder can be handed on or pushed to a hub as is.

The YAML front matter follows the Hugging Face dataset card metadata (``configs`` with
``data_files`` globs per folder, ``license``, ``language``, ``task_categories``, ``size_categories``,
``tags``); the body says what was crawled and when, with which writers and prompt versions, the
funnel and reject reasons, the schema of every folder, how to load the shards, and a licence guess
per root site. Licence guesses are guesses: the card says so, and names what to check.

YAML is emitted by hand with every string JSON-quoted (JSON strings are valid YAML scalars), so no
YAML library is needed and no value from the data can break the front matter.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.compute as pc
from pydantic import BaseModel

from pipelines.run import RunDir, atomic_write_text
from pipelines.shards import read_table, shard_paths
from schemas.arrow import arrow_schema
from schemas.records import Candidate, Page, QARecord, Reject

# folder -> (record model, one-line description); the order is the card's order
FOLDERS: dict[str, tuple[type[BaseModel], str]] = {
    "qa": (QARecord, "kept questions with answer, evidence, click path and provenance"),
    "seeds": (QARecord, "single-hop questions (the one-search gate keeps them out of qa/): E2HQA seeds"),
    "rejects": (Reject, "every dropped page, candidate or question, with stage and reason"),
    "candidates": (Candidate, "evidence mined by the program, with the computed answer"),
    "pages": (Page, "crawled pages: URL, depth, parent, extracted text, raw HTML, facts"),
}

UNKNOWN = "unknown"


def guess_license(url: str) -> tuple[str, str]:
    """(hub licence id, note) for a root URL's site. A guess from the host name, never a verdict."""
    host = (urlsplit(url).hostname or "").lower()

    def on(domain: str) -> bool:
        return host == domain or host.endswith("." + domain)

    if on("wikipedia.org"):
        return "cc-by-sa-4.0", "Wikipedia text: CC BY-SA 4.0 (attribution + share-alike apply to derived QA)"
    if on("arxiv.org"):
        return "cc0-1.0", ("arXiv metadata (titles, authors, abstracts listings): CC0 1.0; "
                           "full texts carry each paper's own licence")
    if on("github.com"):
        return UNKNOWN, "GitHub: check each repository's licence (page text is GitHub's / the repository's)"
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
        return UNKNOWN, "local server: the licence of whatever content was served"
    return UNKNOWN, "unknown — check the site's terms"


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "n>10M"


def _q(v: object) -> str:
    return json.dumps(v, ensure_ascii=False)


def _md(v: object) -> str:
    """A value safe inside a markdown table cell."""
    return str(v).replace("|", "\\|").replace("\n", " ")


# what the card says of fields the record models leave undescribed
FIELD_NOTES: dict[str, str] = {
    "type": "count · multi_hop · intersection · single_hop · e2h",
    "question": "the question, as written by the writer",
    "answer": "the answer, computed by the program from the evidence (never by the writer)",
    "root_url": "the crawl root the question starts from",
    "source_urls": "pages that hold the answer",
    "evidence": "snippets of the source pages that support the answer",
    "hops": "pages to visit from the root to collect the evidence",
    "language": "ISO 639-1 code of the question",
    "prompt_version": "version of the writer's prompt template",
    "difficulty": "1 easy · 2 medium · 3+ hard",
    "run_id": "the run that wrote the record",
    "created_at": "when the record was written (UTC)",
    "domain": "topic domain of the root, when known",
    "lineage": "E2HQA rounds: entity replaced, search query, evidence page and snippet, question before/after",
    "solve_rate": "share of solver attempts that answered correctly (E2HQA), when measured",
    "as_of": "the date the answer holds as of (see “Time” above)",
    "as_of_source": "page_version · page_modified · page_date · fetched (see “Time” above)",
    "reason": "why it was dropped (counter `<stage>/dropped/<reason>`)",
    "detail": "one-line explanation",
    "record_id": "id of the dropped page, candidate or question",
    "url": "URL of the dropped record",
    "dup_of": "for duplicates: the id of the record it duplicated",
    "miner": "the miner that produced the candidate",
    "root": "the crawl root",
}


def _type_name(t: object) -> str:
    return str(t).replace("item: ", "").replace(" not null", "")


def _schema_rows(model: type[BaseModel]) -> list[str]:
    schema = arrow_schema(model)
    rows = []
    for name, info in model.model_fields.items():
        doc = info.description or FIELD_NOTES.get(name, "")
        rows.append(f"| `{name}` | `{_type_name(schema.field(name).type)}` | {_md(doc)} |")
    return rows


def _roots(run: RunDir, manifest: dict) -> tuple[list[str], dict[str, int]]:
    pages = read_table(run.sub("pages"), Page, columns=["root_url"])
    per_root = dict(Counter(pages.column("root_url").to_pylist()))
    roots = list((manifest.get("config") or {}).get("roots") or [])
    crawl_roots = (manifest.get("crawl") or {}).get("per_root") or {}
    for r in [*crawl_roots, *sorted(per_root)]:
        if r not in roots:
            roots.append(r)
    return roots, per_root


def _fetch_window(run: RunDir) -> tuple[str, str] | None:
    t = read_table(run.sub("pages"), Page, columns=["fetched_at"])
    if not t.num_rows:
        return None
    col = t.column("fetched_at")
    return pc.min(col).as_py().isoformat(), pc.max(col).as_py().isoformat()


def _qa_facts(run: RunDir) -> tuple[Counter, Counter, Counter, Counter]:
    t = read_table(run.sub("qa"), QARecord, columns=["type", "hops", "language", "writer", "prompt_version"])
    writers = Counter(zip(t.column("writer").to_pylist(), t.column("prompt_version").to_pylist(), strict=True))
    return (Counter(t.column("type").to_pylist()), Counter(t.column("hops").to_pylist()),
            Counter(t.column("language").to_pylist()), writers)


AS_OF_NOTES: dict[str, str] = {
    "page_version": "the latest version date an arXiv abstract page lists (its submission history)",
    "page_modified": "the last-modified date in a Wikipedia page's MediaWiki footer",
    "page_date": "a date the page states of itself (a profile's page date, an arXiv listing's day)",
    "fetched": "the page states no date of itself: the UTC day it was fetched",
}


def _time_facts(run: RunDir) -> tuple[Counter, str | None, str | None, int]:
    """(records per as_of source, earliest and latest as_of, records without as_of) of qa/."""
    t = read_table(run.sub("qa"), QARecord, columns=["as_of", "as_of_source"])
    sources = Counter(t.column("as_of_source").to_pylist())
    col = t.column("as_of")
    missing = col.null_count
    if t.num_rows - missing == 0:
        return sources, None, None, missing
    lo, hi = pc.min(col).as_py(), pc.max(col).as_py()
    return sources, lo.isoformat(), hi.isoformat(), missing


def _time_section(run: RunDir, reasons: dict) -> list[str]:
    sources, lo, hi, missing = _time_facts(run)
    out = ["## Time: when each answer holds", "",
           "Every record has `as_of`, the date its answer holds as of, and `as_of_source`, where that date "
           "comes from: the date the source page states of itself, else the day it was fetched. A record "
           "built from several pages is as of the latest of their dates (an E2HQA record: of its pages and "
           "its seed's). Ask a question with its `as_of` in mind: a page fetched today from an old snapshot "
           "is dated by the snapshot only when the snapshot says its date.", "",
           "| as_of_source | meaning | records |", "|---|---|---:|"]
    for src, note in AS_OF_NOTES.items():
        out.append(f"| `{src}` | {_md(note)} | {sources.get(src, 0)} |")
    for src, n in sorted(sources.items()):
        if src not in AS_OF_NOTES:
            out.append(f"| `{_md(src or '(none)')}` | not set by this version of crawlqa | {n} |")
    if lo:
        out += ["", f"`as_of` ranges from {lo} to {hi}" + (f"; {missing} records have none." if missing else ".")]
    volatile = sum(n for k, n in reasons.items() if k.rsplit("/", 1)[-1] == "volatile")
    out += ["", "Volatile facts are not asked: values a site changes without the page saying when (a "
            "repository's stars, forks, watchers, commits, releases, contributors, open issues and pull "
            "requests, an issue's state; a paper's latest version and revision date; the papers of a "
            "rolling listing such as `/list/cs/new`; anything that runs to \"present\"; lists labelled "
            "current, upcoming or ongoing) are skipped by the miners (`synth/volatile.py`) with the reason "
            f"`volatile` ({volatile} in this run), so no kept answer goes stale silently by such a fact; "
            "every other answer holds as of its `as_of`.", ""]
    return out


def _front_matter(run: RunDir, manifest: dict, languages: list[str], licences: set[str], kept: int) -> list[str]:
    if len(licences) == 1:
        licence = next(iter(licences))
    elif UNKNOWN in licences or not licences:
        licence = UNKNOWN
    else:
        licence = "other"
    lines = ["---", f"pretty_name: {_q('crawlqa run ' + run.run_id)}", f"license: {_q(licence)}"]
    if licence == "other":
        lines.append(f"license_name: {_q('mixed: ' + ', '.join(sorted(licences)))}")
    lines.append("language:")
    lines += [f"- {_q(code)}" for code in (languages or ["en"])]
    lines += ["task_categories:", "- \"question-answering\"",
              "size_categories:", f"- {_q(_size_category(kept))}",
              "tags:"] + [f"- {_q(t)}" for t in ("web-agent", "information-seeking", "synthetic", "crawlqa",
                                                  "webdancer", "multi-hop")]
    lines.append("configs:")
    first = True
    for folder in FOLDERS:
        if not shard_paths(run.sub(folder)):
            continue
        lines += [f"- config_name: {_q(folder)}"]
        if first:
            lines.append("  default: true")
            first = False
        lines += ["  data_files:", "  - split: \"train\"", f"    path: {_q(folder + '/part-*.parquet')}"]
    lines.append("---")
    return lines


def render_card(run: RunDir, manifest: dict) -> str:
    """The card's markdown text (``write_card`` writes it)."""
    roots, per_root = _roots(run, manifest)
    empty = set((manifest.get("crawl") or {}).get("empty_roots") or [])
    licence_rows = [(r, *guess_license(r)) for r in roots]
    licences = {lic for r, lic, _ in licence_rows if per_root.get(r, 0) > 0} or {lic for _, lic, _ in licence_rows}
    types, hops, langs, writers = _qa_facts(run)
    kept = sum(types.values())
    funnel = manifest.get("funnel") or {}
    window = _fetch_window(run)
    cfg = manifest.get("config") or {}
    written_at = manifest.get("written_at") or datetime.now(UTC).isoformat()

    out = _front_matter(run, manifest, sorted(langs), licences, kept)
    out += ["", f"# crawlqa run `{run.run_id}`", "",
            f"{kept} synthetic, verifiable question–answer pairs for training and evaluating web-browsing "
            "agents, generated by crawlqa with the WebDancer recipes "
            "(CRAWLQA: questions mined from crawled sites; E2HQA: easy questions made hard by rewriting "
            "entities into descriptions). Every answer was computed by the program from page evidence; "
            "writers only word the question.", ""]

    out += ["## What was crawled, and when", "",
            f"- run id: `{run.run_id}`; manifest written {written_at}"]
    if window:
        out.append(f"- pages fetched between {window[0]} and {window[1]}")
    if cfg.get("llm"):
        model = (cfg.get("llm_config") or {}).get("model") if isinstance(cfg.get("llm_config"), dict) else None
        out.append(f"- LLM mode: `{cfg['llm']}`" + (f", model `{model}`" if model else ""))
    out += ["", "| root | pages | licence (guess) | note |", "|---|---:|---|---|"]
    for r, lic, note in licence_rows:
        flag = " (no page)" if r in empty or per_root.get(r, 0) == 0 else ""
        out.append(f"| {_md(r)} | {per_root.get(r, 0)}{flag} | `{lic}` | {_md(note)} |")

    out += ["", *_time_section(run, funnel.get("reject_reasons") or {})]

    out += ["## Writers and prompt versions", "", "| writer | prompt version | kept questions |",
            "|---|---|---:|"]
    seen = {(w, v) for w, v in writers}
    for w in manifest.get("writers") or []:
        key = (w.get("writer"), w.get("prompt_version"))
        if key not in seen:
            writers[key] = 0
    out += [f"| `{_md(w)}` | `{_md(v)}` | {n} |" for (w, v), n in sorted(writers.items(), key=lambda kv: -kv[1])]

    out += ["", "## Funnel", "", "| step | rows |", "|---|---:|"]
    for key, label in (("pages_fetched", "pages fetched"), ("candidates", "candidates mined"),
                       ("written", "questions written"), ("kept", "kept"),
                       ("seeds", "single-hop, to seeds/ (E2HQA seeds)"), ("rejects", "rejects")):
        if key in funnel:
            out.append(f"| {label} | {funnel[key]} |")
    if types:
        out += ["", "| kept by type | n |", "|---|---:|"] + [f"| {t} | {n} |" for t, n in types.most_common()]
        out += ["", "| kept by hops | n |", "|---|---:|"] + [f"| {h} | {n} |" for h, n in sorted(hops.items())]
    reasons = funnel.get("reject_reasons") or {}
    if reasons:
        out += ["", "| rejected: stage/reason | n |", "|---|---:|"]
        out += [f"| {_md(k)} | {v} |" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])]

    out += ["", "## Files", "", "| folder | rows | what |", "|---|---:|---|"]
    shards = manifest.get("shards") or {}
    for folder, (_model, what) in FOLDERS.items():
        paths = shard_paths(run.sub(folder))
        rows = sum(s.get("rows", 0) for s in shards.get(folder, [])) if shards.get(folder) else "?"
        if paths:
            out.append(f"| `{folder}/` ({len(paths)} shard{'s' if len(paths) != 1 else ''}) | {rows} | {what} |")
    out += ["", "Shards are Parquet (zstd), named `part-NNNNN.parquet`; `manifest.json` lists each with its "
            "row count and SHA-256. `pages/` holds raw HTML of third-party sites: leave it out when you "
            "publish unless the sites' licences allow redistribution.", ""]

    out += ["## Schema", ""]
    for folder, (model, what) in FOLDERS.items():
        if not shard_paths(run.sub(folder)) and folder != "qa":
            continue
        if folder == "seeds":  # the qa schema: not repeated
            out += [f"### `{folder}/` — {model.__name__}", "", f"{what}; the same fields as `qa/`.", ""]
            continue
        out += [f"### `{folder}/` — {model.__name__}", "", what, "", "| field | Arrow type | description |",
                "|---|---|---|", *_schema_rows(model), ""]

    out += ["## Loading", "", "```python",
            "import pandas as pd, polars as pl, duckdb",
            "qa = pd.read_parquet(\"qa\")                     # pandas (pyarrow engine)",
            "qa = pl.read_parquet(\"qa/*.parquet\")           # polars",
            "duckdb.sql(\"SELECT type, count(*) FROM 'qa/*.parquet' GROUP BY type\").show()",
            "from datasets import load_dataset",
            "ds = load_dataset(\"parquet\", data_files=\"qa/*.parquet\", split=\"train\")",
            "```", "",
            "`crawlqa export . --format webwalkerqa|webshaper|jsonl|sft` writes trainer formats to `exports/`.", ""]
    out += _agents_section(run)

    out += ["## Licences", "",
            "The questions and answers are derived from the crawled pages, so the pages' licences apply to "
            "them. The guesses above come from the root's host name only (Wikipedia → CC BY-SA 4.0, arXiv "
            "metadata → CC0 1.0, GitHub → each repository's licence, anything else unknown): check each "
            "site's terms before redistributing. The front matter's `license` is the single licence when all "
            "crawled roots agree, `unknown` when any is unknown, `other` when they differ.", ""]
    return "\n".join(out)


def _agents_section(run: RunDir) -> list[str]:
    """The agent gates and the trajectory exports (agents/; issue 18)."""
    return [
        "## Difficulty gates and trajectories", "",
        "Every kept question passed the one-search gate (its own text searched in this crawl's local index: "
        "`shortcut_rank` is the rank of the first result whose main text gives the answer away, none in the "
        "top 10 = null; answers in the top 3 were dropped unless the run kept them with `--keep-easy`) and "
        "the golden-path replay (its evidence pages reached through the `search` and `visit` tools, every "
        "snippet seen). Single-hop questions are E2HQA seeds, in `seeds/`, not in `qa/`. "
        "`crawlqa solve` adds `solve_rate`, `solve_steps` and `difficulty_tier` from k agent attempts.", "",
        "`crawlqa export . --format trajectories` writes one JSON object per question: `id` and OpenAI chat "
        "`messages` (system, the question, assistant tool calls to `search`/`visit` with the tools' results, "
        "cut to 2,000 characters, and a last assistant message `Answer: <answer>`), from a solving agent "
        "rollout when there is one, else the reference replay (`source` says which). "
        "`--format react` writes the same steps as Thought/Action/Action Input/Observation text ending in "
        "`Final Answer:` (WebDancer/ReAct style). `crawlqa serve .` serves the same tools over HTTP.", ""]


def write_card(run: RunDir, manifest: dict) -> Path:
    """Write ``RUN_DIR/README.md`` (atomically) and return its path."""
    path = run.path / "README.md"
    atomic_write_text(path, render_card(run, manifest))
    return path
