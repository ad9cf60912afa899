"""Records of an uncrawled artist's navigation box: by that artist, known by name only (round 5).

On the Ray Charles 2015 depth-3 crawl the song and album questions died on records of other artists'
navigation boxes (Johnny Cash's on Busted_(Johnny_Cash_song).html: 110 albums, 57 singles, no year): their
"by" was open, so "a single by a singer ..." never refuted them. The box names its artist: such a record
is by that artist (an unknown entity whose name alone is known), or by a crawled artist whose own rows or
lists name a record of that title (a duet, or another recording). Only a cue on the artist's name can
refute the uncrawled artist, and only when no word of its name opens with the cue's letter.
"""

from __future__ import annotations

from functools import cache

from synth.graph.solve import matches
from tests.synth.graph.test_universe import DISCO, graph

BUSTED = ("saved", "Busted_(Johnny_Cash_song).html")


@cache
def g():
    return graph(DISCO, BUSTED)


def record(kind: str, name: str, owner: str):
    hits = [e for e in g() if e.open_record and e.kind == kind and e.name == name and e.owner_name == owner]
    assert len(hits) == 1, name
    return hits[0]


def query(letter: str, title_letter: str) -> dict:
    return {"vars": {"?x": "album", "?y": "person"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "by", "o": "?y"},
        {"t": "attr", "s": "?y", "p": "name", "vkind": "name",
         "pred": {"op": "namecue", "part": "surname", "letter": letter, "words": None}},
        {"t": "attr", "s": "?x", "p": "name", "vkind": "name",
         "pred": {"op": "namecue", "part": "title", "letter": title_letter, "words": None}}]}


def test_a_navbox_record_of_an_uncrawled_artist_keeps_that_artist_s_name() -> None:
    blue = record("album", "All Aboard the Blue Train", "Johnny Cash")
    assert "by" in blue.unresolved and blue.by == "johnny cash"
    # "an album by someone with a surname beginning with the letter Q": no word of "Johnny Cash" opens with Q
    assert blue.idx not in matches(g(), query("Q", "A"), stop_after=500)
    # ... with C or J it may be his: not refuted (the cue's part is not trusted for an unknown artist)
    assert blue.idx in matches(g(), query("C", "A"), stop_after=500)
    assert blue.idx in matches(g(), query("J", "A"), stop_after=500)


def test_a_title_a_crawled_artist_also_records_stays_theirs_too() -> None:
    busted = record("song", "Busted", "Johnny Cash")
    assert [g().entities[i].name for i in g().artists_of_title("song", "Busted")] == ["Ray Charles"]
    q = query("R", "B")  # a name opening with R: Ray Charles fits, Johnny Cash does not ...
    q["vars"]["?x"] = "song"
    q["constraints"][1]["pred"]["part"] = "name"
    # ... and the box's "Busted" may be Ray Charles's recording (his discography lists one)
    assert busted.idx in matches(g(), q, stop_after=500)
    q["constraints"][1]["pred"]["letter"] = "Z"  # an artist whose name fits neither: refuted
    assert busted.idx not in matches(g(), q, stop_after=500)


def test_only_a_box_named_for_an_artist_gives_its_records_an_owner() -> None:
    from synth.graph.entities import _artist_like
    assert all(_artist_like(n) for n in ("Johnny Cash", "Tommy James and the Shondells", "The Everly Brothers"))
    # America_the_Beautiful.html's box lists songs nobody in it performed; James Brown's singles box is a list
    assert not any(_artist_like(n) for n in ("National symbols of the United States", "James Brown singles"))


def test_a_credit_the_crawl_does_not_hold_is_known_by_its_name() -> None:
    """A crawled record whose Type row credits an uncrawled artist, and a page's second infobox (a cover by
    another artist), are that artist's: a cue on the artist's name refutes them when no word fits."""
    gg = graph(BUSTED, ("saved", "This_Little_Girl_of_Mine.html"))
    busted = gg.get("http://127.0.0.1:8765/A/Busted_(Johnny_Cash_song).html")
    assert busted is not None and not busted.open_record and "by" in busted.unresolved and busted.by
    everly = [e for e in gg if e.open_record and e.name == "This Little Girl of Mine"]
    assert len(everly) == 1 and everly[0].owner_name == "The Everly Brothers"

    def q(letter: str, title: str) -> dict:
        out = query(letter, title)
        out["vars"]["?x"] = "song"
        return out
    fits = {w[:1].upper() for w in busted.by.split()}
    other = next(x for x in "QXZ" if x not in fits)
    assert busted.idx in matches(gg, q(sorted(fits)[0], "B"), stop_after=500)
    assert busted.idx not in matches(gg, q(other, "B"), stop_after=500)
    # the Everly Brothers' single: E fits them; Q fits neither them nor Ray Charles (whose single it also names)
    assert everly[0].idx in matches(gg, q("E", "T"), stop_after=500)
    assert everly[0].idx not in matches(gg, q("Q", "T"), stop_after=500)
