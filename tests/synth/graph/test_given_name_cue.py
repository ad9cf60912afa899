"""A cue on a person's first name ("a singer with a first name beginning with the letter R"), issue 17 round 7.

On the Ray Charles 2015 depth-3 crawl most song and album targets died on records of other artists'
navigation boxes (Johnny Cash's on Busted_(Johnny_Cash_song).html: no year, the artist known by name only).
The only clue that refutes them is a cue on the credited artist's name, and a surname cue on Ray Charles (C)
never does: "Johnny Cash" has a word opening with C. His first name's letter (R) does: no word of "Johnny
Cash" opens with R. The uncrawled artist is still read conservatively (any word of the name may be the one
meant), so the cue refutes it only when no word fits; a crawled person is read by the first word of the name
as the page writes it, and a name whose first word is a title, an initial or a nickname in quotes gets no such
cue and is refuted only when neither reading fits.
"""

from __future__ import annotations

from functools import cache

from synth.graph.sample import name_cue_constraints, with_neighbour_cues
from synth.graph.solve import matches
from synth.graph.values import given_letters, holds, name_cue_phrase, name_cues
from tests.synth.graph.test_owner_name import BUSTED
from tests.synth.graph.test_universe import DISCO, graph


@cache
def g():
    return graph(DISCO, BUSTED)


def query(part: str, letter: str, title_letter: str) -> dict:
    return {"vars": {"?x": "album", "?y": "person"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "by", "o": "?y"},
        {"t": "attr", "s": "?y", "p": "name", "vkind": "name",
         "pred": {"op": "namecue", "part": part, "letter": letter, "words": None}},
        {"t": "attr", "s": "?x", "p": "name", "vkind": "name",
         "pred": {"op": "namecue", "part": "title", "letter": title_letter, "words": None}}]}


def test_a_first_name_cue_refutes_an_uncrawled_artist_a_surname_cue_cannot() -> None:
    blue = [e for e in g() if e.open_record and e.name == "All Aboard the Blue Train" and e.owner_name == "Johnny Cash"]
    assert len(blue) == 1
    # Ray Charles's surname cue (C) leaves Johnny Cash's record possible: "Cash" opens with C ...
    assert blue[0].idx in matches(g(), query("surname", "C", "A"), stop_after=500)
    # ... his first name's (R) does not: no word of "Johnny Cash" opens with R
    assert blue[0].idx not in matches(g(), query("given", "R", "A"), stop_after=500)
    # the unknown artist is read by any word: a J or C first-name cue keeps the record
    assert blue[0].idx in matches(g(), query("given", "J", "A"), stop_after=500)
    assert blue[0].idx in matches(g(), query("given", "C", "A"), stop_after=500)


def test_the_crawled_singer_is_read_by_the_first_word_of_his_name() -> None:
    ray = g().get("http://127.0.0.1:8765/A/Ray_Charles.html")
    assert ray is not None and ray.kind == "person"
    cues = [c["pred"] for c in name_cue_constraints(g(), ray.idx, "?y")]
    assert {"op": "namecue", "part": "given", "letter": "R", "words": None} in cues
    assert cues[0]["part"] == "surname"  # the loosest stays first: walks that were unique are not changed
    assert name_cue_phrase(cues[-1]) == "a first name beginning with the letter R"
    assert holds(cues[-1], "Ray Charles") and not holds(cues[-1], "Charles Ray")


def test_a_first_name_that_is_unsure_gets_no_cue_and_refutes_only_when_no_reading_fits() -> None:
    assert name_cues("Johnny Cash", "given")[0]["letter"] == "J"
    for unsure in ("Dr. John", "B.B. King", '"Little" Jimmy Scott', "J. D. Souther", "Aaliyah"):
        assert name_cues(unsure, "given") == [], unsure
    assert given_letters("Dr. John") == {"D", "J"} and given_letters('"Little" Jimmy Scott') == {"L", "J"}
    j = {"op": "namecue", "part": "given", "letter": "J", "words": None}
    assert holds(j, "Dr. John") and holds(j, '"Little" Jimmy Scott') and not holds(j, "Betty Carter")


def test_a_walk_that_reaches_the_singer_may_take_his_first_name_cue() -> None:
    ray = g().get("http://127.0.0.1:8765/A/Ray_Charles.html")
    q = {"vars": {"?x": "album", "?y": "person"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "by", "o": "?y", "url": "u", "snippet": "s", "value": "v"}]}
    loose = with_neighbour_cues(g(), q, {"?x": 0, "?y": ray.idx})
    given = with_neighbour_cues(g(), q, {"?x": 0, "?y": ray.idx}, "given")
    assert loose["constraints"][-1]["pred"]["part"] == "surname"
    assert given["constraints"][-1]["pred"] == {"op": "namecue", "part": "given", "letter": "R", "words": None}
