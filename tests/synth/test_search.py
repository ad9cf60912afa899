"""The local search index (SQLite FTS5), its persistence, and the pluggable web search."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from pipelines.shards import ShardWriter
from schemas.ids import page_id
from schemas.records import Fact, Link, Page
from synth.search import (
    INDEX_FILE,
    LocalSearchIndex,
    SearchHit,
    SearchRouter,
    StaticWebSearch,
    WebSearch,
    fold,
    fts_query,
    load_web_search,
)

B = "http://127.0.0.1:9/wiki/"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def page(name: str, description: str, text: str = "", facts: list[Fact] | None = None, *,
         final: str | None = None, subject: str | None = None, links: list[Link] | None = None) -> Page:
    url = B + name + ".html"
    return Page(id=page_id(url), url=url, final_url=final or url, root_url=B, depth=1, status=200,
                content_type="text/html", fetched_at=NOW, title=subject or name.replace("_", " "),
                subject=subject if subject is not None else name.replace("_", " "), description=description,
                text=text or description, facts=facts or [], out_links=links or [])


def corpus() -> list[Page]:
    return [
        page("Ulm", "Ulm is a city on the Danube in Baden-Württemberg, Germany.",
             "Ulm is a city on the Danube in Baden-Württemberg, Germany. Albert Einstein was born here.",
             [Fact(key="Country", value="Germany")]),
        page("Albert_Einstein", "Albert Einstein was a German-born theoretical physicist who developed relativity.",
             facts=[Fact(key="Born", value="14 March 1879; Ulm, Germany", links=[B + "Ulm.html"]),
                    Fact(key="Known for", value="Relativity", links=[B + "Relativity.html"])],
             links=[Link(url=B + "Ulm.html", text="city of Ulm")]),
        page("Relativity", "Relativity is a physical theory of space and time developed by Albert Einstein."),
        page("Munich", "Munich is the capital of Bavaria and a city on the Isar."),
        page("Einstein", "", final=B + "Albert_Einstein.html", subject=""),  # a redirect stub
        page("Busted_(Ray_Charles_song)", "Busted is a song recorded by Ray Charles in 1963."),
        page("Broken", "Broken page", subject="Broken").model_copy(update={"status": 404}),
    ]


@pytest.fixture
def index(tmp_path):
    idx = LocalSearchIndex.build(corpus(), tmp_path / INDEX_FILE)
    yield idx
    idx.close()


def test_fts_query_quotes_content_words():
    assert fts_query("What is the city where Einstein was born?") == '"city" OR "einstein" OR "born"'
    assert fts_query("the of and") == ""
    assert fold("Baden-Württemberg's") == "baden wurttemberg s"


def test_title_match_comes_first_then_bm25(index):
    hits = index.search("Albert Einstein", 5)
    assert hits[0].title == "Albert Einstein" and hits[0].match == "title"
    assert {h.title for h in hits} >= {"Albert Einstein", "Relativity"}
    hits = index.search("theoretical physicist relativity", 3)
    assert hits[0].title == "Albert Einstein" and hits[0].match == "text"
    assert hits[0].score > hits[1].score > 0
    assert index.search("", 5) == [] and index.search("zzzqqq", 5) == []


def test_docs_facts_links_and_aliases(index):
    doc = index.doc(B + "Albert_Einstein.html")
    assert doc is not None and doc.subject == "Albert Einstein"
    born = doc.facts[0]
    assert (born.key, born.links) == ("Born", [B + "Ulm.html"])
    assert index.doc(B + "Einstein.html").url == B + "Albert_Einstein.html"  # via the redirect
    aliases = index.aliases()
    assert aliases["einstein"] == [B + "Albert_Einstein.html"]      # redirect name
    assert aliases["busted"] == [B + "Busted_(Ray_Charles_song).html"]  # subject without disambiguation
    assert "broken" not in aliases                                    # a 404 is not indexed
    inbound = index.inbound(B + "Ulm.html")
    assert [(r.src, r.key, r.pos, r.nlinks) for r in inbound] == [(B + "Albert_Einstein.html", "Born", 0, 1)]
    assert index.entities_linking("born", B + "Ulm.html") == {"albert einstein"}
    assert index.entities_with_fact("country", "germany") == {"ulm"}
    assert index.entities_with_description("capital of bavaria") == {"munich"}
    assert index.mentions("Ray Charles") == [B + "Busted_(Ray_Charles_song).html"]
    assert index.entity_key(B + "Einstein.html") == "albert einstein"
    assert len(index) == 5 and index.subject_count() == 5


def test_anchor_texts_are_searchable(index):
    # "city of Ulm" is only the text of a link to Ulm: the anchors column finds it
    assert index.search("city of Ulm", 1)[0].title == "Ulm"


def _write_pages(folder, pages):
    with ShardWriter(folder, Page) as w:
        w.write_all(pages)


def test_persisted_index_is_reused_and_rebuilt_when_pages_change(tmp_path):
    pages_dir = tmp_path / "run" / "pages"
    _write_pages(pages_dir, corpus()[:3])
    idx = LocalSearchIndex.for_pages(pages_dir, tmp_path / "run" / "_index")
    path = idx.path
    assert path == tmp_path / "run" / "_index" / INDEX_FILE and len(idx) == 3
    idx.close()
    mtime = os.stat(path).st_mtime_ns
    again = LocalSearchIndex.for_pages(pages_dir, tmp_path / "run" / "_index")
    assert os.stat(path).st_mtime_ns == mtime and len(again) == 3  # current: not rebuilt
    again.close()
    for p in pages_dir.glob("part-*.parquet"):
        p.unlink()
    _write_pages(pages_dir, corpus())
    fresh = LocalSearchIndex.for_pages(pages_dir, tmp_path / "run" / "_index")
    assert len(fresh) == 5 and not list(path.parent.glob(".tmp-*"))
    fresh.close()
    forced = LocalSearchIndex.for_pages(pages_dir, tmp_path / "run" / "_index", rebuild=True)
    assert len(forced) == 5
    forced.close()


def test_a_stale_or_foreign_file_is_not_trusted(tmp_path):
    bad = tmp_path / "x.sqlite"
    bad.write_bytes(b"not a database")
    with pytest.raises(Exception):  # noqa: B017 - sqlite's own error type
        LocalSearchIndex(bad)
    with pytest.raises(FileNotFoundError):
        LocalSearchIndex(tmp_path / "missing.sqlite")


class RecordingWeb:
    """A user's web search as a test double (what a dotted-path class looks like)."""

    name = "recording"

    def __init__(self, prefix: str = "https://example.org/") -> None:
        self.prefix = prefix
        self.queries: list[str] = []

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        self.queries.append(query)
        return [SearchHit(url=self.prefix + fold(query).replace(" ", "_"), title=query, snippet="s",
                          score=1.0, source="web")]


def test_load_web_search_by_dotted_path():
    w = load_web_search("tests.synth.test_search:RecordingWeb", {"prefix": "https://x.test/"})
    assert isinstance(w, WebSearch) and w.search("Ulm")[0].url == "https://x.test/ulm"
    assert load_web_search("tests.synth.test_search.RecordingWeb").name == "recording"
    with pytest.raises(ValueError, match="cannot load"):
        load_web_search("tests.synth.nope:Missing")
    with pytest.raises(ValueError, match=r"package\.module:Class"):
        load_web_search("NoDots")
    with pytest.raises(ValueError, match="no search"):
        load_web_search("json:JSONDecoder")


def test_static_web_search_replays_recorded_results(tmp_path):
    f = tmp_path / "web.json"
    f.write_text(json.dumps({"Zorbulon Industries": [{"url": "https://z.test/", "title": "Zorbulon",
                                                      "snippet": "Zorbulon Industries is a maker."}]}))
    w = StaticWebSearch(f)
    hits = w.search("zorbulon  industries", 3)
    assert [(h.url, h.source) for h in hits] == [("https://z.test/", "web")]
    assert w.search("other") == [] and w.queries == ["zorbulon  industries", "other"]


def test_router_fallback_and_primary(index):
    web = RecordingWeb()
    fb = SearchRouter(index, web, "fallback")
    assert fb.search("Albert Einstein")[0].source == "local" and web.queries == []
    assert fb.search("Zorbulon")[0].source == "web" and web.queries == ["Zorbulon"]
    assert fb.calls == {"local": 2, "web": 1} and fb.name == "local-fts5+recording"
    pr = SearchRouter(index, web, "primary")
    assert pr.search("Albert Einstein")[0].source == "web"
    doc = pr.doc_for_hit(SearchHit(url="https://nowhere.test/x", title="X", snippet="X is a thing."))
    assert not doc.local and doc.description == "X is a thing."
    assert pr.doc_for_hit(SearchHit(url=B + "Ulm.html", title="Ulm")).local
    with pytest.raises(ValueError):
        SearchRouter(index, web, "sometimes")
    assert SearchRouter(index).search("Munich")[0].title == "Munich"


def test_links_from_pages_and_facts(index):
    assert index.links_from(B + "Albert_Einstein.html") == {B + "Ulm.html", B + "Relativity.html"}
    assert index.links_from(B + "Einstein.html") == index.links_from(B + "Albert_Einstein.html")
    assert index.links_from(B + "Munich.html") == frozenset()
