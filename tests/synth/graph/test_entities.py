"""Entity graph: kinds, typed attributes, relations and links from page records (no network)."""

from __future__ import annotations

from synth.graph.entities import base_name, build_entity_graph
from tests.synth.conftest import HTML_DIR, make_page
from tests.synth.graph.world import W, music_world


def test_kinds_attributes_and_relations() -> None:
    g = build_entity_graph(music_world())
    assert {k: sorted(g.entities[i].name for i in v) for k, v in g.by_kind.items()} == {
        "person": ["Ann Ray", "Bo Tate"], "album": ["Blue Dawn", "Grey Noon", "Red Road"],
        "song": ["High Tide", "Low Tide", "Stone Song"]}
    ann = g.get(W + "Ann_Ray.html")
    assert ann.attrs["born"].value == (1931,) and ann.attrs["died"].value == (2004,)
    assert ann.attrs["birthplace"].value == {"region": "the American South", "country": "the United States"}
    assert ann.attrs["nationality"].value == "American" and ann.noun == "singer and pianist"
    low = g.get(W + "Low_Tide_(song).html")
    assert low.name == "Low Tide" and low.title == "Low Tide (song)" and low.noun == "single"
    assert low.attrs["length"].value == (178,) and low.attrs["producer"].value == ("JW",)
    assert low.attrs["genre"].value == ("soul",) and low.attrs["label"].value == ("A",)
    assert low.attrs["released"].snippet == "Released: 1961"
    rels = sorted((r, g.entities[j].name) for r, j, _ in low.rels)
    assert rels == [("album", "Blue Dawn"), ("by", "Ann Ray"), ("next", "High Tide")]
    # reverse edges and plain links
    assert sorted(g.entities[j].name for j in g.related(ann.idx, "by", "in")) == [
        "Blue Dawn", "Grey Noon", "High Tide", "Low Tide"]
    stone = g.get(W + "Stone_Song.html")
    high = g.get(W + "High_Tide.html")  # its "Previous single" link is an out-link too
    assert g.related(low.idx, "links", "in") == [high.idx, stone.idx]


def test_titles_and_title_hits() -> None:
    g = build_entity_graph(music_world())
    assert {"low tide", "low tide song", "ann ray"} <= g.titles
    assert g.title_hits("a single by someone like Ann Ray, not a low-tide song") == ["ann ray", "low tide",
                                                                                        "low tide song"]
    assert g.title_hits("an American singer born in the 1930s") == []


def test_streams_a_callable_once_and_skips_error_pages() -> None:
    calls = []
    pages = music_world()
    bad = make_page(W + "Gone.html", "Gone").model_copy(update={"status": 404})

    def source():
        calls.append(1)
        return iter([*pages, bad])

    g = build_entity_graph(source)
    assert calls == [1] and len(g) == len(pages) and g.get(W + "Gone.html") is None


def test_real_kiwix_album_page() -> None:
    from crawlers.facts import extract_structure

    url = "http://127.0.0.1:8765/wiki-raycharles-2015/A/The_Genius_of_Ray_Charles.html"
    s = extract_structure((HTML_DIR / "wiki_album_kiwix.html").read_text(encoding="utf-8"), url, "wikipedia")
    g = build_entity_graph([make_page(url, s.subject, facts=s.facts, enumerations=s.enumerations)])
    e = g.entities[0]
    assert (e.kind, e.noun, e.name) == ("album", "studio album", "The Genius of Ray Charles")
    assert e.attrs["released"].value == (1959,) and e.attrs["genre"].value[0] == "swingin pop"


def test_base_name() -> None:
    assert base_name("Unchain My Heart (song)") == "Unchain My Heart"
    assert base_name('"Crying Time"') == "Crying Time"
    assert base_name("Crash (2005 film)") == "Crash"
    assert base_name("Live in Concert (Ray Charles album)") == "Live in Concert"
    assert base_name("Alive (live album)") == "Alive"


def test_edition_qualifier_is_part_of_the_name_and_its_cue() -> None:
    """Audit row 48: "Disciple (Special Edition)" is another record than "Disciple" (2005); answering or
    name-cueing it as "Disciple" (a one-word title) names the other record."""
    from synth.graph import values as V
    from tests.synth.graph.world import fact, page

    for title in ("Disciple (Special Edition)", "Genius (Deluxe Edition)", "Soul (Remastered)", "Hits (Volume 2)",
                  "Blue (Expanded Edition)", "Night (Live)"):
        assert base_name(title) == title
    g = build_entity_graph([page("Disciple_(Special_Edition).html", "Disciple (Special Edition)", [
        fact("Type", "Studio album by Disciple"), fact("Released", "June 6, 2006"), fact("Length", "59:36")])])
    e = g.entities[0]
    assert e.name == "Disciple (Special Edition)"
    cues = V.name_cues(e.name, "title")
    assert cues and all(c["words"] is None for c in cues)  # never "a one-word title"


def test_relation_facts_without_links_resolve_by_name_and_kind() -> None:
    from tests.synth.graph.world import fact, page

    extra = page("Late_Album.html", "Late Album", [
        fact("Type", "Studio album by Ann Ray"), fact("Previous album", "Grey Noon"),
        fact("Album", "Nowhere To Be Found"), fact("Producer", "Ann Ray")])
    g = build_entity_graph([*music_world(), extra])
    late = g.get(W + "Late_Album.html")
    got = sorted((r, g.entities[j].name) for r, j, _ in late.rels)
    # "by" and "producer" name a person, "previous" an album; an unknown name resolves to nothing
    assert got == [("by", "Ann Ray"), ("previous", "Grey Noon"), ("producer", "Ann Ray")]
    # a name of the wrong kind is not taken: an album called like a person is not its "by"
    odd = page("Odd.html", "Odd", [fact("Type", "Single by Blue Dawn")])
    g2 = build_entity_graph([*music_world(), odd])
    assert g2.get(W + "Odd.html").rels == []


def test_inverse_relations_count_from_either_page() -> None:
    from tests.synth.graph.world import fact, page

    # B says "Previous album: A" with a link to an uncrawled URL; A says "Next album: B" with a good link
    a = page("A.html", "Alpha", [fact("Type", "Studio album by Ann Ray"), fact("Next album", "Beta", "B.html")])
    b = page("B.html", "Beta", [fact("Type", "Studio album by Ann Ray"),
                                fact("Previous album", "Alpha, Vol. 1", "Alpha,_Vol._1.html")])
    g = build_entity_graph([*music_world(), a, b])
    ia, ib = g.get(W + "A.html").idx, g.get(W + "B.html").idx
    assert g.related(ib, "previous", "out") == [ia] and g.related(ia, "previous", "in") == [ib]
    assert g.related(ia, "next", "out") == [ib]


def test_chronology_rows_link_only_works_of_the_same_artist() -> None:
    from tests.synth.graph.world import fact, page

    # Ray's "Next single: I'm Moving On" links the page of Hank Snow's original single
    mine = page("Mine.html", "Mine", [fact("Type", "Single by Ann Ray", "Ann_Ray.html"),
                                      fact("Next single", "Moving On", "Moving_On.html")])
    orig = page("Moving_On.html", "Moving On", [fact("Type", "Single by Hank Snow"), fact("Released", "1950")])
    g = build_entity_graph([*music_world(), mine, orig])
    assert g.related(g.get(W + "Mine.html").idx, "next", "out") == []
    low = g.get(W + "Low_Tide_(song).html")
    assert [g.entities[j].name for j in g.related(low.idx, "next", "out")] == ["High Tide"]
