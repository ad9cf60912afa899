"""INTERSECTION miner: the program computes the items two enumerations share."""

from __future__ import annotations

import json

from pipelines.counters import Counters
from schemas.records import Enumeration, Reject
from synth.config import SynthConfig
from synth.miners.base import Graph, MineContext, Node
from synth.miners.intersection import IntersectionMiner, group_of
from synth.text import item_key, item_name
from tests.synth.conftest import make_page
from tests.synth.test_miners_count import KIWIX, page_from_html

H = "http://127.0.0.1:8000/"


def run(pages, **cfg):
    rejects: list[Reject] = []
    ctx = MineContext(SynthConfig(**cfg), Counters(), rejects.append)
    return list(IntersectionMiner().mine(Graph(Node.from_page(p) for p in pages), ctx)), rejects


def personnel(url: str, name: str, sides: dict[str, list[str]]):
    return make_page(url, name, enumerations=[
        Enumeration(kind="list", label=side, section=f"Personnel › {side}", items=items) for side, items in sides.items()])


def test_item_names_and_groups() -> None:
    assert item_name("Clark Terry - trumpet") == "Clark Terry"
    assert item_name("Quincy Jones – arranger, conductor") == "Quincy Jones"
    assert item_name("Sleeve notes: Nat Hentoff") == "Nat Hentoff"
    assert item_name("Crawling for Questions: Mining QA") == "Crawling for Questions: Mining QA"
    assert item_name('"Hit the Road Jack" (1961)') == "Hit the Road Jack"
    assert item_key("ABC-435") == "abc 435" and item_key("335") == ""
    # "Side one" under "Personnel" is in the group of the "Personnel" list itself (one page's lists
    # under one heading are one set: tests/regression/test_audit_final_intersection.py)
    assert group_of("Side one", "Personnel › Side one") == group_of("Personnel", "Personnel") \
        == ("credited person", "Personnel")
    assert group_of("Synopsis", "Release › Synopsis") == ("§release", "Release")  # a film's, no "releases"
    assert group_of("Genre", "Infobox") == ("genre", "Genre")
    assert group_of("Genres", "Infobox") == ("genre", "Genres")


def test_two_albums_share_personnel_across_sides() -> None:
    genius = page_from_html("wiki_album_kiwix.html", KIWIX + "The_Genius_of_Ray_Charles.html", "wikipedia")
    other = personnel(KIWIX + "Genius_Soul_Jazz.html", "Genius + Soul = Jazz", {
        "Side A": ["Ray Charles – Hammond organ", "Clark Terry – trumpet", "Ralph Burns – arranger",
                      "Phil Woods – alto saxophone"]})
    cands, _ = run([genius, other])
    (c,) = [c for c in cands if c.relation == "Personnel"]
    slots = json.loads(c.slots_json)
    # "Ray Charles" is shared too but names the Genius page's subject: set aside, not an answer
    assert slots["shared"] == ["Clark Terry", "Ralph Burns"] and slots["excluded"] == ["Ray Charles"]
    assert c.answer == "Clark Terry and Ralph Burns"
    assert c.type == "intersection" and c.hops == 2
    assert sorted(c.source_urls) == [KIWIX + "Genius_Soul_Jazz.html", KIWIX + "The_Genius_of_Ray_Charles.html"]
    genius_side = slots["a"] if slots["a"]["url"].endswith("Ray_Charles.html") else slots["b"]
    assert genius_side["sections"] == ["Personnel › Side one", "Personnel › Side two"]
    assert len(genius_side["raw"]) == 8 and len(genius_side["items"]) == 7  # 5 + 4 entries, Ray Charles once
    assert genius_side["items"][:3] == ["Clark Terry", "Marcus Belgrave", 'David "Fathead" Newman']
    assert {e.url for e in c.evidence} == set(c.source_urls)
    for e in c.evidence:
        assert "Clark Terry" in e.text and "Ralph Burns" in e.text


def test_two_papers_share_authors() -> None:
    a = make_page(H + "abs/1", "Paper one", site="arxiv", enumerations=[
        Enumeration(kind="authors", label="authors", section="Authors", items=["Lena Okafor", "Tobias Reinholt", "Priya Natarajan"])])
    b = make_page(H + "abs/2", "Paper two", site="arxiv", enumerations=[
        Enumeration(kind="authors", label="authors", section="Authors", items=["Tobias Reinholt", "Lena Okafor", "Sun-Hee Park"])])
    c_ = make_page(H + "abs/3", "Paper three", site="arxiv", enumerations=[
        Enumeration(kind="authors", label="authors", section="Authors", items=["Amara Diallo", "Jakob Nyström"])])
    cands, _ = run([a, b, c_])
    assert len(cands) == 1
    assert cands[0].answer == "Lena Okafor and Tobias Reinholt"
    assert json.loads(cands[0].slots_json)["shared"] == ["Lena Okafor", "Tobias Reinholt"]


def test_drop_reasons() -> None:
    e = lambda items: [Enumeration(kind="infobox", label="Genres", section="Infobox", items=items)]  # noqa: E731
    pages = [
        make_page(H + "a", "Alpha", enumerations=e(["soul", "jazz", "blues", "funk", "pop", "rock", "gospel"])),
        make_page(H + "b", "Beta", enumerations=e(["soul", "jazz", "blues", "funk", "pop", "rock", "country"])),
        make_page(H + "c", "Gamma", enumerations=e(["soul", "jazz"])),
        make_page(H + "d", "Delta", enumerations=e(["soul", "jazz"])),
        make_page(H + "e", "Soul Man", enumerations=e(["soul", "disco"])),
        make_page(H + "f", "Epsilon", enumerations=e(["soul", "house"])),
    ]
    cands, rejects = run(pages)
    by_reason: dict[str, int] = {}
    for r in rejects:
        by_reason[r.reason] = by_reason.get(r.reason, 0) + 1
    assert by_reason["too_many_shared"] == 1            # Alpha ∩ Beta: 6 shared > max_shared 5
    assert by_reason["identical_enumerations"] == 1     # Gamma = Delta
    assert by_reason["shared_names_subject"] >= 1       # "soul" is in "Soul Man"
    assert all(1 <= len(json.loads(c.slots_json)["shared"]) <= 5 for c in cands)
    capped, capped_rejects = run(pages, max_pairs_per_label=1)
    assert len(capped) == 1 and any(r.reason == "pair_cap" for r in capped_rejects)
