"""Strict hand audit round 10 (bench/audit/hand-audit-strict10.*): the classes it found, one test each, on
unchanged copies of the saved Ray Charles 2015 pages (tests/fixtures/pages/wiki-raycharles-2015/A via
tests/saved_pages.py).

- intersection: "Which tracks are listed in the “Track listing” section of both … “Ray Charles Anthology” and
  “The Genius Hits the Road”?" → "Hit the Road Jack and Georgia on My Mind": The Genius Hits the Road's section
  holds the original LP's list and two reissues' bonus lists, and "Hit the Road Jack" is only a bonus track.
  Whether it is "listed in the section" of the album, readers differ: a section whose lists include another
  edition's is not one set (``section_has_edition_list``); sides and discs of one edition still are.
"""

from __future__ import annotations

from tests.regression.test_audit_final5_intersection import Mined

ROAD, ANTHOLOGY = "The_Genius_Hits_the_Road.html", "Ray_Charles_Anthology.html"


def test_a_section_with_a_reissues_bonus_list_is_no_set() -> None:
    m = Mined.crawl([ANTHOLOGY, ROAD])
    assert not m.pair(ANTHOLOGY, ROAD), [(r.question, r.answer) for r in m.pair(ANTHOLOGY, ROAD)]
    assert not [r for r in m.records if r.type == "intersection" and "Hit the Road Jack" in r.answer]
    dropped = [r for r in m.dropped("section_has_edition_list") if r.url.endswith("/" + ROAD)]
    assert dropped and "Track listing" in dropped[0].detail and "bonus" in dropped[0].detail


def test_sides_of_one_edition_are_still_one_set() -> None:
    # The Genius Sings the Blues / The Best of Ray Charles: 'Track listing › Side one', '… › Side two'
    from tests.regression.test_audit_final5_intersection import BEST, BLUES

    m = Mined.crawl([BEST, BLUES, ROAD])
    assert not [r for r in m.dropped("section_has_edition_list") if not r.url.endswith("/" + ROAD)]
