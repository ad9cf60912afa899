"""Subgraph sampling and solving: unique by the solver, ≥ 2 pages, not a chain, minimal, deterministic."""

from __future__ import annotations

from synth.graph.entities import build_entity_graph
from synth.graph.sample import (
    _without,
    needed,
    pages_of,
    sample_queries,
    shape_ok,
    shape_signature,
    valid,
)
from synth.graph.solve import matches, unique
from tests.synth.graph.world import W, music_world


def graph():
    return build_entity_graph(music_world())


def test_solver_open_world_attributes_closed_world_relations() -> None:
    g = graph()
    low, high = g.get(W + "Low_Tide_(song).html").idx, g.get(W + "High_Tide.html").idx
    decade = {"op": "year", "lo": 1960, "hi": 1969, "style": "decade"}
    q = {"vars": {"?x": "song"}, "constraints": [{"t": "attr", "s": "?x", "p": "released", "pred": decade}]}
    assert sorted(matches(g, q, stop_after=10)) == sorted([low, high])
    # a song by a person born in the American South: Stone Song's artist is from Ohio
    q2 = {"vars": {"?x": "song", "?y": "person"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "by", "o": "?y"},
        {"t": "attr", "s": "?y", "p": "birthplace", "pred": {"op": "region", "v": "the American South"}},
        {"t": "attr", "s": "?x", "p": "genre", "pred": {"op": "has", "v": "soul"}}]}
    assert matches(g, q2) == [low] and unique(g, q2, low)
    # open world: an entity that does not state the attribute is not ruled out by it
    q3 = {"vars": {"?x": "person"}, "constraints": [
        {"t": "attr", "s": "?x", "p": "died", "pred": {"op": "year", "lo": 2000, "hi": 2009, "style": "decade"}}]}
    assert len(matches(g, q3, stop_after=10)) == 2


def test_sampled_queries_are_unique_multi_page_and_not_chains() -> None:
    g = graph()
    total = 0
    for e in g:
        for q, binding in sample_queries(g, e.idx, seed=0, tries=40, keep=4):
            total += 1
            assert binding["?x"] == e.idx
            assert matches(g, q, stop_after=5) == [e.idx]
            assert len(pages_of(q)) >= 2 and shape_ok(q)
            assert len(q["constraints"]) >= 3
            # every variable other than ?x is described by an attribute of its own
            assert {c["s"] for c in q["constraints"] if c["t"] == "attr"} >= set(q["vars"]) - {"?x"}
            # minimised: no constraint can go without losing uniqueness or a valid shape
            for i, need in enumerate(needed(g, q, e.idx)):
                if not need:
                    assert not valid(_without(q, i), 3)
    assert total >= 8


def test_sampling_is_deterministic_and_shapes_distinct() -> None:
    g = graph()
    t = g.get(W + "Low_Tide_(song).html").idx
    a = sample_queries(g, t, seed=7, tries=40, keep=4)
    b = sample_queries(g, t, seed=7, tries=40, keep=4)
    assert a == b and a
    sigs = [shape_signature(q) for q, _ in a]
    assert len(sigs) == len(set(sigs))


def test_chain_is_not_a_valid_shape() -> None:
    chain = {"vars": {"?x": "song", "?y": "album"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "album", "o": "?y"}, {"t": "attr", "s": "?y", "p": "released"}]}
    assert not shape_ok(chain)
    chain["constraints"].append({"t": "attr", "s": "?y", "p": "genre"})
    assert shape_ok(chain)  # ?y now has 3 edges


def test_a_row_naming_an_uncrawled_page_leaves_an_unknown_that_may_match() -> None:
    from synth.graph.entities import build_entity_graph as build
    from tests.synth.graph.world import fact, page

    # Red Road's next album is not crawled: "an album followed by a rock album" cannot exclude it
    pages = [p if not p.url.endswith("Red_Road.html") else page("Red_Road.html", "Red Road", [
        fact("Type", "Studio album by Bo Tate", "Bo_Tate.html"), fact("Released", "1975"),
        fact("Genre", "Rock"), fact("Next album", "Blue Sky", "Blue_Sky.html")]) for p in music_world()]
    g = build(pages)
    red, blue = g.get(W + "Red_Road.html"), g.get(W + "Blue_Dawn.html")
    assert "next" in red.unresolved and "next" not in blue.unresolved
    q = {"vars": {"?x": "album", "?y": "album"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "next", "o": "?y"},
        {"t": "attr", "s": "?y", "p": "genre", "pred": {"op": "has", "v": "blues"}}]}
    # Blue Dawn → Grey Noon (blues) matches; Red Road → an uncrawled album might be blues too
    assert sorted(matches(g, q, stop_after=5)) == sorted([blue.idx, red.idx])


def test_recording_spans_are_described_end_to_end() -> None:
    import random

    from synth.graph.entities import Attr
    from synth.graph.sample import attr_predicates

    a = Attr("date", (1997, 2005), "Recorded", "1997–2005", "Recorded: 1997–2005")
    preds = attr_predicates(a, "recorded", random.Random(3))
    assert preds and all(p["lo"] <= 1997 and p["hi"] >= 2005 for p in preds)


def test_a_row_is_told_once_as_a_relation_or_as_an_attribute() -> None:
    g = graph()
    for e in g:
        for q, _ in sample_queries(g, e.idx, seed=1, tries=40, keep=4):
            rel_rows = {(c["s"], c["p"]) for c in q["constraints"] if c["t"] == "rel"}
            attr_rows = {(c["s"], c["p"]) for c in q["constraints"] if c["t"] == "attr"}
            assert not rel_rows & attr_rows, q["constraints"]


def test_a_chronology_step_another_page_contradicts_is_never_told() -> None:
    from synth.graph.entities import build_entity_graph as build
    from tests.synth.graph.world import fact, page

    # Grey Noon says Blue Dawn came before it; a third album says Blue Dawn came before *it*
    rival = page("Rival.html", "Rival", [fact("Type", "Studio album by Ann Ray", "Ann_Ray.html"),
                                         fact("Released", "1963"), fact("Previous album", "Blue Dawn", "Blue_Dawn.html")])
    g = build([*music_world(), rival])
    blue, grey = g.get(W + "Blue_Dawn.html").idx, g.get(W + "Grey_Noon.html").idx
    assert not g.chronology_ok(blue, "next", grey)
    assert graph().chronology_ok(blue, "next", grey)  # without the rival, the step is agreed on
    for e in g:
        for q, b in sample_queries(g, e.idx, seed=0, tries=40, keep=4):
            for c in q["constraints"]:
                if c["p"] in ("next", "previous"):
                    assert g.chronology_ok(b[c["s"]], c["p"], b[c["o"]]), c


def test_a_refused_subgraph_leaves_its_place_to_another_walk() -> None:
    g = graph()
    t = g.get(W + "Low_Tide_(song).html").idx
    every = sample_queries(g, t, seed=7, tries=80, keep=50)
    assert len(every) >= 2
    refused = shape_signature(every[0][0])
    seen: list[str] = []

    def accept(q: dict, binding: dict[str, int]) -> bool:
        seen.append(shape_signature(q))
        return shape_signature(q) != refused

    assert len(every) >= 4
    got = sample_queries(g, t, seed=7, tries=80, keep=3, accept=accept)
    assert refused in seen  # it was offered and refused; the three places went to other walks
    assert len(got) == 3 and refused not in [shape_signature(q) for q, _ in got]
