"""A set that only the target and namesakes of it satisfy has one answer when the name is asked (issue 17).

On the Ray Charles 2015 depth-3 crawl the pages name many of Ray's records a second time: his navigation box
on Ray_Charles_and_Betty_Carter.html lists "Dedicated to You", which becomes an open record credited to the
page's artists; What'd_I_Say.html has a second infobox for Jerry Lee Lewis's recording of the title. The
solver could never refute such a record (its relations are open), so the target was never unique, although
every match has the same name: a question asking "which album ..." has the one answer "Dedicated to You"
whichever of them is meant. Asking anything else of it (its producer, its album) needs the target alone.
"""

from __future__ import annotations

import json
from functools import cache

from filters.obfuscated import ObfuscatedRecheck
from schemas.records import QARecord
from synth.graph.solve import matches, namesake_count, unique
from tests.filters.obfuscated_cases import base
from tests.synth.graph.test_universe import DISCO, graph

DEDICATED = ("saved", "Dedicated_to_You_(Ray_Charles_album).html")
CARTER = ("saved", "Ray_Charles_and_Betty_Carter.html")
RAY = ("saved", "Ray_Charles.html")


@cache
def g():
    return graph(DEDICATED, CARTER, RAY, DISCO)  # the discography's rows date Ray's other albums


def _dedicated_query(title_letter: str = "D") -> dict:
    """The set the sampler found on the real crawl: a studio album of 1959–1966 by a composer whose surname
    begins with C, a three-word title beginning with D."""
    return {"vars": {"?x": "album", "?y": "person"}, "constraints": [
        {"t": "attr", "s": "?x", "p": "type", "pred": {"op": "sort", "v": "studio"}},
        {"t": "attr", "s": "?x", "p": "released", "pred": {"op": "year", "lo": 1959, "hi": 1966, "style": "range"}},
        {"t": "rel", "s": "?x", "p": "by", "o": "?y"},
        {"t": "attr", "s": "?y", "p": "occupation", "pred": {"op": "has", "v": "composer"}},
        {"t": "attr", "s": "?y", "p": "name", "pred": {"op": "namecue", "part": "surname", "letter": "C", "words": None}},
        {"t": "attr", "s": "?x", "p": "name", "pred": {"op": "namecue", "part": "title", "letter": title_letter,
                                                       "words": 3}}]}


def _target():
    (t,) = [e for e in g() if not e.open_record and e.kind == "album" and e.name == "Dedicated to You"]
    return t


def test_a_namesake_on_another_page_matches_and_is_counted() -> None:
    t = _target()
    found = matches(g(), _dedicated_query(), stop_after=10)
    names = {g().entities[i].name for i in found}
    others = [g().entities[i] for i in found if i != t.idx]
    assert t.idx in found and names == {"Dedicated to You"}
    assert others and all(e.open_record and e.url.endswith("Ray_Charles_and_Betty_Carter.html") for e in others)
    assert namesake_count(g(), _dedicated_query(), t.idx) == len(others)


def test_unique_by_name_only_when_every_other_match_is_a_namesake() -> None:
    t = _target()
    q = _dedicated_query()
    assert not unique(g(), q, t.idx)  # the target alone: no (the box's row may be it)
    assert unique(g(), q, t.idx, same_name=True)  # one name: yes
    # the same set without the title cue: other albums of Ray's box (other names) fit, so not even the name is one
    loose = {"vars": q["vars"], "constraints": q["constraints"][:-1]}
    assert not unique(g(), loose, t.idx, same_name=True)


def _record(ask: dict, solver: dict) -> QARecord:
    b = base()
    meta = json.loads(b["meta_json"])
    kept = {k: v for k, v in meta["solver"].items() if k not in ("matches", "answers")}
    meta["ask"], meta["solver"] = ask, {**kept, **solver}
    b["meta_json"] = json.dumps(meta)
    return QARecord(**b)


def test_the_recheck_keeps_a_name_asked_of_namesakes_and_refuses_an_attribute() -> None:
    f = ObfuscatedRecheck()
    assert f.check(_record({"what": "name"}, {"matches": 1, "answers": 1})).keep
    assert f.check(_record({"what": "name"}, {"matches": 3, "answers": 1})).keep
    v = f.check(_record({"what": "attr", "p": "producer"}, {"matches": 3, "answers": 1}))
    assert not v.keep and v.reason == "not_unique"
    v = f.check(_record({"what": "name"}, {"matches": 2, "answers": 2}))
    assert not v.keep and v.reason == "not_unique"
    v = f.check(_record({"what": "name"}, {"matches": 2}))  # a record of before: matches alone
    assert not v.keep and v.reason == "not_unique"
