"""The year hop of E2HQA (issue 19, synth/e2h/years.py), on unchanged copies of the saved Ray Charles 2015 pages
(tests/fixtures/pages/wiki-raycharles-2015/A via tests/saved_pages.py).

"Which singer first recorded “Night Time Is the Right Time” in 1957?" → "… in the year the single Bye Bye Love by
The Everly Brothers was released?": a year is described through a record whose one release year every crawled page
agrees on; "I Got a Woman" (its page and Ray Charles's Discography: 1954; Ray Charles discography: 1955) is never
used; a single is named with its credited artist (Ray Charles's 1958 single of "Night Time Is the Right Time" is
not Nappy Brown's of 1957).
"""

from __future__ import annotations

import pytest

from pipelines.counters import Counters
from schemas.records import Evidence, Page
from synth.e2h.config import E2HConfig
from synth.e2h.engine import E2HEngine
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.e2h.years import release_year, year_clues, year_spans
from synth.search import SearchRouter
from tests.saved_pages import saved_site

BASE = "http://127.0.0.1:8000"
NAMES = ("Night_Time_Is_the_Right_Time.html", "Bye_Bye_Love_(The_Everly_Brothers_song).html",
         "I_Got_a_Woman.html", "Ray_Charles_discography.html", "Talkin'_'bout_You.html",
         "Sweet_&_Sour_Tears.html", "Have_a_Smile_with_Me.html", "The_Great_Ray_Charles.html")
PAGES = saved_site(NAMES)


def url(name: str) -> str:
    return f"{BASE}/A/{name}"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from pipelines.shards import ShardWriter
    from synth.search import LocalSearchIndex

    pages: list[Page] = list(pages_from_files(PAGES, [PAGES / "A" / n for n in NAMES], BASE))
    folder = tmp_path_factory.mktemp("e2h-years")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(pages)
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as idx:
        yield idx


def test_only_a_bare_year_ending_its_clause_is_a_span():
    q = 'Which singer first recorded "Night Time Is the Right Time" in 1957?'
    assert [(s.text, q[s.start:s.end]) for s in year_spans(q, "Nappy Brown")] == [("1957", "1957")]
    assert year_spans('Which group first recorded "Let\'s Go Get Stoned" in May 1965?', "The Coasters") == []
    # a phrase after the year would attach to the description's clause
    assert [s.text for s in year_spans("Who produced the album recorded in 1957 and released in 1961 on Atlantic "
                                       "Records?", "x")] == ["1957"]
    assert year_spans('Which song is "Live in 1959"?', "x") == []  # inside a title
    assert year_spans("In what year, in 1957?", "1957") == []  # the answer


def test_release_year_needs_every_page_to_agree(index):
    assert release_year(index, url("Bye_Bye_Love_(The_Everly_Brothers_song).html")) == 1957
    assert release_year(index, url("Sweet_&_Sour_Tears.html")) == 1964
    # its infobox says 1954, Ray Charles discography's singles table 1955
    assert release_year(index, url("I_Got_a_Woman.html")) is None


def test_year_clues_name_one_record(index):
    got = {c.predicate: c.evidence_url for c in year_clues(index, 1957, answer="Nappy Brown", exclude=set())}
    assert got == {"the year the single Bye Bye Love by The Everly Brothers was released":
                   url("Bye_Bye_Love_(The_Everly_Brothers_song).html"),
                   "the year the album The Great Ray Charles was released": url("The_Great_Ray_Charles.html")}
    # Nappy Brown's page states the answer: not used; 1954/1955: I Got a Woman is disputed
    assert year_clues(index, 1954, answer="x", exclude=set()) == []
    assert year_clues(index, 1955, answer="x", exclude=set()) == []


def test_engine_replaces_the_year(index):
    seed = Seed(id="y1", question='Which singer first recorded "Night Time Is the Right Time" in 1957?',
                answer="Nappy Brown", source_url=url("Night_Time_Is_the_Right_Time.html"),
                evidence=(Evidence(url=url("Night_Time_Is_the_Right_Time.html"),
                                   text='"Night Time Is the Right Time" … is a rhythm and blues song recorded by '
                                        "Nappy Brown in 1957."),))
    eng = E2HEngine(SearchRouter(index), cfg=E2HConfig(rounds=2, one_search_gate=False, restarts=0,
                                                       ground_seeds=False), counters=Counters())
    out = eng.process([seed])[0]
    years = [st for st in out.steps if st.entity == "1957"]
    assert len(years) == 1, [st.question_after for st in out.steps]
    assert years[0].description in ("the year the single Bye Bye Love by The Everly Brothers was released",
                                    "the year the album The Great Ray Charles was released")
    assert years[0].snippet.startswith("Released")
    assert "1957" not in out.steps[-1].question_after
    assert out.record is not None and out.record.answer == "Nappy Brown"
