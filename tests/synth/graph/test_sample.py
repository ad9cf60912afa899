"""Subgraph sampling and solving: unique by the solver, ≥ 2 pages, not a chain, minimal, deterministic."""

from __future__ import annotations

from synth.graph.entities import build_entity_graph
from synth.graph.sample import (
    SampleConfig,
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
    # Blue Dawn → Grey Noon (blues) matches; Red Road → an uncrawled album might be blues too; and that uncrawled
    # album, Blue Sky (a rival of its own since strict audit round 10: a record a chronology row names), may have a
    # blues album after it
    (sky,) = [e for e in g if e.open_record and e.name == "Blue Sky"]
    assert sorted(matches(g, q, stop_after=5)) == sorted([blue.idx, red.idx, sky.idx])


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


def star_world():
    """A depth-1 crawl: pages with infoboxes and no link-valued fact between them."""
    from tests.synth.graph.world import fact, page
    people = [
        ("Cy_Moe.html", "Cy Moe", "March 3, 1931; Macon, Georgia, U.S.", "Soul, blues", "Piano, vocals", "Atlantic"),
        ("Di_Lux.html", "Di Lux", "July 9, 1935; Macon, Georgia, U.S.", "Jazz", "Trumpet", "Verve"),
        ("Ed_Nye.html", "Ed Nye", "May 1, 1952; Akron, Ohio, U.S.", "Rock", "Guitar, vocals", "Columbia"),
        ("Fa_Orr.html", "Fa Orr", "June 2, 1958; Dayton, Ohio, U.S.", "Rock, soul", "Drums", "Epic"),
    ]
    return [page(u, n, [fact("Born", b), fact("Genres", g), fact("Instruments", i), fact("Labels", lab)],
                 f"{n} is an American musician.") for u, n, b, g, i, lab in people]


def test_shared_values_compare_what_both_pages_state() -> None:
    g = build_entity_graph(star_world())
    cy, di, ed, fa = (g.get(W + u).idx for u in ("Cy_Moe.html", "Di_Lux.html", "Ed_Nye.html", "Fa_Orr.html"))
    assert g.shared(cy, "same_decade_born", di) == {"1930s"} and not g.shared(cy, "same_decade_born", ed)
    assert g.shared(cy, "same_birthplace", di) == {"macon"} and not g.shared(ed, "same_birthplace", fa)
    assert g.shared(cy, "same_genre", fa) == {"soul"}
    assert not g.shared(cy, "same_instrument", ed)  # both sing: "vocals" is not an instrument one plays
    assert g.shared(cy, "same_nationality", ed) == {"american"}


def test_a_shared_value_never_refutes_a_candidate() -> None:
    g = build_entity_graph(star_world())
    cy, ed = g.get(W + "Cy_Moe.html").idx, g.get(W + "Ed_Nye.html").idx
    # "born in the same city as a person born in the 1990s": no crawled person was, but the world may hold one
    q = {"vars": {"?x": "person", "?y": "person"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "same_birthplace", "o": "?y"},
        {"t": "attr", "s": "?y", "p": "born", "pred": {"op": "year", "lo": 1990, "hi": 1999, "style": "decade"}},
        {"t": "attr", "s": "?x", "p": "genre", "pred": {"op": "has", "v": "rock"}}]}
    assert sorted(matches(g, q, stop_after=10)) == sorted([ed, g.get(W + "Fa_Orr.html").idx])
    assert cy not in matches(g, q, stop_after=10)  # refuted by its genre, not by the shared value


def test_a_star_crawl_gives_unique_questions_through_shared_values() -> None:
    g = build_entity_graph(star_world())
    total = 0
    for e in g:
        for q, binding in sample_queries(g, e.idx, seed=0, tries=60, keep=4):
            shares = [c for c in q["constraints"] if c["t"] == "rel" and c["p"].startswith("same_")]
            assert shares and len(pages_of(q)) >= 2 and shape_ok(q)
            assert matches(g, q, stop_after=5) == [e.idx]
            for c in shares:  # true of the pair, and both pages are evidence
                kinds = {g.entities[binding[c["s"]]].kind, g.entities[binding[c["o"]]].kind}
                assert c["p"] != "same_nationality" or kinds <= {"person", "band"}
                assert c["shared"] and set(c["shared"]) == g.shared(binding[c["s"]], c["p"], binding[c["o"]])
                assert c["url2"] == g.entities[binding[c["o"]]].url and c["snippet2"]
            total += 1
    assert total >= 4
    none = [sample_queries(g, e.idx, seed=0, tries=60, keep=4, cfg=SampleConfig(shared_values=False)) for e in g]
    assert not any(none)
