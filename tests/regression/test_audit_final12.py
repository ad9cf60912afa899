"""Strict hand audit rounds 12 and 14 (bench/audit/hand-audit-strict1{2,4}.*): the classes they found, on unchanged copies of
the saved Ray Charles 2015 pages (tests/fixtures/pages via tests/saved_pages.py).

- E2HQA, ambiguous (2): "What is listed under “Cinematography” for the film directed by someone with the initials
  T. H.?" → Paweł Edelman (Ray). Ray (film)'s own navigation box "Films directed by Taylor Hackford" lists fourteen
  other films: the initials (and the name itself) fit each of them. The index keeps the works a box credits to a
  person (``LocalSearchIndex.credits``); neither the loose clue nor the literal row is made.
- multi-hop, ambiguous: "Where does the writer of the twelfth entry … originate from?" → Greenville, Florida (Ray
  Charles's "Origin" row), while his "Born" row says Albany, Georgia and his text calls Albany his hometown. A
  person's origin is asked only when the page gives no other birthplace.
"""

from __future__ import annotations

import pytest

from synth.e2h.clues import clues_for
from synth.e2h.obfuscate import credited_in_boxes, obfuscated_clues
from tests.regression.test_audit_final5_intersection import Mined
from tests.regression.test_audit_final9_e2h import build, url

NAMES = ("Ray_(film).html", "Love_Affair_(1994_film).html", "Ray_Charles.html")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    with build(tmp_path_factory, NAMES) as idx:
        yield idx


def test_the_index_keeps_the_films_a_navigation_box_credits_to_a_director(index):
    films = {(t, p) for _, t, p, _ in index.credits("director")}
    assert ("An Officer and a Gentleman", "Taylor Hackford") in films and ("Ray", "Taylor Hackford") in films
    assert ("Wilder Napalm", "Glenn Gordon Caron") in films  # Love Affair's box
    assert len({t for t, p in films if p == "Taylor Hackford"}) == 15
    assert index.credits("producer") == []
    others = credited_in_boxes(index, "Ray (film)", "director", ini="TH")
    assert len(others) == 14 and not [o for o in others if o.startswith("Ray (")], others


def test_a_director_a_box_credits_with_other_films_describes_none_of_them(index):
    doc = index.doc(url("Ray_(film).html"))
    loose = [c.predicate for c in obfuscated_clues(doc, index, doc_type="film", answer="Paweł Edelman")]
    assert not [p for p in loose if "initials T. H." in p], loose
    facts = [c for c in clues_for(doc, index, answer="Paweł Edelman", exclude=set())
             if c.kind == "fact" and c.relation == "director"]
    assert facts and all("Taylor Hackford" in c.value for c in facts)
    assert all("navigation box credits to Taylor Hackford" in c.ambiguity for c in facts), [c.ambiguity for c in facts]
    # a film whose director's box lists other films too: Love Affair (Glenn Gordon Caron)
    doc = index.doc(url("Love_Affair_(1994_film).html"))
    loose = [c.predicate for c in obfuscated_clues(doc, index, doc_type="film", answer="")]
    assert not [p for p in loose if "directed by someone with the initials" in p], loose


def test_a_persons_origin_is_not_asked_when_the_page_gives_another_birthplace() -> None:
    m = Mined.crawl(["Ray_(film).html", "What'd_I_Say.html", "Ray_Charles.html", "Hank_Crawford.html",
                     "The_Raelettes.html"])
    origins = [r for r in m.records if "originate" in r.question]
    assert not [r for r in origins if r.answer.startswith("Greenville")], [r.question for r in origins]
    assert [r for r in m.dropped("origin_not_birthplace") if r.url.endswith("Ray_Charles.html")]
    # Hank Crawford's Born row gives no place (his text: born in Memphis): his origin, Memphis, is still asked
    assert [r for r in origins if r.answer.startswith("Memphis")], [r.question for r in origins]


# --- strict audit round 14 ----------------------------------------------------------------------------------------
def test_a_b_side_row_the_pages_prose_reverses_is_no_question_and_no_clue(tmp_path_factory) -> None:
    # "Which song is the B-side of the single whose next single is “Blackjack” …?" → A Fool for You (ambiguous):
    # This Little Girl of Mine's infobox says 'B-side: "A Fool for You"', its text 'The song was the B-side to
    # Charles' number-one R&B single, "A Fool for You"'
    # the main text as the crawler extracts it (trafilatura)
    from synth.e2h.pages import pages_from_files
    from tests.saved_pages import saved_site

    names = ("This_Little_Girl_of_Mine.html", "A_Fool_for_You.html", "Ray_Charles.html")
    site = saved_site(names)
    m = Mined(list(pages_from_files(site, [site / "A" / n for n in names], "http://127.0.0.1:8000")))
    asked = [r for r in m.records if "B-side" in r.question and r.answer.strip('"“”') == "A Fool for You"]
    assert not asked, [r.question for r in asked]
    assert [r for r in m.dropped("side_disputed") if r.url.endswith("This_Little_Girl_of_Mine.html")]
    with build(tmp_path_factory, ("This_Little_Girl_of_Mine.html", "A_Fool_for_You.html")) as idx:
        doc = idx.doc(url("This_Little_Girl_of_Mine.html"))
        sides = [c for c in clues_for(doc, idx, answer="", exclude=set()) if c.kind == "fact" and c.key == "B-side"]
        assert sides and all("disagree on the sides" in c.ambiguity for c in sides), [c.ambiguity for c in sides]
