"""Chronology steps the second final hand audit of issue 16 found ambiguous (9-12 of 13 ambiguous multi-hop
questions over the Ray Charles crawl): "the album that Ray Charles released just before/after X".

The infobox chronology boxes of the 1957-59 albums (The Great Ray Charles → Ray Charles at Newport → Yes
Indeed! → Soul Brothers → What'd I Say) disagree with the release dates the same pages state (Soul
Brothers June 1958, Yes Indeed! October 1958, Newport November 1958), with Ray_Charles_discography.html's
"The Atlantic years" table and with the navigation box's "Studio albums" list, which also names Ray
Charles Greatest Hits (1962) between The Genius After Hours and Modern Sounds. A step is asked only when
nothing the crawl states contradicts it (``synth.chronology.ReleaseOrder``, the one rule the miners'
``Graph.chronology_conflict``, the entity graph's ``chronology_ok`` and E2HQA ask).

The pages under ``pages/wiki-raycharles-2015-chronology/A`` are the shared corpus's saved pages with
scripts, styles and reference lists removed (infoboxes, tables and navigation boxes unchanged).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.counters import Counters
from schemas.records import Page, QARecord, Reject
from synth.assemble import to_record
from synth.chronology import compare, release_date
from synth.config import SynthConfig
from synth.graph.entities import build_entity_graph
from synth.mine import build_graph, mine
from synth.miners.base import Graph, MineContext
from synth.writers.template import TemplateWriter
from tests.synth.conftest import FileSite, walk

PAGES = Path(__file__).resolve().parent / "pages" / "wiki-raycharles-2015-chronology"
BASE = "http://127.0.0.1:8000"
A = f"{BASE}/A/"


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    got = walk(FileSite(PAGES, BASE), [f"{A}Ray_Charles_discography.html"], max_depth=1, site="wikipedia")
    assert len(got) == 12  # the album pages, the discography, David "Fathead" Newman (its navbox link)
    return got


@pytest.fixture(scope="module")
def graph(pages: list[Page]) -> Graph:
    return build_graph(pages, MineContext(SynthConfig(), Counters(), lambda r: None))


def step(graph: Graph, early: str, late: str) -> str:
    a, b = graph.get(A + early), graph.get(A + late)
    assert a is not None and b is not None
    assert any(f.key == "Next album" and graph.get(f.links[0]) is b for f in a.facts if f.links)  # the box's step
    return graph.chronology_conflict(a, "Next album", b)


def test_release_dates_at_the_precision_stated() -> None:
    assert release_date("October, 1958") == (1958, 10, None)  # Yes Indeed!'s infobox
    assert release_date("November 1958") == (1958, 11, None)
    assert release_date("October 1, 1991") == (1991, 10, 1)
    assert release_date("1957, 1962") == (1957, None, None)  # the first (original) release
    assert compare((1958, 6, None), (1958, 10, None)) == -1
    assert compare((1962, None, None), (1962, 4, None)) is None  # same year, no month: cannot tell


def test_a_step_the_dates_contradict_is_not_asked(graph: Graph) -> None:
    # audit: "…the album that Ray Charles released just after the live album “Ray Charles at Newport”"
    # (Newport → Yes Indeed! → Soul Brothers): Newport's own infobox dates it after Yes Indeed!
    assert step(graph, "Ray_Charles_at_Newport.html", "Yes_Indeed!_(Ray_Charles_album).html") == (
        "dates: Ray Charles at Newport released November 1958 (Ray_Charles_at_Newport.html infobox) after "
        "Yes Indeed! (Ray Charles album) October 1958 (Yes_Indeed!_(Ray_Charles_album).html infobox)")
    assert step(graph, "Yes_Indeed!_(Ray_Charles_album).html", "Soul_Brothers.html") == (
        "dates: Yes Indeed! (Ray Charles album) released October 1958 (Yes_Indeed!_(Ray_Charles_album).html "
        "infobox) after Soul Brothers June 1958 (Soul_Brothers.html infobox)")
    # audit: "…just before the studio album “What'd I Say”" → Soul Brothers; Newport (Nov 1958) falls between
    assert step(graph, "Soul_Brothers.html", "What'd_I_Say_(album).html") == (
        "dates: Ray Charles at Newport (November 1958, Ray_Charles_at_Newport.html infobox) may fall between "
        "Soul Brothers (June 1958) and What'd I Say (album) (October 1959)")
    # a record dated only by its year may fall anywhere in it: Greatest Hits (1962) vs Modern Sounds (April 1962)
    assert step(graph, "The_Genius_After_Hours.html", "Modern_Sounds_in_Country_and_Western_Music.html").startswith(
        "dates: Ray Charles Greatest Hits (1962, Ray_Charles_Greatest_Hits.html infobox) may fall between")


def test_a_step_an_ordered_list_contradicts_is_not_asked(graph: Graph) -> None:
    order = graph.release_order()

    def lst(early: str, late: str) -> str:
        return order.list_conflict(graph.get(A + early), graph.get(A + late), "album")

    # audit: "…just before the album that includes the single “I Can't Stop Loving You”": the navigation
    # box's Studio albums list puts Ray Charles Greatest Hits between After Hours and Modern Sounds
    # (the same navigation box is on every page: the first page by URL is named)
    assert lst("The_Genius_After_Hours.html", "Modern_Sounds_in_Country_and_Western_Music.html").endswith(
        ".html › Ray Charles navigation box › Studio albums: "
        "Ray Charles Greatest Hits between The Genius After Hours and Modern Sounds in Country and Western Music")
    # audit: "…two before the live album “Ray Charles in Person”": the discography table lists The Original
    # and The Fabulous Ray Charles between The Genius of Ray Charles and In Person
    assert lst("The_Genius_of_Ray_Charles.html", "Ray_Charles_in_Person.html") == (
        "ordered list Ray_Charles_discography.html › Albums › The Atlantic years: The Original Ray Charles, "
        "The Fabulous Ray Charles between The Genius of Ray Charles and Ray Charles in Person")
    assert lst("Ray_Charles_at_Newport.html", "Yes_Indeed!_(Ray_Charles_album).html") == (
        "ordered list Ray_Charles_discography.html › Albums › The Atlantic years: Yes Indeed! (Ray Charles album) "
        "before Ray Charles at Newport")
    assert lst("The_Great_Ray_Charles.html", "Ray_Charles_at_Newport.html").endswith(
        "Yes Indeed! (Ray Charles album), Soul Brothers between The Great Ray Charles and Ray Charles at Newport")


def test_a_step_every_source_agrees_on_is_still_asked(graph: Graph) -> None:
    # What'd I Say (October 1959) → The Genius of Ray Charles (October 1959): adjacent in the table and the
    # navigation box, no other record dated 1959 or October 1959
    assert step(graph, "What'd_I_Say_(album).html", "The_Genius_of_Ray_Charles.html") == ""


@pytest.fixture(scope="module")
def mined(pages: list[Page]) -> tuple[list[QARecord], list[Reject], Counters]:
    counters, rejects = Counters(), []
    cands = list(mine(pages, SynthConfig(), counters, rejects.append))
    created = datetime(2026, 12, 6, tzinfo=UTC)
    records = [to_record(w, writer_name="template", prompt_version="t", run_id="regression", created_at=created)
               for w in TemplateWriter().write(cands) if w.ok]
    return records, rejects, counters


def test_multi_hop_walks_only_uncontested_steps_and_counts_the_drops(mined) -> None:
    records, rejects, counters = mined
    steps = [r for r in records if r.type == "multi_hop" and "released just" in r.question]
    assert steps  # What'd I Say → The Genius of Ray Charles is still walked
    contested = {"Ray_Charles_at_Newport.html", "Yes_Indeed!_(Ray_Charles_album).html", "Soul_Brothers.html",
                 "The_Great_Ray_Charles.html", "The_Genius_After_Hours.html", "Ray_Charles_in_Person.html",
                 "Modern_Sounds_in_Country_and_Western_Music.html"}
    bad = [(r.question, r.answer) for r in steps if {u.rsplit("/", 1)[-1] for u in r.source_urls} & contested]
    assert not bad, bad
    dropped = [r for r in rejects if r.stage == "mine" and r.reason == "chronology_conflict"]
    assert any(r.url.endswith("/Ray_Charles_at_Newport.html") and "after Yes Indeed!" in r.detail for r in dropped)
    assert any(r.url.endswith("/The_Genius_After_Hours.html") and "Ray Charles Greatest Hits" in r.detail
               for r in dropped)
    assert counters.get("mine/dropped/chronology_conflict") == len(dropped)
    # every drop says which source contradicts the step (single-hop "Which album did … release just
    # after …" drops too)
    assert all(r.detail for r in dropped), [r.url for r in dropped if not r.detail]
    assert any('"key": "Next album"' in r.payload_json and r.url.endswith("/Soul_Brothers.html")
               and "Ray Charles at Newport (November 1958" in r.detail for r in dropped)


def test_entity_graph_asks_the_same_rule(graph: Graph) -> None:
    eg = build_entity_graph(iter(graph))
    eg.release_order = graph.release_order()  # as the obfuscated miner sets it
    idx = {e.url.rsplit("/", 1)[-1]: e.idx for e in eg if not e.open_record}  # a page, not what it lists
    assert not eg.chronology_ok(idx["Ray_Charles_at_Newport.html"], "next", idx["Yes_Indeed!_(Ray_Charles_album).html"])
    assert not eg.chronology_ok(idx["Modern_Sounds_in_Country_and_Western_Music.html"], "previous",
                                idx["The_Genius_After_Hours.html"])
    assert eg.chronology_ok(idx["What'd_I_Say_(album).html"], "next", idx["The_Genius_of_Ray_Charles.html"])


def test_a_persons_discography_list_is_an_ordered_dated_record_list() -> None:
    # David "Fathead" Newman's "Discography › As leader" list: 'Fathead: Ray Charles Presents David
    # 'Fathead' Newman (1960) Atlantic Records 1304', 'The Sound of the Wide Open Spaces!!!! with James Clay
    # (1960) Riverside …': his albums in order, each with its year ("As sideman" lists are other artists')
    root = f"{A}David_%22Fathead%22_Newman.html"
    g = build_graph(walk(FileSite(PAGES, BASE), [root], max_depth=0, site="wikipedia"),
                    MineContext(SynthConfig(), Counters(), lambda r: None))
    order = g.release_order()
    (leader,) = order.lists[("david fathead newman", "album")]
    assert leader.where == "David_%22Fathead%22_Newman.html › Discography › As leader"
    assert leader.keys[:3] == [f"url:{A}Fathead_(album).html", "name:the sound of the wide open spaces with james clay",
                               "name:straight ahead"]
    recs = order.records[("david fathead newman", "album")]
    assert [(recs[k].label, recs[k].dates[0][0]) for k in leader.keys[1:3]] == [
        ("The Sound of the Wide Open Spaces!!!! with James Clay", (1960, None, None)),
        ("Straight Ahead", (1961, None, None))]


def test_e2hqa_asks_the_same_dates(pages: list[Page], tmp_path: Path) -> None:
    # E2HQA's chronology clues ("the album whose previous album is X") go through the same rule over its
    # search index: the index holds each page's facts (rows and release dates), not its lists, so the date
    # conflicts hold there too (Soul Brothers, June 1958, is no 'next album' of Yes Indeed!, October 1958)
    from synth.e2h.clues import chronology_conflict
    from synth.search import LocalSearchIndex

    index = LocalSearchIndex.build(pages, tmp_path / "search.sqlite")
    try:
        src, dst = A + "Yes_Indeed!_(Ray_Charles_album).html", A + "Soul_Brothers.html"
        assert any(f.key == "Next album" for p in pages if p.url == src for f in p.facts)
        why = chronology_conflict(index, src, "Next album", dst)
        assert why and "Soul Brothers" in why, why
        # a step every source agrees on stays askable
        assert chronology_conflict(index, A + "What'd_I_Say_(album).html", "Next album",
                                   A + "The_Genius_of_Ray_Charles.html") == ""
    finally:
        index.close()
