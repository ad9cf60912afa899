"""A page named by its kind and title in E2HQA (issue 19): 'the album Ray Charles' for the page
'Ray Charles (album)', on unchanged copies of the saved Ray Charles 2015 pages (tests/fixtures/pages via
tests/saved_pages.py).

The name alone is the musician's: a search of 'Ray Charles' brings up the musician, so the list description
'the single listed ninth under “Track listing” for the album Ray Charles' failed the search check, and a later
round found no entity to replace in it. The phrase denotes one page when no other crawled page of that name is
of that kind; a round then resolves 'the album Ray Charles' to the album and describes it in turn.
"""

from __future__ import annotations

import json

import pytest

from schemas.records import Page
from synth.e2h.clues import named_by_kind
from synth.e2h.config import E2HConfig
from synth.e2h.engine import E2HEngine
from synth.e2h.entities import find_entities
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.search import SearchRouter
from tests.saved_pages import saved_site

BASE = "http://127.0.0.1:8000"
NAMES = ("Ray_Charles.html", "Ray_Charles_(album).html", "Mess_Around.html", "I_Got_a_Woman.html",
         "A_Fool_for_You.html", "This_Little_Girl_of_Mine.html")
PAGES = saved_site(NAMES)
ALBUM = f"{BASE}/A/Ray_Charles_(album).html"
LISTED = "the single listed ninth under “Track listing” for the album Ray Charles"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from pipelines.shards import ShardWriter
    from synth.search import LocalSearchIndex

    pages: list[Page] = list(pages_from_files(PAGES, [PAGES / "A" / n for n in NAMES], BASE))
    folder = tmp_path_factory.mktemp("e2h-kind-named")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(pages)
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as idx:
        yield idx


def test_the_kind_and_title_name_one_page(index):
    assert named_by_kind(index, ALBUM, LISTED)
    assert not named_by_kind(index, ALBUM, "the single listed ninth under “Track listing” for Ray Charles")
    assert not named_by_kind(index, f"{BASE}/A/Ray_Charles.html", LISTED)  # no kind in its title
    assert not named_by_kind(index, ALBUM, "the single listed ninth for the song Ray Charles")  # not its kind


def test_a_round_resolves_the_album_and_describes_it(index):
    eng = E2HEngine(SearchRouter(index), cfg=E2HConfig(rounds=3))
    q = f"On what date was {LISTED} released?"
    spans = [sp for sp in find_entities(q, "June 19, 1953", eng.aliases, max_tokens=eng._alias_len)]
    assert [sp.urls for sp in spans] == [(f"{BASE}/A/Ray_Charles.html",)]  # the name is the musician's
    typed = eng._typed(q, spans[0])
    assert typed is not None and typed.urls == (ALBUM,)
    doc = eng._resolve(typed, eng.search.search(typed.text, eng.cfg.search_top_k))
    assert doc is not None and doc.url == ALBUM

    out = eng.process([Seed(id="rc25", question='On what date was the single "Mess Around" released?',
                            answer="June 19, 1953")])[0]
    assert out.record is not None, out.failure
    rounds = json.loads(out.record.meta_json)["rounds"]
    assert rounds[0]["kind"] == "inverse_listing" and rounds[0]["unique_via"] == "anchor_kind"
    assert rounds[1]["entity_url"] == ALBUM  # the next round went on through the album
    assert out.record.answer == "June 19, 1953" and "Ray Charles" not in out.record.question
