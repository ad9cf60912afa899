"""Narrower clues on the target's own dates and numbers for a walk that is not unique (round 5).

Listed records (discography rows) state a year and nothing else a clue can refute; "the 1960s" leaves every
1960s row of the singer's lists, "sometime between 1960 and 1962" leaves the rows of three years. A narrowed
clue still holds the target's whole value (a span or a range included), is never the bare value, and every
narrowed set is solved again before it is kept.
"""

from __future__ import annotations

import random

from synth.graph.entities import Attr
from synth.graph.sample import SampleConfig, sample_queries, tightened, tighter_predicates
from synth.graph.solve import unique
from synth.graph.values import NumSpan, YearSpan, holds
from tests.synth.graph.test_universe import DISCO, graph


def test_narrower_clues_hold_the_whole_value() -> None:
    for seed in range(30):
        rng = random.Random(seed)
        one = tighter_predicates(Attr("date", (1961,), "Released", "1961", "Released: 1961"), "released", rng)
        assert [p["hi"] - p["lo"] for p in one] == [4, 2]
        assert all(holds(p, (1961,)) for p in one)
        assert all(p["lo"] != p["hi"] for p in one)
        span = tighter_predicates(Attr("date", (YearSpan(1960, 1961),), "Released", "", ""), "released", rng)
        assert all(holds(p, (YearSpan(1960, 1961),)) for p in span)
        rec = tighter_predicates(Attr("date", (1958, 1959), "Recorded", "", ""), "recorded", rng)
        assert all(p["lo"] <= 1958 and p["hi"] >= 1959 for p in rec)  # sessions: both ends
        mins = tighter_predicates(Attr("num", (157,), "Length", "2:37", ""), "length", rng)
        assert [(p["lo"], p["hi"]) for p in mins] == [(60, 180), (120, 180)] and all(holds(p, (157,)) for p in mins)
        rng_ = tighter_predicates(Attr("num", (NumSpan(1320, 1440),), "Running time", "", ""), "running_time", rng)
        assert all(holds(p, (NumSpan(1320, 1440),)) for p in rng_)  # "22–24 minutes" held whole
        money = tighter_predicates(Attr("num", 3.5e7, "Budget", "", ""), "budget", rng)
        assert [(p["lo"], p["hi"]) for p in money] == [(3e7, 4e7)]


def test_tightened_variants_are_narrower_and_solved_again() -> None:
    g = graph(DISCO, ("saved", "Ray_Charles_in_Person.html"))
    t = g.get("http://127.0.0.1:8765/A/Ray_Charles_in_Person.html")
    assert t is not None and "released" in t.attrs
    decade = {"t": "attr", "s": "?x", "p": "released", "vkind": "date", "url": t.url, "snippet": "", "value": "",
              "pred": {"op": "year", "lo": 1960, "hi": 1969, "style": "decade"}}
    q = {"vars": {"?x": "album"}, "constraints": [decade]}
    assert not unique(g, q, t.idx)  # every 1960s album row of the discography
    variants = tightened(g, q, t.idx, random.Random(0))
    assert variants and all(v["constraints"][0]["pred"]["hi"] - v["constraints"][0]["pred"]["lo"] < 9 for v in variants)
    assert all(holds(v["constraints"][0]["pred"], t.attrs["released"].value) for v in variants)
    # whatever the sampler keeps with narrowing on is unique by the solver, and narrowing off keeps no more
    on = sample_queries(g, t.idx, seed=0, tries=30, keep=4)
    off = sample_queries(g, t.idx, seed=0, tries=30, keep=4, cfg=SampleConfig(tighten=False))
    assert all(unique(g, qq, t.idx) for qq, _ in on + off)
