"""E2HQA questions a second hand audit (33 questions of a default-seeds run over the Ray Charles depth-3
crawl, code 2f5dbb6) found ambiguous or garbled, one test per class, on trimmed copies of the real saved
pages (``pages/wiki-raycharles-2015-e2h2``: the Kiwix pages of the shared corpus, cut before their first
section of prose after the infobox, the track listing kept):

* 'the album that includes the song X' read a single's 'from the album' row as inclusion, while the song
  is on many albums (compilations, live albums, other artists' records);
* 'the song written by someone with the initials D. G.' was unique only among the crawl's Writer rows,
  while track listings credit other songs to Don Gibson ('"Who Cares (For Me)" (Don Gibson)');
* 'the album whose previous album is Ray Charles and Betty Carter': that page has two chronologies;
* 'On which record label was the artist of the song …': the quoted album title “Ray Charles” was
  replaced by a description of the musician of that name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.counters import Counters
from schemas.records import Page
from synth.e2h.clues import clues_for
from synth.e2h.config import E2HConfig
from synth.e2h.engine import E2HEngine
from synth.e2h.entities import find_entities
from synth.e2h.obfuscate import credited_elsewhere
from synth.e2h.pages import pages_from_files
from synth.e2h.writers import TemplateE2HWriter, template_description
from synth.search import SearchRouter

PAGES = Path(__file__).resolve().parent / "pages" / "wiki-raycharles-2015-e2h2"
BASE = "http://127.0.0.1:8000"
NAMES = ("Georgia_on_My_Mind.html", "The_Genius_Hits_the_Road.html", "I_Can't_Stop_Loving_You.html",
         "Have_a_Smile_with_Me.html", "Crying_Time.html", "Ray_Charles_in_Concert.html",
         "The_Genius_Sings_the_Blues.html", "Ray_Charles_(album).html", "Ray_Charles_and_Betty_Carter.html",
         "Dedicated_to_You_(Ray_Charles_album).html", "Modern_Sounds_in_Country_and_Western_Music.html",
         "Ray_Charles.html")


def url(name: str) -> str:
    return f"{BASE}/A/{name}"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from pipelines.shards import ShardWriter
    from synth.search import LocalSearchIndex

    pages: list[Page] = list(pages_from_files(PAGES, [PAGES / "A" / n for n in NAMES], BASE))
    assert {p.url for p in pages} == {url(n) for n in NAMES}
    folder = tmp_path_factory.mktemp("e2h-final2")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(pages)
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as idx:
        yield idx


def described(index, name: str) -> list[tuple[str, str, str, int]]:
    """(kind, description, ambiguity, resolves) of every clue about ``name`` the template writer phrases."""
    doc = index.doc(url(name))
    assert doc is not None
    out = []
    for c in clues_for(doc, index, answer="", exclude=set()):
        text = template_description(c)
        if text:
            out.append((c.kind, text, c.ambiguity, c.resolves))
    return out


def test_an_album_is_described_by_the_singles_from_the_album_row_not_by_inclusion(index) -> None:
    # audit: "What is the running time of the next album of the album that includes the song listed third
    # under “Discography” for Ray Charles?" — Georgia on My Mind is on The Genius Hits the Road and on Ray
    # Charles in Concert (disc one, track 12) and many compilations; its infobox says 'Single by Ray Charles
    # from the album The Genius Hits the Road', which names one album
    assert '"Georgia On My Mind" (Hoagy Carmichael, Stuart Gorrell)' in index.body(url("Ray_Charles_in_Concert.html"))
    descs = described(index, "The_Genius_Hits_the_Road.html")
    assert not [t for _, t, _, _ in descs if " includes " in f" {t} "], descs
    assert ("inverse_relation", "the parent album of the single Georgia on My Mind", "", 1) in descs


def test_initials_are_unique_over_track_listing_credits(index) -> None:
    # audit: "On which record label was the previous album of the album that includes the song written by
    # someone with the initials D. G. released?" — Don Gibson also wrote "Who Cares (For Me)" (track listing
    # of Have a Smile with Me); Buck Owens co-wrote "Don't Let Her Know" (Ray Charles in Concert)
    dg = credited_elsewhere(index, "I Can't Stop Loving You", "DG", writer="Don Gibson")
    assert "who cares for me (Have_a_Smile_with_Me.html)" in dg, dg
    assert not [d for d in dg if d.startswith("i can t stop loving you")], dg  # the same song on other records
    bo = credited_elsewhere(index, "Crying Time", "BO", writer="Buck Owens")
    assert "don t let her know (Ray_Charles_in_Concert.html)" in bo, bo
    icsly = [t for k, t, _, _ in described(index, "I_Can't_Stop_Loving_You.html") if k == "obfuscated_fact"]
    assert not [t for t in icsly if "initials" in t], icsly
    crying = [t for k, t, _, _ in described(index, "Crying_Time.html") if k == "obfuscated_fact"]
    assert not [t for t in crying if "initials" in t], crying
    # the same writer named in full by a sentence without a year: 'the popular song written and composed by
    # country singer, songwriter and musician Don Gibson' fits "Who Cares (For Me)" too; 'a song from 1964
    # written by … Buck Owens' is narrower than the credits (no year) and stays
    prose = {t: why for k, t, why, _ in described(index, "I_Can't_Stop_Loving_You.html") if k == "first_sentence"}
    assert prose and all(why.startswith("1 other song(s) of the crawl are credited to Don Gibson (e.g. who cares for me") for why in
                         prose.values()), prose
    crying_prose = {t: why for k, t, why, _ in described(index, "Crying_Time.html") if k == "first_sentence"}
    assert crying_prose and all(why == "" for why in crying_prose.values()), crying_prose
    # a writer whose initials no other credit of the crawl shares still gives the clue
    assert credited_elsewhere(index, "Georgia on My Mind", "SF", writer="Sid Feller") == []


def test_a_neighbour_of_a_page_with_two_chronologies_is_not_described_through_it(index) -> None:
    # audit: "What is the running time of the album whose previous album is the next album of the next album
    # of the album The Genius Hits the Road?" — Ray Charles and Betty Carter has a Ray Charles chronology (next:
    # The Genius Sings the Blues) and a Betty Carter one (next: 'Round Midnight, not crawled)
    fwd = [(t, why, n) for k, t, why, n in described(index, "The_Genius_Sings_the_Blues.html")
           if k == "forward_relation" and "Ray Charles and Betty Carter" in t]
    assert fwd, "the clue is still made (and counted as ambiguous by the engine)"
    assert all(n >= 2 and "has 2 chronologies (Ray Charles, Betty Carter)" in why for _, why, n in fwd), fwd
    # a page with one chronology stays a unique neighbour
    ok = [(t, why) for k, t, why, _ in described(index, "Ray_Charles_and_Betty_Carter.html")
          if k == "inverse_relation" and t == "the next album of the album Dedicated to You"]
    assert ok == [("the next album of the album Dedicated to You", "")], ok


def test_a_quoted_album_title_is_not_replaced_by_a_description_of_the_musician(index) -> None:
    # audit (garbled): "On which record label was the artist of the song from 1964 written by country music
    # artist Buck Owens released?" from the seed "On which record label was the studio album “Ray Charles” by
    # Ray Charles released?" (Atlantic): round 1 took the album title for the musician (whose infobox lists
    # seven labels) and described him as 'the artist of the song Crying Time'
    counters = Counters()
    eng = E2HEngine(SearchRouter(index, None, "fallback"), TemplateE2HWriter(), E2HConfig(one_search_gate=False),
                    counters, run_id="test-run")
    q = "On which record label was the studio album “Ray Charles” by Ray Charles released?"
    spans = find_entities(q, "Atlantic", eng.aliases, max_tokens=eng._alias_len)
    title = next(sp for sp in spans if q[sp.start] == "“")
    person = next(sp for sp in spans if q[sp.start - 3:sp.start] == "by ")
    # the name is the musician's alias (the album's page is 'Ray Charles (album)'): the quoted title after
    # 'the studio album' is no span of his; it is the page whose title gives that kind (test_e2h_kind_named),
    # while 'by Ray Charles' is his
    assert title.urls == person.urls == (url("Ray_Charles.html"),)
    assert eng._typed(q, title).urls == (url("Ray_Charles_(album).html"),)
    assert counters.get("e2h/entities/disambiguated_by_kind") == 1
    assert eng._typed(q, person) == person
    # a work noun before the title of a work's page: the span stays
    q2 = "When was the single “Crying Time” released?"
    (ct,) = [sp for sp in find_entities(q2, "1966", eng.aliases, max_tokens=eng._alias_len) if "Crying" in sp.text]
    assert eng._typed(q2, ct) == ct and ct.urls == (url("Crying_Time.html"),)
    assert counters.get("e2h/entities/kind_mismatch") == 0
    # the whole round: no rewrite of the seed describes the musician in the album's place
    from synth.e2h.seeds import Seed

    sd = Seed("rc", q, "Atlantic", source_url=url("Ray_Charles_(album).html"))
    (out,) = eng.process([sd])
    tried = [a["question"] for a in (out.failure.attempts if out.failure else []) if a.get("question")]
    tried += [st.question_after for st in (out.record.lineage if out.record is not None else [])]
    assert tried, out
    # (the title kept, or the album itself described: 'the album whose length is 38:55 by Ray Charles')
    assert all("the studio album “Ray Charles”" in t or t.startswith("On which record label was the album ")
               for t in tried), tried
    assert any(t.startswith("On which record label was the album whose length is 38:55") for t in tried), tried
