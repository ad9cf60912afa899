"""Obfuscated questions strict hand audit round 12 found unnatural (bench/audit/hand-audit-strict12.*), on unchanged
copies of the saved Ray Charles 2015 pages (tests/fixtures/pages via tests/saved_pages.py).

"… a live album with a three-word title beginning with the letter R …" → Ray Charles Live, whose own page calls it
"Live" (infobox caption, chronology, "Live is an album by Ray Charles"); "… a one-word title beginning with the
letter F …" → Fathead, whose page's title is "Fathead, Ray Charles Presents David 'Fathead' Newman". A title cue
must hold of the title the record's own page gives it (its infobox caption) as well as of its article name; a rival
fits a cue when either of its titles does.
"""

from __future__ import annotations

from synth.graph.entities import caption_title
from synth.graph.sample import name_cue_constraints
from synth.graph.solve import matches
from tests.saved_pages import saved_page
from tests.synth.graph.test_universe import A, attr, graph, names


def _cues(g, name: str) -> list[dict]:
    (e,) = [e for e in g if not e.open_record and e.name == name]
    return [c["pred"] for c in name_cue_constraints(g, e.idx)]


def test_the_infobox_caption_is_the_records_own_title():
    from synth.e2h.pages import page_from_html  # the text as the crawler extracts it

    def text(name: str) -> str:
        return page_from_html(saved_page(name).read_text(encoding="utf-8"), A + name).text

    assert caption_title(text("Ray_Charles_Live.html"), "Ray Charles Live") == "Live"
    assert caption_title(text("Ray_Charles_in_Concert.html"), "Ray Charles in Concert") == "In Concert"
    # "Ray Charles: In Person": the same words as the name, no other title
    assert caption_title(text("Ray_Charles_in_Person.html"), "Ray Charles in Person") == ""
    assert caption_title(text("Crying_Time.html"), "Crying Time") == ""  # '"Crying Time"': the same title
    assert caption_title("# X\n\nno table\n\n## Section\n| a | b |", "X") == ""


def test_a_title_cue_holds_of_the_title_the_records_own_page_gives_it():
    g = graph(("saved", "Ray_Charles_Live.html"), ("saved", "Ray_Charles_in_Concert.html"),
              ("saved", "Crying_Time.html"))
    assert _cues(g, "Ray Charles Live") == []  # "Live": neither 'R' nor three words
    # "In Concert" and "Ray Charles in Concert": no letter fits both
    assert _cues(g, "Ray Charles in Concert") == []
    crying = _cues(g, "Crying Time")  # caption and name agree: the cues are as before
    assert {"letter": "C", "words": 2} in [{"letter": p["letter"], "words": p["words"]} for p in crying]


def test_a_rival_fits_a_title_cue_through_its_own_pages_title():
    g = graph(("saved", "Ray_Charles_Live.html"), ("saved", "Live_in_Concert_(Ray_Charles_album).html"))
    one_word_l = {"vars": {"?x": "album"}, "constraints": [
        attr("?x", "name", {"op": "namecue", "part": "title", "letter": "L", "words": 1})]}
    # Ray Charles Live's own page calls it "Live": a one-word title beginning with L
    assert "Ray Charles Live" in names(g, matches(g, one_word_l, stop_after=50))


def test_the_mining_graph_keeps_the_caption_for_the_entity_graph():
    # the obfuscated miner builds its entity graph from the mining graph's nodes, which keep no page text: the
    # caption travels in the node's extras (synth.mine.build_graph), as the lead and the infoboxes do
    from pipelines.counters import Counters
    from synth.config import SynthConfig
    from synth.graph.entities import build_entity_graph
    from synth.mine import build_graph
    from synth.miners.base import MineContext
    from tests.synth.graph.test_universe import real

    pages = [real("saved", n) for n in ("Ray_Charles_Live.html", "Ray_Charles_in_Concert.html", "Crying_Time.html")]
    g = build_entity_graph(iter(build_graph(pages, MineContext(SynthConfig(), Counters(), lambda r: None))))
    own = {e.name: e.own_title for e in g if not e.open_record}
    assert own["Ray Charles Live"] == "Live" and own["Crying Time"] == ""
    assert own["Ray Charles in Concert"] == "In Concert"
    (live,) = [e for e in g if not e.open_record and e.name == "Ray Charles Live"]
    assert name_cue_constraints(g, live.idx) == []
