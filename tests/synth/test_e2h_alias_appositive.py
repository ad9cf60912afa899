"""A subject's alias appositive in E2HQA's first-sentence clues (issue 19), on unchanged copies of the saved Ray
Charles 2015 pages (tests/fixtures/pages/wiki-raycharles-2015/A via tests/saved_pages.py).

'"Drown in My Own Tears", originally credited as "I'll Drown in My Tears", is a blues song written by Henry Glover.'
The appositive is another name of the same song: the sentence describes the page ("the blues song written by Henry
Glover"), and the alias it quotes is no other song credited to Henry Glover (it made the description ambiguous
with itself).
"""

from __future__ import annotations

import pytest

from schemas.records import Page
from synth.e2h.clues import alias_appositive_dropped, clues_for, predicate
from synth.e2h.obfuscate import credited_elsewhere
from synth.e2h.pages import pages_from_files
from synth.search import SearchRouter
from tests.saved_pages import saved_site

BASE = "http://127.0.0.1:8000"
NAMES = ("Drown_in_My_Own_Tears.html", "Lonely_Avenue.html", "Ray_Charles_(album).html",
         "Sweet_&_Sour_Tears.html", "Ray_Charles_in_Person.html")
PAGES = saved_site(NAMES)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from pipelines.shards import ShardWriter
    from synth.search import LocalSearchIndex

    pages: list[Page] = list(pages_from_files(PAGES, [PAGES / "A" / n for n in NAMES], BASE))
    folder = tmp_path_factory.mktemp("e2h-alias")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(pages)
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as idx:
        yield idx


def test_only_an_alias_appositive_is_dropped():
    s = '"Drown in My Own Tears", originally credited as "I\'ll Drown in My Tears", is a blues song written by Henry Glover.'
    assert predicate(s) is None  # the subject is too long for a description
    assert predicate(alias_appositive_dropped(s)) == ('"Drown in My Own Tears"', "a blues song written by Henry Glover")
    assert alias_appositive_dropped("Intro. Ray Charles, also known as Brother Ray, was an American singer.") == \
        "Intro. Ray Charles was an American singer."
    for keep in ("Paris, Texas, is a city.", "The song, written by Henry Glover, is a hit.",
                 "The single, released as a B-side, was a hit."):  # not another name of the subject
        assert alias_appositive_dropped(keep) == keep


def test_first_sentence_with_an_alias_is_a_clue_and_not_shared_with_itself(index):
    router = SearchRouter(index)
    hit = next(h for h in router.search("Drown in My Own Tears", 5) if h.url.endswith("/Drown_in_My_Own_Tears.html"))
    doc = router.doc_for_hit(hit)
    firsts = [c for c in clues_for(doc, index, answer="Doc Pomus", exclude={doc.key})
              if c.kind == "first_sentence"]
    assert [c.predicate for c in firsts] == ["a blues song written by Henry Glover"]
    assert firsts[0].ambiguity == ""
    # the albums list the song by its title with the same credit; the page's own alias is the same song
    assert credited_elsewhere(index, doc.subject, "", name="Henry Glover") == []
    # another song credited to a name is still found: Lonely Avenue's writer on the albums' track listings
    assert credited_elsewhere(index, "Drown in My Own Tears", "", name="Doc Pomus")
