"""The e2h stage runner: corpus run → index in the run folder → drafts + rejects shards."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crawlqa.devserver import FIXTURE_SITE
from pipelines.counters import Counters
from pipelines.e2h import BLOCK, run_e2h
from pipelines.run import RunDir
from pipelines.shards import ShardWriter, file_sha256, iter_records, shard_paths
from schemas.ids import qa_id
from schemas.records import Evidence, Page, QARecord, Reject
from synth.e2h.config import E2HConfig
from synth.e2h.pages import pages_from_files
from synth.search import INDEX_FILE

BASE = "http://127.0.0.1:8765"
W = BASE + "/wiki/"
T0 = datetime(2026, 1, 2, tzinfo=UTC)


def single_hop(q: str, a: str, page: str, evidence: str) -> QARecord:
    url = W + page + ".html"
    return QARecord(id=qa_id("single_hop", q, a, [url]), type="single_hop", question=q, answer=a,
                    root_url=W + "index.html", source_urls=[url], golden_path=[W + "index.html", url],
                    evidence=[Evidence(url=url, text=evidence)], hops=1, writer="template", prompt_version="v1",
                    run_id="crawl", created_at=T0)


SEEDS = [
    single_hop("When was Northern Glass released?", "19 April 2013", "Northern_Glass", "Released: 19 April 2013"),
    single_hop("What is the elevation of Kestrel Bay?", "6 m", "Kestrel_Bay", "Elevation: 6 m (20 ft)"),
    single_hop("When was Jonas Brandt born?", "2 June 1976", "Jonas_Brandt", "Born: 2 June 1976"),
    single_hop("In which country is Kestrel Bay?", "Norvania", "Kestrel_Bay", "Country: Norvania"),
    single_hop("Who founded the glassworks in the old town?", "Agnes Holm", "Lumen_Records", "..."),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> RunDir:
    run = RunDir(tmp_path_factory.mktemp("data"), "crawl").create()
    files = sorted((FIXTURE_SITE / "wiki").glob("*.html"))
    with ShardWriter(run.sub("pages"), Page, relative_to=run.path) as w:
        w.write_all(pages_from_files(FIXTURE_SITE, files, BASE))
    with ShardWriter(run.sub("qa"), QARecord, relative_to=run.path) as w:
        w.write_all(SEEDS)
    return run


def test_stage_from_corpus_single_hop_records(corpus, tmp_path):
    run = RunDir(tmp_path, "e2h").create()
    counters = Counters({"crawl/pages": 27})
    rep = run_e2h(run, seeds=None, corpus=corpus, cfg=E2HConfig(rounds=2, one_search_gate=False), counters=counters, run_id="e2h",
                  created_at=T0)
    assert (run.path / "_index" / INDEX_FILE).is_file()
    assert [p.name for p in shard_paths(run.sub("drafts"))] == [f"part-{BLOCK}.parquet"]
    assert [p.name for p in shard_paths(run.sub("rejects"))] == [f"part-{BLOCK}.parquet"]
    drafts = list(iter_records(run.sub("drafts"), QARecord))
    assert len(drafts) == 4 and all(d.type == "e2h" and d.run_id == "e2h" and d.created_at == T0 for d in drafts)
    assert sorted(d.difficulty for d in drafts) == [2, 2, 2, 2]
    by_seed = {d.candidate_id: d for d in drafts}
    ng = by_seed[SEEDS[0].id]
    assert ng.question == "When was the notable work of the producer born in Halverstad released?"
    assert ng.evidence[0] == SEEDS[0].evidence[0] and ng.source_urls[:2] == SEEDS[0].golden_path
    rejects = list(iter_records(run.sub("rejects"), Reject))
    assert [r.reason for r in rejects] == ["no_entity"]
    assert all(r.stage == "e2h" and r.run_id == "e2h" for r in rejects)
    assert rep.stage == "e2h" and rep.info["kept"] == 4 and rep.info["by_difficulty"] == {"2": 4}
    assert rep.info["seeds_from"].endswith("/qa") and rep.info["writer"] == "template"
    assert rep.counters["e2h/seeds/total"] == 5 and counters.get("e2h/kept") == 4
    assert counters.get("crawl/pages") == 27  # the run's counters keep theirs; e2h's are added once
    assert sum(s.rows for s in rep.shards["drafts"]) == 4 and rep.shards["drafts"][0].path == "drafts/part-40000.parquet"

    # a re-run clears its own block and writes the same bytes (index reused, not rebuilt)
    first = {p.name: file_sha256(p) for p in shard_paths(run.sub("drafts")) + shard_paths(run.sub("rejects"))}
    index_mtime = (run.path / "_index" / INDEX_FILE).stat().st_mtime_ns
    with ShardWriter(run.sub("drafts"), QARecord, start_index=BLOCK + 1) as w:  # a stale shard of ours
        w.write(drafts[0])
    with ShardWriter(run.sub("drafts"), QARecord, start_index=7) as w:  # another stage's shard stays
        w.write(drafts[0])
    run_e2h(run, seeds=None, corpus=corpus, cfg=E2HConfig(rounds=2, one_search_gate=False), counters=Counters(), run_id="e2h",
            created_at=T0)
    again = {p.name: file_sha256(p) for p in shard_paths(run.sub("drafts")) + shard_paths(run.sub("rejects"))
             if p.name != "part-00007.parquet"}
    assert again == first and (run.sub("drafts") / "part-00007.parquet").exists()
    assert (run.path / "_index" / INDEX_FILE).stat().st_mtime_ns == index_mtime


def test_stage_with_a_user_seed_file_with_bad_rows(corpus, tmp_path):
    f = tmp_path / "seeds.jsonl"
    f.write_text("\n".join([
        json.dumps({"question": "How long is the Tamsel River?", "answer": "412 km",
                    "url": W + "Tamsel_River.html"}),
        "{oops",
        json.dumps({"question": "Who is the mayor of Dunmoor?"}),
        json.dumps({"question": "How long is the Tamsel River?", "answer": "412 km"}),
    ]) + "\n")
    run = RunDir(tmp_path, "e2h-file").create()
    c = Counters()
    rep = run_e2h(run, seeds=f, corpus=corpus, cfg=E2HConfig(rounds=3, one_search_gate=False), counters=c, run_id="e2h-file")
    (rec,) = list(iter_records(run.sub("drafts"), QARecord))
    assert rec.difficulty == 3 and rec.answer == "412 km" and rec.source_urls[0] == W + "Tamsel_River.html"
    assert "Tamsel River" not in rec.question
    rejects = sorted(iter_records(run.sub("rejects"), Reject), key=lambda r: r.detail)
    assert [(r.reason, r.detail.split(": ")[0]) for r in rejects] == [
        ("bad_seed/unparsable", "seeds.jsonl:2"), ("bad_seed/missing_answer", "seeds.jsonl:3"),
        ("bad_seed/duplicate", "seeds.jsonl:4")]
    assert rejects[0].detail.startswith("seeds.jsonl:2: invalid JSON")
    assert json.loads(rejects[0].payload_json) == {"where": "seeds.jsonl:2", "row": "{oops"}
    assert c.get("e2h/dropped/bad_seed/unparsable") == 1 and c.get("e2h/seeds/total") == 4
    assert rep.info["seeds_from"] == str(f)


def test_stage_plugs_a_web_search_by_dotted_path(corpus, tmp_path):
    web = tmp_path / "web.json"
    web.write_text(json.dumps({
        "Zorbulon Industries": [{"url": "https://z.test/z", "title": "Zorbulon Industries",
                                 "snippet": "Zorbulon Industries is a maker of harmoniums."}],
        # the seed is grounded by the web search too: no local page states its answer
        "Who founded Zorbulon Industries?": [{"url": "https://z.test/z", "title": "Zorbulon Industries",
                                              "snippet": "Zorbulon Industries was founded by Agnes Holm in 1911."}]}))
    f = tmp_path / "seeds.csv"
    f.write_text("question,answer\nWho founded Zorbulon Industries?,Agnes Holm\n")
    run = RunDir(tmp_path, "e2h-web").create()
    cfg = E2HConfig(rounds=1, web_search="synth.search:StaticWebSearch", web_search_options={"path": str(web)})
    rep = run_e2h(run, seeds=f, corpus=corpus, cfg=cfg, counters=Counters(), run_id="e2h-web")
    assert rep.info["search"] == "local-fts5+static-web" and rep.info["search_calls"]["web"] >= 1
    (rej,) = list(iter_records(run.sub("rejects"), Reject))  # the description is not unique locally
    assert rej.reason == "not_unique"
    assert rep.counters["e2h/seeds/grounded/web"] == 1


def test_stage_needs_pages(tmp_path):
    empty = RunDir(tmp_path, "empty").create()
    with pytest.raises(FileNotFoundError, match="no pages"):
        run_e2h(RunDir(tmp_path, "x").create(), seeds=None, corpus=empty, cfg=E2HConfig(), counters=Counters(),
                run_id="x")
