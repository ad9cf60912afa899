"""The final strict hand audit of 16 obfuscated questions (Ray Charles 2015, depth 3) found 4 not correct;
each class on real pages (the shared saved pages of tests/fixtures/pages/wiki-raycharles-2015: unchanged
copies of the Kiwix dump, the full Ray_Charles.html among them):

- the television series Ray_Charles.html's "Television" list names (Who's the Boss, St. Elsewhere,
  Moonlighting, Wings) were no candidates for "a television series in the English language";
- the people an album's Personnel list credits (William "Buddy" Pearson – alto saxophone, flute; Frank
  Wess – flute, alto and tenor saxophone) were no candidates for "a saxophonist credited on flute …";
- "the first half of the 21st century" was read as 2001–2050 while the Filmography lists two 2000 films
  (the other convention reads 2000–2049);
- The_Nanny.html's running time "22–24 minutes" was read as 24 minutes and told as "between 24 minutes
  and 26 minutes".
"""

from __future__ import annotations

import random

from synth.graph.entities import role_words, tv_row_title
from synth.graph.sample import attr_predicates
from synth.graph.solve import matches, satisfiable, unique
from synth.graph.values import NumSpan, holds, obfuscate_year, parse_durations_s
from tests.synth.graph.test_universe import build_entity_graph, real

FULL_RAY = ("saved", "Ray_Charles.html")
NANNY = ("saved", "The_Nanny.html")
LIVE = ("saved", "Live_in_Concert_(Ray_Charles_album).html")
GENIUS = ("saved", "The_Genius_of_Ray_Charles.html")


def graph(*pages: tuple[str, str]):
    return build_entity_graph([real(*p) for p in pages])


def fitting(g, query: dict) -> list[str]:
    kind = query["vars"]["?x"]
    return sorted(g.entities[i].name for i in g.of_kind(kind) if satisfiable(g, query, i))


def attr(var: str, key: str, pred: dict) -> dict:
    return {"t": "attr", "s": var, "p": key, "vkind": "", "pred": pred, "url": "", "snippet": "", "value": ""}


def test_television_list_rows_are_open_tv_series_candidates() -> None:
    assert tv_row_title('Who\'s the Boss, episode "Hit the Road, Chad" (February 3, 1987) (himself)') == "Who's the Boss"
    assert tv_row_title("The Nanny (1999) as Sammy") == "The Nanny"
    g = graph(FULL_RAY, NANNY)
    q = {"vars": {"?x": "tv series"}, "constraints": [attr("?x", "language", {"op": "has", "v": "english"})]}
    # The Nanny is crawled (its row is that page, not a second candidate); the episode dates are no series year
    assert fitting(g, q) == ["Moonlighting", "St. Elsewhere", "The Nanny", "Who's the Boss", "Wings"]
    nanny = next(e.idx for e in g.entities if e.name == "The Nanny" and not e.open_record)
    assert not unique(g, q, nanny)
    assert all("released" not in g.entities[i].attrs for i in g.of_kind("tv series") if g.entities[i].open_record)


def test_a_century_half_never_hangs_on_the_boundary_year() -> None:
    g = graph(FULL_RAY)
    half = {"op": "year", "lo": 2001, "hi": 2050, "style": "half", "century": 21, "half": "first"}
    q = {"vars": {"?x": "film"}, "constraints": [attr("?x", "released", half)]}
    # "The Extreme Adventures of Super Dave (2000)": first half of the 21st century by the 2000–2049 reading
    assert fitting(g, q) == ["Blue's Big Musical Movie", "The Extreme Adventures of Super Dave"]
    assert not holds(half, (2000,)) and holds(half, (2000,), possible=True)
    assert not holds(half, (2050,)) and holds(half, (2001,)) and holds(half, (2049,))
    for year in (1900, 1950, 2000, 2050):  # never told a half whose truth depends on the convention
        assert all(p["style"] != "half" for s in range(20) for p in obfuscate_year(year, random.Random(s)))
    assert any(p["style"] == "half" for p in obfuscate_year(2004, random.Random(0)))


def test_personnel_credits_are_open_people_with_their_stated_instruments() -> None:
    assert role_words("flute, alto and tenor saxophone") == ("flute", "alto saxophone", "tenor saxophone")
    assert role_words("tenor sax") == ("tenor saxophone",)
    g = graph(("issue16", "Ray_Charles.html"), LIVE, GENIUS)
    flute = {"vars": {"?x": "person"}, "constraints": [attr("?x", "instrument", {"op": "has", "v": "flute"})]}
    assert fitting(g, flute) == ["Frank Wess", 'William "Buddy" Pearson']
    # "… credited on flute … worked with a singer born in the 1930s": their other credits are not on the pages
    worked = {"vars": {"?x": "person", "?y": "person"}, "constraints": [
        *flute["constraints"], {"t": "rel", "s": "?x", "p": "associated", "o": "?y"},
        attr("?y", "born", {"op": "year", "lo": 1930, "hi": 1939, "style": "decade"})]}
    assert len(matches(g, worked)) == 2
    # an instrument clue is refuted only by a stated list that lacks it (Clark Terry – trumpet)
    sax = {"vars": {"?x": "person"}, "constraints": [attr("?x", "instrument", {"op": "has", "v": "saxophone"})]}
    got = fitting(g, sax)
    assert "Frank Wess" in got and "Paul Gonsalves" in got and "Clark Terry" not in got
    assert "Ray Charles" not in {g.entities[i].name for i in g.of_kind("person") if g.entities[i].open_record}


def test_a_range_value_is_told_by_a_range_holding_all_of_it() -> None:
    assert parse_durations_s("22–24 minutes") == (NumSpan(1320, 1440),)
    g = graph(NANNY)
    nanny = next(e for e in g.entities if e.name == "The Nanny")
    a = nanny.attrs["running_time"]
    assert a.value == (NumSpan(1320, 1440),) and a.value[0].hi == 1440
    told = {"op": "num", "lo": 1440, "hi": 1560, "unit": "s", "style": "between"}  # the audited question
    assert not holds(told, a.value) and holds(told, a.value, possible=True)
    for s in range(30):
        for p in attr_predicates(a, "running_time", random.Random(s)):
            assert holds(p, a.value), p
            assert p["lo"] <= 1320 and p["hi"] >= 1440
