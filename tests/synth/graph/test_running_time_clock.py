"""A running time written as a clock without seconds is no m:ss length (hand audit of wiki-small-2008
obfuscated questions, round 5): All's Fair (a CBS sitcom) gives "Running time: approx. 0:30, (per episode)",
half an hour, which was read as 30 seconds and told as "a television series running under two minutes".
A record's Length ("3:03") is still m:ss; a running time in minutes or h:mm:ss is still read."""

from __future__ import annotations

from pathlib import Path

from crawlers.extract import extract
from schemas.records import Enumeration, Fact
from synth.graph.entities import _parse_attr, build_entity_graph
from synth.graph.solve import attr_ok
from tests.synth.conftest import make_page

PAGE = Path(__file__).resolve().parents[2] / "fixtures" / "pages" / "wiki-small-2008" / "All's_Fair_6046.html"
URL = "http://127.0.0.1:8765/en/articles/a/l/l/All%27s_Fair_6046.html"


def test_a_series_running_time_as_a_clock_is_no_length_in_seconds() -> None:
    ex = extract(PAGE.read_text(encoding="utf-8"), URL, "wikipedia")
    assert ("Running time", "approx. 0:30, (per episode)") in [(f["key"], f["value"]) for f in ex.facts]
    page = make_page(URL, ex.subject, facts=[Fact(**f) for f in ex.facts],
                     enumerations=[Enumeration(**e) for e in ex.enumerations], root=URL)
    g = build_entity_graph([page])
    series = next(e for e in g if e.name == "All's Fair")
    assert "running_time" not in series.attrs
    under_two_minutes = {"t": "attr", "s": "?x", "p": "running_time", "vkind": "num",
                         "pred": {"op": "lt", "v": 120}}
    assert attr_ok(g, series.idx, under_two_minutes)  # not stated in a readable way: it refutes nothing


def test_lengths_and_unambiguous_running_times_are_still_read() -> None:
    assert _parse_attr("num", "length", "3:03") == (183,)
    assert _parse_attr("num", "running_time", "108 minutes") == (6480,)
    assert _parse_attr("num", "running_time", "1:48:30") == (6510,)
    assert _parse_attr("num", "running_time", "approx. 0:30, (per episode)") is None
