"""The sort of album a target's noun states ("a live album") as a constraint the solver checks (issue 17 round 7).

The offline prose always named the target's sort ("Can you name the live album?"), but the solver did not use
it, so "a live album ... by a singer with a first name beginning with R" stayed not unique while records that
the pages file under another sort were still its rivals: Johnny Cash's navigation box on
Busted_(Johnny_Cash_song).html lists 50 "Studio albums"; Ray_Charles_discography.html lists "Compilations". A
record whose row, list or box heading names no sort ("Albums › The ABC years", "Gospel albums") is not refuted.
"""

from __future__ import annotations

import random
from functools import cache

from filters.obfuscated import _parsed
from synth.graph.sample import is_free, shape_ok, sort_constraint, valid
from synth.graph.solve import attr_ok
from synth.graph.values import holds
from synth.writers.obfuscated import Realiser, check_question, states
from tests.synth.graph.test_owner_name import BUSTED
from tests.synth.graph.test_universe import DISCO, A, graph

LIVE = ("saved", "Ray_Charles_Live.html")


@cache
def g():
    return graph(DISCO, BUSTED, LIVE)


def open_albums(owner: str, sort: str | None) -> list:
    return [e for e in g() if e.open_record and e.kind == "album" and (e.owner_name or e.by) == owner
            and (sort in e.types if sort else not e.types)]


def test_a_live_album_s_sort_refutes_records_filed_under_another_sort() -> None:
    live = g().get(A + "Ray_Charles_Live.html")
    c = sort_constraint(g(), live.idx)
    assert c is not None and c["pred"] == {"op": "sort", "v": "live"}
    assert (c["value"], c["snippet"]) == ("Live album", "Type: Live album by Ray Charles")
    assert holds(c["pred"], _parsed("type", "type", c["value"]))  # the filter's re-check reads it alike
    assert attr_ok(g(), live.idx, c)
    studio, cash_live = open_albums("Johnny Cash", "studio"), open_albums("Johnny Cash", "live")
    assert len(studio) == 50 and "At Folsom Prison" in {e.name for e in cash_live}
    assert not any(attr_ok(g(), e.idx, c) for e in studio)
    assert all(attr_ok(g(), e.idx, c) for e in cash_live)
    assert not any(attr_ok(g(), e.idx, c) for e in open_albums("ray charles", "compilation"))
    unsorted = open_albums("ray charles", None)  # "Albums › The ABC years": any sort
    assert unsorted and all(attr_ok(g(), e.idx, c) for e in unsorted)


def test_the_sort_is_free_the_noun_states_it_and_it_counts_for_nothing_else() -> None:
    live = g().get(A + "Ray_Charles_Live.html")
    c = sort_constraint(g(), live.idx)
    assert is_free(c)
    year = {"t": "attr", "s": "?x", "p": "released", "vkind": "date", "pred": {"op": "year", "lo": 1970, "hi": 1979},
            "url": live.url, "snippet": "Released: 1973", "value": "1973"}
    rel = {"t": "rel", "s": "?x", "p": "same_genre", "o": "?y", "url": live.url, "snippet": "s", "value": "v"}
    yattr = dict(year, s="?y", url=A + "Other.html")
    q = {"vars": {"?x": "album", "?y": "album"}, "constraints": [c, year, rel, yattr]}
    assert not valid(q, 4)  # three clues and the noun: not four
    assert not shape_ok({"vars": q["vars"], "constraints": [c, year, rel, yattr]})  # the noun adds no edge
    slots = {"vars": {"?x": {"kind": "album", "noun": "live album"}, "?y": {"kind": "album", "noun": "studio album"}},
             "constraints": q["constraints"], "ask": {"what": "name"}, "forbidden": []}
    text = Realiser(slots, random.Random(3)).describe()
    assert "live album" in text and "that is a live album" not in text and states(text, c)
    assert check_question(text, slots, "Ray Charles Live")[0] in ("", "too_short")


def test_a_sort_the_noun_does_not_state_gives_no_constraint() -> None:
    """A compilation whose noun is only "album" (a long type row), or a studio album with no type row: none."""
    live = g().get(A + "Ray_Charles_Live.html")
    saved = live.noun
    try:
        live.noun = "album"
        assert sort_constraint(g(), live.idx) is None
    finally:
        live.noun = saved
