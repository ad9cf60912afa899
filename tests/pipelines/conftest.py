"""A small but realistic run folder, built with the real writers (ShardWriter, build_manifest).

``make_run(out)`` is a plain function so that tests outside this folder (``tests/test_notebook.py``)
can load it too. The run has pages from four roots (Wikipedia, arXiv, GitHub, a loopback site) plus a
root that yielded nothing, candidates, QA records of every type (an e2h one with two lineage rounds,
one German question, template- and LLM-written ones), and rejects from every stage.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.counters import Counters
from pipelines.run import RunDir, StageReport, build_manifest, write_manifest
from pipelines.shards import ShardWriter
from schemas.ids import page_id, qa_id, reject_id, stable_hash
from schemas.records import (
    Candidate,
    Enumeration,
    Evidence,
    Fact,
    LineageStep,
    Link,
    Page,
    QARecord,
    Reject,
)

RUN_ID = "20260101T000000Z-fixture"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

WIKI = "https://en.wikipedia.org/wiki/Ray_Charles"
ARXIV = "https://arxiv.org/list/cs.CL/recent"
GITHUB = "https://github.com/scrapy/scrapy"
LOCAL = "http://127.0.0.1:8765/wiki/index.html"
EMPTY = "http://127.0.0.1:8765/nothing-here/"
ROOTS = [WIKI, ARXIV, GITHUB, LOCAL, EMPTY]

# url -> (root, depth, parent, title, language, text)
PAGES: dict[str, tuple[str, int, str | None, str, str, str]] = {
    WIKI: (WIKI, 0, None, "Ray Charles", "en",
           "Ray Charles was an American singer, songwriter and pianist.\n\n## Discography\n"
           "- The Genius of Ray Charles\n- Modern Sounds in Country and Western Music"),
    "https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles": (
        WIKI, 1, WIKI, "The Genius of Ray Charles", "en",
        "The Genius of Ray Charles is a 1959 studio album by Ray Charles, released by Atlantic Records."),
    "https://en.wikipedia.org/wiki/Atlantic_Records": (
        WIKI, 2, "https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles", "Atlantic Records", "en",
        "Atlantic Records is an American record label founded in 1947 by Ahmet Ertegun and Herb Abramson."),
    "https://en.wikipedia.org/wiki/Quincy_Jones": (
        WIKI, 1, WIKI, "Quincy Jones", "en",
        "Quincy Jones was an American record producer who arranged The Genius of Ray Charles."),
    ARXIV: (ARXIV, 0, None, "Computation and Language", "en", "New submissions for cs.CL"),
    "https://arxiv.org/abs/2505.22648": (
        ARXIV, 1, ARXIV, "WebDancer: Towards Autonomous Information Seeking Agency", "en",
        "Authors: Jialong Wu, Baixuan Li, Runnan Fang. Subjects: Computation and Language (cs.CL)"),
    "https://arxiv.org/abs/2501.07572": (
        ARXIV, 1, ARXIV, "WebWalker: Benchmarking LLMs in Web Traversal", "en",
        "Authors: Jialong Wu, Wenbiao Yin, Yong Jiang. Subjects: Computation and Language (cs.CL)"),
    GITHUB: (GITHUB, 0, None, "scrapy/scrapy", "en",
             "Scrapy, a fast high-level web crawling & scraping framework for Python. License: BSD-3-Clause"),
    "https://github.com/scrapy/scrapy/releases": (
        GITHUB, 1, GITHUB, "Releases · scrapy/scrapy", "en", "Scrapy 2.13.0 ... Scrapy 2.12.0"),
    LOCAL: (LOCAL, 0, None, "Widgetflow Wiki", "de",
            "Willkommen im Widgetflow-Wiki. Die Band hat drei Alben veröffentlicht."),
    "http://127.0.0.1:8765/wiki/alben.html": (
        LOCAL, 1, LOCAL, "Alben", "de", "## Alben\n- Erstes Album\n- Zweites Album\n- Drittes Album"),
}

SITES = {WIKI: "wiki", ARXIV: "arxiv", GITHUB: "github", LOCAL: "generic"}


def _pages() -> list[Page]:
    out = []
    for i, (url, (root, depth, parent, title, lang, text)) in enumerate(PAGES.items()):
        children = [u for u, v in PAGES.items() if v[2] == url]
        out.append(Page(
            id=page_id(url), url=url, final_url=url, root_url=root, depth=depth, parent_url=parent,
            anchor_text=title if parent else None, status=200, content_type="text/html",
            fetched_at=T0 + timedelta(seconds=i), title=title, subject=title.split(":")[0],
            description=text.split("\n")[0][:120], text=text,
            html=f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>",
            language=lang, site=SITES[root],
            out_links=[Link(url=c, text=PAGES[c][3]) for c in children],
            facts=[Fact(key="title", value=title, source="meta")],
            enumerations=[Enumeration(kind="list", label="Discography", items=["a", "b"])] if depth == 0 else [],
        ))
    return out


def _lineage() -> list[LineageStep]:
    q0 = "Which record label released The Genius of Ray Charles?"
    d1 = "the 1959 studio album arranged in part by Quincy Jones"
    q1 = f"Which record label released {d1}?"
    d2 = "the producer who later worked on Thriller"
    q2 = q1.replace("Quincy Jones", d2)
    return [
        LineageStep(round=1, entity="The Genius of Ray Charles", query="The Genius of Ray Charles album",
                    evidence_url="https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles",
                    snippet="The Genius of Ray Charles is a 1959 studio album", snippet_hash=stable_hash("s1"),
                    description=d1, question_before=q0, question_after=q1),
        LineageStep(round=2, entity="Quincy Jones", query="Quincy Jones producer",
                    evidence_url="https://en.wikipedia.org/wiki/Quincy_Jones",
                    snippet="Quincy Jones was an American record producer", snippet_hash=stable_hash("s2"),
                    description=d2, question_before=q1, question_after=q2),
    ]


# type, question, answer, root, sources, golden path, hops, difficulty, language, writer, prompt, domain
QA_SPECS = [
    ("count", "How many studio albums are listed in the discography section of Ray Charles's page?", "2",
     WIKI, [WIKI], [WIKI], 1, 1, "en", "template", "tmpl-v1", "Music"),
    ("multi_hop", "Who co-founded the record label that released The Genius of Ray Charles with Herb Abramson?",
     "Ahmet Ertegun", WIKI,
     ["https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles", "https://en.wikipedia.org/wiki/Atlantic_Records"],
     [WIKI, "https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles",
      "https://en.wikipedia.org/wiki/Atlantic_Records"], 3, 3, "en", "gpt-4o-mini", "write-v2", "Music"),
    ("intersection", "Which author is listed on both the WebDancer and the WebWalker papers in cs.CL?",
     "Jialong Wu", ARXIV, ["https://arxiv.org/abs/2505.22648", "https://arxiv.org/abs/2501.07572"],
     [ARXIV, "https://arxiv.org/abs/2505.22648"], 2, 2, "en", "gpt-4o-mini", "write-v2", "Academic"),
    ("single_hop", "Under which licence is the scrapy/scrapy repository published?", "BSD-3-Clause",
     GITHUB, [GITHUB], [GITHUB], 1, 1, "en", "template", "tmpl-v1", ""),
    ("count", "Wie viele Alben sind auf der Seite „Alben“ des Widgetflow-Wikis aufgeführt?", "3",
     LOCAL, ["http://127.0.0.1:8765/wiki/alben.html"], [LOCAL, "http://127.0.0.1:8765/wiki/alben.html"],
     2, 2, "de", "template", "tmpl-v1", ""),
    ("e2h", _lineage()[-1].question_after, "Atlantic Records", WIKI,
     ["https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles", "https://en.wikipedia.org/wiki/Atlantic_Records"],
     [WIKI, "https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles"], 3, 3, "en", "gpt-4o-mini", "e2h-v1",
     "Music"),
]


def _candidates_and_qa() -> tuple[list[Candidate], list[QARecord]]:
    cands, qas = [], []
    for i, (typ, q, a, root, sources, path, hops, diff, lang, writer, pv, domain) in enumerate(QA_SPECS):
        evidence = [Evidence(url=u, text=PAGES[u][5][:160]) for u in sources]
        cand = Candidate(
            id=stable_hash("cand", typ, a, sources), type=typ, miner=f"{typ}_miner", root_url=root,
            source_urls=sources, golden_path=path, evidence=evidence, answer=a, hops=hops, language=lang,
            subject=PAGES[sources[0]][3], relation={"count": "number of albums", "single_hop": "licence"}.get(typ, "answer"),
            slots_json=json.dumps({"i": i}),
        )
        cands.append(cand)
        qas.append(QARecord(
            id=qa_id(typ, q, a, sources), type=typ, question=q, answer=a, root_url=root, source_urls=sources,
            golden_path=path, evidence=evidence, hops=hops, language=lang, writer=writer, prompt_version=pv,
            difficulty=diff, run_id=RUN_ID, created_at=T0 + timedelta(hours=1), domain=domain,
            candidate_id=cand.id, lineage=_lineage() if typ == "e2h" else [],
            solve_rate=0.0 if typ == "e2h" else None, meta_json=json.dumps({"n": i}),
        ))
    return cands, qas


# stage, reason, url, detail, dup_of
REJECT_SPECS = [
    ("crawl", "http_404", "https://en.wikipedia.org/wiki/Missing_page", "404 Not Found", ""),
    ("crawl", "http_404", "https://arxiv.org/abs/0000.00000", "404 Not Found", ""),
    ("crawl", "robots_disallowed", "https://github.com/scrapy/scrapy/search", "robots.txt", ""),
    ("mine", "no_enumeration", "https://github.com/scrapy/scrapy/releases", "nothing countable", ""),
    ("write", "parse_error", "https://arxiv.org/abs/2505.22648", "not JSON", ""),
    ("filter", "answer_in_question", WIKI, "answer appears in the question", ""),
    ("dedup", "near_duplicate", WIKI, "jaccard 0.91", "deadbeefdeadbeef"),
    ("e2h", "verify_failed", "https://en.wikipedia.org/wiki/Quincy_Jones", "snippet not on page", ""),
]
REJECT_BLOCKS = {"crawl": 0, "mine": 10_000, "write": 20_000, "filter": 30_000, "dedup": 30_000, "e2h": 40_000}

# the shape of synth.llm.ledger.TokenLedger.to_dict()
TOKENS = {
    "write": {"requests": 12, "calls": 9, "cache_hits": 3, "ok": 8, "prompt_tokens": 12_000,
              "completion_tokens": 1_500, "rate_limited": 0, "server_errors": 0,
              "failures": {"parse_error": 1}, "answers": {"gpt-4o-mini|write-v2": 9},
              "parse_failures": {"gpt-4o-mini|write-v2": 1}},
    "e2h": {"requests": 6, "calls": 6, "cache_hits": 0, "ok": 6, "prompt_tokens": 8_000,
            "completion_tokens": 2_000, "rate_limited": 0, "server_errors": 0, "failures": {},
            "answers": {"gpt-4o-mini|e2h-v1": 6}, "parse_failures": {}},
}


def make_run(out: Path, run_id: str = RUN_ID, *, with_manifest: bool = True) -> Path:
    """Write the fixture run under ``out/run_id`` and return its path."""
    run = RunDir(out, run_id).create()
    reports: list[StageReport] = []
    counters = Counters()

    with ShardWriter(run.sub("pages"), Page, rows_per_shard=6, relative_to=run.path) as w:
        w.write_all(_pages())
    cands, qas = _candidates_and_qa()
    # two candidates became drafts the filters dropped, one failed in the writer
    extra = [c.model_copy(update={"id": stable_hash("extra", c.id, k)}) for k, c in enumerate(cands[:3])]
    with ShardWriter(run.sub("candidates"), Candidate, relative_to=run.path) as wc:
        wc.write_all(cands + extra)
    with ShardWriter(run.sub("qa"), QARecord, rows_per_shard=4, relative_to=run.path) as wq:
        wq.write_all(qas)
    dropped = [q.model_copy(update={"id": stable_hash("dropped", q.id), "question": q.answer + "?"})
               for q in qas[:2]]  # the drafts the filter and dedup stages dropped
    with ShardWriter(run.sub("drafts"), QARecord, relative_to=run.path) as wd:
        wd.write_all(qas + dropped)
    by_stage: dict[str, list[Reject]] = {}
    for stage, reason, url, detail, dup in REJECT_SPECS:
        rid = stable_hash("rec", stage, reason, url)
        by_stage.setdefault(stage, []).append(Reject(
            id=reject_id(stage, reason, rid), stage=stage, reason=reason, detail=detail, record_id=rid,
            url=url, dup_of=dup, run_id=run_id, payload_json=json.dumps({"raw": "oops"})))
        counters.inc(f"{stage}/dropped/{reason}")
    reject_shards = []
    for stage, rows in by_stage.items():
        start = REJECT_BLOCKS[stage] + (1 if stage == "dedup" else 0)
        with ShardWriter(run.sub("rejects"), Reject, start_index=start, relative_to=run.path) as wr:
            wr.write_all(rows)
        reject_shards += wr.shards

    per_root = {r: sum(1 for v in PAGES.values() if v[0] == r) for r in ROOTS}
    reports.append(StageReport("crawl", shards={"pages": w.shards}, seconds=3.2,
                               info={"stats": {"pages": len(PAGES)}, "per_root": per_root,
                                     "empty_roots": [EMPTY]}))
    reports.append(StageReport("mine", shards={"candidates": wc.shards}, seconds=0.4))
    reports.append(StageReport("write", shards={"drafts": wd.shards, "rejects": reject_shards}, seconds=5.1,
                               info={"writer": "gpt-4o-mini", "prompt_version": "write-v2"}))
    reports.append(StageReport("filter", shards={"qa": wq.shards}, seconds=0.2))
    if with_manifest:
        config = {"roots": ROOTS, "out": str(out), "run_id": run_id, "llm": "openai",
                  "llm_config": {"model": "gpt-4o-mini"}}
        manifest = build_manifest(run, config, reports, counters, extra={
            "crawl": reports[0].info,
            "writers": [{"writer": "gpt-4o-mini", "prompt_version": "write-v2"},
                        {"writer": "template", "prompt_version": "tmpl-v1"}]})
        # set after build_manifest: its redact() masks any key containing "token"
        manifest["tokens"] = TOKENS
        write_manifest(run, manifest)
    return run.path


@pytest.fixture(scope="session")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only fixture run shared by the session (copy it before changing it)."""
    return make_run(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def fresh_run(tmp_path: Path) -> Path:
    """A fixture run of the test's own (may be modified)."""
    return make_run(tmp_path / "data")
