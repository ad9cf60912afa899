"""A cue on the artist a record's Type row credits when the crawl does not hold that artist (issue 17 round 7).

"Night Time Is the Right Time" (Night_Time_Is_the_Right_Time.html, "Single by Nappy Brown") had no relation
to a crawled artist, so no walk could say whose record it is, and every other crawled or listed single stayed a
rival. Its Type row states the artist: "a single credited to an artist whose name begins with the letter N"
refutes every record whose credit the pages state and no word of which opens with N (Ray Charles's singles,
Johnny Cash's navigation-box records); a record whose credit nothing states stays possible.
"""

from __future__ import annotations

import random
from functools import cache

from filters.obfuscated import _parsed
from synth.graph.sample import SampleConfig, Walker, attr_predicates, valid
from synth.graph.solve import attr_ok
from synth.graph.values import holds
from synth.writers.obfuscated import Realiser, states
from tests.synth.graph.test_owner_name import BUSTED
from tests.synth.graph.test_universe import DISCO, A, graph

NIGHT = ("saved", "Night_Time_Is_the_Right_Time.html")
HIT = ("saved", "Hit_the_Road_Jack.html")


@cache
def g():
    return graph(DISCO, BUSTED, NIGHT, HIT)


def cue(letter: str) -> dict:
    return {"t": "attr", "s": "?x", "p": "credited", "vkind": "name",
            "pred": {"op": "namecue", "part": "artist", "letter": letter, "words": None}}


def test_the_type_row_s_artist_is_an_attribute_told_by_a_cue() -> None:
    night = g().get(A + "Night_Time_Is_the_Right_Time.html")
    assert night.kind == "song" and "by" in night.unresolved and not any(r == "by" for r, _, _ in night.rels)
    a = night.attrs["credited"]
    assert a.value == "Nappy Brown" and a.snippet == "Type: Single by Nappy Brown"
    preds = attr_predicates(a, "credited", random.Random(0))
    assert preds == [{"op": "namecue", "part": "artist", "letter": "N", "words": None}]
    # the filter's re-check reads the recorded value the same way
    assert holds(preds[0], _parsed("name", "credited", a.raw))


def test_the_cue_refutes_records_whose_stated_credit_does_not_fit() -> None:
    hit = g().get(A + "Hit_the_Road_Jack.html")
    assert not attr_ok(g(), hit.idx, cue("N"))  # "Single by Ray Charles"
    assert attr_ok(g(), hit.idx, cue("R")) and attr_ok(g(), hit.idx, cue("C"))  # any word of the credit
    night = g().get(A + "Night_Time_Is_the_Right_Time.html")
    assert attr_ok(g(), night.idx, cue("N")) and attr_ok(g(), night.idx, cue("B"))
    blue = [e for e in g() if e.open_record and e.name == "All Aboard the Blue Train" and e.owner_name == "Johnny Cash"]
    assert len(blue) == 1 and not attr_ok(g(), blue[0].idx, cue("N")) and attr_ok(g(), blue[0].idx, cue("J"))
    # a Ray Charles discography row (by him alone) is refuted; a row crediting someone else too is not
    rows = {e.name: e for e in g() if e.open_record and e.kind == "song" and e.url.endswith("discography.html")}
    sole = [e for e in rows.values() if "by" not in e.unresolved and e.by == "ray charles"]
    shared = [e for e in rows.values() if "by" in e.unresolved and not e.owner_name]
    assert sole and shared
    assert not any(attr_ok(g(), e.idx, cue("N")) for e in sole)
    assert all(attr_ok(g(), e.idx, cue("N")) for e in shared)


def test_a_walk_offers_the_cue_only_where_no_relation_names_the_artist() -> None:
    walker = Walker(g(), 0, random.Random(0), SampleConfig())
    night = g().get(A + "Night_Time_Is_the_Right_Time.html")
    hit = g().get(A + "Hit_the_Road_Jack.html")
    assert "credited" in dict(walker._attr_options(night, set()))
    assert "credited" not in dict(walker._attr_options(hit, set()))  # "by" reaches Ray Charles's page


def test_the_cue_is_a_cue_it_needs_a_real_attribute_beside_it_and_is_stated() -> None:
    night = g().get(A + "Night_Time_Is_the_Right_Time.html")
    c = dict(cue("N"), url=night.url, snippet="Type: Single by Nappy Brown", value="Nappy Brown")
    rel = {"t": "rel", "s": "?x", "p": "same_genre", "o": "?y", "url": A + "X.html", "snippet": "s", "value": "v"}
    yattr = {"t": "attr", "s": "?y", "p": "released", "vkind": "date", "pred": {"op": "year", "lo": 1950, "hi": 1959},
             "url": A + "X.html", "snippet": "s", "value": "1955"}
    name = {"t": "attr", "s": "?x", "p": "name", "vkind": "name", "url": night.url, "snippet": "n", "value": "n",
            "pred": {"op": "namecue", "part": "title", "letter": "N", "words": None}}
    q = {"vars": {"?x": "song", "?y": "song"}, "constraints": [c, name, rel, yattr]}
    assert not valid(q, 4)  # two cues and nothing the target is: refused
    q["constraints"].append({"t": "attr", "s": "?x", "p": "released", "vkind": "date", "url": night.url,
                             "snippet": "s", "value": "1957", "pred": {"op": "year", "lo": 1950, "hi": 1959}})
    assert valid(q, 4)
    slots = {"vars": {"?x": {"kind": "song", "noun": "single"}, "?y": {"kind": "song", "noun": "song"}},
             "constraints": [c]}
    text = Realiser(slots, random.Random(1)).attr_clause(c, 0)
    assert "an artist whose name begins with the letter N" in text and states(text, c)


def test_a_record_credited_jointly_is_the_one_its_artist_s_box_names() -> None:
    """Soul_Meeting.html is "Studio album by Ray Charles, Milt Jackson"; Ray Charles's navigation box on the page
    names "Soul Meeting" without a link (the page itself). It used to become an open record by Ray Charles alone,
    a rival of the page in every question about it (the crawled page's credit was not the box owner's)."""
    gg = graph(("saved", "Soul_Meeting.html"))
    meeting = gg.get(A + "Soul_Meeting.html")
    assert meeting.kind == "album" and meeting.attrs["credited"].value == "Ray Charles, Milt Jackson"
    assert [e.name for e in gg if e.open_record and e.name == "Soul Meeting"] == []
    # a record of the same title credited to someone else stays another record (Don Gibson's, Johnny Cash's ...)
    busted = graph(BUSTED)
    assert any(e.open_record and e.name == "Busted" and e.owner_name == "Johnny Cash" for e in busted)
