"""COMPARISON (multi-source): one fact from each of two pages under two different roots, combined
by the program; drops counted with their reason; worded by the template writer and the LLM writer;
every kept record re-verified by the filters and by an independent recheck against the HTML."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from filters import FilterChain, FilterConfig, build_filters
from pipelines.counters import Counters
from schemas.records import Enumeration, Fact
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.llm import LLMClient
from synth.mine import mine
from synth.text import compare_dates, contains, parse_date, parse_measure
from synth.writers.llm import LLMWriter
from synth.writers.template import NOT_STANDALONE, TemplateWriter
from tests.llm_server import config_for, data_of, ok
from tests.synth.conftest import BASE, make_page, walk
from tests.synth.test_miners_fixture_site import Recheck

W = f"{BASE}/wiki/"
ARX = f"{BASE}/arxiv/abs/"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# one page per root: every pair is cross-root
ROOTS = [W + "Dunmoor.html", W + "Kestrel_Bay.html", W + "Halverstad.html", W + "Salt_and_Signal.html",
         W + "Northern_Glass.html", W + "The_Lantern_Years.html", W + "Elena_Marsh.html", W + "Jonas_Brandt.html",
         ARX + "2401.00003.html", ARX + "2401.00004.html"]


def run(pages, **cfg):
    counters, rejects = Counters(), []
    cands = [c for c in mine(pages, SynthConfig(miners=["comparison"], **cfg), counters, rejects.append)]
    return cands, rejects, counters


def records(cands):
    w = TemplateWriter()
    out = []
    for x in w.write(cands):
        assert x.ok, (x.reject_reason, x.detail, x.raw)
        out.append(to_record(x, writer_name=w.name, prompt_version=w.prompt_version, run_id="t", created_at=T0))
    return out


@pytest.fixture(scope="module")
def site_run(fixture_site):
    pages = walk(fixture_site, ROOTS, max_depth=0)
    cands, rejects, counters = run(pages, max_comparisons_per_page=10)
    return pages, cands, rejects, counters


def meta(r) -> dict:
    return json.loads(r.meta_json)


def test_parsers():
    assert parse_date("19 April 2013") == ((2013, 4, 19), 3) and parse_date("Aug 2, 2023") == ((2023, 8, 2), 3)
    assert parse_date("March 2009") == ((2009, 3), 2) and parse_date("1187") == ((1187,), 1)
    assert parse_date("sometime in spring") is None and parse_date("31 Foo 2001") is None
    assert compare_dates(parse_date("2013"), parse_date("19 April 2013")) is None  # undecidable
    assert compare_dates(parse_date("2012"), parse_date("19 April 2013")) == -1
    assert parse_measure("812,400") == (812400.0, "") and parse_measure("34 m (112 ft)") == (34.0, "m")
    assert parse_measure("46:05") == (2765.0, "s") and parse_measure("1:02:03") == (3723.0, "s")
    assert parse_measure("22 nautical miles") is None and parse_measure("14 pages, 5 figures") is None


def test_every_kind_on_the_fixture_site_rechecks(site_run, fixture_site):
    pages, cands, _, _ = site_run
    recs = records(cands)
    kinds = {(meta(r)["kind"], meta(r)["family"]) for r in recs}
    assert {k for k, _ in kinds} == {"date", "number", "total"}
    assert {"population", "elevation", "length", "date"} <= {f for _, f in kinds}
    check = Recheck(fixture_site)
    assert [(why, r.question) for r in recs if (why := check(r))] == []
    for r in recs:  # standalone, names both subjects, multi-source
        assert not NOT_STANDALONE.search(r.question) and r.question.endswith("?")
        assert len(set(r.source_urls)) == 2 and r.hops == 2 and len(r.evidence) == 2
        assert {e.url for e in r.evidence} == set(r.source_urls)
    links = {p.url: {lk.url for lk in p.out_links} for p in pages}
    drops = []
    kept = list(FilterChain(build_filters(FilterConfig(), links=links), Counters(), drops.append).run(recs))
    assert len(kept) == len(recs), [(d.reason, d.detail) for d in drops]


def test_designed_comparisons(site_run):
    _, cands, _, _ = site_run
    got = {}
    for r in records(cands):
        m = meta(r)
        got[(m["kind"], m["pick"], frozenset(u.removeprefix(W) for u in r.source_urls))] = r.answer
    # FACTS.md: Dunmoor 812,400 / Kestrel Bay 148,300; Northern Glass 46:05 > Salt and Signal 35:19
    assert got.get(("number", "larger", frozenset({"Dunmoor.html", "Kestrel_Bay.html"}))) in (None, "812,400")
    assert got.get(("number", "larger", frozenset({"Northern_Glass.html", "Salt_and_Signal.html"}))) in (None, "46:05")
    assert got.get(("total", "total", frozenset({"Northern_Glass.html", "Salt_and_Signal.html"}))) in (None, "18")
    numbers = [a for (k, _, _), a in got.items() if k == "number"]
    assert "812,400" in numbers or "148,300" in numbers


def test_pairs_are_cross_root_only_by_default(fixture_site):
    pages = walk(fixture_site, [W + "Salt_and_Signal.html"], max_depth=1)
    assert len({p.root_url for p in pages}) == 1
    assert run(pages)[0] == []
    same_root = run(pages, comparison_cross_root=False)[0]
    assert same_root and all(len(set(c.source_urls)) == 2 for c in same_root)


def _pages(fa: Fact, fb: Fact, enum_a: Enumeration | None = None, enum_b: Enumeration | None = None):
    a = make_page(W + "A.html", "Alpha", facts=[fa], enumerations=[enum_a] if enum_a else [])
    b = make_page(W + "B.html", "Beta", facts=[fb], enumerations=[enum_b] if enum_b else [])
    return [a, b]


@pytest.mark.parametrize(("fa", "fb", "reason"), [
    (Fact(key="Released", value="2013"), Fact(key="Released", value="19 April 2013"), "tie"),
    (Fact(key="Born", value="2 June 1976"), Fact(key="Born", value="2 June 1976"), "tie"),
    (Fact(key="Population", value="1,000"), Fact(key="Population (2020)", value="1,000"), "tie"),
    (Fact(key="Length", value="46:05"), Fact(key="Length", value="412 km (256 mi)"), "unit_mismatch"),
    (Fact(key="Population", value="about a thousand"), Fact(key="Population", value="900"), "unparseable_value"),
])
def test_drops_are_counted_with_their_reason(fa, fb, reason):
    cands, rejects, counters = run(_pages(fa, fb))
    assert cands == [] and counters.get(f"mine/dropped/{reason}") >= 1
    assert any(r.reason == reason and r.stage == "mine" for r in rejects)


def test_overlapping_lists_make_no_total():
    ea = Enumeration(kind="list", label="Personnel", items=["Liv Asker", "Hanna Voss"])
    eb = Enumeration(kind="list", label="Personnel", items=["Liv Asker", "Ruth Calder"])
    cands, _, counters = run(_pages(Fact(key="Genre", value="Folk"), Fact(key="Genre", value="Pop"), ea, eb))
    assert cands == [] and counters.get("mine/dropped/overlapping_items") == 1
    eb2 = Enumeration(kind="list", label="Personnel", items=["Ruth Calder", "Elena Marsh", "Oskar Lindgren"])
    [c] = run(_pages(Fact(key="Genre", value="Folk"), Fact(key="Genre", value="Pop"), ea, eb2))[0]
    assert c.answer == "5" and meta(records([c])[0])["kind"] == "total"


def test_cap_is_counted():
    pages = [make_page(W + f"P{i}.html", f"Person {i}", facts=[Fact(key="Born", value=f"{i + 1} May 19{50 + i}")])
             for i in range(8)]
    cands, _, counters = run(pages, max_comparisons=3)
    assert len(cands) == 3 and counters.get("mine/dropped/comparison_cap") >= 1


def test_earlier_and_later_answer_the_right_date():
    pages = _pages(Fact(key="Born", value="2 June 1976; Halverstad"), Fact(key="Founded", value="1998"))
    [c] = run(pages)[0]
    s = json.loads(c.slots_json)
    assert c.answer == ("2 June 1976" if s["pick"] == "earlier" else "1998")
    [r] = records([c])
    assert "Alpha" in r.question and "Beta" in r.question and c.answer not in r.question
    assert re.match(r"When did the (earlier|later) of these two events take place: the birth of Alpha, or the "
                    r"founding of Beta\?", r.question) or "the founding of Beta, or the birth of Alpha" in r.question


# --- the LLM writer --------------------------------------------------------------------------------
def test_llm_writer_prompt_has_both_sides_and_forbids_both_values(srv, site_run):
    _, cands, _, _ = site_run
    c = next(x for x in cands if json.loads(x.slots_json)["kind"] == "date")
    s = json.loads(c.slots_json)
    names = [s[x]["entity"]["name"] for x in ("a", "b")]
    good = f"When did the {s['pick']} of these two events happen: the one about {names[0]} or the one about {names[1]}?"
    bad = {"missing_subject": f"When was {names[0]} dated, compared with the other one?",
           "value_in_question": f"Was it {s['a']['value']} for {names[0]} or something else for {names[1]}?"}
    for reason, question in bad.items():  # a fresh client each time: the response cache is per content
        srv.script(ok({"question": question}))
        with LLMClient(config_for(srv)) as client:
            [w] = LLMWriter(client).write([c])
        assert w.reject_reason in (reason, "answer_in_question") and not w.ok, (reason, w.reject_reason)
    srv.script(ok({"question": good}))
    with LLMClient(config_for(srv)) as client:
        writer = LLMWriter(client)
        [w] = writer.write([c])
    assert w.ok and w.extra["prompt"] == "comparison.v1" and w.candidate.answer == c.answer
    system, user = srv.chat_calls[-1].messages
    assert '"comparison" item' in system["content"]
    data = data_of(user["content"])
    assert data["kind"] == "date" and data["pick"] == s["pick"] and data["a"]["event"] and data["b"]["event"]
    assert {s["a"]["value"], s["b"]["value"], c.answer} <= set(data["forbidden"])
    assert [e["url"] for e in data["evidence"]] == c.source_urls and all(e["text"] for e in data["evidence"])
    rec = to_record(w, writer_name=writer.name, prompt_version=w.extra["prompt"], run_id="t", created_at=T0)
    assert list(FilterChain(build_filters(FilterConfig()), Counters()).run([rec])) == [rec]
    assert contains(rec.question, names[0]) and contains(rec.question, names[1])
