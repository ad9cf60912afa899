"""COUNT miner: counts computed from page structure, items as evidence, drops with their reason."""

from __future__ import annotations

import json
from pathlib import Path

from crawlers.facts import extract_structure
from pipelines.counters import Counters
from schemas.ids import stable_hash
from schemas.records import Enumeration, Reject
from synth.config import SynthConfig
from synth.miners.base import Graph, MineContext, Node
from synth.miners.count import CountMiner
from tests.synth.conftest import HTML_DIR, make_page

KIWIX = "http://127.0.0.1:8765/wiki-raycharles-2015/A/"


def run(pages, cfg: SynthConfig | None = None):
    rejects: list[Reject] = []
    counters = Counters()
    ctx = MineContext(cfg or SynthConfig(), counters, rejects.append)
    graph = Graph(Node.from_page(p) for p in pages)
    return list(CountMiner().mine(graph, ctx)), rejects, counters


def page_from_html(name: str, url: str, site: str):
    s = extract_structure((Path(HTML_DIR) / name).read_text(encoding="utf-8"), url, site)
    return make_page(url, s.subject, facts=s.facts, enumerations=s.enumerations, site=site)


def test_counts_of_a_kiwix_album_page() -> None:
    url = KIWIX + "The_Genius_of_Ray_Charles.html"
    cands, rejects, counters = run([page_from_html("wiki_album_kiwix.html", url, "wikipedia")])
    got = {(json.loads(c.slots_json)["section"], c.relation): c.answer for c in cands}
    assert got == {
        ("Infobox", "Genre"): "3",
        ("Infobox", "Producer"): "2",
        ("Track listing › Side one", "Side one"): "3",
        ("Track listing › Side two", "Side two"): "2",
        ("Personnel › Side one", "Side one"): "5",
        ("Personnel › Side two", "Side two"): "4",
    }
    # the Ray Charles navbox is counted on the Ray Charles article only
    assert [r.reason for r in rejects] == ["navbox_elsewhere"]
    assert counters.get("mine/dropped/navbox_elsewhere") == 1
    c = next(c for c in cands if c.relation == "Genre")
    assert c.type == "count" and c.miner == "count" and c.hops == 1
    assert c.source_urls == [url] and c.golden_path == [url]
    assert c.evidence[0].url == url
    assert c.evidence[0].text == ("The Genius of Ray Charles — Infobox:\n- Swingin' pop\n- traditional pop\n"
                                  "- rhythm and blues")
    assert c.id == stable_hash("count", [e.model_dump() for e in c.evidence], "3")
    slots = json.loads(c.slots_json)
    assert slots["items"] == ["Swingin' pop", "traditional pop", "rhythm and blues"]
    assert slots["noun"] == "genres" and slots["page_ref"] == "the Wikipedia article “The Genius of Ray Charles”"


def test_counts_of_arxiv_and_github_pages() -> None:
    arxiv = page_from_html("arxiv_abs.html", "https://arxiv.org/abs/0704.0688", "arxiv")
    gh = page_from_html("github_repo.html", "https://github.com/nimbus-labs/tidepool", "github")
    cands, rejects, counters = run([arxiv, gh])
    got = {(c.source_urls[0].split("/")[-1], json.loads(c.slots_json)["kind"], c.relation): c.answer for c in cands}
    assert got == {
        ("0704.0688", "authors", "authors"): "2",
        ("0704.0688", "subjects", "subjects"): "4",
        ("tidepool", "list", "Supported sources"): "4",
        ("tidepool", "table", "Benchmarks"): "2",
    }
    # versions, topics and the language breakdown change on the live site: not counted (issue 16)
    volatile = sorted(json.loads(r.payload_json)["label"] for r in rejects if r.reason == "volatile")
    assert volatile == ["languages", "topics", "versions"]
    assert counters.get("mine/dropped/volatile") == 3


def test_drop_reasons() -> None:
    e = Enumeration
    p = make_page("http://h/a.html", "Alpha", enumerations=[
        e(kind="list", label="Members", section="Members", items=["x"]),                      # 1 item
        e(kind="list", label="Tracks", section="Tracks", items=[str(i) for i in range(60)]),  # 60 items
        e(kind="list", label="Features", section="README › Features", items=["a", "b"]),
        e(kind="list", label="Features", section="README › Features", items=["c", "d", "e"]),  # same label twice
        e(kind="list", label="L" * 90, section="S", items=["a", "b"]),
        e(kind="list", label="Albums", section="Albums", items=["a", "b", "c"]),              # kept
    ])
    cands, rejects, counters = run([p])
    assert [c.relation for c in cands] == ["Albums"]
    assert sorted(r.reason for r in rejects) == ["ambiguous_label", "ambiguous_label", "count_out_of_range",
                                                 "count_out_of_range", "label_too_long"]
    assert counters.get("mine/dropped/count_out_of_range") == 2
    assert all(r.stage == "mine" and r.url == "http://h/a.html" for r in rejects)


def test_same_navbox_on_many_pages_is_counted_once_on_its_own_page() -> None:
    box = Enumeration(kind="navbox", label="Live albums", section="Ray Charles navigation box", items=["a", "b", "c"])
    pages = [make_page(f"http://h/{n}.html", name, enumerations=[box])
             for n, name in (("x", "Some Album"), ("rc", "Ray Charles"), ("y", "Other Album"))]
    cands, rejects, _ = run(pages)
    assert [c.source_urls[0] for c in cands] == ["http://h/rc.html"]
    assert sorted(r.reason for r in rejects) == ["duplicate_enumeration", "duplicate_enumeration"]


def test_bounds_come_from_the_config() -> None:
    p = make_page("http://h/a.html", "Alpha", enumerations=[
        Enumeration(kind="list", label="Albums", section="Albums", items=["a", "b", "c"])])
    assert run([p], SynthConfig(min_count=4))[0] == []
    assert len(run([p], SynthConfig(min_count=3, max_count=3))[0]) == 1
