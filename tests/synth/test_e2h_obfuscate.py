"""E2HQA descriptions said loosely (issue 17 item 7, issue 19): obfuscated fact clues, unique by an exact
check over the index, and the round choice between a sure round and a chain that may hide the answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crawlqa.devserver import FIXTURE_SITE
from filters.shortcut import shortcut_rank
from pipelines.counters import Counters
from schemas.ids import page_id
from schemas.records import Fact, Page
from synth.e2h import E2HEngine
from synth.e2h.clues import clues_for
from synth.e2h.config import E2HConfig
from synth.e2h.obfuscate import DATE_FAMILIES, KIND, family_values, matching, obfuscated_clues
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.e2h.writers import TemplateE2HWriter
from synth.graph.values import holds, parse_years
from synth.search import LocalSearchIndex, SearchRouter

BASE = "http://127.0.0.1:8765"
W = BASE + "/wiki/"
NG = Seed("ng", "When was Northern Glass released?", "19 April 2013", source_url=W + "Northern_Glass.html",
          golden_path=(W + "index.html", W + "Northern_Glass.html"))


def _album(name: str, released: str, recorded: str) -> Page:
    """A page of its own for an album the fixture only names in a chronology (issue 16, audit final: a
    loose date is unique only against every record the crawl states, page or not). With its own rows the
    album's dates are known exactly, so Northern Glass's recording date can still be said loosely."""
    url = W + name.replace(" ", "_") + ".html"
    facts = [Fact(key="Type", value="Studio album by Mira Volkova", links=[W + "Mira_Volkova.html"]),
             Fact(key="Released", value=released), Fact(key="Recorded", value=recorded)]
    return Page(id=page_id(url), url=url, final_url=url, root_url=url, depth=1, status=200,
                content_type="text/html", fetched_at=datetime(2026, 1, 1, tzinfo=UTC), title=name, subject=name,
                description=f"{name} is a studio album by Mira Volkova.", text=f"{name} is a studio album.",
                site="wikipedia", facts=facts)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    files = sorted((FIXTURE_SITE / "wiki").glob("*.html"))
    # the fixture's chronologies name Paper Harbour (2011), Low Tide Letters (2015) and Quiet Machines (2020),
    # and Mira Volkova's Discography lists Weather for Two (2023) and three live albums, which have no page
    # (a record released after a span may have been recorded in it)
    pages = [*pages_from_files(FIXTURE_SITE, files, BASE), _album("Paper Harbour", "2011", "2009"),
             _album("Low Tide Letters", "2015", "2014"), _album("Quiet Machines", "2020", "2019"),
             _album("Weather for Two", "2023", "2022"), _album("Live at Greywater", "2014", "2014"),
             _album("Harbour Lights: Live in Dunmoor", "2018", "2018"), _album("Midwinter Sessions", "2021", "2020")]
    idx = LocalSearchIndex.build(pages, tmp_path_factory.mktemp("e2h-obf") / "search.sqlite")
    yield idx
    idx.close()


def _obf(index, page, answer="nothing here"):
    doc = index.doc(W + page)
    return {c.predicate: c for c in clues_for(doc, index, answer=answer, exclude=set()) if c.kind == KIND}


def test_dates_and_people_said_loosely_with_the_real_row_as_evidence(index):
    got = _obf(index, "Northern_Glass.html")
    # (not "released in the early 2010s": Paper Harbour, released 2011, fits it too)
    assert set(got) == {"the album recorded in the early 2010s",
                        "the album produced by someone with the initials J. B."}
    c = got["the album recorded in the early 2010s"]
    assert c.snippet.startswith("Recorded: June–November 2012") and c.evidence_url == W + "Northern_Glass.html"
    assert got["the album produced by someone with the initials J. B."].snippet == "Producer: Jonas Brandt"


def test_a_loose_date_is_kept_only_when_no_other_page_fits_it(index):
    # every album's release row is read: 2009 is the only one in 2007-2009; 2017 is not the only one in 2017-2019
    # (Harbour Lights: Live in Dunmoor, 2018, which the Discography lists)
    released = family_values(index, DATE_FAMILIES["released"])
    years = sorted(parse_years(v)[0] for _, v in released if parse_years(v))
    assert years == [2009, 2011, 2013, 2014, 2015, 2017, 2018, 2020, 2021, 2023]
    assert "the album released in the late 2000s" in _obf(index, "Salt_and_Signal.html")
    assert "the album released in the late 2010s" not in _obf(index, "The_Lantern_Years.html")
    # Born rows: 1969 (Elena Marsh) and 1965 (Tomas Ekdahl) share the 1960s, so each gets the tighter
    # part of the decade, never "the 1960s"
    for page in ("Elena_Marsh.html", "Tomas_Ekdahl.html"):
        phrases = [p for p in _obf(index, page) if "born" in p]
        assert phrases and not any(p.endswith("in the 1960s") for p in phrases)
    p_decade = {"op": "year", "lo": 1960, "hi": 1969}
    born = [k for k, v in family_values(index, DATE_FAMILIES["born"]) if holds(p_decade, parse_years(v))]
    assert len(born) == 2  # why the decade would not single one out


def test_a_row_sharing_a_word_with_the_answer_is_not_obfuscated(index):
    # "produced by someone with the initials J. B." would hint at the answer Jonas Brandt
    assert "the album produced by someone with the initials J. B." not in _obf(index, "Northern_Glass.html",
                                                                              answer="Jonas Brandt")
    doc = index.doc(W + "Northern_Glass.html")
    assert not [c for c in obfuscated_clues(doc, index, doc_type="album", answer="19 April 2013")
                if "released" in c.predicate]


def test_an_obfuscated_description_hides_the_answer_from_one_search(index):
    c = Counters()
    eng = E2HEngine(SearchRouter(index), TemplateE2HWriter(), E2HConfig(rounds=1), c, run_id="t")
    (out,) = list(eng.run([NG]))
    assert out.record is not None, out.failure
    q = out.record.question
    assert q == "When was the album recorded in the early 2010s released?"
    assert shortcut_rank(index, q, NG.answer, k=3) is None  # the filter stage's gate keeps it
    (step,) = out.record.lineage
    assert step.snippet.startswith("Recorded: June–November 2012") and "2012" not in q
    assert out.record.answer == NG.answer
    assert '"unique_via": "predicate"' in out.record.meta_json
    # the loose value is in the record as data: re-read against every row, it fits this album alone
    (m,) = json.loads(out.record.meta_json)["rounds"]
    assert m["loose"]["pred"] == {"op": "year", "lo": 2010, "hi": 2013, "style": "early"}
    assert matching(index, json.dumps(m["loose"])) == {index.entity_key(W + "Northern_Glass.html")}
    wider = dict(m["loose"], pred={"op": "year", "lo": 2000, "hi": 2019})
    assert len(matching(index, json.dumps(wider))) == 8  # a looser value fits eight albums: never made


def test_an_llm_description_stating_the_exact_value_is_not_unique(index):
    class Blurts(TemplateE2HWriter):
        def describe(self, requests):
            outs = super().describe(requests)
            for r, o in zip(requests, outs, strict=True):
                if r.clue.kind == KIND:
                    o.text = f"{o.text} (2012)"
            return outs

    c = Counters()
    eng = E2HEngine(SearchRouter(index), Blurts(), E2HConfig(rounds=1, clue_order=[KIND]), c, run_id="t")
    (out,) = list(eng.run([NG]))
    assert out.record is None  # (the round's failure is the attempt that got furthest: a gated rewrite)
    blurted = [a for a in out.failure.attempts if a["reason"] == "not_unique"]
    # (the release row is the answer itself: no obfuscated clue is made of it)
    assert [a["description"] for a in blurted] == ["the album recorded in the early 2010s (2012)"]
    assert "states the exact value '2012'" in blurted[0]["detail"]


def test_round_one_prefers_a_gated_chain_to_a_sure_dead_end(index):
    # round 1: "the album recorded in the early 2010s" hides the answer but leaves round 2 no entity;
    # "the notable work of Jonas Brandt" is gated but names Jonas Brandt, whom round 2 replaces and
    # whose replacement hides the answer: 2 rounds instead of 1
    c = Counters()
    eng = E2HEngine(SearchRouter(index), TemplateE2HWriter(), E2HConfig(rounds=2), c, run_id="t")
    (out,) = list(eng.run([NG]))
    assert [s.question_after for s in out.steps] == [
        "When was the notable work of Jonas Brandt released?",
        "When was the notable work of the producer born in Halverstad released?"]
    d = c.to_dict()
    assert d["e2h/attempts/dead_end"] == 1 and d["e2h/rounds/gated/r1"] == 1
    assert "e2h/rounds/dead_end/r1" not in d
    assert shortcut_rank(index, out.steps[-1].question_after, NG.answer, k=3) is None
