"""Seed grounding on the fixture site: the page and snippet stating a seed's answer, found before any
rewrite; an ungrounded seed is rejected up front and costs no writer (LLM) call."""

from __future__ import annotations

import json

import pytest

from crawlqa.devserver import FIXTURE_SITE
from pipelines.counters import Counters
from pipelines.e2h import run_e2h
from pipelines.run import RunDir
from pipelines.shards import ShardWriter, iter_records
from schemas.records import Evidence, Page, QARecord, Reject
from synth.e2h import E2HEngine, failure_reject
from synth.e2h.config import E2HConfig
from synth.e2h.grounding import SeedGrounder, states
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.e2h.writers import LLME2HWriter
from synth.llm.client import LLMClient
from synth.search import LocalSearchIndex, SearchRouter, StaticWebSearch
from tests.llm_server import LLMTestServer, config_for, ok

BASE = "http://127.0.0.1:8765"
W = BASE + "/wiki/"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    files = sorted((FIXTURE_SITE / "wiki").glob("*.html"))
    idx = LocalSearchIndex.build(pages_from_files(FIXTURE_SITE, files, BASE),
                                 tmp_path_factory.mktemp("ground") / "search.sqlite")
    yield idx
    idx.close()


# seeds without a URL, each with the page that states its answer (read off the fixture pages)
PRECISION_SET = [
    ("Who founded Lumen Records?", "Agnes Holm", "Lumen_Records"),
    ("Who is the mayor of Halverstad?", "Kaia Renner", "Halverstad"),
    ("In which city was Petra Lind born?", "Dunmoor", "Petra_Lind"),
    ("In what year was Greywater Lighthouse first lit?", "1871", "Greywater_Lighthouse"),
    ("Who designed Greywater Lighthouse?", "Edvard Lunn", "Greywater_Lighthouse"),
    ("How long is the Tamsel River?", "412 km", "Tamsel_River"),
    ("Which record label released Salt and Signal?", "Lumen Records", "Salt_and_Signal"),
    ("In what year was Saltmarsh Studios founded?", "1998", "Saltmarsh_Studios"),
    ("Who preceded Petra Lind as mayor?", "Henrik Falk", "Petra_Lind"),
    ("What is the population of Ostenfeld?", "96,700", "Ostenfeld"),
]


def test_grounding_precision_on_seeds_with_known_pages(index):
    g = SeedGrounder(SearchRouter(index))
    got = []
    for i, (q, a, _page) in enumerate(PRECISION_SET):
        r = g.ground(Seed(f"p{i}", q, a))
        assert r.ok, (q, r.detail)
        assert r.via == "search" and states(a, r.snippet), (q, r)
        got.append(r.url)
    assert got == [W + p + ".html" for _, _, p in PRECISION_SET]


def test_grounding_by_url_evidence_and_fallbacks(index):
    g = SeedGrounder(SearchRouter(index))
    # the seed's own page: its best snippet (an infobox row here) states the answer
    r = g.ground(Seed("u", "Who founded Saltmarsh Studios?", "Elena Marsh", source_url=W + "Saltmarsh_Studios.html"))
    assert (r.ok, r.via, r.url) == (True, "url", W + "Saltmarsh_Studios.html") and "Elena Marsh" in r.snippet
    # evidence that states the answer is enough (a crawl run's single-hop record)
    ev = Evidence(url=W + "Dunmoor.html", text="Founded: 1187")
    r = g.ground(Seed("e", "When was Dunmoor founded?", "1187", source_url=W + "Dunmoor.html", evidence=(ev,)))
    assert (r.ok, r.via, r.url, r.snippet) == (True, "evidence", W + "Dunmoor.html", "Founded: 1187")
    # a page that does not state the answer, or a URL the corpus lacks: the search finds the right page
    for url, why in ((W + "Tamsel_River.html", "its page " + W + "Tamsel_River.html does not state 'Elena Marsh'"),
                     ("http://127.0.0.1:8765/wiki/Nowhere.html", "is not in the corpus")):
        s = Seed("f", "Who founded Lumen Records?", "Agnes Holm", source_url=url)
        r = g.ground(s)
        assert (r.ok, r.via, r.url) == (True, "search", W + "Lumen_Records.html")
        grounded = g.apply(s, r)
        assert (grounded.source_url, grounded.golden_path) == (W + "Lumen_Records.html", (W + "Lumen_Records.html",))
        assert grounded.evidence == (Evidence(url=W + "Lumen_Records.html", text=r.snippet),)
        assert g.ground(Seed("f2", "Who founded Lumen Records?", "Elena Marsh", source_url=url)).detail.count(why) == 1


@pytest.mark.parametrize(("q", "a"), [
    ("Who founded the glassworks in the old town?", "Agnes Holm"),  # no subject named: any page would do
    ("Who founded Lumen Records?", "Elena Marsh"),                  # a wrong answer: no page states it
    ("Which label released Northern Glass?", "Coastline Records"),  # an answer the corpus never states
])
def test_ungrounded_seeds(index, q, a):
    r = SeedGrounder(SearchRouter(index)).ground(Seed("x", q, a))
    assert not r.ok and r.detail.startswith(f"no page states {a!r} about")


def test_web_search_grounds_what_the_corpus_lacks(index):
    q = "Who founded Zorbulon Industries?"
    web = StaticWebSearch(results={q: [
        {"url": "https://z.test/a", "title": "Harmoniums", "snippet": "Agnes Holm sold harmoniums."},
        {"url": "https://z.test/z", "title": "Zorbulon Industries - Wikipedia",
         "snippet": "Zorbulon Industries is a maker of harmoniums. It was founded by Agnes Holm in 1911."}]})
    r = SeedGrounder(SearchRouter(index, web)).ground(Seed("z", q, "Agnes Holm"))
    # the first hit states the answer but not about the question's subject
    assert (r.ok, r.via, r.url, r.snippet) == (True, "web", "https://z.test/z", "It was founded by Agnes Holm in 1911.")
    assert not SeedGrounder(SearchRouter(index)).ground(Seed("z", q, "Agnes Holm")).ok


def responder(call):
    system, user = call.messages[0]["content"], call.user_text
    if "definite description" in system:
        return ok({"description": "the third studio album by Norvanian singer-songwriter Mira Volkova"})
    q = next(ln for ln in user.splitlines() if ln.startswith("Question: "))[len("Question: "):]
    return ok({"question": q.replace("Northern Glass", "the third studio album by Norvanian singer-songwriter "
                                                      "Mira Volkova")})


UNGROUNDED = Seed("u1", "Who founded the glassworks in the old town?", "Agnes Holm")
GROUNDED = Seed("g1", "When was Northern Glass released?", "19 April 2013")


def test_ungrounded_seed_costs_no_llm_call(index, tmp_path):
    with LLMTestServer(responder=responder) as srv:
        client = LLMClient(config_for(srv, tmp_path / "cache.sqlite"))
        try:
            c = Counters()
            eng = E2HEngine(SearchRouter(index), LLME2HWriter(client), E2HConfig(rounds=1, one_search_gate=False), c, run_id="r")
            (bad,) = list(eng.run([UNGROUNDED]))
            assert srv.chat_calls == []  # rejected before the writer was asked anything
            assert (bad.record, bad.failure.round, bad.failure.reason) == (None, 0, "seed_ungrounded")
            assert c.get("e2h/dropped/seed_ungrounded") == 1 and c.get("e2h/seeds/ungrounded") == 1
            rej = failure_reject(bad, "r")
            assert (rej.stage, rej.reason, rej.record_id) == ("e2h", "seed_ungrounded", "u1")
            assert rej.detail.startswith("seed: no page states 'Agnes Holm'")

            outs = list(eng.run([UNGROUNDED, GROUNDED]))
            calls = srv.chat_calls
            assert calls and all("glassworks" not in call.user_text for call in calls)
            assert all("Northern Glass" in call.user_text for call in calls)
            assert outs[0].failure.reason == "seed_ungrounded" and outs[1].record is not None
            rec = outs[1].record
            assert rec.answer == "19 April 2013" and states(rec.answer, rec.evidence[0].text)
            assert json.loads(rec.meta_json)["grounding"] == {"via": "search", "url": W + "Northern_Glass.html"}
        finally:
            client.close()


def test_stage_writes_the_ungrounded_reject(tmp_path):
    corpus = RunDir(tmp_path / "data", "crawl").create()
    files = sorted((FIXTURE_SITE / "wiki").glob("*.html"))
    with ShardWriter(corpus.sub("pages"), Page, relative_to=corpus.path) as w:
        w.write_all(pages_from_files(FIXTURE_SITE, files, BASE))
    f = tmp_path / "seeds.jsonl"
    f.write_text("\n".join(json.dumps(d) for d in [
        {"question": UNGROUNDED.question, "answer": UNGROUNDED.answer},
        {"question": GROUNDED.question, "answers": [GROUNDED.answer, "April 2013"]},
    ]) + "\n")
    run = RunDir(tmp_path / "data", "e2h").create()
    rep = run_e2h(run, seeds=f, corpus=corpus, cfg=E2HConfig(rounds=1, one_search_gate=False), counters=Counters(), run_id="e2h")
    rejects = list(iter_records(run.sub("rejects"), Reject))
    assert [r.reason for r in rejects] == ["seed_ungrounded"]
    assert rep.counters["e2h/dropped/seed_ungrounded"] == 1 and rep.counters["e2h/seeds/grounded/search"] == 1
    (rec,) = list(iter_records(run.sub("drafts"), QARecord))
    assert (rec.answer, rec.aliases) == ("19 April 2013", ["April 2013"])
    assert rec.evidence[0].url == W + "Northern_Glass.html" and states(rec.answer, rec.evidence[0].text)


FAST_CRAWL = {"download_delay": 0.0, "autothrottle": False, "offline_dns": True, "extract_workers": 1,
              "timeout": 5, "retries": 0}


@pytest.fixture
def served():
    from crawlqa.devserver import serve

    with serve(FIXTURE_SITE) as site:  # the fixture site on a free loopback port
        yield site


def test_seed_url_outside_the_corpus_is_fetched_through_the_crawler(served, tmp_path):
    from crawlers.config import CrawlConfig

    fixture_site = served
    base = fixture_site.url.rstrip("/")
    corpus = RunDir(tmp_path / "data", "crawl").create()
    files = [f for f in sorted((FIXTURE_SITE / "wiki").glob("*.html")) if f.name != "Lumen_Records.html"]
    with ShardWriter(corpus.sub("pages"), Page, relative_to=corpus.path) as w:
        w.write_all(pages_from_files(FIXTURE_SITE, files, base))
    f = tmp_path / "seeds.jsonl"
    f.write_text(json.dumps({"question": "In what year was Lumen Records founded?", "answer": "2001",
                             "url": base + "/wiki/Lumen_Records.html"}) + "\n")
    cfg = dict(rounds=1, one_search_gate=False)
    # fetching off (the default): the corpus lacks the page and nothing else states the answer
    run = RunDir(tmp_path / "data", "off").create()
    before = fixture_site.requests
    rep = run_e2h(run, seeds=f, corpus=corpus, cfg=E2HConfig(**cfg), counters=Counters(), run_id="off",
                  crawl_cfg=CrawlConfig(**FAST_CRAWL))
    assert fixture_site.requests == before  # nothing was fetched
    assert rep.counters["e2h/dropped/seed_ungrounded"] == 1
    (rej,) = [r for r in iter_records(run.sub("rejects"), Reject)]
    assert rej.reason == "seed_ungrounded" and "is not in the corpus" in rej.detail
    # fetching on: the crawler fetches that one page (depth 0) into the run, and the seed is grounded by it
    run = RunDir(tmp_path / "data", "on").create()
    rep = run_e2h(run, seeds=f, corpus=corpus, cfg=E2HConfig(**cfg, fetch_seed_urls=True), counters=Counters(),
                  run_id="on", crawl_cfg=CrawlConfig(**FAST_CRAWL))
    assert rep.counters["e2h/seeds/url_not_in_corpus"] == 1 and rep.counters["e2h/seeds/fetched"] == 1
    assert rep.counters["e2h/seeds/grounded/url"] == 1
    (page,) = list(iter_records(run.sub("seed_pages"), Page))
    assert page.url == base + "/wiki/Lumen_Records.html" and page.depth == 0
    recs = list(iter_records(run.sub("drafts"), QARecord))
    assert all(r.evidence[0].url == page.url and states("2001", r.evidence[0].text) for r in recs)
    assert rep.counters.get("e2h/dropped/seed_ungrounded", 0) == 0
