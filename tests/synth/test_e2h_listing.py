"""E2HQA ``inverse_listing`` clues (issue 19): an entity described by its place in a list section of
another page ("the film listed fourth under “Filmography” for Ray Charles"), on trimmed copies of the
real saved pages (``tests/regression/pages/wiki-raycharles-2015-e2h``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.counters import Counters
from synth.e2h import E2HEngine
from synth.e2h.clues import clues_for, list_sections
from synth.e2h.config import E2HConfig
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.e2h.writers import TemplateE2HWriter, template_description
from synth.search import LocalSearchIndex, SearchRouter

PAGES = Path(__file__).resolve().parents[1] / "regression" / "pages" / "wiki-raycharles-2015-e2h"
BASE = "http://127.0.0.1:8000"
RC = f"{BASE}/A/Ray_Charles.html"
BB = f"{BASE}/A/The_Blues_Brothers_(film).html"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    files = sorted((PAGES / "A").glob("*.html"))
    idx = LocalSearchIndex.build(pages_from_files(PAGES, files, BASE),
                                 tmp_path_factory.mktemp("e2h-list") / "search.sqlite")
    yield idx
    idx.close()


def _listing(index, url: str, answer: str = "") -> list:
    doc = index.doc(url)
    assert doc is not None
    return [c for c in clues_for(doc, index, answer=answer, exclude=set()) if c.kind == "inverse_listing"]


def test_list_sections_of_the_artist_page(index):
    sections = dict(list_sections(index.body(RC)))
    assert sections["Filmography"][:4] == ["*Swingin' Along* (1961)", "*Ballad in Blue* (1964)",
                                           "*The Big T.N.T. Show* (1966) (documentary)", "*The Blues Brothers* (1980)"]
    assert sections["Discography"][0] == '"I Got a Woman" (1954)'


def test_a_film_described_by_its_place_in_another_pages_list(index):
    (c,) = _listing(index, BB)
    assert template_description(c) == "the film listed fourth under “Filmography” for Ray Charles"
    assert c.evidence_url == RC and c.snippet == "Filmography: *The Blues Brothers* (1980)"
    assert c.mentions == (RC,) and c.resolves == 1  # chains: a next round describes Ray Charles
    # no clue from a list that names the entity twice or not as an item of its own, nor for the answer's page
    # (the artist himself is only described through the Personnel lists of his records)
    assert {c.key for c in _listing(index, RC)} <= {"Personnel"}
    assert _listing(index, BB, answer="Ray Charles") == []


def test_the_rewrite_hides_the_film_and_keeps_the_answer(index):
    seed = Seed("bb", "Which studio distributed The Blues Brothers?", "Universal Pictures", source_url=BB)
    cfg = E2HConfig(rounds=1, clue_order=["inverse_listing"], one_search_gate=False)
    (out,) = list(E2HEngine(SearchRouter(index), TemplateE2HWriter(), cfg, Counters(), run_id="t").run([seed]))
    assert out.record is not None, out.failure
    assert out.record.question == "Which studio distributed the film listed fourth under “Filmography” for Ray Charles?"
    assert out.record.answer == "Universal Pictures"
    (step,) = out.record.lineage
    assert step.evidence_url == RC and step.snippet == "Filmography: *The Blues Brothers* (1980)"


ANTH = f"{BASE}/A/Ray_Charles_Anthology.html"


def test_a_track_listing_stands_for_the_entity_only_when_it_is_the_same_recording(index):
    # Ray Charles Anthology (Greatest hits album by Ray Charles, recorded 1960-1972) lists
    # 4. "I Don't Need No Doctor" (single by Ray Charles, recorded 1966): the same recording
    doctor = _listing(index, f"{BASE}/A/I_Don't_Need_No_Doctor.html")
    assert [template_description(c) for c in doctor] == [
        "the song listed fourth under “Track listing” for Ray Charles Anthology"]
    assert doctor[0].evidence_url == ANTH
    # 14. "What'd I Say" (1965 live version): another recording than the 1959 single, whose producer,
    # date or length are not the track's; only the artist page's Discography list describes it
    said = [template_description(c) for c in _listing(index, f"{BASE}/A/What'd_I_Say.html")]
    assert said == ["the song listed second under “Discography” for Ray Charles"]
    tracks = dict(list_sections(index.body(ANTH)))["Track listing"]
    assert tracks[13] == '"What\'d I Say" (1965 live version) (Ray Charles)'


def test_a_person_described_by_a_personnel_list(index):
    # "On what date did the saxophonist Hank Crawford die?": the album's Personnel list names him third
    # ('Hank Crawford - alto saxophone'); the album page does not give his death date
    said = [template_description(c) for c in _listing(index, f"{BASE}/A/Hank_Crawford.html")]
    assert said == ["the saxophonist listed third under “Personnel” for the album Ray Charles and Betty Carter"]
    # a record is never described through a people list (nor a person through a track listing)
    assert all("Personnel" not in (template_description(c) or "")
               for c in _listing(index, f"{BASE}/A/I_Don't_Need_No_Doctor.html"))


def test_a_plural_key_is_said_with_include():
    from synth.e2h.clues import Clue

    c = Clue("fact", "u", "u", "Labels: Columbia, Peacock, Verve", key="Labels", value="Columbia, Peacock, Verve",
             type="singer")
    assert template_description(c) == "the singer whose labels include Columbia, Peacock, Verve"
    c1 = Clue("fact", "u", "u", "Genre: Jazz", key="Genre", value="Jazz", type="singer")
    assert template_description(c1) == "the singer whose genre is Jazz"


def test_another_artists_discography_does_not_describe_a_record(tmp_path):
    # Willie Nelson's Discography lists "Georgia on My Mind" (1978): his record, not Ray Charles's single
    from datetime import UTC, datetime

    from schemas.ids import page_id
    from schemas.records import Fact, Link, Page

    def page(name: str, text: str, facts=(), links=()) -> Page:
        url = f"{BASE}/A/{name.replace(' ', '_')}.html"
        return Page(id=page_id(url), url=url, final_url=url, root_url=url, depth=1, status=200,
                    content_type="text/html", fetched_at=datetime(2026, 1, 1, tzinfo=UTC), title=name,
                    subject=name, description=f"{name} is a subject.", text=text, site="wikipedia",
                    facts=list(facts), out_links=[Link(url=u, text="") for u in links])

    georgia = page("Georgia on My Mind", "A song.", [Fact(key="Type", value="Single by Ray Charles")])
    lists = '## Discography\n\n- "Stardust" (1978)\n- "Georgia on My Mind" (1978)\n'
    willie = page("Willie Nelson", lists, links=[georgia.url])
    ray = page("Ray Charles", '## Discography\n\n- "I Got a Woman" (1954)\n- "Georgia on My Mind" (1960)\n',
               links=[georgia.url])
    with LocalSearchIndex.build([georgia, willie, ray], tmp_path / "s.sqlite") as idx:
        said = [template_description(c) for c in _listing(idx, georgia.url)]
    assert said == ["the single listed second under “Discography” for Ray Charles"]


def test_a_name_inside_a_list_of_names_is_not_replaced(index):
    # default-seeds run: "… for the disc whose producer is the artist of the compilation A Man and His Soul,
    # Steve Hoffman, Richard Foos?" — the description read as one more producer of the list
    from synth.e2h.entities import find_entities

    eng = E2HEngine(SearchRouter(index), TemplateE2HWriter(), E2HConfig(), Counters(), run_id="t")
    q = "Which song is the B-side of the song whose producer is Ray Charles, Steve Hoffman, Richard Foos?"
    (sp,) = [s for s in find_entities(q, "x", index.aliases(), max_tokens=6) if s.text == "Ray Charles"]
    assert eng._list_item(q, sp)
    q2 = "Which song is the B-side of the song whose producers are Steve Hoffman, Ray Charles?"
    (sp2,) = [s for s in find_entities(q2, "x", index.aliases(), max_tokens=6) if s.text == "Ray Charles"]
    assert eng._list_item(q2, sp2)
    q3 = "Which song did Ray Charles, the singer, record in 1954?"  # an apposition, not a list of names
    (sp3,) = [s for s in find_entities(q3, "x", index.aliases(), max_tokens=6) if s.text == "Ray Charles"]
    assert not eng._list_item(q3, sp3)


def test_a_listing_round_is_a_webshaper_triple(index):
    from synth.e2h.engine import to_webshaper

    seed = Seed("bb", "Which studio distributed The Blues Brothers?", "Universal Pictures", source_url=BB)
    cfg = E2HConfig(rounds=1, clue_order=["inverse_listing"], one_search_gate=False)
    (out,) = list(E2HEngine(SearchRouter(index), TemplateE2HWriter(), cfg, Counters(), run_id="t").run([seed]))
    assert ["C@Ray Charles", "Filmography", "V@X1"] in to_webshaper(out.record)["formalization"]
